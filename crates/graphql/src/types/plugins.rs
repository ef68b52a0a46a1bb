//! Plugin registry types: plugins and versions (no bytes, secret names only), hooks,
//! samples, fixture sets, replay reports and price quotes.

use crate::types::ledger::id;
use async_graphql::{ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tsunagi_app::plugins::replay::PriceQuote;
use tsunagi_app::plugins::{HookView, PluginView};
use tsunagi_app::views::plugins::{ActivationRow, FixtureSetRow, PolicyRow, SampleRow, VersionRow};
use tsunagi_app::views::plugins::{ReplayItem, ReplayReport, Source};

#[derive(SimpleObject)]
pub struct Plugin {
    pub id: ID,
    pub name: String,
    /// pricing, commission or channel.
    pub world: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub versions: Vec<PluginVersion>,
}

impl From<PluginView> for Plugin {
    fn from(v: PluginView) -> Self {
        Self {
            id: id(v.plugin.id),
            name: v.plugin.name,
            world: v.plugin.world,
            description: v.plugin.description,
            created_at: v.plugin.created_at,
            versions: v.versions.into_iter().map(Into::into).collect(),
        }
    }
}

/// An uploaded version. Versions are immutable; only the manifest of a version not in force
/// can change (its revision counts the changes).
#[derive(SimpleObject)]
pub struct PluginVersion {
    pub id: ID,
    pub plugin_id: ID,
    pub plugin_name: String,
    pub world: String,
    pub version: String,
    /// SHA-256 of the component, hex.
    pub digest: String,
    pub size_bytes: i32,
    /// Limits, config values and allowed hosts (secrets are never shown).
    pub manifest: Json<Value>,
    /// Names of the secrets the plugin receives.
    pub secret_keys: Vec<String>,
    pub manifest_rev: i32,
    pub uploaded_by: String,
    /// Failed calls of this version, in total and by code (fuel, memory, trap, …).
    pub failure_count: i64,
    pub failures_by_code: Json<Value>,
    pub last_failure: Option<String>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<VersionRow> for PluginVersion {
    fn from(v: VersionRow) -> Self {
        Self {
            id: id(v.id),
            plugin_id: id(v.plugin_id),
            plugin_name: v.plugin_name,
            world: v.world,
            version: v.version,
            digest: v.digest,
            size_bytes: v.size_bytes,
            manifest: Json(v.manifest),
            secret_keys: v.secret_keys,
            manifest_rev: v.manifest_rev,
            uploaded_by: v.uploaded_by,
            failure_count: v.failure_count,
            failures_by_code: Json(v.failures_by_code),
            last_failure: v.last_failure,
            last_failure_at: v.last_failure_at,
            created_at: v.created_at,
        }
    }
}

/// Which version runs at a hook, and the one rollback returns to.
#[derive(SimpleObject)]
pub struct PluginActivation {
    pub hook: String,
    /// active or disabled.
    pub status: String,
    pub version_id: Option<ID>,
    pub previous_version_id: Option<ID>,
    pub changed_by: String,
    pub approval_id: Option<ID>,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<ActivationRow> for PluginActivation {
    fn from(a: ActivationRow) -> Self {
        Self {
            hook: a.hook,
            status: a.status,
            version_id: a.version_id.map(id),
            previous_version_id: a.previous_version_id.map(id),
            changed_by: a.changed_by,
            approval_id: a.approval_id.map(id),
            reason: a.reason,
            updated_at: a.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct PluginHook {
    pub hook: String,
    pub activation: Option<PluginActivation>,
    /// What runs for this tenant now: own, inherited (the MVNO's plugin) or built_in.
    pub in_force: String,
    /// Whether this tenant may put its own plugin here.
    pub may_replace: bool,
    /// An MVNO's policy for its resellers at this hook.
    pub resellers_may_override: Option<bool>,
}

impl From<HookView> for PluginHook {
    fn from(h: HookView) -> Self {
        Self {
            hook: h.hook,
            activation: h.activation.map(Into::into),
            in_force: h.in_force.into(),
            may_replace: h.may_replace,
            resellers_may_override: h.resellers_may_override,
        }
    }
}

#[derive(SimpleObject)]
pub struct PluginHookPolicy {
    pub hook: String,
    pub resellers_may_override: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<PolicyRow> for PluginHookPolicy {
    fn from(p: PolicyRow) -> Self {
        Self {
            hook: p.hook,
            resellers_may_override: p.resellers_may_override,
            updated_at: p.updated_at,
        }
    }
}

/// A real input the hook's plugin was called with (config and secrets never included).
#[derive(SimpleObject)]
pub struct PluginSample {
    pub tenant_id: ID,
    pub hook: String,
    pub slot: i32,
    pub version_id: ID,
    pub input: Json<Value>,
    pub output: Option<Json<Value>>,
    pub error: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl From<SampleRow> for PluginSample {
    fn from(s: SampleRow) -> Self {
        Self {
            tenant_id: id(s.tenant_id),
            hook: s.hook,
            slot: s.slot,
            version_id: id(s.version_id),
            input: Json(s.input),
            output: s.output.map(Json),
            error: s.error,
            recorded_at: s.recorded_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct PluginFixtureSet {
    pub id: ID,
    pub world: String,
    pub name: String,
    pub inputs: Json<Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<FixtureSetRow> for PluginFixtureSet {
    fn from(f: FixtureSetRow) -> Self {
        Self {
            id: id(f.id),
            world: f.world,
            name: f.name,
            inputs: Json(f.inputs),
            created_by: f.created_by,
            created_at: f.created_at,
        }
    }
}

/// What produced a result: `built_in`, or a plugin version (named only when it is this
/// tenant's own).
#[derive(SimpleObject)]
pub struct PluginSource {
    pub kind: String,
    pub version_id: Option<ID>,
    pub name: Option<String>,
    pub version: Option<String>,
}

impl PluginSource {
    /// A reseller learns that its MVNO's plugin ran, not which one.
    pub fn of(s: Source, viewer: uuid::Uuid) -> Self {
        match s {
            Source::BuiltIn => Self {
                kind: "built_in".into(),
                version_id: None,
                name: None,
                version: None,
            },
            Source::Plugin { owner, .. } if owner != viewer => Self {
                kind: "inherited".into(),
                version_id: None,
                name: None,
                version: None,
            },
            Source::Plugin {
                version_id,
                name,
                version,
                ..
            } => Self {
                kind: "plugin".into(),
                version_id: Some(id(version_id)),
                name: Some(name),
                version: Some(version),
            },
        }
    }
}

#[derive(SimpleObject)]
pub struct PluginReplayItem {
    /// `sample:<tenant>/<slot>` or `fixture:<set>#<n>`.
    pub source: String,
    /// The contract (pricing) or partner (commission) the input is about.
    pub subject: String,
    pub baseline_total: i64,
    pub candidate_total: i64,
    pub delta: i64,
    pub baseline_error: Option<String>,
    pub candidate_error: Option<String>,
    pub changed: bool,
    /// One line per changed code: `+ CODE amount: reason`, `- CODE amount`, `~ CODE a → b`.
    pub differences: Vec<String>,
    pub baseline_output: Json<Value>,
    pub candidate_output: Json<Value>,
}

impl From<ReplayItem> for PluginReplayItem {
    fn from(i: ReplayItem) -> Self {
        Self {
            source: i.source,
            subject: i.subject,
            baseline_total: i.baseline_total,
            candidate_total: i.candidate_total,
            delta: i.delta,
            baseline_error: i.baseline_error,
            candidate_error: i.candidate_error,
            changed: i.changed,
            differences: i.differences,
            baseline_output: Json(i.baseline_output),
            candidate_output: Json(i.candidate_output),
        }
    }
}

/// A candidate replayed against what is in force, per input and in total. A version that
/// fails on an input counts as the built-in rule there (what would be invoiced).
#[derive(SimpleObject)]
pub struct PluginReplayReport {
    pub candidate: PluginSource,
    pub baseline: PluginSource,
    pub inputs: i32,
    pub changed: i32,
    pub unchanged: i32,
    pub candidate_errors: i32,
    pub baseline_errors: i32,
    pub baseline_total: i64,
    pub candidate_total: i64,
    pub total_delta: i64,
    pub items: Vec<PluginReplayItem>,
}

fn n(x: usize) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

impl PluginReplayReport {
    pub fn of(mut r: ReplayReport, viewer: uuid::Uuid) -> Self {
        // A reseller replaying against its MVNO's plugin sees that plugin's outputs on its own
        // inputs (they are on its invoices), but not which plugin it is.
        if matches!(&r.baseline, Source::Plugin { owner, .. } if *owner != viewer) {
            for i in &mut r.items {
                if i.baseline_error.is_some() {
                    i.baseline_error = Some("your MVNO's plugin failed on this input".into());
                }
            }
        }
        Self {
            candidate: PluginSource::of(r.candidate, viewer),
            baseline: PluginSource::of(r.baseline, viewer),
            inputs: n(r.inputs),
            changed: n(r.changed),
            unchanged: n(r.unchanged),
            candidate_errors: n(r.candidate_errors),
            baseline_errors: n(r.baseline_errors),
            baseline_total: r.baseline_total,
            candidate_total: r.candidate_total,
            total_delta: r.total_delta,
            items: r.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// A contract's monthly price with the pricing hook applied.
#[derive(SimpleObject)]
pub struct ContractPriceQuote {
    pub contract_id: ID,
    pub currency: String,
    pub period_start: String,
    pub period_end: String,
    /// Draft invoice lines (plan, options) as JSON: code, description, quantity, amount.
    pub lines: Json<Value>,
    /// The pricing plugin's adjustments: kind, code, reason, amount.
    pub adjustments: Json<Value>,
    pub subtotal: i64,
    pub total: i64,
    pub source: PluginSource,
    /// The plugin failed: the built-in price applies, and this says why.
    pub plugin_error: Option<String>,
}

impl ContractPriceQuote {
    pub fn of(q: PriceQuote, viewer: uuid::Uuid) -> Self {
        let inherited = matches!(&q.source, Source::Plugin { owner, .. } if *owner != viewer);
        let plugin_error = q.plugin_error.map(|e| {
            if inherited {
                "your MVNO's pricing plugin failed; the built-in price applies".to_owned()
            } else {
                e
            }
        });
        Self {
            contract_id: id(q.contract_id),
            currency: q.currency,
            period_start: q.period_start,
            period_end: q.period_end,
            lines: Json(serde_json::to_value(&q.lines).unwrap_or_default()),
            adjustments: Json(serde_json::to_value(&q.adjustments).unwrap_or_default()),
            subtotal: q.subtotal,
            total: q.total,
            source: PluginSource::of(q.source, viewer),
            plugin_error,
        }
    }
}
