//! Writing what happened: the outbox event and the audit record of a change, in the change's
//! transaction. Both are written when the transaction commits, with the transaction's other
//! records, as one batch (tsunagi_db::audit).

use crate::Ctx;
use tsunagi_core::Result;
use tsunagi_core::events::{DomainEvent, Event};
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
}

/// Records the change and announces it with its event (a topic of the contract with its
/// payload), in the change's transaction.
pub async fn record_event(
    tx: &mut TenantTx,
    ctx: &Ctx,
    entry: AuditEntry,
    event: Event,
) -> Result<()> {
    let ev = DomainEvent::new(ctx.principal.tenant_id, event);
    record(tx, ctx, entry, Some(ev)).await
}
