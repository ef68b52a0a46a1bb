//! Tenant-specific authorization rules (added to the repository's defaults by the enforcer).

use crate::{TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{Error, PolicyId, Result, TenantId};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PolicyRule {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub ptype: String,
    pub subject: String,
    pub object: String,
    pub action: String,
    pub effect: String,
    pub created_at: DateTime<Utc>,
}

pub async fn policy_list(tx: &mut TenantTx, tenant: TenantId) -> Result<Vec<PolicyRule>> {
    Ok(
        sqlx::query_as("SELECT * FROM authz_policies WHERE tenant_id = $1 ORDER BY created_at, id")
            .bind(tenant.as_uuid())
            .fetch_all(tx.conn())
            .await?,
    )
}

pub async fn policy_insert(
    tx: &mut TenantTx,
    id: PolicyId,
    ptype: &str,
    subject: &str,
    object: &str,
    action: &str,
    effect: &str,
) -> Result<PolicyRule> {
    let rule = sqlx::query_as(
        "INSERT INTO authz_policies (tenant_id, id, ptype, subject, object, action, effect) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id.as_uuid())
    .bind(ptype)
    .bind(subject)
    .bind(object)
    .bind(action)
    .bind(effect)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("authz_policies_rule_key", || {
        Error::conflict("this rule already exists")
    }))?;
    notify_changed(tx).await?;
    Ok(rule)
}

pub async fn policy_delete(tx: &mut TenantTx, id: PolicyId) -> Result<PolicyRule> {
    let rule: Option<PolicyRule> =
        sqlx::query_as("DELETE FROM authz_policies WHERE tenant_id = $1 AND id = $2 RETURNING *")
            .bind(tx.tenant_id().as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(tx.conn())
            .await?;
    let rule = rule.ok_or(Error::not_found("policy"))?;
    notify_changed(tx).await?;
    Ok(rule)
}

/// Tells every replica (on commit) to reload this tenant's enforcer.
async fn notify_changed(tx: &mut TenantTx) -> Result<()> {
    sqlx::query("SELECT pg_notify('tsunagi_authz', $1)")
        .bind(tx.tenant_id().to_string())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Rules of a tenant for building its enforcer, read without a principal (the enforcer
/// cache loads on behalf of whoever asks first).
pub async fn policy_load(tx: &mut TenantTx) -> Result<Vec<PolicyRule>> {
    let t = tx.tenant_id();
    policy_list(tx, t).await
}
