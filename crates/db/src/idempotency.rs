//! Idempotency keys, per tenant and principal. A key is claimed before the request runs (in
//! its own committed transaction, so a concurrent duplicate sees it), then completed with the
//! response, or released when the request failed in a way worth retrying.

use crate::{Db, Scope, TenantTx};
use chrono::Duration;
use serde_json::Value;
use tsunagi_core::Result;

#[derive(Debug, PartialEq)]
pub enum Claim {
    /// First use: run the request, then `idem_complete`.
    New,
    /// Same key, same request, finished: replay this response.
    Replay(Value),
    /// Same key, different request.
    Mismatch,
    /// Same key, same request, still running.
    InProgress,
}

pub async fn idem_claim(
    db: &Db,
    scope: Scope,
    principal: &str,
    key: &str,
    hash: &[u8],
    ttl: Duration,
) -> Result<Claim> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let tenant = tx.tenant_id().as_uuid();
    // An expired key is free again.
    sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND principal = $2 AND key = $3 AND expires_at < now()")
        .bind(tenant)
        .bind(principal)
        .bind(key)
        .execute(tx.conn())
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (tenant_id, principal, key, request_hash, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(principal)
    .bind(key)
    .bind(hash)
    .bind(ttl.num_seconds() as f64)
    .execute(tx.conn())
    .await?
    .rows_affected();
    let claim = if inserted == 1 {
        Claim::New
    } else {
        let (stored_hash, response): (Vec<u8>, Option<Value>) = sqlx::query_as(
            "SELECT request_hash, response FROM idempotency_keys WHERE tenant_id = $1 AND principal = $2 AND key = $3",
        )
        .bind(tenant)
        .bind(principal)
        .bind(key)
        .fetch_one(tx.conn())
        .await?;
        match (stored_hash == hash, response) {
            (false, _) => Claim::Mismatch,
            (true, Some(r)) => Claim::Replay(r),
            (true, None) => Claim::InProgress,
        }
    };
    tx.commit().await?;
    Ok(claim)
}

pub async fn idem_complete(
    db: &Db,
    scope: Scope,
    principal: &str,
    key: &str,
    response: &Value,
) -> Result<()> {
    let mut tx = TenantTx::begin(db, scope).await?;
    sqlx::query("UPDATE idempotency_keys SET response = $4 WHERE tenant_id = $1 AND principal = $2 AND key = $3")
        .bind(tx.tenant_id().as_uuid())
        .bind(principal)
        .bind(key)
        .bind(response)
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

pub async fn idem_release(db: &Db, scope: Scope, principal: &str, key: &str) -> Result<()> {
    let mut tx = TenantTx::begin(db, scope).await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND principal = $2 AND key = $3 AND response IS NULL")
        .bind(tx.tenant_id().as_uuid())
        .bind(principal)
        .bind(key)
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

/// Deletes expired keys of every tenant (worker housekeeping). Returns how many.
pub async fn idem_purge_expired(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT idempotency_purge_expired()")
        .fetch_one(db.pool())
        .await?)
}
