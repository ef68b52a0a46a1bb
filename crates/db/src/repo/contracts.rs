//! Contracts (customer + plan version + options) and lines (contract + MSISDN + SIM or eSIM,
//! optionally a device). One live line per MSISDN/SIM/eSIM is a database constraint.

use super::{Page, ok_or_not_found};
use crate::{TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Contract {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub customer_id: Uuid,
    pub billing_account_id: Option<Uuid>,
    pub plan_id: Uuid,
    pub plan_price_id: Uuid,
    pub option_ids: Vec<Uuid>,
    pub status: String,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Line {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: String,
    pub sim_id: Option<Uuid>,
    pub esim_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub status: String,
    pub pending_from: Option<String>,
    pub status_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The carrier's sequence of the last change we know of (a callback or answer older
    /// than it changes nothing).
    #[serde(default)]
    pub carrier_sequence: Option<i64>,
    #[serde(default)]
    pub carrier_synced_at: Option<DateTime<Utc>>,
    /// New-line order accepted → line active at the carrier, in milliseconds.
    #[serde(default)]
    pub activation_lead_ms: Option<i64>,
}

pub async fn contract_insert(tx: &mut TenantTx, c: &Contract) -> Result<Contract> {
    Ok(sqlx::query_as(
        "INSERT INTO contracts (tenant_id, id, customer_id, billing_account_id, plan_id, plan_price_id, option_ids, status, started_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(c.id)
    .bind(c.customer_id)
    .bind(c.billing_account_id)
    .bind(c.plan_id)
    .bind(c.plan_price_id)
    .bind(&c.option_ids)
    .bind(&c.status)
    .bind(c.started_at)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn contract_get(tx: &mut TenantTx, id: Uuid) -> Result<Contract> {
    let c = sqlx::query_as("SELECT * FROM contracts WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(c, "contract")
}

pub async fn contract_lock(tx: &mut TenantTx, id: Uuid) -> Result<Contract> {
    let c = sqlx::query_as("SELECT * FROM contracts WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(c, "contract")
}

pub async fn contracts_of(tx: &mut TenantTx, customer: Uuid) -> Result<Vec<Contract>> {
    Ok(
        sqlx::query_as("SELECT * FROM contracts WHERE customer_id = $1 ORDER BY created_at")
            .bind(customer)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Writes plan, price, options and status of a locked contract.
pub async fn contract_update(tx: &mut TenantTx, c: &Contract) -> Result<Contract> {
    Ok(sqlx::query_as(
        "UPDATE contracts SET plan_id = $3, plan_price_id = $4, option_ids = $5, status = $6, started_at = $7, ended_at = $8, \
         version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(c.id)
    .bind(c.plan_id)
    .bind(c.plan_price_id)
    .bind(&c.option_ids)
    .bind(&c.status)
    .bind(c.started_at)
    .bind(c.ended_at)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn line_insert(tx: &mut TenantTx, l: &Line) -> Result<Line> {
    sqlx::query_as(
        "INSERT INTO lines (tenant_id, id, contract_id, customer_id, msisdn, sim_id, esim_id, device_id, status) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(l.id)
    .bind(l.contract_id)
    .bind(l.customer_id)
    .bind(&l.msisdn)
    .bind(l.sim_id)
    .bind(l.esim_id)
    .bind(l.device_id)
    .bind(&l.status)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| {
        let c = e.as_database_error().and_then(|d| d.constraint().map(str::to_owned));
        match c.as_deref() {
            Some("lines_one_live_msisdn") => Error::conflict(format!("number +{} is already on a live line", l.msisdn)),
            Some("lines_one_live_sim") => Error::conflict("this SIM is already on a live line"),
            Some("lines_one_live_esim") => Error::conflict("this eSIM profile is already on a live line"),
            _ => Error::from(e),
        }
    })
}

pub async fn line_get(tx: &mut TenantTx, id: Uuid) -> Result<Line> {
    let l = sqlx::query_as("SELECT * FROM lines WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(l, "line")
}

/// Row-locks a line of the own tenant: concurrent commands on it queue here, and the
/// second sees the first's result.
/// The current line of a number (the live one, else the latest ended), locked.
pub async fn line_by_msisdn_lock(tx: &mut TenantTx, msisdn: &str) -> Result<Option<Line>> {
    Ok(sqlx::query_as(
        "SELECT * FROM lines WHERE tenant_id = $1 AND msisdn = $2 \
         ORDER BY (status <> 'terminated') DESC, created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(msisdn)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn line_lock(tx: &mut TenantTx, id: Uuid) -> Result<Line> {
    let l = sqlx::query_as("SELECT * FROM lines WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(l, "line")
}

#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub customer_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub status: Option<String>,
}

/// The plans of a customer's contracts (of one line's contract, when `line` is given).
pub async fn plan_ids_of_customer(
    tx: &mut TenantTx,
    customer: Uuid,
    line: Option<Uuid>,
) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT plan_id FROM contracts WHERE customer_id = $1 \
         AND ($2::uuid IS NULL OR id = (SELECT contract_id FROM lines WHERE id = $2))",
    )
    .bind(customer)
    .bind(line)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn line_list(tx: &mut TenantTx, f: &LineFilter, page: Page) -> Result<Vec<Line>> {
    Ok(sqlx::query_as(
        "SELECT * FROM lines WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::uuid IS NULL OR contract_id = $2) \
         AND ($3::uuid IS NULL OR id = $3) AND ($4::text IS NULL OR status = $4) AND ($5::uuid IS NULL OR id > $5) ORDER BY id LIMIT $6",
    )
    .bind(f.customer_id)
    .bind(f.contract_id)
    .bind(f.line_id)
    .bind(&f.status)
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Writes the state of a locked line (status, pending origin, reason, SIM/eSIM/device).
pub async fn line_update(tx: &mut TenantTx, l: &Line) -> Result<Line> {
    sqlx::query_as(
        "UPDATE lines SET status = $3, pending_from = $4, status_reason = $5, sim_id = $6, esim_id = $7, device_id = $8, \
         version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(l.id)
    .bind(&l.status)
    .bind(&l.pending_from)
    .bind(&l.status_reason)
    .bind(l.sim_id)
    .bind(l.esim_id)
    .bind(l.device_id)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("lines_one_live_sim", || Error::conflict("this SIM is already on a live line")))
}

/// Everything a line's detail page shows, read in one statement.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct LineDetail {
    pub line: Line,
    pub contract: Contract,
    pub customer: super::customers::Customer,
    pub sim: Option<super::inventory::Sim>,
    pub device: Option<super::inventory::Device>,
    pub plan: super::catalog::Plan,
    /// The newest 20 audit records of the line, oldest first.
    pub history: Vec<crate::audit::AuditRecord>,
}

pub async fn line_detail(tx: &mut TenantTx, id: Uuid) -> Result<Option<LineDetail>> {
    let v: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object( \
            'line', to_jsonb(l), 'contract', to_jsonb(c), 'customer', to_jsonb(cu), \
            'sim', CASE WHEN s.id IS NULL THEN NULL ELSE to_jsonb(s) - 'pin_enc' - 'puk_enc' \
                   || jsonb_build_object('pin_enc', CASE WHEN s.pin_enc IS NULL THEN NULL ELSE '[]'::jsonb END) END, \
            'device', CASE WHEN d.id IS NULL THEN NULL ELSE to_jsonb(d) END, \
            'plan', to_jsonb(p), \
            'history', coalesce((SELECT jsonb_agg(to_jsonb(a) - 'hash' - 'prev_hash' \
                    || jsonb_build_object('hash', encode(a.hash, 'hex'), 'prev_hash', encode(a.prev_hash, 'hex')) ORDER BY a.seq) \
                FROM (SELECT * FROM audit_log WHERE tenant_id = l.tenant_id AND target_type = 'line' AND target_id = l.id::text \
                      ORDER BY seq DESC LIMIT 20) a), '[]'::jsonb)) \
         FROM lines l \
         JOIN contracts c ON c.tenant_id = l.tenant_id AND c.id = l.contract_id \
         JOIN customers cu ON cu.tenant_id = l.tenant_id AND cu.id = l.customer_id \
         JOIN plans p ON p.id = c.plan_id \
         LEFT JOIN sims s ON s.tenant_id = l.tenant_id AND s.id = l.sim_id \
         LEFT JOIN devices d ON d.tenant_id = l.tenant_id AND d.id = l.device_id \
         WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    v.map(|v| {
        serde_json::from_value(v)
            .map_err(|e| tsunagi_core::Error::internal(format!("line detail: {e}")))
    })
    .transpose()
}
