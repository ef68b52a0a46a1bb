//! Digests: when a digest's window closes, its collected alerts go out as one message (the
//! topic's `#digest` template listing every item; the plain template if only one arrived).

use crate::dispatch::Sender;
use crate::render::Lang;
use crate::store::{self, Delivery, NewDelivery};
use crate::{Hub, defaults, message};
use serde_json::json;
use std::time::Duration;
use tsunagi_core::events::{Event, Topic};
use tsunagi_core::{Result, TenantId};
use tsunagi_db::{Scope, TenantTx};
use uuid::Uuid;

type DigestRow = (String, String, String, Option<Uuid>, String);

/// Turns one due digest into its delivery; returns it if it is to be attempted.
pub async fn flush(hub: &Hub, tenant: Uuid, id: Uuid) -> Result<Vec<Delivery>> {
    let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(tenant))).await?;
    let row: Option<DigestRow> = sqlx::query_as(
        "SELECT topic, channel, recipient, user_id, locale FROM hub_digests \
         WHERE tenant_id = app_tenant() AND id = $1 AND status = 'open' FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((topic, channel, recipient, user_id, locale)) = row else {
        tx.commit().await?;
        return Ok(Vec::new());
    };
    let events = store::digest_events(&mut tx, id).await?;
    sqlx::query(
        "UPDATE hub_digests SET status = 'flushed' WHERE tenant_id = app_tenant() AND id = $1",
    )
    .bind(id)
    .execute(tx.conn())
    .await?;
    let Some(first) = events.first() else {
        tx.commit().await?;
        return Ok(Vec::new());
    };
    let info = message::tenant_info(&mut tx).await?;
    let templates = store::templates(&mut tx).await?;
    let name: String = match user_id {
        Some(u) => sqlx::query_scalar(
            "SELECT display_name FROM users WHERE tenant_id = app_tenant() AND id = $1",
        )
        .bind(u)
        .fetch_optional(tx.conn())
        .await?
        .unwrap_or_default(),
        None => String::new(),
    };
    let lang = Lang::of(&locale);
    let event = Topic::parse(&first.topic).and_then(|t| Event::decode(t, &first.payload).ok());
    let mut ctx = message::context(&hub.cfg.portal_url, &info, first, event.as_ref(), &name);
    ctx["items"] = json!(events.iter().map(|e| e.payload.clone()).collect::<Vec<_>>());
    ctx["count"] = json!(events.len());
    let key = if events.len() == 1 {
        topic.clone()
    } else {
        defaults::digest_topic(&topic)
    };
    let (subject, body, status, reason) =
        match message::render(&templates, &info, &key, &channel, lang, &ctx) {
            Ok((s, b)) => (s, b, "pending", None),
            Err(e) => (
                topic.clone(),
                String::new(),
                "failed",
                Some(format!("template: {e}")),
            ),
        };
    let d = NewDelivery {
        event_id: id,
        topic,
        channel: if channel == "console" {
            "console".into()
        } else {
            "email".into()
        },
        recipient,
        user_id,
        endpoint_id: None,
        locale: Some(lang.code().to_owned()),
        subject,
        body,
        critical: false,
        status,
        reason,
        digest_id: Some(id),
        fallback_channel: None,
        fallback_of: None,
    };
    let lease = chrono::Utc::now() + chrono::Duration::seconds(hub.cfg.lease_secs as i64);
    let created = store::insert_deliveries(&mut tx, &[d], lease).await?;
    tx.commit().await?;
    Ok(created
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect())
}

pub async fn run(hub: Hub, sender: Sender) {
    let every = Duration::from_millis(hub.cfg.dispatch_interval_ms.max(100));
    loop {
        let due: std::result::Result<Vec<(Uuid, Uuid)>, sqlx::Error> =
            sqlx::query_as("SELECT * FROM hub_due_digests(100)")
                .fetch_all(hub.db.pool())
                .await;
        match due {
            Ok(due) => {
                for (tenant, id) in due {
                    match flush(&hub, tenant, id).await {
                        Ok(ds) if !ds.is_empty() => {
                            if sender.send(ds).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(tenant_id = %tenant, digest = %id, error = %e.detail(), "digest flush failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "digest scan failed"),
        }
        tokio::time::sleep(every).await;
    }
}
