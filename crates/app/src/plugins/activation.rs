//! Which version runs at a hook. Activation is critical: it becomes an approval request and
//! runs once when a second person approves. Rollback (to the version in force before) and
//! disabling (back to the built-in behaviour, or to the MVNO's plugin for a reseller) take
//! effect at once: they only ever return to something already approved or built in. A
//! reseller activates only where its MVNO lets resellers replace the hook.

use crate::approvals::{self, ApprovalCommand, ApprovalLink, Executor};
use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::principal::TenantKind;
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_registry::Hook;
use tsunagi_registry::store::{self, ActivationRow, PolicyRow, VersionRow};
use uuid::Uuid;

pub(crate) fn parse_hook(field: &str, s: &str) -> Result<Hook> {
    Hook::parse(s).map_err(|reason| Error::invalid(field, reason))
}

fn reason_required(reason: &str) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        !reason.trim().is_empty() && reason.chars().count() <= 500,
        "input.reason",
        "say why, in at most 500 characters (it is kept in the audit log)",
    );
    v.finish()
}

/// Checks that this tenant may put its own plugin at `hook`.
async fn may_replace(tx: &mut TenantTx, ctx: &Ctx, hook: &Hook) -> Result<()> {
    match ctx.principal.tenant_kind {
        TenantKind::Mvno => Ok(()),
        TenantKind::Reseller if store::parent_allows(tx, hook.as_str()).await? => Ok(()),
        TenantKind::Reseller => Err(Error::forbidden(format!(
            "your MVNO does not let resellers replace its `{hook}` plugin"
        ))),
        TenantKind::Platform => Err(Error::forbidden(
            "plugins run for MVNOs and their resellers, not the platform tenant",
        )),
    }
}

/// A version of this tenant that can run at `hook`.
async fn version_for(tx: &mut TenantTx, hook: &Hook, version_id: Uuid) -> Result<VersionRow> {
    let v = store::version_get(tx, version_id).await?;
    if v.world != hook.world().name() {
        return Err(Error::invalid(
            "input.versionId",
            format!(
                "{} {} implements the {} world; hook {hook} needs {}",
                v.plugin_name,
                v.version,
                v.world,
                hook.world().name()
            ),
        ));
    }
    Ok(v)
}

/// Asks for a version to be activated at a hook: files the approval request.
pub async fn activate(
    app: &App,
    ctx: &Ctx,
    hook: &str,
    version_id: Uuid,
    reason: String,
) -> Result<ApprovalRequest> {
    app.authz
        .check(&ctx.principal, "plugin", "activate")
        .await?;
    let hook = parse_hook("input.hook", hook)?;
    reason_required(&reason)?;
    let mut tx = app.tx(ctx).await?;
    let v = version_for(&mut tx, &hook, version_id).await?;
    may_replace(&mut tx, ctx, &hook).await?;
    if let Some(a) = store::activation_lock(&mut tx, hook.as_str()).await?
        && a.version_id == Some(version_id)
    {
        return Err(Error::conflict(format!(
            "{} {} is already active at {hook}",
            v.plugin_name, v.version
        )));
    }
    let summary = format!(
        "Activate plugin {} {} at hook {hook}: {reason}",
        v.plugin_name, v.version
    );
    let a = approvals::request(
        app,
        &mut tx,
        ctx,
        "plugin_hook",
        &hook,
        summary,
        &PluginActivate {
            hook: hook.to_string(),
            version_id,
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// A plugin version to put in force at a hook, waiting for its approval.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PluginActivate {
    pub hook: String,
    pub version_id: Uuid,
    pub reason: String,
}

impl ApprovalCommand for PluginActivate {
    const KIND: &'static str = "plugin_activate";
    fn action(&self) -> String {
        "plugin.activate".into()
    }
}

pub struct PluginActivateExecutor;

#[async_trait::async_trait]
impl Executor for PluginActivateExecutor {
    async fn execute(
        &self,
        _app: &crate::App,
        tx: &mut TenantTx,
        ctx: &Ctx,
        link: &ApprovalLink,
        command: serde_json::Value,
    ) -> Result<serde_json::Value> {
        let c: PluginActivate = approvals::read_command(command)?;
        activate_execute(tx, ctx, link, &c.hook, c.version_id, &c.reason).await
    }
}

/// Runs an approved activation in the approval's transaction.
pub(crate) async fn activate_execute(
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    hook: &str,
    version_id: Uuid,
    reason: &str,
) -> Result<serde_json::Value> {
    let hook = parse_hook("hook", hook)?;
    let v = version_for(tx, &hook, version_id).await?;
    may_replace(tx, ctx, &hook).await?;
    let before = store::activation_lock(tx, hook.as_str()).await?;
    if before.as_ref().and_then(|a| a.version_id) == Some(version_id) {
        return Err(Error::conflict(format!(
            "{} {} is already active",
            v.plugin_name, v.version
        )));
    }
    let previous = before
        .as_ref()
        .and_then(|a| a.version_id.or(a.previous_version_id));
    let row = ActivationRow {
        tenant_id: tx.tenant_id().as_uuid(),
        hook: hook.to_string(),
        version_id: Some(version_id),
        previous_version_id: previous,
        status: "active".into(),
        changed_by: link.requested_by.clone(),
        approval_id: Some(link.approval_id),
        reason: Some(reason.to_owned()),
        version: 0,
        updated_at: chrono::Utc::now(),
    };
    let after = store::activation_put(tx, &row).await?;
    let entry = link.stamp(
        AuditEntry::new("plugin.activate", "plugin_hook", &after.hook)
            .before(&before)
            .after(json!({ "activation": after, "plugin": v.plugin_name, "version": v.version })),
    );
    announce(tx, ctx, entry, Event::PluginActivated, &after).await?;
    Ok(json!({ "hook": after.hook, "versionId": version_id }))
}

async fn announce(
    tx: &mut TenantTx,
    ctx: &Ctx,
    entry: AuditEntry,
    event: fn(ev::PluginHookChanged) -> Event,
    a: &ActivationRow,
) -> Result<()> {
    let p = ev::PluginHookChanged {
        hook: a.hook.clone(),
        version_id: a.version_id,
        previous_version_id: a.previous_version_id,
        status: a.status.clone(),
        changed_by: a.changed_by.clone(),
        approval_id: a.approval_id,
        reason: a.reason.clone(),
    };
    record_event(tx, ctx, entry, event(p)).await
}

/// Returns a hook to the version in force before the current one, at once.
pub async fn rollback(app: &App, ctx: &Ctx, hook: &str, reason: String) -> Result<ActivationRow> {
    change_now(
        app,
        ctx,
        hook,
        reason,
        "plugin.rollback",
        Event::PluginRolledBack,
        |hook, before| {
            let before = before.ok_or_else(|| {
                Error::conflict(format!("no plugin was ever activated at {hook}"))
            })?;
            let target = before.previous_version_id.ok_or_else(|| {
                Error::conflict(format!("{hook} has no previous version to roll back to"))
            })?;
            Ok((before, Some(target)))
        },
    )
    .await
}

/// Stops this tenant's plugin at a hook, at once: the built-in behaviour applies again (for
/// a reseller, its MVNO's plugin). The version stays available for rollback.
pub async fn disable(app: &App, ctx: &Ctx, hook: &str, reason: String) -> Result<ActivationRow> {
    change_now(
        app,
        ctx,
        hook,
        reason,
        "plugin.disable",
        Event::PluginDisabled,
        |hook, before| {
            let before = before
                .filter(|a| a.status == "active")
                .ok_or_else(|| Error::conflict(format!("no plugin is active at {hook}")))?;
            Ok((before, None))
        },
    )
    .await
}

/// An immediate change of a hook's activation (rollback, disable) by the caller: `next`
/// looks at the locked activation and names the version to put in force (None: disabled);
/// the one in force until now becomes the previous version.
async fn change_now(
    app: &App,
    ctx: &Ctx,
    hook: &str,
    reason: String,
    action: &str,
    event: fn(ev::PluginHookChanged) -> Event,
    next: impl FnOnce(&Hook, Option<ActivationRow>) -> Result<(ActivationRow, Option<Uuid>)>,
) -> Result<ActivationRow> {
    app.authz
        .check(&ctx.principal, "plugin", "activate")
        .await?;
    let hook = parse_hook("input.hook", hook)?;
    reason_required(&reason)?;
    let mut tx = app.tx(ctx).await?;
    let (before, version_id) = next(&hook, store::activation_lock(&mut tx, hook.as_str()).await?)?;
    let row = ActivationRow {
        version_id,
        previous_version_id: before.version_id,
        status: if version_id.is_some() {
            "active"
        } else {
            "disabled"
        }
        .into(),
        changed_by: ctx.principal.actor.label(),
        approval_id: None,
        reason: Some(reason),
        ..before.clone()
    };
    let after = store::activation_put(&mut tx, &row).await?;
    let entry = AuditEntry::new(action, "plugin_hook", &after.hook)
        .before(&before)
        .after(&after);
    announce(&mut tx, ctx, entry, event, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// An MVNO decides whether its resellers may replace a hook (`channel:*`: every channel).
pub async fn set_policy(app: &App, ctx: &Ctx, hook: &str, allow: bool) -> Result<PolicyRow> {
    app.authz
        .check(&ctx.principal, "plugin", "activate")
        .await?;
    if hook != "channel:*" {
        parse_hook("input.hook", hook)?;
    }
    if ctx.principal.tenant_kind != TenantKind::Mvno {
        return Err(Error::forbidden(
            "only an MVNO decides whether its resellers may replace its plugins",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    let row = store::policy_put(&mut tx, hook, allow).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plugin.hook_policy", "plugin_hook", hook).after(&row),
        Event::PluginHookPolicyChanged(ev::PluginHookPolicyChanged {
            hook: hook.to_owned(),
            resellers_may_replace: row.resellers_may_override,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}
