//! A tenant's closed usage months (migrations/0026): a month closed is billed; its records
//! are refused (`period_closed`) and it is no longer re-rated. Writers of usage (each intake
//! chunk, each re-rating) hold the tenant's months open with a shared transaction lock and
//! a close takes it exclusively, so a close waits for the chunks in flight to commit and no
//! record or charge lands in a month after it is closed.

use crate::{TenantTx, on_constraint};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Close {
    pub period: NaiveDate,
    pub closed_by: String,
    pub closed_at: DateTime<Utc>,
}

/// Holds the transaction's tenant's months open until the transaction ends (a close waits).
pub async fn hold_open(tx: &mut TenantTx) -> Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock_shared(hashtextextended('usage-months:' || $1::text, 0))",
    )
    .bind(tx.tenant_id().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Closes a month of the transaction's tenant, once the usage writers in flight have
/// committed; CONFLICT if it is closed already.
pub async fn close(tx: &mut TenantTx, period: NaiveDate, by: &str) -> Result<Close> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('usage-months:' || $1::text, 0))")
        .bind(tx.tenant_id().as_uuid())
        .execute(tx.conn())
        .await?;
    sqlx::query_as(
        "INSERT INTO usage_period_closes (tenant_id, period, closed_by) VALUES ($1, $2, $3) \
         RETURNING period, closed_by, closed_at",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(period)
    .bind(by)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("usage_period_closes_pkey", || {
        Error::conflict(format!("{} is closed already", period.format("%Y-%m")))
    }))
}

/// Whether a month of `tenant` is closed.
pub async fn is_closed(tx: &mut TenantTx, tenant: uuid::Uuid, period: NaiveDate) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM usage_period_closes WHERE tenant_id = $1 AND period = $2)",
    )
    .bind(tenant)
    .bind(period)
    .fetch_one(tx.conn())
    .await?)
}

/// The transaction's tenant's closed months, latest first.
pub async fn closes(tx: &mut TenantTx, first: i64) -> Result<Vec<Close>> {
    Ok(sqlx::query_as(
        "SELECT period, closed_by, closed_at FROM usage_period_closes WHERE tenant_id = $1 \
         ORDER BY period DESC LIMIT $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(first)
    .fetch_all(tx.conn())
    .await?)
}
