//! The carrier usage feed's storage (migrations/0023): per tenant, the carrier's position
//! after the last committed page, when it was read, how many records it gave, and the last
//! failure (cleared by the next success).

use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Feed {
    pub position: Option<String>,
    pub pulled_at: Option<DateTime<Utc>>,
    pub records: i64,
    pub last_error: Option<String>,
    pub failed_at: Option<DateTime<Utc>>,
}

pub async fn feed_get(tx: &mut TenantTx) -> Result<Option<Feed>> {
    Ok(sqlx::query_as(
        "SELECT position, pulled_at, records, last_error, failed_at FROM carrier_usage_feeds WHERE tenant_id = $1",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_optional(tx.conn())
    .await?)
}

/// Takes the tenant's feed for one reader for `lease_secs` (false: another reader has it).
pub async fn feed_claim(tx: &mut TenantTx, lease_secs: i32) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, uuid::Uuid>(
        "INSERT INTO carrier_usage_feeds AS f (tenant_id, reading_until) \
         VALUES ($1, now() + make_interval(secs => $2)) \
         ON CONFLICT (tenant_id) DO UPDATE SET reading_until = now() + make_interval(secs => $2) \
         WHERE f.reading_until IS NULL OR f.reading_until < now() RETURNING tenant_id",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(lease_secs)
    .fetch_optional(tx.conn())
    .await?
    .is_some())
}

/// Gives the feed back for the next reader.
pub async fn feed_release(tx: &mut TenantTx) -> Result<()> {
    sqlx::query("UPDATE carrier_usage_feeds SET reading_until = NULL WHERE tenant_id = $1")
        .bind(tx.tenant_id().as_uuid())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A reading committed: the position after it (None: the carrier has had nothing yet), and
/// its records counted. Clears the last failure.
pub async fn feed_advance(tx: &mut TenantTx, position: Option<&str>, records: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO carrier_usage_feeds AS f (tenant_id, position, pulled_at, records) \
         VALUES ($1, $2, now(), $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET position = $2, pulled_at = now(), \
           records = f.records + $3, last_error = NULL, failed_at = NULL, updated_at = now()",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(position)
    .bind(records)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A reading failed (the position stays).
pub async fn feed_failed(tx: &mut TenantTx, error: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO carrier_usage_feeds AS f (tenant_id, last_error, failed_at) VALUES ($1, $2, now()) \
         ON CONFLICT (tenant_id) DO UPDATE SET last_error = $2, failed_at = now(), updated_at = now()",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(error.chars().take(1000).collect::<String>())
    .execute(tx.conn())
    .await?;
    Ok(())
}
