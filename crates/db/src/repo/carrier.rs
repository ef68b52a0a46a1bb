//! The carrier, connected: a tenant's carrier settings, the workers' claim and schedule on
//! provisioning jobs, the attempts made for each job, the carrier's view kept on lines, and
//! callbacks received once each.

use super::ok_or_not_found;
use crate::{Db, TenantTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

use super::orders::ProvisioningJob;

#[derive(Debug, Clone, FromRow)]
pub struct CarrierRow {
    pub tenant_id: Uuid,
    pub endpoint: String,
    pub api_key_enc: Vec<u8>,
    pub callback_secret_enc: Vec<u8>,
    pub enabled: bool,
    pub timeout_ms: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The secret before the last rotation, still verifying until `previous_secret_until`.
    pub previous_secret_enc: Option<Vec<u8>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The tenant's SM-DP+ (eSIM profiles), with its sealed API key; both or neither.
    pub smdp_endpoint: Option<String>,
    pub smdp_api_key_enc: Option<Vec<u8>>,
}

/// The tenant's own carrier (not an ancestor's).
pub async fn settings(tx: &mut TenantTx) -> Result<Option<CarrierRow>> {
    Ok(
        sqlx::query_as("SELECT * FROM tenant_carriers WHERE tenant_id = $1")
            .bind(tx.tenant_id().as_uuid())
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Whether the tenant's carrier is connected and enabled (new jobs go to the workers).
pub async fn connected(tx: &mut TenantTx) -> Result<bool> {
    Ok(carrier_enabled(tx).await? == Some(true))
}

/// The tenant's carrier: None when none is set, else whether it is enabled.
pub async fn carrier_enabled(tx: &mut TenantTx) -> Result<Option<bool>> {
    Ok(
        sqlx::query_scalar("SELECT enabled FROM tenant_carriers WHERE tenant_id = $1")
            .bind(tx.tenant_id().as_uuid())
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Creates or replaces the carrier settings; `version` must match an existing row's.
pub async fn settings_put(
    tx: &mut TenantTx,
    row: &CarrierRow,
    version: Option<i32>,
) -> Result<CarrierRow> {
    let r: Option<CarrierRow> = sqlx::query_as(
        "INSERT INTO tenant_carriers (tenant_id, endpoint, api_key_enc, callback_secret_enc, enabled, timeout_ms, \
           previous_secret_enc, previous_secret_until, smdp_endpoint, smdp_api_key_enc) \
         VALUES ($1,$2,$3,$4,$5,$6,$8,$9,$10,$11) \
         ON CONFLICT (tenant_id) DO UPDATE SET endpoint = $2, api_key_enc = $3, callback_secret_enc = $4, \
           enabled = $5, timeout_ms = $6, previous_secret_enc = $8, previous_secret_until = $9, \
           smdp_endpoint = $10, smdp_api_key_enc = $11, \
           version = tenant_carriers.version + 1, updated_at = now() \
         WHERE tenant_carriers.version = $7 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(&row.endpoint)
    .bind(&row.api_key_enc)
    .bind(&row.callback_secret_enc)
    .bind(row.enabled)
    .bind(row.timeout_ms)
    .bind(version.unwrap_or(-1))
    .bind(&row.previous_secret_enc)
    .bind(row.previous_secret_until)
    .bind(&row.smdp_endpoint)
    .bind(&row.smdp_api_key_enc)
    .fetch_optional(tx.conn())
    .await?;
    r.ok_or_else(|| {
        Error::conflict(
            "the carrier settings were changed by someone else (or exist already): send their current version",
        )
    })
}

/// The sealed callback secrets of a tenant in force (the current one, and the previous
/// one during its overlap), read before anyone is signed in; empty: no carrier.
pub async fn callback_secrets(db: &Db, tenant: Uuid) -> Result<Vec<Vec<u8>>> {
    let row: Option<(Vec<u8>, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT secret, previous FROM carrier_callback_secrets($1)")
            .bind(tenant)
            .fetch_optional(db.pool())
            .await?;
    Ok(row
        .map(|(s, p)| std::iter::once(s).chain(p).collect())
        .unwrap_or_default())
}

/// Claims up to `batch` due jobs of every tenant for `lease_secs`: (tenant, job).
pub async fn claim(db: &Db, batch: i32, lease_secs: f64) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(
        sqlx::query_as("SELECT tenant_id, id FROM provisioning_claim($1, $2)")
            .bind(batch)
            .bind(lease_secs)
            .fetch_all(db.pool())
            .await?,
    )
}

pub async fn job_get(tx: &mut TenantTx, id: Uuid) -> Result<ProvisioningJob> {
    let j = sqlx::query_as("SELECT * FROM provisioning_jobs WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(j, "provisioning job")
}

/// Gives a claimed job back to the queue: next step `waiting_for` at `at`; `attempted`
/// counts a command that was sent.
pub async fn job_schedule(
    tx: &mut TenantTx,
    id: Uuid,
    waiting_for: &str,
    at: DateTime<Utc>,
    attempted: bool,
    error: &str,
) -> Result<ProvisioningJob> {
    Ok(sqlx::query_as(
        "UPDATE provisioning_jobs SET status = 'queued', waiting_for = $3, next_attempt_at = $4, lease_until = NULL, \
         attempts = attempts + CASE WHEN $5 THEN 1 ELSE 0 END, last_error = left($6, 1000), updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(waiting_for)
    .bind(at)
    .bind(attempted)
    .bind(error)
    .fetch_one(tx.conn())
    .await?)
}

/// Hands a job to people (the carrier was switched off): no worker takes it again.
pub async fn job_unschedule(tx: &mut TenantTx, id: Uuid, why: &str) -> Result<()> {
    sqlx::query(
        "UPDATE provisioning_jobs SET status = 'queued', next_attempt_at = NULL, lease_until = NULL, \
         waiting_for = NULL, last_error = left($3, 1000), updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(why)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Parks a job whose retries ran out: no worker takes it until a person retries it.
pub async fn job_park(tx: &mut TenantTx, id: Uuid, error: &str) -> Result<ProvisioningJob> {
    Ok(sqlx::query_as(
        "UPDATE provisioning_jobs SET status = 'queued', next_attempt_at = NULL, lease_until = NULL, \
         attempts = attempts + 1, last_error = left($3, 1000), exhausted_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(error)
    .fetch_one(tx.conn())
    .await?)
}

/// A person's "retry now": a fresh round of attempts, asking the carrier first when the
/// last outcome was unknown.
pub async fn job_retry(tx: &mut TenantTx, id: Uuid) -> Result<ProvisioningJob> {
    sqlx::query_as(
        "UPDATE provisioning_jobs SET next_attempt_at = now(), waiting_for = COALESCE(waiting_for, 'send'), \
         attempts = 0, exhausted_at = NULL, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND status = 'queued' RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| Error::conflict("a worker holds this step right now; try again in a moment"))
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Attempt {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub job_id: Uuid,
    pub kind: String,
    pub request: Value,
    pub outcome: String,
    pub answer: String,
    pub duration_ms: i32,
    pub at: DateTime<Utc>,
}

/// Records one call made for a job.
/// What a job's command needs beyond the line (a port-in's reservation, a speed limit).
pub async fn job_params(tx: &mut TenantTx, id: Uuid, params: &Value) -> Result<()> {
    sqlx::query("UPDATE provisioning_jobs SET params = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .bind(params)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn attempt_insert(
    tx: &mut TenantTx,
    job: Uuid,
    kind: &str,
    request: &Value,
    outcome: &str,
    answer: &str,
    duration_ms: i32,
) -> Result<()> {
    let answer: String = answer.chars().take(2000).collect();
    sqlx::query(
        "INSERT INTO provisioning_attempts (tenant_id, id, job_id, kind, request, outcome, answer, duration_ms) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(job)
    .bind(kind)
    .bind(request)
    .bind(outcome)
    .bind(answer)
    .bind(duration_ms)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn attempts_of_job(tx: &mut TenantTx, job: Uuid) -> Result<Vec<Attempt>> {
    Ok(sqlx::query_as(
        "SELECT * FROM provisioning_attempts WHERE tenant_id = $1 AND job_id = $2 ORDER BY at, id",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(job)
    .fetch_all(tx.conn())
    .await?)
}

/// Open steps (queued or running), oldest first: in flight with the workers, parked, or
/// waiting for a person.
pub async fn jobs_open(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ProvisioningJob>> {
    Ok(sqlx::query_as(
        "SELECT * FROM provisioning_jobs WHERE tenant_id = $1 AND status IN ('queued', 'running') \
         AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Records the carrier's view of a line: its sequence (never lowered) and when we saw it.
pub async fn line_seen(tx: &mut TenantTx, line: Uuid, sequence: i64) -> Result<()> {
    sqlx::query(
        "UPDATE lines SET carrier_sequence = GREATEST(COALESCE(carrier_sequence, 0), $3), \
         carrier_synced_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(line)
    .bind(sequence)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records the activation lead time of a line (once).
pub async fn line_activation_lead(tx: &mut TenantTx, line: Uuid, ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE lines SET activation_lead_ms = $3 WHERE tenant_id = $1 AND id = $2 AND activation_lead_ms IS NULL",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(line)
    .bind(ms)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Remembers a callback by the carrier's event id; false if it was seen before.
pub async fn callback_insert(
    tx: &mut TenantTx,
    event_id: &str,
    msisdn: &str,
    sequence: i64,
    body: &Value,
    outcome: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO carrier_callbacks (tenant_id, event_id, msisdn, sequence, body, outcome) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(event_id)
    .bind(msisdn)
    .bind(sequence)
    .bind(body)
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether a callback (by the carrier's event id) was taken already.
pub async fn callback_seen(tx: &mut TenantTx, event_id: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM carrier_callbacks WHERE tenant_id = $1 AND event_id = $2)",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(event_id)
    .fetch_one(tx.conn())
    .await?)
}
