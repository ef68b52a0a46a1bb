//! The topic catalog and the tenant's templates: what each topic of the event contract
//! carries (its example and JSON Schema) and says by default, previews rendered exactly as
//! the hub renders them (the topic's real payload type, the tenant's time zone, both
//! languages), and the tenant's own templates, refused when they do not render.

use super::CHANNELS;
use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::{Value, json};
use tsunagi_core::events::{self as ev, Criticality, Event, Topic};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::notifications::{self as admin, TemplateRow};
use tsunagi_hub::message::{self, TenantInfo};
use tsunagi_hub::render::{self, Env, Lang};
use tsunagi_hub::{Envelope, defaults, topics};

/// A topic of the contract, for the console and integrators.
#[derive(Debug, Clone)]
pub struct TopicInfo {
    pub topic: Topic,
    /// Whether its alerts are (or can be) critical; `critical_when` says when.
    pub critical: bool,
    pub critical_when: Option<&'static str>,
    pub digested: bool,
    /// The example payload, as written.
    pub sample: Value,
    /// The JSON Schema of its payload.
    pub schema: Value,
    /// The shipped (subject, body) in Japanese and in English.
    pub shipped_ja: (String, String),
    pub shipped_en: (String, String),
}

pub async fn topic_catalog(app: &App, ctx: &Ctx) -> Result<Vec<TopicInfo>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    Ok(Topic::ALL
        .iter()
        .map(|t| {
            let (critical, critical_when) = match t.criticality() {
                Criticality::Always => (true, None),
                Criticality::Never => (false, None),
                Criticality::When(w) => (true, Some(w)),
            };
            TopicInfo {
                topic: *t,
                critical,
                critical_when,
                digested: topics::is_digested(*t),
                sample: t.example().to_payload(),
                schema: ev::schema::payload_schema(*t),
                shipped_ja: shipped_template(t.as_str(), Lang::Ja),
                shipped_en: shipped_template(t.as_str(), Lang::En),
            }
        })
        .collect())
}

/// The shipped template for (topic, language), as a starting point.
pub fn shipped_template(key: &str, lang: Lang) -> (String, String) {
    let t = defaults::find(key).or_else(|| defaults::find("*"));
    t.map(|t| t.text(lang))
        .map(|(s, b)| (s.to_owned(), b.to_owned()))
        .unwrap_or_default()
}

pub async fn templates(app: &App, ctx: &Ctx, topic: Option<&str>) -> Result<Vec<TemplateRow>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::templates(&mut tx, topic).await?;
    tx.commit().await?;
    Ok(r)
}

#[derive(Debug, Clone)]
pub struct TemplateInput {
    /// A topic, or `<topic>#digest` for the digest of a digested topic.
    pub topic: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
}

/// The topic a template key is for (`quota.threshold_reached#digest` → the quota topic).
fn topic_of(key: &str) -> Option<Topic> {
    match key.strip_suffix("#digest") {
        Some(base) => Topic::parse(base).filter(|t| topics::is_digested(*t)),
        None => Topic::parse(key),
    }
}

/// Renders a template against the topic's example payload, or `data` (which must be a
/// payload of the topic: it is read with the topic's type first). Errors name the field
/// (`input.subject`, `input.body`, `data`) and the problem, e.g. the value the payload lacks.
pub async fn preview(
    app: &App,
    ctx: &Ctx,
    input: &TemplateInput,
    data: Option<Value>,
) -> Result<(String, String)> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let info = message::tenant_info(&mut tx).await?;
    tx.commit().await?;
    render_preview(app, &info, input, data)
}

fn render_preview(
    app: &App,
    info: &TenantInfo,
    input: &TemplateInput,
    data: Option<Value>,
) -> Result<(String, String)> {
    let mut v = Validator::new();
    let topic = topic_of(&input.topic);
    v.check(
        topic.is_some(),
        "input.topic",
        "a topic (see notificationTopics), or `<topic>#digest` for a digested topic",
    );
    v.check(
        CHANNELS.contains(&input.channel.as_str()),
        "input.channel",
        "email or console",
    );
    v.check(
        input.locale == "ja" || input.locale == "en",
        "input.locale",
        "ja or en",
    );
    v.finish()?;
    let Some(topic) = topic else {
        return Err(Error::invalid("input.topic", "not a topic"));
    };
    let event = match data {
        None => topic.example(),
        Some(mut d) => {
            if let Some(o) = d.as_object_mut() {
                o.entry("schemaVersion").or_insert(json!(topic.version()));
            }
            Event::decode(topic, &d).map_err(|e| Error::invalid("data", e))?
        }
    };
    let ev = Envelope::of(info.id, &event);
    let mut c = message::context(&app.config.portal_url, info, &ev, Some(&event), "山田 太郎");
    c["items"] = json!([ev.payload.clone(), ev.payload]);
    c["count"] = json!(2);
    let env = Env {
        lang: Lang::of(&input.locale),
        tz: info.tz,
    };
    render::engine()
        .check_source(&input.subject, &input.body, &c, env)
        .map_err(|errs| {
            let mut v = Validator::new();
            for e in errs {
                v.push(e.part.field(), e.message);
            }
            v.finish()
                .err()
                .unwrap_or_else(|| Error::internal("no render error"))
        })
}

pub async fn set_template(app: &App, ctx: &Ctx, input: TemplateInput) -> Result<TemplateRow> {
    app.authz
        .check(&ctx.principal, "notification", "update")
        .await?;
    let mut v = Validator::new();
    v.check(
        (1..=300).contains(&input.subject.chars().count()),
        "input.subject",
        "1 to 300 characters",
    );
    v.check(
        (1..=20000).contains(&input.body.chars().count()),
        "input.body",
        "1 to 20,000 characters",
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let info = message::tenant_info(&mut tx).await?;
    render_preview(app, &info, &input, None)?;
    let row = admin::upsert_template(
        &mut tx,
        &TemplateRow {
            topic: input.topic,
            channel: input.channel,
            locale: input.locale,
            subject: input.subject,
            body: input.body,
            version: 0,
            updated_at: chrono::Utc::now(),
        },
    )
    .await?;
    let id = format!("{}/{}/{}", row.topic, row.channel, row.locale);
    let entry =
        AuditEntry::new("notification_template.set", "notification_template", &id).after(&row);
    let event = template_event(&row.topic, &row.channel, &row.locale, "set");
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(row)
}

fn template_event(topic: &str, channel: &str, locale: &str, change: &str) -> Event {
    Event::NotificationTemplateChanged(ev::NotificationTemplateChanged {
        topic: topic.to_owned(),
        channel: channel.to_owned(),
        locale: locale.to_owned(),
        change: change.to_owned(),
    })
}

pub async fn delete_template(
    app: &App,
    ctx: &Ctx,
    topic: &str,
    channel: &str,
    locale: &str,
) -> Result<bool> {
    app.authz
        .check(&ctx.principal, "notification", "delete")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let gone = admin::delete_template(&mut tx, topic, channel, locale).await?;
    if !gone {
        return Err(Error::not_found("notification template"));
    }
    let id = format!("{topic}/{channel}/{locale}");
    let entry = AuditEntry::new("notification_template.delete", "notification_template", &id);
    let event = template_event(topic, channel, locale, "deleted");
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(true)
}
