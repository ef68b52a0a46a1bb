//! A tenant's own authorization rules, on top of the defaults: grant or deny a role an action
//! on an object, or define a role that inherits another. Changes reach every replica's
//! enforcer through NOTIFY.

use crate::record::record_event;
use crate::{App, Ctx};
use tsunagi_authz::roles::{is_default_role, valid_role_name};
use tsunagi_core::events::{Event, PolicyChanged};
use tsunagi_core::{PolicyId, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::policies::{self, PolicyRule};

#[derive(Debug, Clone)]
pub struct PolicyAdd {
    /// `p` (a rule) or `g` (role inheritance).
    pub ptype: String,
    pub subject: String,
    pub object: String,
    pub action: String,
    pub effect: String,
}

fn valid_object(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'*')
}

pub async fn policy_add(app: &App, ctx: &Ctx, p: PolicyAdd) -> Result<PolicyRule> {
    app.authz.check(&ctx.principal, "policy", "create").await?;
    let mut v = Validator::new();
    v.check(
        p.ptype == "p" || p.ptype == "g",
        "input.ptype",
        "must be p (rule) or g (role inheritance)",
    );
    v.check(
        valid_role_name(&p.subject),
        "input.subject",
        "must be a role name of a-z, 0-9 and '_'",
    );
    v.check(
        p.subject != "platform_operator",
        "input.subject",
        "platform_operator cannot be changed by a tenant",
    );
    if p.ptype == "g" {
        v.check(
            is_default_role(&p.object),
            "input.object",
            "a role may only inherit a default role",
        );
        v.check(
            !is_default_role(&p.subject),
            "input.subject",
            "a default role cannot inherit another role",
        );
        v.check(
            p.object != "platform_operator",
            "input.object",
            "platform_operator cannot be inherited",
        );
    } else {
        v.check(
            valid_object(&p.object),
            "input.object",
            "must be an object name (a-z, 0-9, '_', '*')",
        );
        v.check(
            valid_object(&p.action),
            "input.action",
            "must be an action name (a-z, 0-9, '_', '*')",
        );
        v.check(
            p.effect == "allow" || p.effect == "deny",
            "input.effect",
            "must be allow or deny",
        );
    }
    v.finish()?;
    let (action, effect) = if p.ptype == "g" {
        (String::new(), "allow".to_owned())
    } else {
        (p.action, p.effect)
    };
    let mut tx = app.tx(ctx).await?;
    let rule = policies::policy_insert(
        &mut tx,
        PolicyId::new(),
        &p.ptype,
        &p.subject,
        &p.object,
        &action,
        &effect,
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("policy.create", "policy", rule.id).after(&rule),
        policy_event(&rule, "added"),
    )
    .await?;
    tx.commit().await?;
    app.authz.invalidate(ctx.principal.tenant_id);
    Ok(rule)
}

pub async fn policy_remove(app: &App, ctx: &Ctx, id: PolicyId) -> Result<PolicyRule> {
    app.authz.check(&ctx.principal, "policy", "delete").await?;
    let mut tx = app.tx(ctx).await?;
    let rule = policies::policy_delete(&mut tx, id).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("policy.delete", "policy", id).before(&rule),
        policy_event(&rule, "removed"),
    )
    .await?;
    tx.commit().await?;
    app.authz.invalidate(ctx.principal.tenant_id);
    Ok(rule)
}

fn policy_event(r: &PolicyRule, change: &str) -> Event {
    Event::PolicyChanged(PolicyChanged {
        policy_id: r.id,
        change: change.into(),
        ptype: r.ptype.clone(),
        subject: r.subject.clone(),
        object: r.object.clone(),
        action: r.action.clone(),
        effect: r.effect.clone(),
    })
}

pub async fn policy_list(app: &App, ctx: &Ctx) -> Result<Vec<PolicyRule>> {
    app.authz.check(&ctx.principal, "policy", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let t = tx.tenant_id();
    let r = policies::policy_list(&mut tx, t).await?;
    tx.commit().await?;
    Ok(r)
}
