//! Tenants: the tree (platform → MVNO → reseller), status and settings overrides.

use super::{Page, ok_or_not_found, stale_or_missing};
use crate::{Db, TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use std::sync::Arc;
use tsunagi_core::{Error, Result, TenantId, TenantKind};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub settings: Value,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What authentication learns about a tenant before any context exists.
#[derive(Debug, Clone)]
pub struct AuthTenant {
    pub id: TenantId,
    pub slug: String,
    pub kind: TenantKind,
    /// False when it or any ancestor is suspended.
    pub active: bool,
    pub visible: Arc<[TenantId]>,
}

pub async fn auth_tenant(db: &Db, id: TenantId) -> Result<Option<AuthTenant>> {
    #[derive(FromRow)]
    struct Row {
        slug: Option<String>,
        kind: Option<String>,
        active: Option<bool>,
        visible: Option<Vec<Uuid>>,
    }
    let row: Option<Row> =
        sqlx::query_as("SELECT slug, kind, active, visible FROM auth_tenant($1)")
            .bind(id.as_uuid())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.and_then(
        |Row {
             slug,
             kind,
             active,
             visible,
         }| {
            Some(AuthTenant {
                id,
                slug: slug?,
                kind: TenantKind::parse(&kind?)?,
                active: active?,
                visible: visible?.into_iter().map(TenantId).collect(),
            })
        },
    ))
}

pub async fn auth_tenant_by_slug(db: &Db, slug: &str) -> Result<Option<AuthTenant>> {
    let id: Option<Uuid> = sqlx::query_scalar("SELECT auth_tenant_by_slug($1)")
        .bind(slug)
        .fetch_one(db.pool())
        .await?;
    match id {
        Some(id) => auth_tenant(db, TenantId(id)).await,
        None => Ok(None),
    }
}

pub struct NewTenant<'a> {
    pub id: TenantId,
    pub slug: &'a str,
    pub name: &'a str,
    pub kind: TenantKind,
    pub settings: &'a Value,
}

/// Inserts a child of the transaction's tenant (RLS refuses anything else).
pub async fn tenant_insert(tx: &mut TenantTx, t: NewTenant<'_>) -> Result<Tenant> {
    let parent = tx.tenant_id().as_uuid();
    sqlx::query_as("INSERT INTO tenants (id, parent_id, slug, name, kind, settings) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *")
        .bind(t.id.as_uuid())
        .bind(parent)
        .bind(t.slug)
        .bind(t.name)
        .bind(t.kind.as_str())
        .bind(t.settings)
        .fetch_one(tx.conn())
        .await
        .map_err(on_constraint("tenants_slug_key", || {
            Error::invalid("input.slug", "is already taken by another tenant")
        }))
}

/// Inserts the platform root. Only for bootstrapping, through an owner connection.
pub async fn platform_insert(
    pool: &sqlx::PgPool,
    id: TenantId,
    slug: &str,
    name: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO tenants (id, parent_id, slug, name, kind) VALUES ($1, NULL, $2, $3, 'platform') ON CONFLICT DO NOTHING")
        .bind(id.as_uuid())
        .bind(slug)
        .bind(name)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn tenant_get(tx: &mut TenantTx, id: TenantId) -> Result<Tenant> {
    let t = sqlx::query_as("SELECT * FROM tenants WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(t, "tenant")
}

pub async fn tenant_get_by_slug(tx: &mut TenantTx, slug: &str) -> Result<Tenant> {
    let t = sqlx::query_as("SELECT * FROM tenants WHERE slug = $1")
        .bind(slug)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(t, "tenant")
}

/// Visible tenants, optionally only the children of `parent`, in creation order.
pub async fn tenant_list(
    tx: &mut TenantTx,
    parent: Option<TenantId>,
    page: Page,
) -> Result<Vec<Tenant>> {
    Ok(sqlx::query_as(
        "SELECT * FROM tenants WHERE ($1::uuid IS NULL OR parent_id = $1) AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3",
    )
    .bind(parent.map(|p| p.as_uuid()))
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

async fn current_version(tx: &mut TenantTx, id: TenantId) -> Result<Option<i32>> {
    Ok(
        sqlx::query_scalar("SELECT version FROM tenants WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Locks the row for a read-modify-write in this transaction.
pub async fn tenant_lock(tx: &mut TenantTx, id: TenantId) -> Result<Tenant> {
    let t = sqlx::query_as("SELECT * FROM tenants WHERE id = $1 FOR UPDATE")
        .bind(id.as_uuid())
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(t, "tenant")
}

pub async fn tenant_set_status(
    tx: &mut TenantTx,
    id: TenantId,
    status: &str,
    version: i32,
) -> Result<Tenant> {
    let t = sqlx::query_as(
        "UPDATE tenants SET status = $2, version = version + 1, updated_at = now() \
         WHERE id = $1 AND version = $3 RETURNING *",
    )
    .bind(id.as_uuid())
    .bind(status)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match t {
        Some(t) => Ok(t),
        None => Err(stale_or_missing(
            current_version(tx, id).await?,
            "tenant",
            version,
        )),
    }
}

pub async fn tenant_update(
    tx: &mut TenantTx,
    id: TenantId,
    name: &str,
    settings: &Value,
    version: i32,
) -> Result<Tenant> {
    let t = sqlx::query_as(
        "UPDATE tenants SET name = $2, settings = $3, version = version + 1, updated_at = now() \
         WHERE id = $1 AND version = $4 RETURNING *",
    )
    .bind(id.as_uuid())
    .bind(name)
    .bind(settings)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match t {
        Some(t) => Ok(t),
        None => Err(stale_or_missing(
            current_version(tx, id).await?,
            "tenant",
            version,
        )),
    }
}

/// The settings in force for a tenant visible to the transaction, inheritance resolved (no
/// authorization: for services that already asked for their own, and for the hub).
pub async fn effective_settings(
    tx: &mut TenantTx,
    id: TenantId,
) -> Result<tsunagi_core::tenant::TenantSettings> {
    resolve(tenant_settings_chain(tx, id).await?)
}

fn resolve(chain: Vec<Value>) -> Result<tsunagi_core::tenant::TenantSettings> {
    if chain.is_empty() {
        return Err(tsunagi_core::Error::not_found("tenant"));
    }
    let chain: Vec<tsunagi_core::tenant::TenantSettingsOverride> = chain
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap_or_default())
        .collect();
    Ok(tsunagi_core::tenant::resolve_settings(&chain))
}

/// The transaction tenant's settings in force and whether a carrier is set and switched on
/// (None: no carrier set), in one statement.
pub async fn settings_and_carrier(
    tx: &mut TenantTx,
) -> Result<(tsunagi_core::tenant::TenantSettings, Option<bool>)> {
    let rows: Vec<(Value, Option<bool>)> = sqlx::query_as(
        "SELECT s.settings, c.enabled FROM tenant_settings_chain($1) s \
         LEFT JOIN tenant_carriers c ON c.tenant_id = $1 ORDER BY s.depth",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let carrier = rows.first().and_then(|r| r.1);
    Ok((resolve(rows.into_iter().map(|r| r.0).collect())?, carrier))
}

/// Stored overrides of the tenant and its ancestors, nearest first.
pub async fn tenant_settings_chain(tx: &mut TenantTx, id: TenantId) -> Result<Vec<Value>> {
    Ok(
        sqlx::query_scalar("SELECT settings FROM tenant_settings_chain($1)")
            .bind(id.as_uuid())
            .fetch_all(tx.conn())
            .await?,
    )
}
