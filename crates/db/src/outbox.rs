//! The transactional outbox: a state change writes its domain event here in the same
//! transaction; the hub's relay publishes it later (and again after Redis loses it).

use crate::TenantTx;
use tsunagi_core::{Error, Result, events::DomainEvent};

pub async fn outbox_push(
    tx: &mut TenantTx,
    ev: &DomainEvent,
    request_id: Option<&str>,
) -> Result<()> {
    if ev.tenant_id != tx.tenant_id() {
        return Err(Error::internal(
            "outbox event for another tenant than the transaction's",
        ));
    }
    sqlx::query(
        "INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ev.tenant_id.as_uuid())
    .bind(ev.id.as_uuid())
    .bind(&ev.topic)
    .bind(&ev.aggregate_type)
    .bind(&ev.aggregate_id)
    .bind(&ev.payload)
    .bind(request_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}
