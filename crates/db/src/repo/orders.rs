//! Orders and the provisioning jobs they leave for the carrier.

use super::{Page, ok_or_not_found};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Order {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub customer_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub input: Value,
    pub hold_reason: Option<String>,
    pub approval_id: Option<Uuid>,
    pub failure: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ProvisioningJob {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub order_id: Uuid,
    pub line_id: Uuid,
    pub action: String,
    pub status: String,
    pub idempotency_key: String,
    pub attempts: i32,
    pub completed_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the carrier (or a person reading its portal) answered.
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// When a carrier worker takes the job next (None: a person's, or parked after its
    /// retries ran out).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// `send` (the command, again) or `status` (ask the carrier first: the last outcome
    /// is unknown).
    pub waiting_for: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// When its retries ran out (the line went to review).
    pub exhausted_at: Option<DateTime<Utc>>,
    /// What the command needs beyond the line (`{"kbps": 128}` for a speed limit).
    pub params: Value,
}

pub async fn order_insert(tx: &mut TenantTx, o: &Order) -> Result<Order> {
    Ok(sqlx::query_as(
        "INSERT INTO orders (tenant_id, id, kind, status, customer_id, contract_id, line_id, input, hold_reason, approval_id) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(o.id)
    .bind(&o.kind)
    .bind(&o.status)
    .bind(o.customer_id)
    .bind(o.contract_id)
    .bind(o.line_id)
    .bind(&o.input)
    .bind(&o.hold_reason)
    .bind(o.approval_id)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn order_get(tx: &mut TenantTx, id: Uuid) -> Result<Order> {
    let o = sqlx::query_as("SELECT * FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(o, "order")
}

pub async fn order_lock(tx: &mut TenantTx, id: Uuid) -> Result<Order> {
    let o = sqlx::query_as("SELECT * FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(o, "order")
}

/// Writes status, links and outcome of a locked order.
pub async fn order_update(tx: &mut TenantTx, o: &Order) -> Result<Order> {
    Ok(sqlx::query_as(
        "UPDATE orders SET status = $3, contract_id = $4, line_id = $5, hold_reason = $6, approval_id = $7, failure = $8, \
         completed_at = CASE WHEN $3 IN ('completed', 'failed', 'cancelled') THEN now() ELSE completed_at END, \
         version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(o.id)
    .bind(&o.status)
    .bind(o.contract_id)
    .bind(o.line_id)
    .bind(&o.hold_reason)
    .bind(o.approval_id)
    .bind(&o.failure)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn order_list(
    tx: &mut TenantTx,
    status: Option<&str>,
    line: Option<Uuid>,
    page: Page,
) -> Result<Vec<Order>> {
    Ok(sqlx::query_as(
        "SELECT * FROM orders WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR line_id = $2) \
         AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4",
    )
    .bind(status)
    .bind(line)
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

/// New-line orders of a customer held for KYC, oldest first.
pub async fn orders_held_for_kyc(tx: &mut TenantTx, customer: Uuid) -> Result<Vec<Order>> {
    Ok(sqlx::query_as(
        "SELECT * FROM orders WHERE tenant_id = $1 AND customer_id = $2 AND status = 'held' AND kind = 'new_line' \
         AND approval_id IS NULL ORDER BY created_at FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(customer)
    .fetch_all(tx.conn())
    .await?)
}

/// Queues a carrier step; the key makes a retried enqueue (or a retried carrier call) a
/// no-op. `to_worker`: a carrier worker takes it at once (the tenant's carrier is
/// connected); otherwise it waits for a person (or completes locally).
/// Queues the step `action` of `order` (once: the order and action are its idempotency key),
/// for the carrier workers when `to_worker`. With `done_locally` the step is completed at once
/// by `local` (a new job, or a queued one), as `job_complete` would, in the same statement.
pub async fn job_insert(
    tx: &mut TenantTx,
    order: Uuid,
    line: Uuid,
    action: &str,
    to_worker: bool,
    done_locally: bool,
) -> Result<ProvisioningJob> {
    let key = format!("{order}:{action}");
    Ok(sqlx::query_as(
        "INSERT INTO provisioning_jobs (tenant_id, id, order_id, line_id, action, idempotency_key, next_attempt_at, \
           waiting_for, status, completed_by, attempts) \
         VALUES ($1,$2,$3,$4,$5,$6, CASE WHEN $7 AND NOT $8 THEN now() END, CASE WHEN $7 AND NOT $8 THEN 'send' END, \
           CASE WHEN $8 THEN 'done' ELSE 'queued' END, CASE WHEN $8 THEN 'local' END, CASE WHEN $8 THEN 1 ELSE 0 END) \
         ON CONFLICT (tenant_id, idempotency_key) DO UPDATE SET updated_at = now(), \
           status = CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN 'done' ELSE provisioning_jobs.status END, \
           completed_by = CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN 'local' ELSE provisioning_jobs.completed_by END, \
           attempts = provisioning_jobs.attempts + CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN 1 ELSE 0 END, \
           next_attempt_at = CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN NULL ELSE provisioning_jobs.next_attempt_at END, \
           waiting_for = CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN NULL ELSE provisioning_jobs.waiting_for END, \
           lease_until = CASE WHEN $8 AND provisioning_jobs.status = 'queued' THEN NULL ELSE provisioning_jobs.lease_until END \
         RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(order)
    .bind(line)
    .bind(action)
    .bind(key)
    .bind(to_worker)
    .bind(done_locally)
    .fetch_one(tx.conn())
    .await?)
}

/// A line, one of its orders and the line's contract, locked together in one statement (in
/// that order), for a carrier step that may move all three.
pub async fn step_lock(
    tx: &mut TenantTx,
    line: Uuid,
    order: Uuid,
) -> Result<(super::contracts::Line, Order, super::contracts::Contract)> {
    let row: Option<(Value, Value, Value)> = sqlx::query_as(
        "SELECT to_jsonb(l), to_jsonb(o), to_jsonb(c) FROM lines l \
         JOIN orders o ON o.tenant_id = l.tenant_id AND o.id = $3 \
         JOIN contracts c ON c.tenant_id = l.tenant_id AND c.id = l.contract_id \
         WHERE l.tenant_id = $1 AND l.id = $2 FOR UPDATE OF l, o, c",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(line)
    .bind(order)
    .fetch_optional(tx.conn())
    .await?;
    let (l, o, c) = ok_or_not_found(row, "line or order")?;
    Ok((
        serde_json::from_value(l)?,
        serde_json::from_value(o)?,
        serde_json::from_value(c)?,
    ))
}

pub async fn job_complete(tx: &mut TenantTx, id: Uuid, by: &str) -> Result<()> {
    job_close(tx, id, "done", by, None).await.map(drop)
}

/// Ends a job `done` or `failed`, saying who answered and what; returns the closed job.
pub async fn job_close(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    by: &str,
    answer: Option<&str>,
) -> Result<ProvisioningJob> {
    Ok(sqlx::query_as(
        "UPDATE provisioning_jobs SET status = $3, completed_by = $4, answer = $5, \
         answered_at = CASE WHEN $5::text IS NULL THEN answered_at ELSE now() END, \
         attempts = attempts + 1, next_attempt_at = NULL, waiting_for = NULL, lease_until = NULL, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(answer)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn job_lock(tx: &mut TenantTx, id: Uuid) -> Result<ProvisioningJob> {
    let j = sqlx::query_as(
        "SELECT * FROM provisioning_jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    ok_or_not_found(j, "provisioning job")
}

/// The line's steps still waiting for the carrier, oldest first (locked).
pub async fn jobs_open_of_line(tx: &mut TenantTx, line: Uuid) -> Result<Vec<ProvisioningJob>> {
    Ok(sqlx::query_as(
        "SELECT * FROM provisioning_jobs WHERE tenant_id = $1 AND line_id = $2 \
         AND status IN ('queued', 'running') ORDER BY created_at FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(line)
    .fetch_all(tx.conn())
    .await?)
}

/// The tenant's queued steps the carrier watch may act on, oldest first: those queued since
/// before `pending_before` whose line is in one of `moving` (in flight, not yet flagged),
/// and those queued since before `review_before` whose line is in one of `waiting`. Lines
/// already in review are left out, so they never crowd newer stalls out of the batch.
pub async fn jobs_waiting(
    tx: &mut TenantTx,
    moving: &[&str],
    pending_before: DateTime<Utc>,
    waiting: &[&str],
    review_before: DateTime<Utc>,
) -> Result<Vec<ProvisioningJob>> {
    Ok(sqlx::query_as(
        "SELECT j.* FROM provisioning_jobs j \
         JOIN lines l ON l.tenant_id = j.tenant_id AND l.id = j.line_id \
         WHERE j.tenant_id = $1 AND j.status = 'queued' AND j.next_attempt_at IS NULL AND j.exhausted_at IS NULL \
           AND ((l.status = ANY ($2) AND j.created_at <= $3) \
             OR (l.status = ANY ($4) AND j.created_at <= $5)) \
         ORDER BY j.created_at LIMIT 500",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(moving)
    .bind(pending_before)
    .bind(waiting)
    .bind(review_before)
    .fetch_all(tx.conn())
    .await?)
}

/// Tenants with steps queued since before `older_than` (for the worker).
pub async fn tenants_with_waiting_jobs(
    db: &crate::Db,
    older_than: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    Ok(
        sqlx::query_scalar("SELECT * FROM tenants_with_waiting_jobs($1)")
            .bind(older_than)
            .fetch_all(db.pool())
            .await?,
    )
}

pub async fn jobs_of_line(tx: &mut TenantTx, line: Uuid) -> Result<Vec<ProvisioningJob>> {
    Ok(
        sqlx::query_as("SELECT * FROM provisioning_jobs WHERE line_id = $1 ORDER BY created_at")
            .bind(line)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// The orders of several `(line, contract)` pairs in one statement, newest first: each
/// line's own and its contract's (a plan or option change names the contract only), `limit`
/// newest per line.
pub async fn orders_of_lines(
    tx: &mut TenantTx,
    lines: &[(Uuid, Uuid)],
    limit: i64,
) -> Result<Vec<((Uuid, Uuid), Order)>> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(FromRow)]
    struct Keyed {
        k_line: Uuid,
        k_contract: Uuid,
        #[sqlx(flatten)]
        order: Order,
    }
    let (ls, cs): (Vec<Uuid>, Vec<Uuid>) = lines.iter().copied().unzip();
    let rows: Vec<Keyed> = sqlx::query_as(
        "SELECT k.line AS k_line, k.contract AS k_contract, o.* \
         FROM unnest($1::uuid[], $2::uuid[]) AS k(line, contract) \
         CROSS JOIN LATERAL (SELECT * FROM orders WHERE line_id = k.line \
           OR (line_id IS NULL AND contract_id = k.contract) ORDER BY id DESC LIMIT $3) o \
         ORDER BY o.id DESC",
    )
    .bind(&ls)
    .bind(&cs)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.k_line, r.k_contract), r.order))
        .collect())
}
