//! Writing what happened: the outbox event and the audit record of a change, in the change's
//! transaction. The audit append goes last because it holds the tenant's chain lock until
//! commit.

use crate::Ctx;
use tsunagi_core::{Result, events::DomainEvent};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::{AuditActor, AuditEntry, audit_append};

pub async fn record(
    tx: &mut TenantTx,
    ctx: &Ctx,
    entry: AuditEntry,
    event: Option<DomainEvent>,
) -> Result<()> {
    audit_append(
        tx,
        &AuditActor::of(&ctx.principal, ctx.request_id.as_deref()),
        entry,
        event.as_ref(),
    )
    .await?;
    Ok(())
}

/// Records the change and announces it with an event derived from the audit entry: the
/// entry's target is the aggregate, its before/after the payload.
pub async fn record_event(
    tx: &mut TenantTx,
    ctx: &Ctx,
    entry: AuditEntry,
    topic: &str,
) -> Result<()> {
    let payload = serde_json::json!({ "before": entry.before, "after": entry.after });
    let ev = DomainEvent::new(
        ctx.principal.tenant_id,
        topic,
        entry.target_type.clone(),
        entry.target_id.clone(),
        payload,
    );
    record(tx, ctx, entry, Some(ev)).await
}
