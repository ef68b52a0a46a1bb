//! A tenant's own e-mail: its sender and DKIM key (`notification_mail_settings`), its SMTP
//! providers in failover order (`notification_smtp_providers`), and the addresses that
//! unsubscribed from a topic with a one-click link (`notification_suppressions`). Secrets
//! (the DKIM key, provider URLs with their credentials) are stored sealed; sealing and
//! opening is the caller's (it holds the data key).

use super::{ok_or_not_found, stale_or_missing};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize, Default)]
pub struct MailSettings {
    pub from_address: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_selector: Option<String>,
    #[serde(skip)]
    pub dkim_key_enc: Option<Vec<u8>>,
    pub version: i32,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct SmtpProvider {
    pub id: Uuid,
    pub position: i32,
    pub name: String,
    #[serde(skip)]
    pub url_enc: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// The tenant's settings (version 0: none stored yet).
pub async fn settings(tx: &mut TenantTx) -> Result<MailSettings> {
    let s: Option<MailSettings> = sqlx::query_as(
        "SELECT from_address, dkim_domain, dkim_selector, dkim_key_enc, version \
         FROM notification_mail_settings WHERE tenant_id = $1",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(s.unwrap_or_default())
}

/// Replaces the settings, versioned: `version` 0 creates them, else it must be current.
pub async fn settings_put(tx: &mut TenantTx, s: &MailSettings) -> Result<MailSettings> {
    let sql = if s.version == 0 {
        "INSERT INTO notification_mail_settings (tenant_id, from_address, dkim_domain, dkim_selector, dkim_key_enc) \
         SELECT $1, $2, $3, $4, $5 WHERE $6 = 0 ON CONFLICT (tenant_id) DO NOTHING \
         RETURNING from_address, dkim_domain, dkim_selector, dkim_key_enc, version"
    } else {
        "UPDATE notification_mail_settings SET from_address = $2, dkim_domain = $3, dkim_selector = $4, \
           dkim_key_enc = $5, version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND version = $6 \
         RETURNING from_address, dkim_domain, dkim_selector, dkim_key_enc, version"
    };
    let row: Option<MailSettings> = sqlx::query_as(sql)
        .bind(tx.tenant_id().as_uuid())
        .bind(&s.from_address)
        .bind(&s.dkim_domain)
        .bind(&s.dkim_selector)
        .bind(&s.dkim_key_enc)
        .bind(s.version)
        .fetch_optional(tx.conn())
        .await?;
    match row {
        Some(r) => Ok(r),
        None => {
            let current = settings(tx).await?.version;
            Err(stale_or_missing(Some(current), "mail settings", s.version))
        }
    }
}

/// The tenant's providers, in failover order.
pub async fn providers(tx: &mut TenantTx) -> Result<Vec<SmtpProvider>> {
    Ok(sqlx::query_as(
        "SELECT id, position, name, url_enc, created_at FROM notification_smtp_providers \
         WHERE tenant_id = $1 ORDER BY position",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_all(tx.conn())
    .await?)
}

/// Adds a provider after the others.
pub async fn provider_add(tx: &mut TenantTx, name: &str, url_enc: &[u8]) -> Result<SmtpProvider> {
    Ok(sqlx::query_as(
        "INSERT INTO notification_smtp_providers (tenant_id, id, position, name, url_enc) \
         SELECT $1, $2, COALESCE(max(position), 0) + 1, $3, $4 FROM notification_smtp_providers WHERE tenant_id = $1 \
         RETURNING id, position, name, url_enc, created_at",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(url_enc)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn provider_remove(tx: &mut TenantTx, id: Uuid) -> Result<SmtpProvider> {
    let p = sqlx::query_as(
        "DELETE FROM notification_smtp_providers WHERE tenant_id = $1 AND id = $2 \
         RETURNING id, position, name, url_enc, created_at",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    ok_or_not_found(p, "SMTP provider")
}

/// Records that an address no longer wants a topic (idempotent).
pub async fn suppress(tx: &mut TenantTx, address: &str, topic: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO notification_suppressions (tenant_id, address, topic) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(address)
    .bind(topic)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An address that asked, through a one-click link, to receive a topic no more.
#[derive(Debug, Clone, FromRow)]
pub struct Suppression {
    pub address: String,
    pub topic: String,
    pub created_at: DateTime<Utc>,
}

/// The tenant's suppressions, newest first; `address` filters by substring.
pub async fn suppressions(
    tx: &mut TenantTx,
    address: Option<&str>,
    limit: i64,
) -> Result<Vec<Suppression>> {
    Ok(sqlx::query_as(
        "SELECT address, topic, created_at FROM notification_suppressions \
         WHERE tenant_id = $1 AND ($2::text IS NULL OR strpos(lower(address), lower($2)) > 0) \
         ORDER BY created_at DESC, address, topic LIMIT $3",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(address)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Lifts a suppression; not found when there is none.
pub async fn unsuppress(tx: &mut TenantTx, address: &str, topic: &str) -> Result<Suppression> {
    let s = sqlx::query_as(
        "DELETE FROM notification_suppressions WHERE tenant_id = $1 AND address = $2 \
         AND topic = $3 RETURNING address, topic, created_at",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(address)
    .bind(topic)
    .fetch_optional(tx.conn())
    .await?;
    ok_or_not_found(s, "suppression")
}
