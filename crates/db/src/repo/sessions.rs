//! Sign-in sessions and their rotating refresh tokens. A session is one token family: using
//! a refresh token twice revokes the whole family, and access tokens naming a revoked
//! session are refused on the next request.

use crate::TenantTx;
use chrono::{DateTime, Utc};
use tsunagi_core::{Result, SessionId, UserId};
use uuid::Uuid;

pub async fn session_create(tx: &mut TenantTx, id: SessionId, user: UserId) -> Result<()> {
    sqlx::query("INSERT INTO sessions (tenant_id, id, user_id) VALUES ($1, $2, $3)")
        .bind(tx.tenant_id().as_uuid())
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn session_revoke(tx: &mut TenantTx, id: SessionId, reason: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id.as_uuid())
    .bind(reason)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn refresh_insert(
    tx: &mut TenantTx,
    session: SessionId,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO refresh_tokens (tenant_id, id, session_id, token_hash, expires_at) VALUES ($1,$2,$3,$4,$5)")
        .bind(tx.tenant_id().as_uuid())
        .bind(Uuid::now_v7())
        .bind(session.as_uuid())
        .bind(hash)
        .bind(expires_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum RefreshUse {
    /// First use of a live token: it is now spent.
    Fresh { session: SessionId, user: UserId },
    /// The token was already spent: someone replayed it.
    Reused { session: SessionId },
    /// Unknown, expired, or its session is revoked.
    Invalid,
}

/// Spends a refresh token (row-locked, so two concurrent uses cannot both be fresh).
pub async fn refresh_use(tx: &mut TenantTx, hash: &[u8]) -> Result<RefreshUse> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        session_id: Uuid,
        used_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        user_id: Uuid,
        revoked_at: Option<DateTime<Utc>>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT r.id, r.session_id, r.used_at, r.expires_at, s.user_id, s.revoked_at \
         FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id \
         WHERE r.tenant_id = $1 AND r.token_hash = $2 FOR UPDATE OF r, s",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(hash)
    .fetch_optional(tx.conn())
    .await?;
    let Some(Row {
        id,
        session_id: session,
        used_at,
        expires_at,
        user_id: user,
        revoked_at,
    }) = row
    else {
        return Ok(RefreshUse::Invalid);
    };
    if used_at.is_some() {
        return Ok(RefreshUse::Reused {
            session: SessionId(session),
        });
    }
    if revoked_at.is_some() || expires_at < Utc::now() {
        return Ok(RefreshUse::Invalid);
    }
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(RefreshUse::Fresh {
        session: SessionId(session),
        user: UserId(user),
    })
}

/// What every authenticated request re-reads: the user's current state and its session's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserAuthState {
    pub email: String,
    pub roles: Vec<String>,
    pub status: String,
    pub session_revoked: bool,
    pub customer_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
}

pub async fn user_auth_state(
    tx: &mut TenantTx,
    user: UserId,
    session: SessionId,
) -> Result<Option<UserAuthState>> {
    Ok(sqlx::query_as(
        "SELECT u.email, u.roles, u.status, (s.revoked_at IS NOT NULL) AS session_revoked, u.customer_id, u.line_id \
         FROM users u JOIN sessions s ON s.tenant_id = u.tenant_id AND s.user_id = u.id \
         WHERE u.tenant_id = $1 AND u.id = $2 AND s.id = $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(user.as_uuid())
    .bind(session.as_uuid())
    .fetch_optional(tx.conn())
    .await?)
}
