//! Notifications as the application services read and change them, in the caller's tenant
//! transaction (authorization and audit are the caller's): routing rules, templates,
//! preferences, webhook endpoints, deliveries and their attempts, replay. The hub's own hot
//! path (planning, attempts, digests) is in tsunagi-hub's `store`; the one statement both
//! share, failing an endpoint's pending deliveries, is here.

use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RuleRow {
    pub id: Uuid,
    pub topic: String,
    pub audience: String,
    pub role: Option<String>,
    pub channel: String,
    pub fallback_channel: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TemplateRow {
    pub topic: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PreferenceRow {
    pub topic: String,
    pub channel: String,
    pub opted_out: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub topics: Vec<String>,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

const ENDPOINT_COLS: &str = "id, url, description, topics, status, disabled_reason, disabled_at, \
     failing_since, previous_secret_until, version, created_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub topic: String,
    pub channel: String,
    pub recipient: String,
    pub endpoint_id: Option<Uuid>,
    pub locale: Option<String>,
    pub subject: String,
    pub critical: bool,
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub provider: Option<String>,
    pub digest_id: Option<Uuid>,
    pub fallback_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

const DELIVERY_ROW_COLS: &str = "id, event_id, topic, channel, recipient, endpoint_id, locale, subject, \
     critical, status, reason, attempts, next_attempt_at, last_error, provider, digest_id, fallback_of, \
     created_at, delivered_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub n: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub provider: Option<String>,
}

pub async fn rules(tx: &mut TenantTx) -> Result<Vec<RuleRow>> {
    Ok(sqlx::query_as(
        "SELECT id, topic, audience, role, channel, fallback_channel, created_at FROM notification_rules \
         WHERE tenant_id = app_tenant() ORDER BY created_at, id",
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn insert_rule(tx: &mut TenantTx, r: &RuleRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO notification_rules (tenant_id, id, topic, audience, role, channel, fallback_channel) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5, $6)",
    )
    .bind(r.id)
    .bind(&r.topic)
    .bind(&r.audience)
    .bind(&r.role)
    .bind(&r.channel)
    .bind(&r.fallback_channel)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn delete_rule(tx: &mut TenantTx, id: Uuid) -> Result<RuleRow> {
    sqlx::query_as(
        "DELETE FROM notification_rules WHERE tenant_id = app_tenant() AND id = $1 \
         RETURNING id, topic, audience, role, channel, fallback_channel, created_at",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| Error::not_found("notification rule"))
}

pub async fn templates(tx: &mut TenantTx, topic: Option<&str>) -> Result<Vec<TemplateRow>> {
    Ok(sqlx::query_as(
        "SELECT topic, channel, locale, subject, body, version, updated_at FROM notification_templates \
         WHERE tenant_id = app_tenant() AND ($1::text IS NULL OR topic = $1) ORDER BY topic, channel, locale",
    )
    .bind(topic)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn upsert_template(tx: &mut TenantTx, t: &TemplateRow) -> Result<TemplateRow> {
    Ok(sqlx::query_as(
        "INSERT INTO notification_templates (tenant_id, topic, channel, locale, subject, body) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, topic, channel, locale) DO UPDATE SET subject = EXCLUDED.subject, \
           body = EXCLUDED.body, version = notification_templates.version + 1, updated_at = now() \
         RETURNING topic, channel, locale, subject, body, version, updated_at",
    )
    .bind(&t.topic)
    .bind(&t.channel)
    .bind(&t.locale)
    .bind(&t.subject)
    .bind(&t.body)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn delete_template(
    tx: &mut TenantTx,
    topic: &str,
    channel: &str,
    locale: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "DELETE FROM notification_templates WHERE tenant_id = app_tenant() AND topic = $1 AND channel = $2 AND locale = $3",
    )
    .bind(topic)
    .bind(channel)
    .bind(locale)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn preferences(tx: &mut TenantTx, user: Uuid) -> Result<Vec<PreferenceRow>> {
    Ok(sqlx::query_as(
        "SELECT topic, channel, opted_out, updated_at FROM notification_preferences \
         WHERE tenant_id = app_tenant() AND user_id = $1 ORDER BY topic, channel",
    )
    .bind(user)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn set_preference(
    tx: &mut TenantTx,
    user: Uuid,
    topic: &str,
    channel: &str,
    opted_out: bool,
) -> Result<PreferenceRow> {
    Ok(sqlx::query_as(
        "INSERT INTO notification_preferences (tenant_id, user_id, topic, channel, opted_out) \
         VALUES (app_tenant(), $1, $2, $3, $4) \
         ON CONFLICT (tenant_id, user_id, topic, channel) DO UPDATE SET opted_out = EXCLUDED.opted_out, updated_at = now() \
         RETURNING topic, channel, opted_out, updated_at",
    )
    .bind(user)
    .bind(topic)
    .bind(channel)
    .bind(opted_out)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn endpoints(tx: &mut TenantTx) -> Result<Vec<EndpointRow>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant_id = app_tenant() ORDER BY created_at, id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(tx.conn())
        .await?)
}

pub async fn endpoint(tx: &mut TenantTx, id: Uuid) -> Result<EndpointRow> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant_id = app_tenant() AND id = $1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| Error::not_found("webhook endpoint"))
}

pub async fn insert_endpoint(
    tx: &mut TenantTx,
    id: Uuid,
    url: &str,
    description: &str,
    topics: &[String],
    secret_enc: &[u8],
) -> Result<EndpointRow> {
    let sql = format!(
        "INSERT INTO webhook_endpoints (tenant_id, id, url, description, topics, secret_enc) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5) RETURNING {ENDPOINT_COLS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(url)
        .bind(description)
        .bind(topics)
        .bind(secret_enc)
        .fetch_one(tx.conn())
        .await?)
}

/// Replaces the secret; the previous one keeps signing until `overlap_until`.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    secret_enc: &[u8],
    overlap_until: DateTime<Utc>,
) -> Result<EndpointRow> {
    let sql = format!(
        "UPDATE webhook_endpoints SET previous_secret_enc = secret_enc, previous_secret_until = $4, \
           secret_enc = $3, version = version + 1, updated_at = now() \
         WHERE tenant_id = app_tenant() AND id = $1 AND version = $2 RETURNING {ENDPOINT_COLS}"
    );
    let r = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(version)
        .bind(secret_enc)
        .bind(overlap_until)
        .fetch_optional(tx.conn())
        .await?;
    stale_or(tx, id, r).await
}

/// Enables an endpoint (clearing its failure record) or disables it by hand.
pub async fn set_endpoint_enabled(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    enabled: bool,
) -> Result<EndpointRow> {
    let sql = format!(
        "UPDATE webhook_endpoints SET status = CASE WHEN $3 THEN 'enabled' ELSE 'disabled' END, \
           disabled_reason = CASE WHEN $3 THEN NULL ELSE 'disabled by an administrator' END, \
           disabled_at = CASE WHEN $3 THEN NULL ELSE now() END, failing_since = NULL, \
           version = version + 1, updated_at = now() \
         WHERE tenant_id = app_tenant() AND id = $1 AND version = $2 RETURNING {ENDPOINT_COLS}"
    );
    let r = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(version)
        .bind(enabled)
        .fetch_optional(tx.conn())
        .await?;
    stale_or(tx, id, r).await
}

async fn stale_or(tx: &mut TenantTx, id: Uuid, r: Option<EndpointRow>) -> Result<EndpointRow> {
    match r {
        Some(r) => Ok(r),
        None => {
            endpoint(tx, id).await?;
            Err(Error::conflict(
                "the webhook endpoint changed since you read it (version)",
            ))
        }
    }
}

pub struct DeliveryFilter {
    pub endpoint_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub status: Option<String>,
    pub channel: Option<String>,
    /// Newest first, strictly before this creation time (keyset pagination).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

pub async fn deliveries(tx: &mut TenantTx, f: &DeliveryFilter) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_ROW_COLS} FROM hub_deliveries WHERE tenant_id = app_tenant() \
           AND ($1::uuid IS NULL OR endpoint_id = $1) AND ($2::uuid IS NULL OR event_id = $2) \
           AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR channel = $4) \
           AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) \
         ORDER BY created_at DESC, id DESC LIMIT $7"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.endpoint_id)
        .bind(f.event_id)
        .bind(&f.status)
        .bind(&f.channel)
        .bind(f.before.map(|b| b.0))
        .bind(f.before.map(|b| b.1))
        .bind(f.limit)
        .fetch_all(tx.conn())
        .await?)
}

pub async fn delivery(tx: &mut TenantTx, id: Uuid) -> Result<DeliveryRow> {
    let sql = format!(
        "SELECT {DELIVERY_ROW_COLS} FROM hub_deliveries WHERE tenant_id = app_tenant() AND id = $1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| Error::not_found("delivery"))
}

/// The attempts of several deliveries, oldest first: (delivery, attempt).
pub async fn attempts_of(
    tx: &mut TenantTx,
    deliveries: &[Uuid],
) -> Result<Vec<(Uuid, AttemptRow)>> {
    let rows: Vec<AttemptWithDelivery> = sqlx::query_as(
        "SELECT delivery_id, n, at, duration_ms, outcome, status_code, error, provider FROM hub_attempts \
         WHERE tenant_id = app_tenant() AND delivery_id = ANY($1) ORDER BY delivery_id, n",
    )
    .bind(deliveries)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.delivery_id, r.attempt))
        .collect())
}

#[derive(sqlx::FromRow)]
struct AttemptWithDelivery {
    delivery_id: Uuid,
    #[sqlx(flatten)]
    attempt: AttemptRow,
}

pub async fn attempts(tx: &mut TenantTx, delivery: Uuid) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as(
        "SELECT n, at, duration_ms, outcome, status_code, error, provider FROM hub_attempts \
         WHERE tenant_id = app_tenant() AND delivery_id = $1 ORDER BY n",
    )
    .bind(delivery)
    .fetch_all(tx.conn())
    .await?)
}

/// Makes failed (or skipped) deliveries due again, with a fresh retry schedule. Returns the
/// ids replayed.
pub async fn replay(
    tx: &mut TenantTx,
    ids: Option<&[Uuid]>,
    endpoint: Option<Uuid>,
) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE hub_deliveries SET status = 'pending', next_attempt_at = now(), schedule_base = attempts, \
           reason = 'replayed', updated_at = now() \
         WHERE tenant_id = app_tenant() AND status IN ('failed', 'skipped') AND channel <> 'console' \
           AND ($1::uuid[] IS NULL OR id = ANY ($1)) AND ($2::uuid IS NULL OR endpoint_id = $2) \
           AND (channel <> 'email' OR recipient LIKE '%@%') \
         RETURNING id",
    )
    .bind(ids)
    .bind(endpoint)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn delete_endpoint(tx: &mut TenantTx, id: Uuid) -> Result<EndpointRow> {
    let row = endpoint(tx, id).await?;
    fail_pending_of_endpoint(tx, id, "endpoint deleted").await?;
    sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = app_tenant() AND id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(row)
}

/// Fails an endpoint's pending deliveries as dead letters (found through the queue of pending
/// deliveries, not the endpoint's whole history).
pub async fn fail_pending_of_endpoint(
    tx: &mut TenantTx,
    endpoint: Uuid,
    reason: &str,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE hub_deliveries SET status = 'failed', reason = $2, next_attempt_at = NULL, updated_at = now() \
         WHERE tenant_id = app_tenant() AND endpoint_id = $1 AND status = 'pending' \
           AND id IN (SELECT delivery_id FROM hub_due WHERE tenant_id = app_tenant())",
    )
    .bind(endpoint)
    .bind(reason)
    .execute(tx.conn())
    .await?
    .rows_affected())
}
