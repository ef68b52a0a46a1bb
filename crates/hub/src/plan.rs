//! From events to delivery rows, for one tenant's batch in one transaction: webhook
//! subscriptions and routing rules pick the targets; quota alerts are once-only; opt-outs
//! skip non-critical alerts; digestible alerts join a digest; everything else is rendered in
//! the recipient's language and created `pending`. Events already processed are left alone,
//! so a redelivered event never creates a second delivery.

use crate::recipients::{self, Person};
use crate::render::{Env, Lang, Template};
use crate::store::{self, Delivery, NewDelivery, Rule};
use crate::topics::{self, DEFAULT_RULES};
use crate::{Envelope, Hub, defaults};
use chrono::Utc;
use chrono_tz::Tz;
use serde_json::{Value, json};
use std::collections::HashMap;
use tsunagi_core::{Result, TenantId};
use tsunagi_db::{Scope, TenantTx};
use uuid::Uuid;

pub type Templates = HashMap<(String, String, String), (String, String)>;

/// The tenant facts a message needs.
#[derive(Debug, Clone)]
pub struct TenantInfo {
    pub name: String,
    pub locale: String,
    pub tz: Tz,
}

pub async fn tenant_info(tx: &mut TenantTx) -> Result<TenantInfo> {
    let id = tx.tenant_id();
    let name: String = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_one(tx.conn())
        .await?;
    let s = tsunagi_db::repo::tenants::effective_settings(tx, id).await?;
    Ok(TenantInfo {
        name,
        tz: s.tz(),
        locale: s.locale,
    })
}

/// The links a message offers as its next action.
pub fn links(portal: &str, line: Option<String>, data: &Value) -> Value {
    let p = portal.trim_end_matches('/');
    let id = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    json!({
        "portal": p,
        "payment_method": format!("{p}/billing/payment-method"),
        "invoices": format!("{p}/billing/invoices"),
        "line": line.map_or_else(|| format!("{p}/lines"), |l| format!("{p}/lines/{l}")),
        "lines": format!("{p}/lines"),
        "approvals": format!("{p}/approvals"),
        "incident": format!("{p}/incidents/{}", id("incident_id")),
        "order": format!("{p}/orders"),
        "webhooks": format!("{p}/settings/webhooks"),
    })
}

/// The rendering context of one event for one recipient.
pub fn context(hub_portal: &str, info: &TenantInfo, ev: &Envelope, recipient: &str) -> Value {
    let line = recipients::line_of(ev).map(|l| l.to_string());
    json!({
        "event": {"id": ev.id, "topic": ev.topic, "time": ev.created_at.to_rfc3339(),
                  "aggregate_type": ev.aggregate_type, "aggregate_id": ev.aggregate_id},
        "data": ev.payload,
        "tenant": {"name": info.name},
        "recipient": {"name": recipient},
        "links": links(hub_portal, line, &ev.payload),
    })
}

/// Renders (subject, body) with the tenant's template for (topic, channel, language), or the
/// shipped one; a tenant template that fails falls back to the shipped one.
pub fn render(
    templates: &Templates,
    info: &TenantInfo,
    topic: &str,
    channel: &str,
    lang: Lang,
    ctx: &Value,
) -> std::result::Result<(String, String), String> {
    let env = Env { lang, tz: info.tz };
    let run = |s: &str, b: &str| -> std::result::Result<(String, String), String> {
        Ok((
            Template::parse(s)?.render(ctx, env)?.trim().to_owned(),
            Template::parse(b)?.render(ctx, env)?,
        ))
    };
    let key = (topic.to_owned(), channel.to_owned(), lang.code().to_owned());
    if let Some((s, b)) = templates.get(&key) {
        match run(s, b) {
            Ok(r) => return Ok(r),
            Err(e) => {
                tracing::warn!(topic, error = %e, "tenant template failed; shipped template used")
            }
        }
    }
    let (s, b) = defaults::shipped(topic, lang.code());
    run(s, b)
}

fn webhook_body(ev: &Envelope, critical: bool) -> String {
    json!({
        "eventId": ev.id, "eventTime": ev.created_at, "eventType": ev.topic,
        "domain": ev.aggregate_type, "priority": if critical { "critical" } else { "normal" },
        "tenantId": ev.tenant_id, "correlationId": ev.request_id,
        "event": {"aggregateType": ev.aggregate_type, "aggregateId": ev.aggregate_id, "data": ev.payload},
    })
    .to_string()
}

fn default_rules() -> Vec<Rule> {
    DEFAULT_RULES
        .iter()
        .map(|r| Rule {
            topic: r.topic.into(),
            audience: r.audience.into(),
            role: r.role.map(Into::into),
            channel: r.channel.into(),
            fallback_channel: None,
        })
        .collect()
}

struct Target<'a> {
    ev: &'a Envelope,
    rule: &'a Rule,
    person: Option<Person>,
    duplicate: bool,
    critical: bool,
}

/// Marks processed, plans and stores one tenant's events; returns the deliveries to attempt.
pub async fn process_tenant(hub: &Hub, tenant: Uuid, events: &[Envelope]) -> Result<Vec<Delivery>> {
    let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(tenant))).await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let fresh = store::take_unprocessed(&mut tx, &ids).await?;
    let events: Vec<&Envelope> = events.iter().filter(|e| fresh.contains(&e.id)).collect();
    if events.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let info = tenant_info(&mut tx).await?;
    let mut rules = store::rules(&mut tx).await?;
    if rules.is_empty() {
        rules = default_rules();
    }
    let endpoints = store::endpoint_routes(&mut tx).await?;
    let templates = store::templates(&mut tx).await?;
    let mut staff: HashMap<String, Vec<Person>> = HashMap::new();
    let mut rows: Vec<NewDelivery> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    const DUP: &str = "already alerted for this line, threshold and cycle";

    for ev in &events {
        let critical = topics::is_critical(&ev.topic, &ev.payload);
        let duplicate = match (ev.topic == topics::QUOTA, topics::quota_key(&ev.payload)) {
            (true, Some(k)) => !store::quota_mark(&mut tx, &k, ev.id).await?,
            _ => false,
        };
        for ep in endpoints
            .iter()
            .filter(|e| e.topics.iter().any(|f| topics::matches(f, &ev.topic)))
        {
            rows.push(NewDelivery {
                event_id: ev.id,
                topic: ev.topic.clone(),
                channel: "webhook".into(),
                recipient: ep.id.to_string(),
                user_id: None,
                endpoint_id: Some(ep.id),
                locale: None,
                subject: ev.topic.clone(),
                body: webhook_body(ev, critical),
                critical,
                status: if duplicate { "skipped" } else { "pending" },
                reason: duplicate.then(|| DUP.to_owned()),
                digest_id: None,
                fallback_channel: None,
                fallback_of: None,
            });
        }
        for rule in rules
            .iter()
            .filter(|r| topics::matches(&r.topic, &ev.topic))
        {
            let people = match (rule.audience.as_str(), &rule.role) {
                ("role", Some(role)) if rule.channel == "console" => vec![],
                ("role", Some(role)) => {
                    if !staff.contains_key(role) {
                        let p = recipients::staff(&mut tx, role).await?;
                        staff.insert(role.clone(), p);
                    }
                    staff[role].clone()
                }
                ("customer_admins", _) => match recipients::customer_of(&mut tx, ev).await? {
                    Some(c) => recipients::customer_admins(&mut tx, c).await?,
                    None => vec![],
                },
                ("customer_users", _) => match recipients::line_of(ev) {
                    Some(l) => recipients::line_users(&mut tx, l).await?,
                    None => vec![],
                },
                _ => vec![],
            };
            if rule.channel == "console" {
                targets.push(Target {
                    ev,
                    rule,
                    person: None,
                    duplicate,
                    critical,
                });
            }
            for p in people {
                targets.push(Target {
                    ev,
                    rule,
                    person: Some(p),
                    duplicate,
                    critical,
                });
            }
        }
    }

    let user_ids: Vec<Uuid> = targets
        .iter()
        .filter_map(|t| t.person.as_ref()?.user_id)
        .collect();
    let opted = store::opt_outs(&mut tx, &user_ids).await?;
    let now = Utc::now();
    let window = chrono::Duration::seconds(hub.cfg.digest_window_secs as i64);
    let mut digests: HashMap<String, Uuid> = HashMap::new();
    for t in targets {
        let (ev, critical) = (t.ev, t.critical);
        // Channel plugins render the e-mail templates (subject and body) and are never
        // digested; preferences (e-mail, console) do not apply to them.
        let channel: &str = match t.rule.channel.as_str() {
            "console" => "console",
            c if c.starts_with("plugin:") => c,
            _ => "email",
        };
        let plugin = channel.starts_with("plugin:");
        let template_channel = if plugin { "email" } else { channel };
        let (recipient, name, user_id, locale) = match &t.person {
            None => (
                format!("role:{}", t.rule.role.as_deref().unwrap_or("")),
                String::new(),
                None,
                info.locale.clone(),
            ),
            Some(p) => (
                p.email
                    .clone()
                    .unwrap_or_else(|| format!("user:{}", p.user_id.unwrap_or_default())),
                p.name.clone(),
                p.user_id,
                p.locale.clone().unwrap_or_else(|| info.locale.clone()),
            ),
        };
        let lang = Lang::of(&locale);
        let ctx = context(&hub.cfg.portal_url, &info, ev, &name);
        let (subject, body, render_err) =
            match render(&templates, &info, &ev.topic, template_channel, lang, &ctx) {
                Ok((s, b)) => (s, b, None),
                Err(e) => (
                    ev.topic.clone(),
                    String::new(),
                    Some(format!("template: {e}")),
                ),
            };
        let opted_out = user_id.is_some_and(|u| {
            [ev.topic.as_str(), "*"]
                .iter()
                .any(|tp| opted.contains(&(u, (*tp).to_owned(), channel.to_owned())))
        });
        let (status, reason) = if t.duplicate {
            ("skipped", Some(DUP.to_owned()))
        } else if let Some(e) = render_err {
            ("failed", Some(e))
        } else if channel == "email" && t.person.as_ref().is_some_and(|p| p.email.is_none()) {
            (
                "skipped",
                Some("recipient has no e-mail address".to_owned()),
            )
        } else if opted_out && !critical {
            (
                "skipped",
                Some("recipient opted out of this topic on this channel".to_owned()),
            )
        } else if channel == "console" {
            ("delivered", None)
        } else if topics::is_digested(&ev.topic) && !critical && !plugin {
            ("digested", None)
        } else {
            ("pending", None)
        };
        let mut row = NewDelivery {
            event_id: ev.id,
            topic: ev.topic.clone(),
            channel: channel.to_owned(),
            recipient,
            user_id,
            endpoint_id: None,
            locale: Some(lang.code().to_owned()),
            subject,
            body,
            critical,
            status,
            reason,
            digest_id: None,
            fallback_channel: t.rule.fallback_channel.clone(),
            fallback_of: None,
        };
        if status == "digested" {
            let threshold = ev
                .payload
                .get("threshold")
                .map(Value::to_string)
                .unwrap_or_default();
            let key = format!("{}|{threshold}|{channel}|{}", ev.topic, row.recipient);
            let id = match digests.get(&key) {
                Some(id) => *id,
                None => {
                    let id =
                        store::open_digest(&mut tx, &key, &row, lang.code(), now + window).await?;
                    digests.insert(key, id);
                    id
                }
            };
            row.digest_id = Some(id);
        }
        rows.push(row);
    }

    let lease = now + chrono::Duration::seconds(hub.cfg.lease_secs as i64);
    let created = store::insert_deliveries(&mut tx, &rows, lease).await?;
    for d in created
        .iter()
        .filter(|d| d.channel == "console" && d.status == "delivered")
    {
        store::notify_console(&mut tx, d).await?;
    }
    tx.commit().await?;
    Ok(created
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect())
}
