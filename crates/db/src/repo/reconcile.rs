//! Reconciliation's storage: runs and their items, and our lines in number order (byte
//! order, as carriers page their inventory) with what the comparison needs.

use crate::{Db, TenantTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

/// Our side of a number: its current line (the live one, else the latest ended).
#[derive(Debug, Clone, FromRow)]
pub struct OurLine {
    pub id: Uuid,
    pub msisdn: String,
    pub status: String,
    pub iccid: Option<String>,
    /// A carrier step is open (the workers or a person have it): not drift.
    pub in_flight: bool,
}

const OUR_LINES: &str = "SELECT DISTINCT ON (l.msisdn COLLATE \"C\") l.id, l.msisdn, l.status, \
    COALESCE(s.iccid, e.iccid) AS iccid, \
    EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.tenant_id = l.tenant_id AND j.line_id = l.id \
            AND j.status IN ('queued', 'running')) AS in_flight \
    FROM lines l \
    LEFT JOIN sims s ON s.tenant_id = l.tenant_id AND s.id = l.sim_id \
    LEFT JOIN esim_profiles e ON e.tenant_id = l.tenant_id AND e.id = l.esim_id \
    WHERE l.tenant_id = $1 AND l.status <> 'requested'";

/// Up to `limit` numbers after `after`, in byte order.
pub async fn our_lines(tx: &mut TenantTx, after: Option<&str>, limit: i64) -> Result<Vec<OurLine>> {
    let q = format!(
        "{OUR_LINES} AND ($2::text IS NULL OR l.msisdn COLLATE \"C\" > $2) \
         ORDER BY l.msisdn COLLATE \"C\", (l.status <> 'terminated') DESC, l.created_at DESC LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(tx.tenant_id().as_uuid())
        .bind(after)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?)
}

/// One number's current line.
pub async fn our_line(tx: &mut TenantTx, msisdn: &str) -> Result<Option<OurLine>> {
    let q = format!(
        "{OUR_LINES} AND l.msisdn = $2 \
         ORDER BY l.msisdn COLLATE \"C\", (l.status <> 'terminated') DESC, l.created_at DESC"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(tx.tenant_id().as_uuid())
        .bind(msisdn)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn tenants_with_carrier(db: &Db) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar("SELECT * FROM tenants_with_carrier()")
        .fetch_all(db.pool())
        .await?)
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Run {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub trigger: String,
    pub status: String,
    pub lines_checked: i32,
    pub in_sync: i32,
    pub drifted: i32,
    pub repaired: i32,
    pub needs_person: i32,
    pub error: Option<String>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a run counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines_checked: i32,
    pub in_sync: i32,
    pub drifted: i32,
    pub repaired: i32,
    pub needs_person: i32,
}

/// Starts a run; one runs at a time per tenant (a run left `running` for an hour by a
/// process that died is marked failed first).
pub async fn run_insert(tx: &mut TenantTx, trigger: &str, by: &str) -> Result<Run> {
    sqlx::query(
        "UPDATE reconciliation_runs SET status = 'failed', error = 'interrupted (the process running it stopped)', \
         finished_at = now() WHERE tenant_id = $1 AND status = 'running' AND started_at < now() - interval '1 hour'",
    )
    .bind(tx.tenant_id().as_uuid())
    .execute(tx.conn())
    .await?;
    sqlx::query_as(
        "INSERT INTO reconciliation_runs (tenant_id, id, trigger, started_by) VALUES ($1,$2,$3,$4) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(trigger)
    .bind(by)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("reconciliation_one_running") => {
            tsunagi_core::Error::conflict("a reconciliation run is already going for this tenant")
        }
        _ => e.into(),
    })
}

pub async fn run_finish(
    tx: &mut TenantTx,
    id: Uuid,
    c: Counts,
    error: Option<&str>,
) -> Result<Run> {
    Ok(sqlx::query_as(
        "UPDATE reconciliation_runs SET status = CASE WHEN $8::text IS NULL THEN 'done' ELSE 'failed' END, \
         lines_checked = $3, in_sync = $4, drifted = $5, repaired = $6, needs_person = $7, error = $8, \
         finished_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(c.lines_checked)
    .bind(c.in_sync)
    .bind(c.drifted)
    .bind(c.repaired)
    .bind(c.needs_person)
    .bind(error)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn run_get(tx: &mut TenantTx, id: Uuid) -> Result<Run> {
    let r = sqlx::query_as("SELECT * FROM reconciliation_runs WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    super::ok_or_not_found(r, "reconciliation run")
}

/// Runs, newest first.
pub async fn runs(tx: &mut TenantTx, before: Option<Uuid>, limit: i64) -> Result<Vec<Run>> {
    Ok(sqlx::query_as(
        "SELECT * FROM reconciliation_runs WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(before)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Item {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub run_id: Option<Uuid>,
    pub source: String,
    pub msisdn: String,
    pub line_id: Option<Uuid>,
    pub kind: String,
    pub ours: Option<Value>,
    pub theirs: Option<Value>,
    pub action: String,
    pub rule: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

pub async fn item_insert(tx: &mut TenantTx, i: &Item) -> Result<()> {
    sqlx::query(
        "INSERT INTO reconciliation_items (tenant_id, id, run_id, source, msisdn, line_id, kind, ours, theirs, action, rule, note) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(i.id)
    .bind(i.run_id)
    .bind(&i.source)
    .bind(&i.msisdn)
    .bind(i.line_id)
    .bind(&i.kind)
    .bind(&i.ours)
    .bind(&i.theirs)
    .bind(&i.action)
    .bind(&i.rule)
    .bind(&i.note)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Items of a run (or, without one, every item), oldest first; `needs_person` only.
pub async fn items(
    tx: &mut TenantTx,
    run: Option<Uuid>,
    needs_person: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Item>> {
    Ok(sqlx::query_as(
        "SELECT * FROM reconciliation_items WHERE tenant_id = $1 AND ($2::uuid IS NULL OR run_id = $2) \
         AND (NOT $3 OR action = 'needs_person') AND ($4::uuid IS NULL OR id > $4) ORDER BY id LIMIT $5",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(run)
    .bind(needs_person)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}
