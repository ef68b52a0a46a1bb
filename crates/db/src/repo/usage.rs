//! Usage records, their rejections and the batches they arrived in (migrations/0020).
//!
//! A chunk of submitted records is staged with `COPY` into a session-local table and routed
//! by one set-based statement: records of a line in service at their time go into
//! `usage_records` (a re-sent record changes nothing: `ON CONFLICT DO NOTHING` on its key),
//! the rest into `usage_rejections` with their reason (a re-sent, still-wrong record updates
//! its open rejection), and an open rejection of a record now accepted is closed.

use super::Page;
use crate::TenantTx;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Batch {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub source: String,
    pub format: String,
    pub submitted_by: String,
    pub status: String,
    pub received: i64,
    pub accepted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Record {
    pub tenant_id: Uuid,
    pub month: NaiveDate,
    pub source: String,
    pub record_id: String,
    pub kind: String,
    pub msisdn: String,
    pub line_id: Uuid,
    pub contract_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub bytes_up: i64,
    pub bytes_down: i64,
    pub apn: Option<String>,
    pub seconds: i32,
    pub destination: Option<String>,
    pub roaming_zone: Option<String>,
    pub batch_id: Uuid,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Rejection {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub batch_id: Uuid,
    pub source: String,
    pub position: i64,
    pub record_id: Option<String>,
    pub fields: serde_json::Value,
    pub raw: Option<String>,
    pub code: String,
    pub field: Option<String>,
    pub reason: String,
    pub status: String,
    pub attempts: i32,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What routing one chunk did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Routed {
    pub received: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Open rejections closed because their record was accepted now.
    pub resolved: i64,
}

impl Routed {
    pub fn duplicates(&self) -> i64 {
        self.received - self.accepted - self.rejected
    }
}

pub async fn batch_insert(
    tx: &mut TenantTx,
    id: Uuid,
    source: &str,
    format: &str,
    submitted_by: &str,
) -> Result<Batch> {
    Ok(sqlx::query_as(
        "INSERT INTO usage_batches (tenant_id, id, source, format, submitted_by) \
         VALUES ($1,$2,$3,$4,$5) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(source)
    .bind(format)
    .bind(submitted_by)
    .fetch_one(tx.conn())
    .await?)
}

/// Adds a chunk's counts to its batch.
pub async fn batch_add(tx: &mut TenantTx, id: Uuid, r: &Routed) -> Result<()> {
    sqlx::query(
        "UPDATE usage_batches SET received = received + $3, accepted = accepted + $4, \
         duplicates = duplicates + $5, rejected = rejected + $6 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(r.received)
    .bind(r.accepted)
    .bind(r.duplicates())
    .bind(r.rejected)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a batch finished: completed, or failed with the reason.
pub async fn batch_finish(tx: &mut TenantTx, id: Uuid, failure: Option<&str>) -> Result<Batch> {
    Ok(sqlx::query_as(
        "UPDATE usage_batches SET status = CASE WHEN $3::text IS NULL THEN 'completed' ELSE 'failed' END, \
         failure = $3, finished_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(failure)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn batch_list(tx: &mut TenantTx, limit: i64) -> Result<Vec<Batch>> {
    Ok(
        sqlx::query_as("SELECT * FROM usage_batches ORDER BY created_at DESC, id LIMIT $1")
            .bind(limit)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Makes the partitions of these months (first days) if missing. Runs on its own
/// connection: creating a partition locks the parent briefly.
pub async fn partitions_ensure(db: &crate::Db, months: &[NaiveDate]) -> Result<()> {
    sqlx::query("SELECT usage_partition_ensure(m) FROM unnest($1::date[]) AS m")
        .bind(months)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The session-local staging table, and the table of the records a chunk took (for rating
/// in the same transaction); both emptied at every commit.
const STAGE: &str = "CREATE TEMP TABLE IF NOT EXISTS usage_stage (\
    position bigint NOT NULL, record_id text, kind text, msisdn text, occurred_at timestamptz, \
    bytes_up bigint, bytes_down bigint, apn text, seconds integer, destination text, \
    roaming_zone text, fields jsonb, raw text, code text, field text, reason text\
    ) ON COMMIT DELETE ROWS; \
    CREATE TEMP TABLE IF NOT EXISTS usage_fresh (\
    month date, source text, record_id text, kind text, msisdn text, line_id uuid, \
    contract_id uuid, occurred_at timestamptz, bytes_up bigint, bytes_down bigint, \
    seconds integer, destination text, roaming_zone text\
    ) ON COMMIT DELETE ROWS";

/// The columns in the order [`copy_row`] writes them.
const STAGE_COPY: &str = "COPY usage_stage (position, record_id, kind, msisdn, occurred_at, \
    bytes_up, bytes_down, apn, seconds, destination, roaming_zone, fields, raw, code, field, reason) \
    FROM STDIN";

/// Loads a chunk (rows in COPY text format, see [`crate::copy_text::CopyText`]) into the stage.
pub async fn stage(tx: &mut TenantTx, rows: &[u8]) -> Result<()> {
    sqlx::raw_sql(STAGE).execute(tx.conn()).await?;
    let mut copy = tx.conn().copy_in_raw(STAGE_COPY).await?;
    copy.send(rows).await?;
    copy.finish().await?;
    // A temporary table has no statistics: without them the routing statement plans for a
    // handful of rows and looks each line up on its own (EXPLAIN: 82 against 47 ms a chunk).
    sqlx::query("ANALYZE usage_stage")
        .execute(tx.conn())
        .await?;
    Ok(())
}

const ROUTE: &str = include_str!("usage_route.sql");

/// Routes the staged chunk: accepted, rejected, duplicates. `tz` is the tenant's time zone
/// (a record's month is the month of its time there); `actor` closes open rejections.
pub async fn route(
    tx: &mut TenantTx,
    source: &str,
    batch: Uuid,
    tz: &str,
    actor: &str,
) -> Result<Routed> {
    let (received, accepted, rejected, resolved): (i64, i64, i64, i64) = sqlx::query_as(ROUTE)
        .bind(tx.tenant_id().as_uuid())
        .bind(source)
        .bind(batch)
        .bind(tz)
        .bind(actor)
        .fetch_one(tx.conn())
        .await?;
    Ok(Routed {
        received,
        accepted,
        rejected,
        resolved,
    })
}

/// A line's records between two instants, newest first, after a (occurred_at, record id) cursor.
pub async fn records_of_line(
    tx: &mut TenantTx,
    line: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<Record>> {
    let (at, id) = after.unzip();
    Ok(sqlx::query_as(
        // The month bounds (a day of slack either way covers any time zone) let PostgreSQL
        // read only the partitions of the period.
        "SELECT * FROM usage_records WHERE line_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
         AND month >= date_trunc('month', $2 - interval '1 day')::date \
         AND month <= date_trunc('month', $3 + interval '1 day')::date \
         AND ($4::timestamptz IS NULL OR (occurred_at, record_id) < ($4, $5)) \
         ORDER BY occurred_at DESC, record_id DESC LIMIT $6",
    )
    .bind(line)
    .bind(from)
    .bind(to)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Filters of the rejection list.
#[derive(Debug, Clone, Default)]
pub struct RejectionFilter {
    pub status: Option<String>,
    pub code: Option<String>,
    pub source: Option<String>,
    pub batch: Option<Uuid>,
}

pub async fn rejections_list(
    tx: &mut TenantTx,
    f: &RejectionFilter,
    page: Page,
) -> Result<Vec<Rejection>> {
    Ok(sqlx::query_as(
        "SELECT * FROM usage_rejections WHERE ($1::text IS NULL OR status = $1) \
         AND ($2::text IS NULL OR code = $2) AND ($3::text IS NULL OR source = $3) \
         AND ($4::uuid IS NULL OR batch_id = $4) AND ($5::uuid IS NULL OR id > $5) \
         ORDER BY id LIMIT $6",
    )
    .bind(f.status.as_deref())
    .bind(f.code.as_deref())
    .bind(f.source.as_deref())
    .bind(f.batch)
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

/// A batch's rejections in submission order.
pub async fn rejections_in_batch(
    tx: &mut TenantTx,
    batch: Uuid,
    limit: i64,
) -> Result<Vec<Rejection>> {
    Ok(sqlx::query_as(
        "SELECT * FROM usage_rejections WHERE tenant_id = $1 AND batch_id = $2 \
         ORDER BY position LIMIT $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(batch)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Locks an open-or-closed rejection of the transaction's own tenant.
pub async fn rejection_lock(tx: &mut TenantTx, id: Uuid) -> Result<Rejection> {
    let r = sqlx::query_as(
        "SELECT * FROM usage_rejections WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    super::ok_or_not_found(r, "usage rejection")
}

/// Closes a rejection: `reprocessed` or `discarded`, with who and why.
pub async fn rejection_close(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    resolution: &str,
    actor: &str,
) -> Result<Rejection> {
    Ok(sqlx::query_as(
        "UPDATE usage_rejections SET status = $3, resolution = $4, resolved_by = $5, \
         resolved_at = now(), updated_at = now(), version = version + 1 \
         WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .bind(resolution)
    .bind(actor)
    .fetch_one(tx.conn())
    .await?)
}

/// The current state of a rejection (after a re-send updated or closed it).
pub async fn rejection_get(tx: &mut TenantTx, id: Uuid) -> Result<Rejection> {
    let r = sqlx::query_as("SELECT * FROM usage_rejections WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    super::ok_or_not_found(r, "usage rejection")
}
