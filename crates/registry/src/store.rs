//! The registry's SQL: plugins, their versions and component bytes, activations per hook,
//! reseller-override policies, samples, fixture sets and failure counters. Every function
//! runs in a `TenantTx`, so row-level security decides what it sees.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use tsunagi_db::{TenantTx, on_constraint};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PluginRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub world: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// A version as everyone may see it: no component bytes, secret names only.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct VersionRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub plugin_id: Uuid,
    pub plugin_name: String,
    pub world: String,
    pub version: String,
    pub digest: String,
    pub size_bytes: i32,
    pub manifest: Value,
    pub secret_keys: Vec<String>,
    pub manifest_rev: i32,
    pub uploaded_by: String,
    pub failure_count: i64,
    pub failures_by_code: Value,
    pub last_failure: Option<String>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! versions {
    ($tail:literal) => {
        concat!(
            "SELECT v.tenant_id, v.id, v.plugin_id, p.name AS plugin_name, p.world, v.version, v.digest, \
             v.size_bytes, v.manifest, v.secret_keys, v.manifest_rev, v.uploaded_by, v.failure_count, \
             v.failures_by_code, v.last_failure, v.last_failure_at, v.created_at, v.updated_at \
             FROM plugin_versions v JOIN plugins p ON p.tenant_id = v.tenant_id AND p.id = v.plugin_id ",
            $tail
        )
    };
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ActivationRow {
    pub tenant_id: Uuid,
    pub hook: String,
    pub version_id: Option<Uuid>,
    pub previous_version_id: Option<Uuid>,
    pub status: String,
    pub changed_by: String,
    pub approval_id: Option<Uuid>,
    pub reason: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PolicyRow {
    pub tenant_id: Uuid,
    pub hook: String,
    pub resellers_may_override: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct SampleRow {
    pub tenant_id: Uuid,
    pub hook: String,
    pub slot: i32,
    pub owner_tenant_id: Uuid,
    pub version_id: Uuid,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct FixtureSetRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub world: String,
    pub name: String,
    pub inputs: Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// The plugin that runs for the transaction's tenant at a hook (see `plugin_effective`).
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Effective {
    pub owner: Uuid,
    pub version_id: Uuid,
    pub manifest_rev: i32,
    pub depth: i32,
}

/// What the sandbox needs to load a version.
#[derive(Debug, FromRow)]
pub struct LoadRow {
    pub name: String,
    pub version: String,
    pub world: String,
    pub manifest: Value,
    pub secrets_enc: Option<Vec<u8>>,
    pub manifest_rev: i32,
    pub bytes: Vec<u8>,
}

pub async fn plugin_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<PluginRow>> {
    Ok(
        sqlx::query_as("SELECT * FROM plugins WHERE tenant_id = app_tenant() AND name = $1")
            .bind(name)
            .fetch_optional(tx.conn())
            .await?,
    )
}

pub async fn plugin_insert(
    tx: &mut TenantTx,
    name: &str,
    world: &str,
    description: &str,
) -> Result<PluginRow> {
    sqlx::query_as(
        "INSERT INTO plugins (tenant_id, id, name, world, description) VALUES (app_tenant(), $1, $2, $3, $4) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(world)
    .bind(description)
    .fetch_one(tx.conn())
    .await
    .map_err(on_constraint("plugins_name_key", || {
        Error::conflict(format!("a plugin named {name} was just created; upload again"))
    }))
}

pub async fn plugins(tx: &mut TenantTx) -> Result<Vec<PluginRow>> {
    Ok(
        sqlx::query_as("SELECT * FROM plugins WHERE tenant_id = app_tenant() ORDER BY name")
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Stores component bytes once per digest.
pub async fn component_put(tx: &mut TenantTx, digest: &str, bytes: &[u8]) -> Result<()> {
    sqlx::query(
        "INSERT INTO plugin_components (tenant_id, digest, bytes) VALUES (app_tenant(), $1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(digest)
    .bind(bytes)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug)]
pub struct NewVersion<'a> {
    pub plugin_id: Uuid,
    pub version: &'a str,
    pub digest: &'a str,
    pub size_bytes: i32,
    pub manifest: Value,
    pub secrets_enc: Option<Vec<u8>>,
    pub secret_keys: Vec<String>,
    pub uploaded_by: &'a str,
}

pub async fn version_insert(tx: &mut TenantTx, v: NewVersion<'_>) -> Result<VersionRow> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO plugin_versions (tenant_id, id, plugin_id, version, digest, size_bytes, manifest, secrets_enc, secret_keys, uploaded_by) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(v.plugin_id)
    .bind(v.version)
    .bind(v.digest)
    .bind(v.size_bytes)
    .bind(&v.manifest)
    .bind(&v.secrets_enc)
    .bind(&v.secret_keys)
    .bind(v.uploaded_by)
    .execute(tx.conn())
    .await
    .map_err(on_constraint("plugin_versions_version_key", || {
        Error::invalid(
            "input.version",
            format!("version {} of this plugin exists; versions are immutable, upload a new one", v.version),
        )
    }))?;
    version_get(tx, id).await
}

/// A version of the transaction's own tenant.
pub async fn version_get(tx: &mut TenantTx, id: Uuid) -> Result<VersionRow> {
    sqlx::query_as(versions!("WHERE v.tenant_id = app_tenant() AND v.id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(Error::not_found("plugin version"))
}

pub async fn versions(tx: &mut TenantTx) -> Result<Vec<VersionRow>> {
    Ok(sqlx::query_as(versions!(
        "WHERE v.tenant_id = app_tenant() ORDER BY p.name, v.created_at"
    ))
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces a version's manifest (and its secrets when given), bumping its revision.
pub async fn version_set_manifest(
    tx: &mut TenantTx,
    id: Uuid,
    manifest: &Value,
    secrets: Option<(Option<Vec<u8>>, Vec<String>)>,
) -> Result<VersionRow> {
    let keep = secrets.is_none();
    let (enc, keys) = secrets.unwrap_or_default();
    sqlx::query(
        "UPDATE plugin_versions SET manifest = $2, \
            secrets_enc = CASE WHEN $3 THEN secrets_enc ELSE $4 END, \
            secret_keys = CASE WHEN $3 THEN secret_keys ELSE $5 END, \
            manifest_rev = manifest_rev + 1, updated_at = now() \
         WHERE tenant_id = app_tenant() AND id = $1",
    )
    .bind(id)
    .bind(manifest)
    .bind(keep)
    .bind(enc)
    .bind(keys)
    .execute(tx.conn())
    .await?;
    version_get(tx, id).await
}

pub async fn activation_lock(tx: &mut TenantTx, hook: &str) -> Result<Option<ActivationRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plugin_activations WHERE tenant_id = app_tenant() AND hook = $1 FOR UPDATE",
    )
    .bind(hook)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn activations(tx: &mut TenantTx) -> Result<Vec<ActivationRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plugin_activations WHERE tenant_id = app_tenant() ORDER BY hook",
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Writes a hook's activation (insert or update).
pub async fn activation_put(tx: &mut TenantTx, a: &ActivationRow) -> Result<ActivationRow> {
    Ok(sqlx::query_as(
        "INSERT INTO plugin_activations (tenant_id, hook, version_id, previous_version_id, status, changed_by, approval_id, reason) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, hook) DO UPDATE SET version_id = $2, previous_version_id = $3, status = $4, \
            changed_by = $5, approval_id = $6, reason = $7, version = plugin_activations.version + 1, updated_at = now() \
         RETURNING *",
    )
    .bind(&a.hook)
    .bind(a.version_id)
    .bind(a.previous_version_id)
    .bind(&a.status)
    .bind(&a.changed_by)
    .bind(a.approval_id)
    .bind(&a.reason)
    .fetch_one(tx.conn())
    .await?)
}

/// Whether the parent MVNO lets its resellers replace this hook.
pub async fn parent_allows(tx: &mut TenantTx, hook: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar(
            "SELECT coalesce(plugin_resellers_may((app_ancestors())[1], $1), false)",
        )
        .bind(hook)
        .fetch_one(tx.conn())
        .await?,
    )
}

pub async fn policy_put(tx: &mut TenantTx, hook: &str, allow: bool) -> Result<PolicyRow> {
    Ok(sqlx::query_as(
        "INSERT INTO plugin_hook_policies (tenant_id, hook, resellers_may_override) VALUES (app_tenant(), $1, $2) \
         ON CONFLICT (tenant_id, hook) DO UPDATE SET resellers_may_override = $2, updated_at = now() RETURNING *",
    )
    .bind(hook)
    .bind(allow)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn policies(tx: &mut TenantTx) -> Result<Vec<PolicyRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plugin_hook_policies WHERE tenant_id = app_tenant() ORDER BY hook",
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn effective(tx: &mut TenantTx, hook: &str) -> Result<Option<Effective>> {
    Ok(sqlx::query_as("SELECT * FROM plugin_effective($1)")
        .bind(hook)
        .fetch_optional(tx.conn())
        .await?)
}

/// A version with its bytes, in its owner's transaction.
pub async fn load_row(tx: &mut TenantTx, version_id: Uuid) -> Result<LoadRow> {
    sqlx::query_as(
        "SELECT p.name, v.version, p.world, v.manifest, v.secrets_enc, v.manifest_rev, c.bytes \
         FROM plugin_versions v JOIN plugins p ON p.tenant_id = v.tenant_id AND p.id = v.plugin_id \
         JOIN plugin_components c ON c.tenant_id = v.tenant_id AND c.digest = v.digest \
         WHERE v.tenant_id = app_tenant() AND v.id = $1",
    )
    .bind(version_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::not_found("plugin version"))
}

/// Counts a failed call against its version (in the owner's transaction).
pub async fn count_failure(
    tx: &mut TenantTx,
    version_id: Uuid,
    code: &str,
    message: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE plugin_versions SET failure_count = failure_count + 1, \
            failures_by_code = jsonb_set(failures_by_code, ARRAY[$2], to_jsonb(coalesce((failures_by_code ->> $2)::bigint, 0) + 1)), \
            last_failure = $3, last_failure_at = now() \
         WHERE tenant_id = app_tenant() AND id = $1",
    )
    .bind(version_id)
    .bind(code)
    .bind(message)
    .execute(tx.conn())
    .await?;
    Ok(())
}
