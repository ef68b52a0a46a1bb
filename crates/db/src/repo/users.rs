//! Staff and customer users of a tenant: identity, roles, status and sign-in failure state.

use super::{Page, ok_or_not_found, stale_or_missing};
use crate::{TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{CustomerScope, Error, Result, TenantId, UserId};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct User {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub roles: Vec<String>,
    pub status: String,
    #[serde(skip)]
    pub failed_logins: i32,
    #[serde(skip)]
    pub locked_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub customer_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    /// The language of the user's messages (`ja`, `en`); None: the tenant's.
    pub locale: Option<String>,
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub roles: &'a [String],
    /// Set for customer principals (customer_admin, customer_user).
    pub customer: Option<CustomerScope>,
    pub locale: Option<&'a str>,
}

pub async fn user_insert(tx: &mut TenantTx, u: NewUser<'_>) -> Result<User> {
    let tenant = tx.tenant_id().as_uuid();
    sqlx::query_as(
        "INSERT INTO users (tenant_id, id, email, display_name, password_hash, roles, customer_id, line_id, locale) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *",
    )
    .bind(tenant)
    .bind(u.id.as_uuid())
    .bind(u.email)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.roles)
    .bind(u.customer.map(|c| c.customer_id))
    .bind(u.customer.and_then(|c| c.line_id))
    .bind(u.locale)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("users_email_key", || {
        Error::conflict("a user with this e-mail already exists in this tenant")
    }))
}

pub async fn user_get(tx: &mut TenantTx, id: UserId) -> Result<User> {
    let u = sqlx::query_as("SELECT * FROM users WHERE id = $1 AND tenant_id = ANY (app_visible())")
        .bind(id.as_uuid())
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(u, "user")
}

/// The user of exactly this tenant with this e-mail (never a descendant's).
pub async fn user_find_by_email(
    tx: &mut TenantTx,
    tenant: TenantId,
    email: &str,
) -> Result<Option<User>> {
    Ok(
        sqlx::query_as("SELECT * FROM users WHERE tenant_id = $1 AND email = $2")
            .bind(tenant.as_uuid())
            .bind(email)
            .fetch_optional(tx.conn())
            .await?,
    )
}

pub async fn user_list(tx: &mut TenantTx, tenant: TenantId, page: Page) -> Result<Vec<User>> {
    Ok(sqlx::query_as("SELECT * FROM users WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3")
        .bind(tenant.as_uuid())
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(tx.conn())
        .await?)
}

/// Locks a user of the transaction's own tenant for a read-modify-write.
pub async fn user_lock(tx: &mut TenantTx, id: UserId) -> Result<User> {
    let u = sqlx::query_as("SELECT * FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(u, "user")
}

/// Versioned update of roles, status and language.
pub async fn user_update(
    tx: &mut TenantTx,
    id: UserId,
    roles: &[String],
    status: &str,
    locale: Option<&str>,
    version: i32,
) -> Result<User> {
    let tenant = tx.tenant_id().as_uuid();
    let u = sqlx::query_as(
        "UPDATE users SET roles = $3, status = $4, locale = $6, version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND version = $5 RETURNING *",
    )
    .bind(tenant)
    .bind(id.as_uuid())
    .bind(roles)
    .bind(status)
    .bind(version)
    .bind(locale)
    .fetch_optional(tx.conn())
    .await?;
    match u {
        Some(u) => Ok(u),
        None => {
            let v: Option<i32> =
                sqlx::query_scalar("SELECT version FROM users WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id.as_uuid())
                    .fetch_optional(tx.conn())
                    .await?;
            Err(stale_or_missing(v, "user", version))
        }
    }
}

pub async fn user_set_password(tx: &mut TenantTx, id: UserId, hash: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id.as_uuid())
    .bind(hash)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a failed sign-in and returns the new failure count.
pub async fn user_record_failure(
    tx: &mut TenantTx,
    id: UserId,
    lock_until: Option<DateTime<Utc>>,
) -> Result<i32> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1, locked_until = coalesce($3, locked_until) \
         WHERE tenant_id = $1 AND id = $2 RETURNING failed_logins",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id.as_uuid())
    .bind(lock_until)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn user_reset_failures(tx: &mut TenantTx, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2 AND failed_logins > 0")
        .bind(tx.tenant_id().as_uuid())
        .bind(id.as_uuid())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Sets a user's own language (`None`: the tenant's), without a version: only the user
/// changes it, for themselves.
pub async fn user_set_locale(tx: &mut TenantTx, id: UserId, locale: Option<&str>) -> Result<User> {
    let u = sqlx::query_as(
        "UPDATE users SET locale = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id.as_uuid())
    .bind(locale)
    .fetch_optional(tx.conn())
    .await?;
    ok_or_not_found(u, "user")
}
