//! Notifications as tenants configure and inspect them: routing rules (which events reach
//! whom by which channel), each principal's own preferences, deliveries with their attempts
//! and replay. The topic catalog and templates are in `templates`, webhook endpoints in
//! `webhooks`. The hub
//! (tsunagi-hub) does the delivering; this module asks the authorizer, validates, and
//! records every change with its audit record and event.

pub mod alerts;
pub mod mail;
pub mod suppressions;
pub mod templates;
pub mod webhooks;

use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{self as ev, Criticality, Event, Topic};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::notifications as admin;
pub use tsunagi_db::repo::notifications::{
    AttemptRow, DeliveryFilter, DeliveryRow, EndpointRow, PreferenceRow, RuleRow, TemplateRow,
};
use uuid::Uuid;

pub(crate) const CHANNELS: &[&str] = &["email", "console"];

/// A routing channel: e-mail, console, or a channel plugin `plugin:<name>` (it runs the
/// plugin in force at hook `channel:<name>`).
fn routable(c: &str) -> bool {
    CHANNELS.contains(&c) || tsunagi_registry::Hook::for_channel(c).is_some()
}
const AUDIENCES: &[&str] = &["role", "customer_admins", "customer_users"];

/// A topic filter: `*`, a topic of the contract, or `prefix.*` matching at least one.
pub(crate) fn valid_filter(t: &str) -> bool {
    t == "*"
        || Topic::parse(t).is_some()
        || t.strip_suffix(".*").is_some_and(|p| {
            Topic::ALL
                .iter()
                .any(|topic| tsunagi_hub::topics::matches(&format!("{p}.*"), topic.as_str()))
        })
}

/// What a filter field must hold, for error messages.
pub(crate) const FILTER_RULE: &str =
    "`*`, a topic (see notificationTopics) or `prefix.*` matching at least one topic";

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
    v.check(valid_filter(&input.topic), "input.topic", FILTER_RULE);
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
    record_event(
        &mut tx,
        ctx,
        entry,
        Event::NotificationRuleCreated(rule_payload(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

fn rule_payload(r: &RuleRow) -> ev::NotificationRuleChanged {
    ev::NotificationRuleChanged {
        rule_id: r.id,
        topic: r.topic.clone(),
        audience: r.audience.clone(),
        role: r.role.clone(),
        channel: r.channel.clone(),
        fallback_channel: r.fallback_channel.clone(),
    }
}

pub async fn delete_rule(app: &App, ctx: &Ctx, id: Uuid) -> Result<RuleRow> {
    app.authz
        .check(&ctx.principal, "notification", "delete")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let row = admin::delete_rule(&mut tx, id).await?;
    let entry = AuditEntry::new("notification_rule.delete", "notification_rule", id).before(&row);
    record_event(
        &mut tx,
        ctx,
        entry,
        Event::NotificationRuleDeleted(rule_payload(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
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
    let parsed = Topic::parse(topic);
    v.check(
        topic == "*" || parsed.is_some(),
        "input.topic",
        "a topic (see notificationTopics) or `*`",
    );
    v.check(
        CHANNELS.contains(&channel),
        "input.channel",
        "email or console",
    );
    // A topic critical only sometimes (a suspension is a kind of line.status_changed) may be
    // opted out of; its critical events are delivered whatever the preference.
    let always = parsed.is_some_and(|t| t.criticality() == Criticality::Always);
    v.check(
        !(opted_out && always),
        "input.topic",
        format!("{topic} is critical and is always delivered"),
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let row = admin::set_preference(&mut tx, user, topic, channel, opted_out).await?;
    let entry = AuditEntry::new("notification_preference.set", "user", user).after(&row);
    let event = Event::NotificationPreferenceChanged(ev::NotificationPreferenceChanged {
        user_id: user,
        topic: topic.to_owned(),
        channel: channel.to_owned(),
        opted_out,
    });
    record_event(&mut tx, ctx, entry, event).await?;
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
    let event = Event::DeliveryReplayed(ev::DeliveryReplayed {
        delivery_id: Some(id),
        endpoint_id: None,
        count: 1,
    });
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(after)
}
