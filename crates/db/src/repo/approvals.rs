//! Approval requests: the stored command, who asked, who decided, and what happened.

use super::{Page, ok_or_not_found};
use crate::{TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ApprovalRequest {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub command: Value,
    pub summary: String,
    pub status: String,
    pub requested_by: String,
    pub requested_by_label: String,
    pub decided_by: Option<String>,
    pub decided_by_label: Option<String>,
    pub decision_note: Option<String>,
    pub result: Option<Value>,
    pub failure: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub executed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn approval_insert(tx: &mut TenantTx, a: &ApprovalRequest) -> Result<ApprovalRequest> {
    sqlx::query_as(
        "INSERT INTO approval_requests (tenant_id, id, action, target_type, target_id, command, summary, requested_by, \
         requested_by_label, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(a.id)
    .bind(&a.action)
    .bind(&a.target_type)
    .bind(&a.target_id)
    .bind(&a.command)
    .bind(&a.summary)
    .bind(&a.requested_by)
    .bind(&a.requested_by_label)
    .bind(a.expires_at)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("approval_requests_one_open", || {
        Error::conflict("an approval request for this action on this object is already pending")
    }))
}

/// An approval request and the held order it decides (which names it), written together in
/// one statement.
pub async fn approval_insert_with_order(
    tx: &mut TenantTx,
    a: &ApprovalRequest,
    o: &super::orders::Order,
) -> Result<(ApprovalRequest, super::orders::Order)> {
    use sqlx::Row;
    let row = sqlx::query(
        "WITH o AS (INSERT INTO orders (tenant_id, id, kind, status, customer_id, contract_id, line_id, input, \
           hold_reason, approval_id) VALUES ($1,$11,$12,$13,$14,$15,$16,$17,$18,$2) RETURNING to_jsonb(orders.*) AS j) \
         INSERT INTO approval_requests (tenant_id, id, action, target_type, target_id, command, summary, requested_by, \
         requested_by_label, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING *, (SELECT j FROM o) AS order_row",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(a.id)
    .bind(&a.action)
    .bind(&a.target_type)
    .bind(&a.target_id)
    .bind(&a.command)
    .bind(&a.summary)
    .bind(&a.requested_by)
    .bind(&a.requested_by_label)
    .bind(a.expires_at)
    .bind(o.id)
    .bind(&o.kind)
    .bind(&o.status)
    .bind(o.customer_id)
    .bind(o.contract_id)
    .bind(o.line_id)
    .bind(&o.input)
    .bind(&o.hold_reason)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("approval_requests_one_open", || {
        Error::conflict("an approval request for this action on this object is already pending")
    }))?;
    let order: Value = row.try_get("order_row")?;
    Ok((
        ApprovalRequest::from_row(&row)?,
        serde_json::from_value(order)?,
    ))
}

pub async fn approval_get(tx: &mut TenantTx, id: Uuid) -> Result<ApprovalRequest> {
    let a = sqlx::query_as("SELECT * FROM approval_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(a, "approval request")
}

pub async fn approval_lock(tx: &mut TenantTx, id: Uuid) -> Result<ApprovalRequest> {
    let a = sqlx::query_as(
        "SELECT * FROM approval_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    ok_or_not_found(a, "approval request")
}

/// Writes the decision and outcome of a locked request.
pub async fn approval_update(tx: &mut TenantTx, a: &ApprovalRequest) -> Result<ApprovalRequest> {
    Ok(sqlx::query_as(
        "UPDATE approval_requests SET status = $3, decided_by = $4, decided_by_label = $5, decision_note = $6, result = $7, \
         failure = $8, decided_at = $9, executed_at = $10, version = version + 1 WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(a.id)
    .bind(&a.status)
    .bind(&a.decided_by)
    .bind(&a.decided_by_label)
    .bind(&a.decision_note)
    .bind(&a.result)
    .bind(&a.failure)
    .bind(a.decided_at)
    .bind(a.executed_at)
    .fetch_one(tx.conn())
    .await?)
}

/// Tenants with undecided requests past their time (across tenants, for the worker).
pub async fn tenants_with_overdue(db: &crate::Db) -> Result<Vec<Uuid>> {
    Ok(
        sqlx::query_scalar("SELECT tenants_with_overdue_approvals()")
            .fetch_all(db.pool())
            .await?,
    )
}

/// The transaction tenant's overdue requests, locked.
pub async fn overdue_lock(tx: &mut TenantTx) -> Result<Vec<ApprovalRequest>> {
    Ok(sqlx::query_as(
        "SELECT * FROM approval_requests WHERE tenant_id = $1 AND status = 'pending' AND expires_at <= now() ORDER BY created_at FOR UPDATE SKIP LOCKED",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_all(tx.conn())
    .await?)
}

pub async fn approval_list(
    tx: &mut TenantTx,
    status: Option<&str>,
    page: Page,
) -> Result<Vec<ApprovalRequest>> {
    let tenant = tx.tenant_id().as_uuid();
    Ok(sqlx::query_as(
        "SELECT * FROM approval_requests WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4",
    )
    .bind(tenant)
    .bind(status)
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}
