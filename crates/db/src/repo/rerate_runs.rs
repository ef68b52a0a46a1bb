//! Tenant-wide re-rating runs (migrations/0025): the run with its totals and its worker's
//! lease, the pools its quote found changing, and the tenant's pools of a month in owner
//! order for the quote to walk.

use crate::repo::rating::{PoolRow, pool_columns};
use crate::{Db, TenantTx, on_constraint};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Run {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub period: NaiveDate,
    pub status: String,
    pub cursor: Option<Uuid>,
    pub pools: i32,
    pub records: i64,
    pub before: i64,
    pub after: i64,
    pub changed: i64,
    pub pools_changed: i32,
    pub pools_applied: i32,
    pub pools_moved: i32,
    pub currency: Option<String>,
    pub error: Option<String>,
    pub requested_by: String,
    pub applied_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub quoted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Failed steps in a row.
    pub attempts: i32,
}

macro_rules! columns {
    () => {
        "tenant_id, id, period, status, cursor, pools, records, before, after, changed, pools_changed, \
         pools_applied, pools_moved, currency, error, requested_by, applied_by, created_at, \
         quoted_at, finished_at, attempts"
    };
}

/// Opens a run (quoting); a quoted run of the same month is superseded. CONFLICT when one is
/// being quoted or applied.
pub async fn run_insert(tx: &mut TenantTx, id: Uuid, period: NaiveDate, by: &str) -> Result<Run> {
    sqlx::query(
        "UPDATE usage_rerate_runs SET status = 'superseded', finished_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND period = $2 AND status = 'quoted'",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(period)
    .execute(tx.conn())
    .await?;
    sqlx::query_as(concat!(
        "INSERT INTO usage_rerate_runs (tenant_id, id, period, requested_by) VALUES ($1, $2, $3, $4) RETURNING ",
        columns!()
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(period)
    .bind(by)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("usage_rerate_runs_open", || {
        Error::conflict(
            "a re-rating of this month is being quoted or applied; wait for it to finish",
        )
    }))
}

/// A run of the transaction's tenant (or one it reads); `lock` for update.
pub async fn run_get(tx: &mut TenantTx, id: Uuid, lock: bool) -> Result<Option<Run>> {
    let sql = if lock {
        concat!(
            "SELECT ",
            columns!(),
            " FROM usage_rerate_runs WHERE id = $1 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            columns!(),
            " FROM usage_rerate_runs WHERE id = $1"
        )
    };
    Ok(sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// The tenant's own latest runs, newest first.
pub async fn runs_list(tx: &mut TenantTx, first: i64) -> Result<Vec<Run>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM usage_rerate_runs WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(first)
    .fetch_all(tx.conn())
    .await?)
}

/// Takes a run for one worker for `secs` seconds under the lease `lease` (None: done, or
/// another worker has it).
pub async fn run_claim(tx: &mut TenantTx, id: Uuid, lease: Uuid, secs: i32) -> Result<Option<Run>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE usage_rerate_runs SET lease = $4, working_until = now() + make_interval(secs => $3), updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('quoting', 'applying') \
           AND (working_until IS NULL OR working_until < now()) RETURNING ",
        columns!()
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(secs)
    .bind(lease)
    .fetch_optional(tx.conn())
    .await?)
}

/// Stores a run's progress and status (`working_until` renewed for `secs`, or released).
/// `lease`: a worker's write, made only while it holds that lease (false: it lost it and
/// wrote nothing); `None`: a person's (the run waits for a worker: any lease is cleared).
pub async fn run_save(
    tx: &mut TenantTx,
    r: &Run,
    secs: Option<i32>,
    lease: Option<Uuid>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE usage_rerate_runs SET status = $3, cursor = $4, pools = $5, records = $6, before = $7, \
           after = $8, changed = $9, pools_changed = $10, pools_applied = $11, pools_moved = $12, \
           currency = $13, error = $14, applied_by = $15, quoted_at = $16, finished_at = $17, \
           working_until = CASE WHEN $18::int IS NULL THEN NULL ELSE now() + make_interval(secs => $18) END, \
           attempts = $20, lease = CASE WHEN $19::uuid IS NULL THEN NULL ELSE lease END, \
           updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND ($19::uuid IS NULL OR lease = $19)",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(r.id)
    .bind(&r.status)
    .bind(r.cursor)
    .bind(r.pools)
    .bind(r.records)
    .bind(r.before)
    .bind(r.after)
    .bind(r.changed)
    .bind(r.pools_changed)
    .bind(r.pools_applied)
    .bind(r.pools_moved)
    .bind(&r.currency)
    .bind(&r.error)
    .bind(&r.applied_by)
    .bind(r.quoted_at)
    .bind(r.finished_at)
    .bind(secs)
    .bind(lease)
    .bind(r.attempts)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Renews a worker's lease at the start of a step and holds the run's row until the step
/// ends, so no other worker can claim it meanwhile (false: the lease was lost).
pub async fn run_renew(tx: &mut TenantTx, id: Uuid, lease: Uuid, secs: i32) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE usage_rerate_runs SET working_until = now() + make_interval(secs => $4), updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND lease = $3 AND status IN ('quoting', 'applying')",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(lease)
    .bind(secs)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed step of a worker that holds the run: the error, the attempts, and the
/// run released (or failed for good). Nothing else of the run changes.
pub async fn run_failed_step(
    tx: &mut TenantTx,
    id: Uuid,
    lease: Uuid,
    error: &str,
    attempts: i32,
    give_up: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE usage_rerate_runs SET error = $4, attempts = $5, working_until = NULL, \
           status = CASE WHEN $6 THEN 'failed' ELSE status END, \
           finished_at = CASE WHEN $6 THEN now() ELSE finished_at END, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND lease = $3 AND status IN ('quoting', 'applying')",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(lease)
    .bind(error)
    .bind(attempts)
    .bind(give_up)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Runs waiting for a worker, across tenants.
pub async fn runs_waiting(db: &Db) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(
        sqlx::query_as("SELECT tenant_id, id FROM usage_rerate_runs_waiting()")
            .fetch_all(db.pool())
            .await?,
    )
}

/// The tenant's own pools of a month after `cursor`, in owner order.
pub async fn pools_after(
    tx: &mut TenantTx,
    period: NaiveDate,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PoolRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        pool_columns!(),
        " FROM usage_pools WHERE tenant_id = $1 AND period = $2 AND owner_id > $3 \
         ORDER BY owner_id LIMIT $4"
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(period)
    .bind(cursor.unwrap_or(Uuid::nil()))
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A pool whose charges a run's quote found changing.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RunPool {
    pub owner_id: Uuid,
    pub line_id: Uuid,
    pub records: i64,
    pub before: i64,
    pub after: i64,
    pub changed: i64,
    pub outcome: Option<String>,
}

pub async fn pool_add(tx: &mut TenantTx, run: Uuid, p: &RunPool) -> Result<()> {
    sqlx::query(
        "INSERT INTO usage_rerate_run_pools (tenant_id, run_id, owner_id, line_id, records, before, after, changed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(run)
    .bind(p.owner_id)
    .bind(p.line_id)
    .bind(p.records)
    .bind(p.before)
    .bind(p.after)
    .bind(p.changed)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A run's changing pools in owner order; `open`: only those not applied or moved yet.
pub async fn pools_of_run(
    tx: &mut TenantTx,
    run: Uuid,
    open: bool,
    limit: i64,
) -> Result<Vec<RunPool>> {
    Ok(sqlx::query_as(
        "SELECT owner_id, line_id, records, before, after, changed, outcome FROM usage_rerate_run_pools \
         WHERE run_id = $1 AND (NOT $3 OR outcome IS NULL) ORDER BY owner_id LIMIT $2",
    )
    .bind(run)
    .bind(limit)
    .bind(open)
    .fetch_all(tx.conn())
    .await?)
}

/// What applying did to a pool.
pub async fn pool_outcome(tx: &mut TenantTx, run: Uuid, owner: Uuid, outcome: &str) -> Result<()> {
    sqlx::query(
        "UPDATE usage_rerate_run_pools SET outcome = $4 WHERE tenant_id = $1 AND run_id = $2 AND owner_id = $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(run)
    .bind(owner)
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    Ok(())
}
