//! Data limits' storage (migrations/0022): a pool marked limited when its lines were
//! throttled or blocked, lifted by an add-on or at the period's end, and the data an add-on
//! adds. Every write is on a pool the caller holds locked (`rating::pools_lock`).

use crate::repo::rating::{PoolRow, pool_columns};
use crate::{Db, TenantTx};
use chrono::NaiveDate;
use tsunagi_core::Result;
use uuid::Uuid;

/// Marks a pool's lines limited (`throttle` or `block`, at `kbps`) from now.
pub async fn pool_limit(
    tx: &mut TenantTx,
    owner: Uuid,
    period: NaiveDate,
    action: &str,
    kbps: i32,
) -> Result<()> {
    sqlx::query(
        "UPDATE usage_pools SET limit_action = $4, limit_kbps = $5, limited_at = now(), \
         lifted_at = NULL, lifted_by = NULL, version = version + 1 \
         WHERE tenant_id = $1 AND owner_id = $2 AND period = $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(owner)
    .bind(period)
    .bind(action)
    .bind(kbps)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a pool's limit lifted (`add_on` or `next_period`).
pub async fn pool_lift(tx: &mut TenantTx, owner: Uuid, period: NaiveDate, by: &str) -> Result<()> {
    sqlx::query(
        "UPDATE usage_pools SET lifted_at = now(), lifted_by = $4, version = version + 1 \
         WHERE tenant_id = $1 AND owner_id = $2 AND period = $3 AND limit_action IS NOT NULL",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(owner)
    .bind(period)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Adds bought data to a pool's allowance; returns the pool after.
pub async fn pool_add(
    tx: &mut TenantTx,
    owner: Uuid,
    period: NaiveDate,
    bytes: i64,
) -> Result<PoolRow> {
    Ok(sqlx::query_as(concat!(
        "UPDATE usage_pools SET added_bytes = added_bytes + $4, version = version + 1, \
         updated_at = now() WHERE tenant_id = $1 AND owner_id = $2 AND period = $3 RETURNING ",
        pool_columns!()
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(owner)
    .bind(period)
    .bind(bytes)
    .fetch_one(tx.conn())
    .await?)
}

/// The transaction tenant's pools still limited on a period before `before`, locked in key
/// order.
pub async fn pools_limited_before(tx: &mut TenantTx, before: NaiveDate) -> Result<Vec<PoolRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        pool_columns!(),
        " FROM usage_pools WHERE tenant_id = $1 AND limit_action IS NOT NULL \
         AND lifted_at IS NULL AND period < $2 ORDER BY owner_id, period FOR UPDATE"
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(before)
    .fetch_all(tx.conn())
    .await?)
}

/// The owners (lines, or contracts of shared pools) limited now in `period`.
pub async fn owners_limited_in(tx: &mut TenantTx, period: NaiveDate) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT owner_id FROM usage_pools WHERE tenant_id = $1 AND period = $2 \
         AND limit_action IS NOT NULL AND lifted_at IS NULL",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(period)
    .fetch_all(tx.conn())
    .await?)
}

/// Every tenant with a limit in force on a period before `before` (the worker's sweep).
pub async fn tenants_with_limited_pools(db: &Db, before: NaiveDate) -> Result<Vec<Uuid>> {
    Ok(
        sqlx::query_scalar("SELECT * FROM tenants_with_limited_pools($1)")
            .bind(before)
            .fetch_all(db.pool())
            .await?,
    )
}

/// Ends the line's speed changes still open (queued, running or waiting for a person): a
/// newer one replaces them, so a late retry of an older one cannot undo it. A worker holding
/// one finds it no longer running when it answers, and drops it. Returns their orders.
pub async fn speed_jobs_supersede(tx: &mut TenantTx, line: Uuid) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE provisioning_jobs SET status = 'failed', next_attempt_at = NULL, lease_until = NULL, \
         waiting_for = NULL, last_error = 'superseded by a newer speed change', updated_at = now() \
         WHERE tenant_id = $1 AND line_id = $2 AND action = 'set_speed_limit' \
           AND status IN ('queued', 'running') RETURNING order_id",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(line)
    .fetch_all(tx.conn())
    .await?)
}
