//! What the SM-DP+ said about eSIM profiles (confirmed with its activation code, the
//! download notices taken once each, the last one applied by time), and numbers ported in.

use super::inventory::{Esim, Number};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use tsunagi_core::Result;
use uuid::Uuid;

/// Locks the tenant's profile with this ICCID (None: not the tenant's).
pub async fn esim_lock_by_iccid(tx: &mut TenantTx, iccid: &str) -> Result<Option<Esim>> {
    Ok(
        sqlx::query_as(
            "SELECT * FROM esim_profiles WHERE tenant_id = $1 AND iccid = $2 FOR UPDATE",
        )
        .bind(tx.tenant_id().as_uuid())
        .bind(iccid)
        .fetch_optional(tx.conn())
        .await?,
    )
}

/// The SM-DP+ confirmed the order: its activation code (sealed) replaces the stock one.
pub async fn esim_confirmed(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    code_enc: &[u8],
) -> Result<()> {
    sqlx::query(
        "UPDATE esim_profiles SET status = $3, activation_code_enc = $4, confirmed_at = now(), failure = NULL, \
           version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .bind(code_enc)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A download notice applied: the profile's state, the notice's time, the EID, why it failed.
pub async fn esim_noticed(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    at: DateTime<Utc>,
    eid: Option<&str>,
    failure: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE esim_profiles SET status = $3, notice_at = $4, eid = COALESCE($5, eid), failure = $6, \
           version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .bind(at)
    .bind(eid)
    .bind(failure)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A failed profile released again: back to `status`, the failure cleared.
pub async fn esim_released(tx: &mut TenantTx, id: Uuid, status: &str) -> Result<()> {
    sqlx::query(
        "UPDATE esim_profiles SET status = $3, failure = NULL, version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn notice_seen(tx: &mut TenantTx, id: &str) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i32>(
        "SELECT 1 FROM esim_notices WHERE tenant_id = $1 AND notice_id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .is_some())
}

/// A notice taken (or judged stale): its body and what it did.
pub async fn notice_insert(
    tx: &mut TenantTx,
    id: &str,
    iccid: &str,
    point: i16,
    succeeded: bool,
    body: &serde_json::Value,
    outcome: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO esim_notices (tenant_id, notice_id, iccid, point, succeeded, body, outcome) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(iccid)
    .bind(point)
    .bind(succeeded)
    .bind(body)
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The number of a port-in, locked: a new row `porting_in` (ported in), or one that was
/// ported away from us earlier and comes back. None: the number is in the pool otherwise
/// (or another tenant's).
pub async fn number_port_in(tx: &mut TenantTx, msisdn: &str) -> Result<Option<Number>> {
    let tenant = tx.tenant_id().as_uuid();
    let inserted: Option<Number> = sqlx::query_as(
        "INSERT INTO numbers (tenant_id, msisdn, status, ported_in) VALUES ($1, $2, 'porting_in', true) \
         ON CONFLICT DO NOTHING RETURNING *",
    )
    .bind(tenant)
    .bind(msisdn)
    .fetch_optional(tx.conn())
    .await?;
    if inserted.is_some() {
        return Ok(inserted);
    }
    Ok(sqlx::query_as(
        "UPDATE numbers SET status = 'porting_in', ported_in = true, quarantine_until = NULL, \
           version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND msisdn = $2 AND status = 'ported_out' RETURNING *",
    )
    .bind(tenant)
    .bind(msisdn)
    .fetch_optional(tx.conn())
    .await?)
}

/// The tenant's number, for a clear refusal (None: not in the tenant's pool).
pub async fn number_status(tx: &mut TenantTx, msisdn: &str) -> Result<Option<String>> {
    let n = sqlx::query_scalar("SELECT status FROM numbers WHERE tenant_id = $1 AND msisdn = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(msisdn)
        .fetch_optional(tx.conn())
        .await?;
    Ok(n)
}
