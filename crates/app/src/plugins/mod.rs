//! Tenant plugins as tenant admins manage them: uploaded versions and their manifests
//! (`upload`), which version runs at each hook (`activation`: approval, rollback, disable,
//! reseller policy), replay sources and replays (`replay`). The registry crate
//! (tsunagi-registry) holds the SQL and runs plugins; this module asks the authorizer,
//! validates, and records every change with its audit record and event.

pub mod activation;
pub mod replay;
pub mod upload;

use crate::{App, Ctx};
use serde::Serialize;
use tsunagi_core::{Result, TenantKind};
use tsunagi_registry::Hook;
use tsunagi_registry::store::{self, ActivationRow, PluginRow, PolicyRow, VersionRow};
use uuid::Uuid;

pub use activation::{activate, disable, rollback, set_policy};
pub use replay::{
    contract_pricing, create_fixture_set, delete_fixture_set, fixture_sets, replay, samples,
};
pub use upload::{ComponentBytes, MAX_UPLOAD_BYTES, UploadInput, set_manifest, upload};

/// A plugin with its versions, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct PluginView {
    pub plugin: PluginRow,
    pub versions: Vec<VersionRow>,
}

pub async fn plugins(app: &App, ctx: &Ctx) -> Result<Vec<PluginView>> {
    app.authz.check(&ctx.principal, "plugin", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let ps = store::plugins(&mut tx).await?;
    let mut vs = store::versions(&mut tx).await?;
    tx.commit().await?;
    Ok(ps
        .into_iter()
        .map(|p| {
            let (mine, rest) = std::mem::take(&mut vs)
                .into_iter()
                .partition(|v| v.plugin_id == p.id);
            vs = rest;
            PluginView {
                plugin: p,
                versions: mine,
            }
        })
        .collect())
}

pub async fn version(app: &App, ctx: &Ctx, id: Uuid) -> Result<VersionRow> {
    app.authz.check(&ctx.principal, "plugin", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let v = store::version_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(v)
}

/// A hook as this tenant sees it.
#[derive(Debug, Clone, Serialize)]
pub struct HookView {
    pub hook: String,
    /// This tenant's own activation (active or disabled), if it ever had one.
    pub activation: Option<ActivationRow>,
    /// What runs for this tenant now: `own`, `inherited` (the MVNO's plugin) or `built_in`.
    pub in_force: &'static str,
    /// Whether this tenant may put its own plugin here.
    pub may_replace: bool,
    /// An MVNO's policy for its resellers at this hook.
    pub resellers_may_override: Option<bool>,
}

/// Pricing, commission and every channel this tenant has touched.
pub async fn activation_hooks(app: &App, ctx: &Ctx) -> Result<Vec<HookView>> {
    app.authz.check(&ctx.principal, "plugin", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let acts = store::activations(&mut tx).await?;
    let pols = store::policies(&mut tx).await?;
    let mut names: Vec<String> = vec![Hook::PRICING.into(), Hook::COMMISSION.into()];
    for h in acts
        .iter()
        .map(|a| &a.hook)
        .chain(pols.iter().map(|p| &p.hook))
    {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    let me = ctx.principal.tenant_id.as_uuid();
    let mut out = Vec::with_capacity(names.len());
    for hook in names {
        let in_force = if hook == "channel:*" {
            "built_in"
        } else {
            match store::effective(&mut tx, &hook).await? {
                Some(e) if e.owner == me => "own",
                Some(_) => "inherited",
                None => "built_in",
            }
        };
        let may_replace = match ctx.principal.tenant_kind {
            TenantKind::Mvno => true,
            TenantKind::Reseller => store::parent_allows(&mut tx, &hook).await?,
            TenantKind::Platform => false,
        };
        out.push(HookView {
            activation: acts.iter().find(|a| a.hook == hook).cloned(),
            resellers_may_override: pols
                .iter()
                .find(|p: &&PolicyRow| p.hook == hook)
                .map(|p| p.resellers_may_override),
            in_force,
            may_replace,
            hook,
        });
    }
    tx.commit().await?;
    Ok(out)
}
