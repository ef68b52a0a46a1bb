//! API keys for machine clients: stored as a SHA-256 of a 256-bit secret (the secret is
//! shown once), scoped to roles, revocable, optionally expiring.

use super::{Page, ok_or_not_found, stale_or_missing};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{ApiKeyId, Result};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ApiKey {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: Vec<u8>,
    pub roles: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub version: i32,
}

pub struct NewApiKey<'a> {
    pub id: ApiKeyId,
    pub name: &'a str,
    pub secret_hash: &'a [u8],
    pub roles: &'a [String],
    pub created_by: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn api_key_insert(tx: &mut TenantTx, k: NewApiKey<'_>) -> Result<ApiKey> {
    Ok(sqlx::query_as(
        "INSERT INTO api_keys (tenant_id, id, name, secret_hash, roles, created_by, expires_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(k.id.as_uuid())
    .bind(k.name)
    .bind(k.secret_hash)
    .bind(k.roles)
    .bind(k.created_by)
    .bind(k.expires_at)
    .fetch_one(tx.conn())
    .await?)
}

/// A key of exactly the transaction's tenant (for authentication and management).
pub async fn api_key_get(tx: &mut TenantTx, id: ApiKeyId) -> Result<ApiKey> {
    let k = sqlx::query_as("SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(k, "API key")
}

pub async fn api_key_list(tx: &mut TenantTx, page: Page) -> Result<Vec<ApiKey>> {
    Ok(sqlx::query_as("SELECT * FROM api_keys WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3")
        .bind(tx.tenant_id().as_uuid())
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(tx.conn())
        .await?)
}

pub async fn api_key_revoke(tx: &mut TenantTx, id: ApiKeyId, version: i32) -> Result<ApiKey> {
    let tenant = tx.tenant_id().as_uuid();
    let k = sqlx::query_as(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), version = version + 1 \
         WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING *",
    )
    .bind(tenant)
    .bind(id.as_uuid())
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match k {
        Some(k) => Ok(k),
        None => {
            let v =
                sqlx::query_scalar("SELECT version FROM api_keys WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id.as_uuid())
                    .fetch_optional(tx.conn())
                    .await?;
            Err(stale_or_missing(v, "API key", version))
        }
    }
}
