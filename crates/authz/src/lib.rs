//! tsunagi-authz: who may do what. A Casbin RBAC-with-domains model (model.conf, domain =
//! tenant) with the platform's default rules (policy.csv) and each tenant's own rules from
//! PostgreSQL. One enforcer per tenant, built on first use: Casbin's, and the same rules
//! compiled (compiled.rs) — indexed by subject with inheritance resolved — which makes every
//! decision (a few hundred nanoseconds at 1,000 rules). A change to a tenant's rules is
//! announced with NOTIFY and every replica drops that tenant's enforcer. Every application
//! service calls `Authz::check` as its first step.

pub mod compiled;
pub mod roles;

use casbin::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tsunagi_core::{Error, Principal, Result, TenantId};
use tsunagi_db::listen::{self, Notice};
use tsunagi_db::repo::policies::{PolicyRule, policy_load};
use tsunagi_db::{Db, Scope, TenantTx};

pub use roles::{DEFAULT_ROLES, RoleInfo};

/// The model, with a comment on every line.
pub const MODEL: &str = include_str!("../model.conf");
/// The default rules, domain "*".
pub const DEFAULT_POLICY: &str = include_str!("../policy.csv");

/// The channel on which rule changes are announced.
pub const RELOAD_CHANNEL: &str = "tsunagi_authz";

/// One tenant's rules: Casbin's enforcer (the reference) and the compiled form that decides.
pub struct TenantEnforcer {
    enforcer: Enforcer,
    compiled: compiled::CompiledPolicy,
    domain: String,
}

impl TenantEnforcer {
    /// Builds an enforcer with the defaults plus the given tenant rules.
    pub async fn build(tenant: TenantId, rules: &[PolicyRule]) -> Result<Self> {
        let model = DefaultModel::from_str(MODEL).await.map_err(casbin_err)?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .map_err(casbin_err)?;
        let domain = tenant.to_string();
        let mut p: Vec<Vec<String>> = default_rules();
        let mut g: Vec<Vec<String>> = Vec::new();
        for r in rules {
            match r.ptype.as_str() {
                "g" => g.push(vec![r.subject.clone(), r.object.clone(), domain.clone()]),
                _ => p.push(vec![
                    r.subject.clone(),
                    domain.clone(),
                    r.object.clone(),
                    r.action.clone(),
                    r.effect.clone(),
                ]),
            }
        }
        let compiled = compiled::CompiledPolicy::build(&domain, &p, &g);
        enforcer.add_policies(p).await.map_err(casbin_err)?;
        if !g.is_empty() {
            enforcer
                .add_grouping_policies(g)
                .await
                .map_err(casbin_err)?;
        }
        Ok(Self {
            enforcer,
            compiled,
            domain,
        })
    }

    /// Casbin's own decision (its matcher run over every rule): the reference the compiled
    /// decision is tested against, and the benchmark's baseline.
    pub fn enforce_casbin(&self, role: &str, obj: &str, act: &str) -> Result<bool> {
        self.enforcer
            .enforce((role, self.domain.as_str(), obj, act))
            .map_err(casbin_err)
    }

    /// The decision, by the compiled rules. Nothing is cached: a decision costs less than a
    /// cache lookup would.
    pub fn enforce(&self, role: &str, obj: &str, act: &str) -> Result<bool> {
        Ok(self.compiled.decide(role, obj, act))
    }

    /// Whether any of the roles is allowed.
    pub fn any_allowed(&self, roles: &[String], obj: &str, act: &str) -> Result<bool> {
        for role in roles {
            if self.enforce(role, obj, act)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn casbin_err(e: casbin::Error) -> Error {
    Error::internal(format!("casbin: {e}"))
}

fn poisoned<T>(_: T) -> Error {
    Error::internal("authz cache lock poisoned")
}

/// The default rules parsed from policy.csv: `p, role, dom, obj, act, eft`.
pub fn default_rules() -> Vec<Vec<String>> {
    DEFAULT_POLICY
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("p,"))
        .map(|l| l.split(',').skip(1).map(|s| s.trim().to_owned()).collect())
        .collect()
}

/// The process-wide authorizer. Cheap to clone.
#[derive(Clone)]
pub struct Authz {
    db: Db,
    tenants: Arc<RwLock<HashMap<TenantId, Arc<TenantEnforcer>>>>,
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authz").finish_non_exhaustive()
    }
}

impl Authz {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            tenants: Arc::default(),
        }
    }

    /// The first line of every use case: may this principal do `act` on `obj`? Answers
    /// FORBIDDEN otherwise. (Objects of other tenants never get here: they are NOT_FOUND.)
    pub async fn check(&self, p: &Principal, obj: &str, act: &str) -> Result<()> {
        if self.allowed(p, obj, act).await? {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "your roles do not allow {act} on {obj}"
            )))
        }
    }

    pub async fn allowed(&self, p: &Principal, obj: &str, act: &str) -> Result<bool> {
        let e = self.enforcer(p.tenant_id).await?;
        e.any_allowed(&p.roles, obj, act)
    }

    /// The tenant's enforcer, built on first use.
    pub async fn enforcer(&self, tenant: TenantId) -> Result<Arc<TenantEnforcer>> {
        if let Some(e) = self.tenants.read().map_err(poisoned)?.get(&tenant) {
            return Ok(e.clone());
        }
        let mut tx = TenantTx::begin(&self.db, Scope::single(tenant)).await?;
        let rules = policy_load(&mut tx).await?;
        tx.commit().await?;
        let e = Arc::new(TenantEnforcer::build(tenant, &rules).await?);
        self.tenants
            .write()
            .map_err(poisoned)?
            .insert(tenant, e.clone());
        Ok(e)
    }

    /// Drops a tenant's enforcer; the next check rebuilds it from the database.
    pub fn invalidate(&self, tenant: TenantId) {
        if let Ok(mut t) = self.tenants.write() {
            t.remove(&tenant);
        }
    }

    pub fn invalidate_all(&self) {
        if let Ok(mut t) = self.tenants.write() {
            t.clear();
        }
    }

    /// Listens for rule changes from any replica until the process ends. On a lost
    /// connection everything is dropped (a notification may have been missed) and the
    /// listener reconnects.
    pub fn spawn_reload_listener(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        listen::follow(this.db.clone(), RELOAD_CHANNEL, "authz", move |n| match n {
            Notice::Message(payload) => match TenantId::parse(payload) {
                Some(t) => {
                    tracing::debug!(tenant_id = %t, "authz: rules changed, reloading");
                    this.invalidate(t);
                }
                None => this.invalidate_all(),
            },
            Notice::Connected | Notice::Lost => this.invalidate_all(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(ptype: &str, sub: &str, obj: &str, act: &str, eft: &str) -> PolicyRule {
        PolicyRule {
            tenant_id: uuid::Uuid::nil(),
            id: uuid::Uuid::nil(),
            ptype: ptype.into(),
            subject: sub.into(),
            object: obj.into(),
            action: act.into(),
            effect: eft.into(),
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn defaults_and_tenant_rules() {
        let t = TenantId::new();
        let e = TenantEnforcer::build(
            t,
            &[
                rule("p", "sales", "invoice", "read", "allow"),
                rule("p", "auditor", "audit", "read", "deny"),
                rule("g", "senior_support", "support", "", "allow"),
            ],
        )
        .await
        .expect("build");
        assert!(e.enforce("tenant_admin", "user", "create").expect("ok"));
        assert!(!e.enforce("support", "user", "create").expect("ok"));
        assert!(e.enforce("support", "line", "suspend").expect("ok"));
        assert!(
            e.enforce("sales", "invoice", "read").expect("ok"),
            "tenant rule adds"
        );
        assert!(!e.enforce("billing", "tenant", "create").expect("ok"));
        assert!(
            !e.enforce("auditor", "audit", "read").expect("ok"),
            "tenant deny wins"
        );
        assert!(e.enforce("auditor", "customer", "read").expect("ok"));
        assert!(!e.enforce("auditor", "customer", "update").expect("ok"));
        assert!(
            e.enforce("senior_support", "ticket", "update").expect("ok"),
            "inherited role"
        );
        assert!(
            e.enforce("customer_user", "self_service", "request")
                .expect("ok"),
            "a customer user asks to suspend a lost phone's line"
        );
        assert!(
            !e.enforce("customer_user", "self_service", "update")
                .expect("ok")
        );
        assert!(
            e.enforce("customer_admin", "self_service", "request")
                .expect("ok")
        );
        for role in DEFAULT_ROLES {
            assert!(
                e.enforce(role.name, "viewer", "read").expect("ok"),
                "{} asks viewer",
                role.name
            );
        }
    }

    use proptest::prelude::*;

    const SUBJECTS: &[&str] = &["a", "b", "c", "support", "tenant_admin", "sales"];
    const OBJECTS: &[&str] = &[
        "line",
        "line*",
        "line_history",
        "li*",
        "*",
        "user",
        "invoice",
    ];
    const ACTIONS: &[&str] = &["read", "update", "suspend", "*"];

    fn arb_rule() -> impl Strategy<Value = PolicyRule> {
        (
            prop_oneof![8 => Just("p"), 3 => Just("g")],
            0..SUBJECTS.len(),
            0..SUBJECTS.len().max(OBJECTS.len()),
            0..ACTIONS.len(),
            prop_oneof![6 => Just("allow"), 2 => Just("deny"), 1 => Just("audit")],
        )
            .prop_map(|(ptype, s, o, a, eft)| {
                if ptype == "g" {
                    rule("g", SUBJECTS[s], SUBJECTS[o % SUBJECTS.len()], "", "allow")
                } else {
                    rule(
                        "p",
                        SUBJECTS[s],
                        OBJECTS[o % OBJECTS.len()],
                        ACTIONS[a],
                        eft,
                    )
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The compiled decision is Casbin's, for every role, object and action, on random
        /// tenant rules (with inheritance chains and cycles, denials and wildcards) over the
        /// defaults.
        #[test]
        fn compiled_decisions_are_casbins(rules in proptest::collection::vec(arb_rule(), 0..40)) {
            let mut seen = std::collections::HashSet::new();
            let rules: Vec<PolicyRule> = rules
                .into_iter()
                .filter(|r| seen.insert((r.ptype.clone(), r.subject.clone(), r.object.clone(), r.action.clone())))
                .collect();
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let e = rt.block_on(TenantEnforcer::build(TenantId::new(), &rules)).expect("build");
            let objects = ["line", "line_history", "lin", "user", "invoice", "li", "customer", "x"];
            for role in SUBJECTS.iter().chain(["auditor", "nobody"].iter()) {
                for obj in objects {
                    for act in ["read", "update", "suspend", "delete", "*"] {
                        prop_assert_eq!(
                            e.enforce(role, obj, act).expect("compiled"),
                            e.enforce_casbin(role, obj, act).expect("casbin"),
                            "{} {} {}", role, obj, act
                        );
                    }
                }
            }
        }
    }

    /// Inheritance deeper than Casbin follows (ten levels) is cut where Casbin cuts it.
    #[tokio::test]
    async fn long_inheritance_chains_end_where_casbins_do() {
        let mut rules: Vec<PolicyRule> = (0..14)
            .map(|i| rule("g", &format!("r{i}"), &format!("r{}", i + 1), "", "allow"))
            .collect();
        for i in 0..15 {
            rules.push(rule(
                "p",
                &format!("r{i}"),
                &format!("obj{i}"),
                "read",
                "allow",
            ));
        }
        let e = TenantEnforcer::build(TenantId::new(), &rules)
            .await
            .expect("build");
        for i in 0..15 {
            assert_eq!(
                e.enforce("r0", &format!("obj{i}"), "read").expect("ok"),
                e.enforce_casbin("r0", &format!("obj{i}"), "read")
                    .expect("ok"),
                "level {i}"
            );
        }
        assert!(e.enforce("r0", "obj5", "read").expect("ok"));
    }

    #[tokio::test]
    async fn another_tenants_rules_do_not_apply() {
        let a = TenantId::new();
        let other = TenantId::new();
        let mut r = rule("p", "sales", "invoice", "read", "allow");
        r.tenant_id = other.as_uuid();
        // Rules are loaded per tenant; a tenant's enforcer only ever holds its own.
        let e = TenantEnforcer::build(a, &[]).await.expect("build");
        assert!(!e.enforce("sales", "invoice", "read").expect("ok"));
    }
}
