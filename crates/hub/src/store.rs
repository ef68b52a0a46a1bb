//! The hub's reads and writes in a tenant's transaction: routing inputs (rules, endpoints,
//! templates, preferences), once-only marks, digests, and delivery rows.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use tsunagi_core::Result;
use tsunagi_db::TenantTx;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rule {
    pub topic: String,
    pub audience: String,
    pub role: Option<String>,
    pub channel: String,
    pub fallback_channel: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRoute {
    pub id: Uuid,
    pub topics: Vec<String>,
}

/// A delivery as the dispatcher attempts it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub event_id: Uuid,
    pub topic: String,
    pub channel: String,
    pub recipient: String,
    pub user_id: Option<Uuid>,
    pub endpoint_id: Option<Uuid>,
    pub locale: Option<String>,
    pub subject: String,
    pub body: String,
    pub critical: bool,
    pub status: String,
    pub attempts: i32,
    pub schedule_base: i32,
    pub fallback_channel: Option<String>,
}

pub const DELIVERY_COLS: &str = "tenant_id, id, event_id, topic, channel, recipient, user_id, \
     endpoint_id, locale, subject, body, critical, status, attempts, schedule_base, fallback_channel";

/// A delivery row to create.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub event_id: Uuid,
    pub topic: String,
    pub channel: String,
    pub recipient: String,
    pub user_id: Option<Uuid>,
    pub endpoint_id: Option<Uuid>,
    pub locale: Option<String>,
    pub subject: String,
    pub body: String,
    pub critical: bool,
    pub status: &'static str,
    pub reason: Option<String>,
    pub digest_id: Option<Uuid>,
    pub fallback_channel: Option<String>,
    pub fallback_of: Option<Uuid>,
}

/// Marks the events processed in this transaction; returns those not processed before (an
/// event a concurrent planner holds waits for its commit and is then left out).
pub async fn take_unprocessed(tx: &mut TenantTx, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
    let rows: Vec<Uuid> = sqlx::query_scalar("SELECT hub_take_unprocessed($1)")
        .bind(ids)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows.into_iter().collect())
}

/// Event payloads by id (for channel plugins, which receive the structured data).
pub async fn payloads(tx: &mut TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, serde_json::Value>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT id, payload FROM outbox WHERE tenant_id = app_tenant() AND id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn rules(tx: &mut TenantTx) -> Result<Vec<Rule>> {
    Ok(sqlx::query_as(
        "SELECT topic, audience, role, channel, fallback_channel FROM notification_rules \
         WHERE tenant_id = app_tenant() ORDER BY created_at",
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn endpoint_routes(tx: &mut TenantTx) -> Result<Vec<EndpointRoute>> {
    Ok(sqlx::query_as(
        "SELECT id, topics FROM webhook_endpoints WHERE tenant_id = app_tenant() AND status = 'enabled'",
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The tenant's own templates: (topic, channel, locale) → (subject, body).
pub async fn templates(
    tx: &mut TenantTx,
) -> Result<HashMap<(String, String, String), (String, String)>> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT topic, channel, locale, subject, body FROM notification_templates WHERE tenant_id = app_tenant()",
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(t, c, l, s, b)| ((t, c, l), (s, b)))
        .collect())
}

/// (user, topic, channel) the users opted out of.
pub async fn opt_outs(
    tx: &mut TenantTx,
    users: &[Uuid],
) -> Result<HashSet<(Uuid, String, String)>> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT user_id, topic, channel FROM notification_preferences \
         WHERE tenant_id = app_tenant() AND user_id = ANY($1) AND opted_out",
    )
    .bind(users)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// (address, topic) pairs that unsubscribed by one-click link (addresses that are no users).
pub async fn suppressions(
    tx: &mut TenantTx,
    addresses: &[String],
) -> Result<HashSet<(String, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT address, topic FROM notification_suppressions \
         WHERE tenant_id = app_tenant() AND address = ANY($1)",
    )
    .bind(addresses)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Records the first alert for (line, threshold, cycle); false if one was already sent.
pub async fn quota_mark(
    tx: &mut TenantTx,
    key: &(String, i32, String),
    event: Uuid,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO hub_quota_marks (tenant_id, line_id, threshold, cycle, event_id) \
         VALUES (app_tenant(), $1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&key.0)
    .bind(key.1)
    .bind(&key.2)
    .bind(event)
    .execute(tx.conn())
    .await?;
    if r.rows_affected() == 1 {
        return Ok(true);
    }
    // A redelivered event finds its own mark: still the first alert.
    let owner: Option<Uuid> = sqlx::query_scalar(
        "SELECT event_id FROM hub_quota_marks WHERE tenant_id = app_tenant() \
         AND line_id = $1 AND threshold = $2 AND cycle = $3",
    )
    .bind(&key.0)
    .bind(key.1)
    .bind(&key.2)
    .fetch_optional(tx.conn())
    .await?;
    Ok(owner == Some(event))
}

/// The open digest for a key, opened now if there is none.
pub async fn open_digest(
    tx: &mut TenantTx,
    key: &str,
    d: &NewDelivery,
    locale: &str,
    window_end: DateTime<Utc>,
) -> Result<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO hub_digests (tenant_id, id, key, topic, channel, recipient, user_id, locale, window_end) \
         VALUES (app_tenant(), $1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, key) WHERE status = 'open' DO UPDATE SET key = EXCLUDED.key \
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(key)
    .bind(&d.topic)
    .bind(&d.channel)
    .bind(&d.recipient)
    .bind(d.user_id)
    .bind(locale)
    .bind(window_end)
    .fetch_one(tx.conn())
    .await?)
}

/// Inserts deliveries; an existing (event, channel, recipient) is left alone. Returns the
/// rows created.
pub async fn insert_deliveries(
    tx: &mut TenantTx,
    rows: &[NewDelivery],
    lease_until: DateTime<Utc>,
) -> Result<Vec<Delivery>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let col = |f: fn(&NewDelivery) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let opt = |f: fn(&NewDelivery) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let ouuid = |f: fn(&NewDelivery) -> Option<Uuid>| rows.iter().map(f).collect::<Vec<_>>();
    let sql = format!(
        "INSERT INTO hub_deliveries (tenant_id, id, event_id, topic, channel, recipient, user_id, \
           endpoint_id, locale, subject, body, critical, status, reason, digest_id, fallback_channel, \
           fallback_of, next_attempt_at, delivered_at) \
         SELECT app_tenant(), u.* , CASE WHEN u.status = 'pending' THEN $17::timestamptz END, \
                CASE WHEN u.status = 'delivered' THEN now() END \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], \
                     $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[], $13::text[], \
                     $14::uuid[], $15::text[], $16::uuid[]) \
              AS u(id, event_id, topic, channel, recipient, user_id, endpoint_id, locale, subject, \
                   body, critical, status, reason, digest_id, fallback_channel, fallback_of) \
         ON CONFLICT ON CONSTRAINT hub_deliveries_once DO NOTHING \
         RETURNING {DELIVERY_COLS}"
    );
    let out: Vec<Delivery> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&ids)
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(col(|r| r.topic.clone()))
        .bind(col(|r| r.channel.to_owned()))
        .bind(col(|r| r.recipient.clone()))
        .bind(ouuid(|r| r.user_id))
        .bind(ouuid(|r| r.endpoint_id))
        .bind(opt(|r| r.locale.clone()))
        .bind(col(|r| r.subject.clone()))
        .bind(col(|r| r.body.clone()))
        .bind(rows.iter().map(|r| r.critical).collect::<Vec<_>>())
        .bind(col(|r| r.status.to_owned()))
        .bind(opt(|r| r.reason.clone()))
        .bind(ouuid(|r| r.digest_id))
        .bind(opt(|r| r.fallback_channel.clone()))
        .bind(ouuid(|r| r.fallback_of))
        .bind(lease_until)
        .fetch_all(tx.conn())
        .await?;
    Ok(out)
}

/// Announces a console alert to live subscribers (delivered with the transaction).
pub async fn notify_console(tx: &mut TenantTx, d: &Delivery) -> Result<()> {
    let body: String = d.body.chars().take(1000).collect();
    let payload = serde_json::json!({
        "tenant_id": d.tenant_id, "delivery_id": d.id, "event_id": d.event_id, "topic": d.topic,
        "recipient": d.recipient, "subject": d.subject, "body": body, "critical": d.critical,
    });
    sqlx::query("SELECT pg_notify('tsunagi_alert', $1)")
        .bind(payload.to_string())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Loads deliveries by id (for the dispatcher).
pub async fn load_deliveries(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM hub_deliveries WHERE tenant_id = app_tenant() AND id = ANY($1) AND status = 'pending'"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(tx.conn())
        .await?)
}

/// The events collected by a digest, in order.
pub async fn digest_events(tx: &mut TenantTx, digest: Uuid) -> Result<Vec<crate::Envelope>> {
    Ok(sqlx::query_as(
        "SELECT o.tenant_id, o.id, o.seq, o.topic, o.aggregate_type, o.aggregate_id, o.payload, \
                o.request_id, o.created_at \
         FROM hub_deliveries d JOIN outbox o ON o.tenant_id = d.tenant_id AND o.id = d.event_id \
         WHERE d.tenant_id = app_tenant() AND d.digest_id = $1 ORDER BY o.seq",
    )
    .bind(digest)
    .fetch_all(tx.conn())
    .await?)
}
