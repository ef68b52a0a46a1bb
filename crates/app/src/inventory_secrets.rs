//! Reading secrets of stock: a SIM's PIN and PUK, an eSIM profile's activation code —
//! decrypted for roles with `inventory_secret:read` only, each reading audited.

use crate::record::record;
use crate::{App, Ctx};
use tsunagi_core::Result;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::inventory as repo;
use uuid::Uuid;

/// PIN and PUK of a SIM, decrypted, for roles allowed to see them; the reading is audited.
pub async fn sim_secrets(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
) -> Result<(Option<String>, Option<String>)> {
    app.authz
        .check(&ctx.principal, "inventory_secret", "read")
        .await?;
    let k = crate::crypto::data_key(app)?;
    let mut tx = app.tx(ctx).await?;
    let s = repo::sim_get(&mut tx, id).await?;
    let tenant = tsunagi_core::TenantId(s.tenant_id);
    let pin = s
        .pin_enc
        .as_deref()
        .map(|c| k.open(tenant, "sim.pin", c))
        .transpose()?;
    let puk = s
        .puk_enc
        .as_deref()
        .map(|c| k.open(tenant, "sim.puk", c))
        .transpose()?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("sim.secrets_read", "sim", id),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((pin, puk))
}

/// The activation code of an eSIM profile, for roles allowed to see it; audited.
pub async fn esim_activation_code(app: &App, ctx: &Ctx, id: Uuid) -> Result<String> {
    app.authz
        .check(&ctx.principal, "inventory_secret", "read")
        .await?;
    let k = crate::crypto::data_key(app)?;
    let mut tx = app.tx(ctx).await?;
    let e = repo::esim_get(&mut tx, id).await?;
    let code = k.open(
        tsunagi_core::TenantId(e.tenant_id),
        "esim.activation_code",
        &e.activation_code_enc,
    )?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("esim.activation_code_read", "esim", id),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}
