//! Notifications as tenants configure and inspect them: routing rules (which events reach
//! whom by which channel), templates with preview, each principal's own preferences,
//! deliveries with their attempts and replay. Webhook endpoints are in `webhooks`. The hub
//! (tsunagi-hub) does the delivering; this module asks the authorizer, validates, and
//! records every change with its audit record and event.

pub mod webhooks;

use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::{Value, json};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_hub::admin;
pub use tsunagi_hub::admin::{
    AttemptRow, DeliveryFilter, DeliveryRow, EndpointRow, PreferenceRow, RuleRow, TemplateRow,
};
use tsunagi_hub::render::{Lang, Template};
use tsunagi_hub::topics;
use uuid::Uuid;

const CHANNELS: &[&str] = &["email", "console"];

/// A routing channel: e-mail, console, or a channel plugin `plugin:<name>` (it runs the
/// plugin in force at hook `channel:<name>`).
fn routable(c: &str) -> bool {
    CHANNELS.contains(&c) || tsunagi_registry::Hook::for_channel(c).is_some()
}
const AUDIENCES: &[&str] = &["role", "customer_admins", "customer_users"];

/// A topic the hub knows, for the admin console.
#[derive(Debug, Clone)]
pub struct TopicInfo {
    pub topic: &'static str,
    pub critical: bool,
    pub digested: bool,
    pub sample: Value,
}

pub fn topic_catalog() -> Vec<TopicInfo> {
    topics::KNOWN
        .iter()
        .map(|t| {
            let sample = topics::sample_payload(t);
            TopicInfo {
                topic: t,
                critical: topics::is_critical(t, &sample),
                digested: topics::is_digested(t),
                sample,
            }
        })
        .collect()
}

fn valid_filter(t: &str) -> bool {
    t == "*"
        || (t.len() <= 100
            && t.trim_end_matches(".*")
                .split('.')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')))
}

pub async fn rules(app: &App, ctx: &Ctx) -> Result<Vec<RuleRow>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::rules(&mut tx).await?;
    tx.commit().await?;
    Ok(r)
}

#[derive(Debug, Clone)]
pub struct RuleInput {
    pub topic: String,
    pub audience: String,
    pub role: Option<String>,
    pub channel: String,
    pub fallback_channel: Option<String>,
}

pub async fn create_rule(app: &App, ctx: &Ctx, input: RuleInput) -> Result<RuleRow> {
    app.authz
        .check(&ctx.principal, "notification", "create")
        .await?;
    let mut v = Validator::new();
    v.check(
        valid_filter(&input.topic),
        "input.topic",
        "a topic, `prefix.*` or `*`",
    );
    v.check(
        AUDIENCES.contains(&input.audience.as_str()),
        "input.audience",
        format!("one of {}", AUDIENCES.join(", ")),
    );
    v.check(
        (input.audience == "role") == input.role.is_some(),
        "input.role",
        "required exactly when the audience is `role`",
    );
    if let Some(r) = &input.role {
        v.check(!r.is_empty() && r.len() <= 64, "input.role", "a role name");
    }
    v.check(
        routable(&input.channel),
        "input.channel",
        "email, console or plugin:<name> (a channel plugin's hook channel:<name>)",
    );
    v.check(
        input.channel != "console" || input.audience == "role",
        "input.channel",
        "console alerts go to staff roles only",
    );
    if let Some(f) = &input.fallback_channel {
        v.check(
            routable(f) && *f != input.channel,
            "input.fallbackChannel",
            "another channel than the primary",
        );
    }
    v.finish()?;
    let row = RuleRow {
        id: Uuid::now_v7(),
        topic: input.topic,
        audience: input.audience,
        role: input.role,
        channel: input.channel,
        fallback_channel: input.fallback_channel,
        created_at: chrono::Utc::now(),
    };
    let mut tx = app.tx(ctx).await?;
    admin::insert_rule(&mut tx, &row).await?;
    let entry =
        AuditEntry::new("notification_rule.create", "notification_rule", row.id).after(&row);
    record_event(&mut tx, ctx, entry, "notification_rule.created").await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete_rule(app: &App, ctx: &Ctx, id: Uuid) -> Result<RuleRow> {
    app.authz
        .check(&ctx.principal, "notification", "delete")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let row = admin::delete_rule(&mut tx, id).await?;
    let entry = AuditEntry::new("notification_rule.delete", "notification_rule", id).before(&row);
    record_event(&mut tx, ctx, entry, "notification_rule.deleted").await?;
    tx.commit().await?;
    Ok(row)
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
    pub topic: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
}

/// Renders a template (or the shipped one) against sample data. Errors name the field
/// (`input.subject` / `input.body`) and the problem, e.g. a value the data lacks.
pub fn preview(app: &App, input: &TemplateInput, data: Option<Value>) -> Result<(String, String)> {
    let mut v = Validator::new();
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
    v.check(
        valid_filter(&input.topic) && !input.topic.contains('*'),
        "input.topic",
        "a topic",
    );
    v.finish()?;
    let lang = Lang::of(&input.locale);
    let data =
        data.unwrap_or_else(|| topics::sample_payload(input.topic.trim_end_matches("#digest")));
    let info = tsunagi_hub::plan::TenantInfo {
        name: "Tsunagi".into(),
        locale: input.locale.clone(),
        tz: chrono_tz::Asia::Tokyo,
    };
    let ev = tsunagi_hub::Envelope {
        tenant_id: Uuid::nil(),
        id: Uuid::nil(),
        seq: 0,
        topic: input.topic.clone(),
        aggregate_type: "sample".into(),
        aggregate_id: "sample".into(),
        payload: data.clone(),
        request_id: None,
        created_at: chrono::Utc::now(),
    };
    let mut ctx = tsunagi_hub::plan::context(&app.config.portal_url, &info, &ev, "山田 太郎");
    ctx["items"] = json!([data.clone(), data]);
    ctx["count"] = json!(2);
    let env = tsunagi_hub::render::Env { lang, tz: info.tz };
    let mut v = Validator::new();
    let mut out = Vec::new();
    for (field, src) in [
        ("input.subject", &input.subject),
        ("input.body", &input.body),
    ] {
        match Template::parse(src).and_then(|t| t.render(&ctx, env)) {
            Ok(s) => out.push(s),
            Err(e) => v.push(field, e),
        }
    }
    v.finish()?;
    Ok((out[0].trim().to_owned(), out[1].clone()))
}

/// The shipped template for (topic, language), as a starting point.
pub fn shipped_template(topic: &str, locale: &str) -> (String, String) {
    let (s, b) = tsunagi_hub::defaults::shipped(topic, if locale == "en" { "en" } else { "ja" });
    (s.to_owned(), b.to_owned())
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
    preview(app, &input, None)?;
    let mut tx = app.tx(ctx).await?;
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
    record_event(&mut tx, ctx, entry, "notification_template.changed").await?;
    tx.commit().await?;
    Ok(row)
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
    record_event(&mut tx, ctx, entry, "notification_template.changed").await?;
    tx.commit().await?;
    Ok(true)
}

fn own_user(ctx: &Ctx) -> Result<Uuid> {
    ctx.principal
        .user_id()
        .map(|u| u.as_uuid())
        .ok_or_else(|| Error::forbidden("preferences belong to signed-in users"))
}

pub async fn my_preferences(app: &App, ctx: &Ctx) -> Result<Vec<PreferenceRow>> {
    app.authz
        .check(&ctx.principal, "notification_preference", "read")
        .await?;
    let user = own_user(ctx)?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::preferences(&mut tx, user).await?;
    tx.commit().await?;
    Ok(r)
}

/// Opts the caller in or out of a topic (or `*`: every non-critical topic) on a channel.
pub async fn set_my_preference(
    app: &App,
    ctx: &Ctx,
    topic: &str,
    channel: &str,
    opted_out: bool,
) -> Result<PreferenceRow> {
    app.authz
        .check(&ctx.principal, "notification_preference", "update")
        .await?;
    let user = own_user(ctx)?;
    let mut v = Validator::new();
    v.check(
        topic == "*" || (valid_filter(topic) && !topic.contains('*')),
        "topic",
        "a topic or `*`",
    );
    v.check(CHANNELS.contains(&channel), "channel", "email or console");
    // Suspensions (a kind of line.status_changed) stay critical whatever the preference.
    let critical = topics::is_critical(topic, &json!({}));
    v.check(
        !(opted_out && critical),
        "topic",
        format!("{topic} is critical and is always delivered"),
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let row = admin::set_preference(&mut tx, user, topic, channel, opted_out).await?;
    let entry = AuditEntry::new("notification_preference.set", "user", user).after(&row);
    record_event(&mut tx, ctx, entry, "notification_preference.changed").await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn deliveries(app: &App, ctx: &Ctx, f: DeliveryFilter) -> Result<Vec<DeliveryRow>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::deliveries(&mut tx, &f).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn attempts(app: &App, ctx: &Ctx, delivery: Uuid) -> Result<Vec<AttemptRow>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::attempts(&mut tx, delivery).await?;
    tx.commit().await?;
    Ok(r)
}

/// Replays one failed or skipped delivery (same message id, fresh retry schedule).
pub async fn replay_delivery(app: &App, ctx: &Ctx, id: Uuid) -> Result<DeliveryRow> {
    app.authz
        .check(&ctx.principal, "notification", "replay")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let before = admin::delivery(&mut tx, id).await?;
    if admin::replay(&mut tx, Some(&[id]), None).await?.is_empty() {
        return Err(Error::conflict(format!(
            "delivery is {}; only failed or skipped deliveries are replayed",
            before.status
        )));
    }
    let after = admin::delivery(&mut tx, id).await?;
    let entry = AuditEntry::new("delivery.replay", "delivery", id)
        .before(json!({"status": before.status}))
        .after(json!({"status": after.status}));
    record_event(&mut tx, ctx, entry, "delivery.replayed").await?;
    tx.commit().await?;
    Ok(after)
}
