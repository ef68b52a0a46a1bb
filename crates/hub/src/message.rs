//! What a recipient receives for one event: the rendering context of a template (`event`,
//! `data`, `tenant`, `recipient`, `links`), the rendered (subject, body) with the tenant's
//! own template or the shipped one, and the TMF688 envelope a webhook POSTs.

use crate::Envelope;
use crate::render::{self, Env, Lang};
use chrono_tz::Tz;
use serde_json::{Value, json};
use std::collections::HashMap;
use tsunagi_core::Result;
use tsunagi_core::events::{Event, Topic};
use tsunagi_db::TenantTx;

/// A tenant's own templates by (topic, channel, locale) → (subject, body).
pub type Templates = HashMap<(String, String, String), (String, String)>;

/// The tenant facts a message needs.
#[derive(Debug, Clone)]
pub struct TenantInfo {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub locale: String,
    pub tz: Tz,
}

pub async fn tenant_info(tx: &mut TenantTx) -> Result<TenantInfo> {
    let id = tx.tenant_id();
    let (slug, name): (String, String) =
        sqlx::query_as("SELECT slug, name FROM tenants WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_one(tx.conn())
            .await?;
    let s = tsunagi_db::repo::tenants::effective_settings(tx, id).await?;
    Ok(TenantInfo {
        id: id.as_uuid(),
        slug,
        name,
        tz: s.tz(),
        locale: s.locale,
    })
}

/// The links a message offers as its next action, in the portal of the tenant.
pub fn links(portal: &str, event: Option<&Event>) -> Value {
    let p = portal.trim_end_matches('/');
    let facts = event.map(Event::facts);
    let line = facts.and_then(|f| f.line_id());
    let aggregate = facts.map(|f| f.aggregate_id()).unwrap_or_default();
    let of = |t: Topic| event.is_some_and(|e| e.topic().resource() == t.resource());
    json!({
        "portal": p,
        "paymentMethod": format!("{p}/billing/payment-method"),
        "invoices": format!("{p}/billing/invoices"),
        "line": line.map_or_else(|| format!("{p}/lines"), |l| format!("{p}/lines/{l}")),
        "lines": format!("{p}/lines"),
        "approvals": format!("{p}/approvals"),
        "incident": if of(Topic::IncidentOutage) { format!("{p}/incidents/{aggregate}") } else { format!("{p}/incidents") },
        "order": if of(Topic::OrderCompleted) { format!("{p}/orders/{aggregate}") } else { format!("{p}/orders") },
        "webhooks": format!("{p}/settings/webhooks"),
        "preferences": format!("{p}/settings/notifications"),
        "settings": format!("{p}/settings"),
        "plugins": format!("{p}/settings/plugins"),
        "catalog": format!("{p}/catalog"),
        "inventory": format!("{p}/inventory"),
        "customer": facts.and_then(|f| f.customer_id()).map_or_else(|| format!("{p}/customers"), |c| format!("{p}/customers/{c}")),
    })
}

/// The rendering context of one event for one recipient. `data` is the payload as written.
pub fn context(
    portal: &str,
    info: &TenantInfo,
    ev: &Envelope,
    event: Option<&Event>,
    recipient: &str,
) -> Value {
    json!({
        "event": {"id": ev.id, "topic": ev.topic, "time": ev.created_at.to_rfc3339(),
                  "aggregateType": ev.aggregate_type, "aggregateId": ev.aggregate_id,
                  "critical": event.is_some_and(Event::is_critical)},
        "data": ev.payload,
        "tenant": {"name": info.name, "slug": info.slug},
        "recipient": {"name": recipient},
        "links": links(portal, event),
    })
}

/// Renders (subject, body) with the tenant's template for (topic, channel, language), or the
/// shipped one; a tenant template that fails falls back to the shipped one.
pub fn render(
    templates: &Templates,
    info: &TenantInfo,
    key: &str,
    channel: &str,
    lang: Lang,
    ctx: &Value,
) -> std::result::Result<(String, String), render::RenderError> {
    let env = Env { lang, tz: info.tz };
    let engine = render::engine();
    let own = (key.to_owned(), channel.to_owned(), lang.code().to_owned());
    if let Some((s, b)) = templates.get(&own) {
        match engine.render_source(s, b, ctx, env) {
            Ok(r) => return Ok(r),
            Err(e) => {
                tracing::warn!(topic = key, error = %e, "tenant template failed; shipped template used")
            }
        }
    }
    engine.render_shipped(key, ctx, env)
}

/// The TMF688 hub/listener event a webhook carries (docs/events.md, envelope.json).
pub fn webhook_body(ev: &Envelope, info: &TenantInfo, critical: bool) -> String {
    let topic = Topic::parse(&ev.topic);
    let resource = topic.map_or_else(|| ev.aggregate_type.clone(), |t| t.resource().to_owned());
    json!({
        "eventId": ev.id,
        "eventType": ev.topic,
        "eventTime": ev.created_at,
        "correlationId": ev.request_id,
        "domain": topic.map_or("unknown", Topic::domain),
        "priority": if critical { "critical" } else { "normal" },
        "tenant": {"id": info.id, "slug": info.slug},
        "event": {resource: ev.payload},
    })
    .to_string()
}

/// The language a recipient reads.
pub fn lang_of(locale: Option<&str>, info: &TenantInfo) -> Lang {
    Lang::of(locale.unwrap_or(&info.locale))
}
