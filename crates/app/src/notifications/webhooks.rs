//! Webhook endpoints, the TMF688 way: an integrator registers a hub subscription (callback
//! URL and topic filter) and gets a signing secret once; secrets rotate with an overlap in
//! which both sign; endpoints are enabled, disabled (by hand, on 410, or after failing past
//! the window) and deleted; failed messages are replayed.

use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::notifications::{self as admin, EndpointRow};
use tsunagi_hub::{SECRET_PURPOSE, signing};
use uuid::Uuid;

fn guard(app: &App) -> tsunagi_hub::ssrf::Guard {
    tsunagi_hub::ssrf::Guard::new(&app.config.webhook_allow_private)
}

/// The event shape of an endpoint (`status` overrides the row's, e.g. `deleted`).
fn endpoint_payload(r: &EndpointRow, status: Option<&str>) -> ev::WebhookEndpointChanged {
    ev::WebhookEndpointChanged {
        endpoint_id: r.id,
        url: tsunagi_core::disclosure::url_shown(&r.url),
        topics: r.topics.clone(),
        status: status.unwrap_or(&r.status).to_owned(),
        previous_secret_until: r.previous_secret_until,
    }
}

pub async fn endpoints(app: &App, ctx: &Ctx) -> Result<Vec<EndpointRow>> {
    app.authz.check(&ctx.principal, "webhook", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::endpoints(&mut tx).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn endpoint(app: &App, ctx: &Ctx, id: Uuid) -> Result<EndpointRow> {
    app.authz.check(&ctx.principal, "webhook", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = admin::endpoint(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// Registers an endpoint; returns it with its secret, which is shown only this once.
pub async fn create(
    app: &App,
    ctx: &Ctx,
    url: &str,
    description: &str,
    topics: &[String],
) -> Result<(EndpointRow, String)> {
    app.authz.check(&ctx.principal, "webhook", "create").await?;
    let mut v = Validator::new();
    if let Err(e) = guard(app).check_url(url) {
        v.push("input.url", e);
    }
    v.check(
        !topics.is_empty() && topics.len() <= 50,
        "input.topics",
        "1 to 50 topic filters",
    );
    for (i, t) in topics.iter().enumerate() {
        v.check(
            super::valid_filter(t),
            &format!("input.topics[{i}]"),
            super::FILTER_RULE,
        );
    }
    v.check(
        description.chars().count() <= 500,
        "input.description",
        "at most 500 characters",
    );
    v.finish()?;
    let key = crate::crypto::data_key(app)?;
    let secret = signing::new_secret();
    let sealed = key.seal(ctx.principal.tenant_id, SECRET_PURPOSE, &secret)?;
    let id = Uuid::now_v7();
    let mut tx = app.tx(ctx).await?;
    let row = admin::insert_endpoint(&mut tx, id, url, description, topics, &sealed).await?;
    let entry = AuditEntry::new("webhook_endpoint.create", "webhook_endpoint", id).after(&row);
    let event = Event::WebhookEndpointCreated(endpoint_payload(&row, None));
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok((row, secret))
}

/// A new secret; the previous one keeps signing for `overlap_hours` (0–168).
pub async fn rotate_secret(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    version: i32,
    overlap_hours: i32,
) -> Result<(EndpointRow, String)> {
    app.authz.check(&ctx.principal, "webhook", "update").await?;
    let mut v = Validator::new();
    v.check(
        (0..=168).contains(&overlap_hours),
        "overlapHours",
        "0 to 168 hours",
    );
    v.finish()?;
    let key = crate::crypto::data_key(app)?;
    let secret = signing::new_secret();
    let sealed = key.seal(ctx.principal.tenant_id, SECRET_PURPOSE, &secret)?;
    let until = chrono::Utc::now() + chrono::Duration::hours(i64::from(overlap_hours));
    let mut tx = app.tx(ctx).await?;
    let row = admin::rotate_secret(&mut tx, id, version, &sealed, until).await?;
    let entry = AuditEntry::new("webhook_endpoint.rotate_secret", "webhook_endpoint", id)
        .after(json!({"previous_secret_until": until, "version": row.version}));
    let event = Event::WebhookEndpointSecretRotated(endpoint_payload(&row, None));
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok((row, secret))
}

pub async fn set_enabled(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    version: i32,
    enabled: bool,
) -> Result<EndpointRow> {
    app.authz.check(&ctx.principal, "webhook", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let before = admin::endpoint(&mut tx, id).await?;
    let row = admin::set_endpoint_enabled(&mut tx, id, version, enabled).await?;
    let entry = AuditEntry::new(
        if enabled {
            "webhook_endpoint.enable"
        } else {
            "webhook_endpoint.disable"
        },
        "webhook_endpoint",
        id,
    )
    .before(json!({"status": before.status, "disabled_reason": before.disabled_reason}))
    .after(json!({"status": row.status}));
    let event = Event::WebhookEndpointStatusChanged(endpoint_payload(&row, None));
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete(app: &App, ctx: &Ctx, id: Uuid) -> Result<EndpointRow> {
    app.authz.check(&ctx.principal, "webhook", "delete").await?;
    let mut tx = app.tx(ctx).await?;
    let row = admin::delete_endpoint(&mut tx, id).await?;
    let entry = AuditEntry::new("webhook_endpoint.delete", "webhook_endpoint", id).before(&row);
    let event = Event::WebhookEndpointDeleted(endpoint_payload(&row, Some("deleted")));
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(row)
}

/// Replays every failed message of an endpoint (after it was fixed and enabled again).
pub async fn replay_failed(app: &App, ctx: &Ctx, id: Uuid) -> Result<usize> {
    app.authz
        .check(&ctx.principal, "notification", "replay")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let ep = admin::endpoint(&mut tx, id).await?;
    if ep.status != "enabled" {
        return Err(Error::conflict(
            "enable the endpoint before replaying its messages",
        ));
    }
    let ids = admin::replay(&mut tx, None, Some(id)).await?;
    let entry = AuditEntry::new("webhook_endpoint.replay_failed", "webhook_endpoint", id)
        .after(json!({"replayed": ids.len()}));
    let event = Event::DeliveryReplayed(ev::DeliveryReplayed {
        delivery_id: None,
        endpoint_id: Some(id),
        count: ids.len() as i64,
    });
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    Ok(ids.len())
}
