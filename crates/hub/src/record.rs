//! Recording attempts, in one tenant transaction per batch: the attempt rows, each
//! delivery's next state (delivered; pending again on the schedule, honouring Retry-After;
//! failed as a dead letter), the endpoints' health (failing since when; disabled on 410 or
//! after failing past the window, with an audited alert event), and fallback deliveries on
//! the rule's fallback channel when a delivery fails for good.

use crate::Hub;
use crate::channels::Outcome;
use crate::store::{self, Delivery, NewDelivery};
use chrono::Utc;
use serde_json::json;
use std::time::Duration;
use tsunagi_core::events::{DomainEvent, Event, WebhookEndpointDisabled};
use tsunagi_core::{Result, TenantId};
use tsunagi_db::audit::{AuditActor, AuditEntry, audit_append};
use tsunagi_db::{Scope, TenantTx};
use uuid::Uuid;

pub fn hub_actor() -> AuditActor {
    AuditActor {
        actor_type: "system".into(),
        actor_id: "notification-hub".into(),
        actor_label: "notification hub".into(),
        request_id: None,
    }
}

/// Disables an endpoint (if still enabled): its pending deliveries fail as dead letters, and
/// the change is audited with a `webhook.endpoint_disabled` event that alerts the tenant.
pub async fn disable_endpoint(tx: &mut TenantTx, id: Uuid, reason: &str) -> Result<bool> {
    let row: Option<(String, Option<chrono::DateTime<Utc>>)> = sqlx::query_as(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = now(), \
           version = version + 1, updated_at = now() \
         WHERE tenant_id = app_tenant() AND id = $1 AND status = 'enabled' RETURNING url, failing_since",
    )
    .bind(id)
    .bind(reason)
    .fetch_optional(tx.conn())
    .await?;
    let Some((url, failing_since)) = row else {
        return Ok(false);
    };
    store::fail_pending_of_endpoint(tx, id, "endpoint disabled").await?;
    let entry = AuditEntry::new("webhook_endpoint.disable", "webhook_endpoint", id)
        .before(json!({"status": "enabled"}))
        .after(json!({"status": "disabled", "reason": reason}));
    let ev = DomainEvent::new(
        tx.tenant_id(),
        Event::WebhookEndpointDisabled(WebhookEndpointDisabled {
            endpoint_id: id,
            url,
            reason: reason.to_owned(),
            failing_since,
        }),
    );
    audit_append(tx, &hub_actor(), entry, Some(&ev)).await?;
    Ok(true)
}

pub async fn record(
    hub: &Hub,
    tenant: Uuid,
    results: Vec<(Delivery, Outcome, Duration)>,
) -> Result<Vec<Delivery>> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let mut tx = TenantTx::begin(&hub.db, Scope::single(TenantId::from(tenant))).await?;
    let n = results.len();
    let (mut ids, mut nums, mut durs, mut outs, mut codes, mut errs, mut provs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut statuses, mut nexts, mut reasons) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut ok_eps, mut bad_eps, mut gone_eps) = (Vec::new(), Vec::new(), Vec::new());
    let mut fallbacks = Vec::new();
    for (d, o, dur) in &results {
        let attempt = d.attempts + 1;
        ids.push(d.id);
        nums.push(attempt);
        durs.push(i32::try_from(dur.as_millis()).unwrap_or(i32::MAX));
        outs.push(o.name().to_owned());
        let (status, next, reason, code, err, prov): (
            &str,
            Option<chrono::DateTime<Utc>>,
            Option<String>,
            _,
            _,
            _,
        ) = match o {
            Outcome::Delivered { provider, code } => {
                ("delivered", None, None, *code, None, provider.clone())
            }
            Outcome::Retry {
                error,
                code,
                retry_after,
            } => {
                match hub
                    .cfg
                    .delay_before(usize::try_from(attempt - d.schedule_base).unwrap_or(0) + 1)
                {
                    Some(delay) => {
                        let cap = Duration::from_secs(hub.cfg.max_retry_after_secs);
                        let wait = retry_after.map_or(delay, |r| delay.max(r.min(cap)));
                        let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
                        (
                            "pending",
                            Some(next),
                            None,
                            *code,
                            Some(error.clone()),
                            None,
                        )
                    }
                    None => (
                        "failed",
                        None,
                        Some(format!("retries exhausted after {attempt} attempts")),
                        *code,
                        Some(error.clone()),
                        None,
                    ),
                }
            }
            Outcome::Permanent { error, code, .. } => (
                "failed",
                None,
                Some(error.clone()),
                *code,
                Some(error.clone()),
                None,
            ),
        };
        codes.push(code.map(i32::from));
        errs.push(err);
        provs.push(prov);
        statuses.push(status.to_owned());
        nexts.push(next);
        reasons.push(reason);
        if let Some(ep) = d.endpoint_id {
            match o {
                Outcome::Delivered { .. } => ok_eps.push(ep),
                Outcome::Permanent { gone: true, .. } => gone_eps.push(ep),
                _ => bad_eps.push(ep),
            }
        }
        if status == "failed"
            && let Some(fc) = &d.fallback_channel
        {
            fallbacks.push(NewDelivery {
                event_id: d.event_id,
                topic: d.topic.clone(),
                channel: match fc.as_str() {
                    "console" => "console".into(),
                    c if c.starts_with("plugin:") => c.to_owned(),
                    _ => "email".into(),
                },
                recipient: match d.user_id {
                    Some(_) if fc.starts_with("plugin:") => d.recipient.clone(),
                    Some(u) => format!("user:{u}"),
                    None => format!("fallback:{}", d.recipient),
                },
                user_id: d.user_id,
                endpoint_id: None,
                locale: d.locale.clone(),
                subject: d.subject.clone(),
                body: d.body.clone(),
                critical: d.critical,
                status: if fc == "console" {
                    "delivered"
                } else {
                    "pending"
                },
                reason: Some(format!("fallback for {} delivery {}", d.channel, d.id)),
                digest_id: None,
                fallback_channel: None,
                fallback_of: Some(d.id),
            });
        }
    }
    sqlx::query(
        "INSERT INTO hub_attempts (tenant_id, delivery_id, n, duration_ms, outcome, status_code, error, provider) \
         SELECT app_tenant(), * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[])",
    )
    .bind(&ids).bind(&nums).bind(&durs).bind(&outs).bind(&codes).bind(&errs).bind(&provs)
    .execute(tx.conn())
    .await?;
    // `d.id = ANY($1)` repeats the join on purpose: it puts the ids into the primary-key
    // scan, so the plan never becomes "all of this tenant's deliveries" on stale statistics.
    sqlx::query(
        "UPDATE hub_deliveries d SET status = u.status, attempts = u.n, next_attempt_at = u.next, \
           last_error = coalesce(u.err, d.last_error), provider = coalesce(u.prov, d.provider), \
           reason = coalesce(u.reason, d.reason), updated_at = now(), \
           delivered_at = CASE WHEN u.status = 'delivered' THEN now() ELSE d.delivered_at END \
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[]) \
           AS u(id, n, status, next, err, prov, reason) \
         WHERE d.tenant_id = app_tenant() AND d.id = ANY($1) AND d.id = u.id",
    )
    .bind(&ids).bind(&nums).bind(&statuses).bind(&nexts).bind(&errs).bind(&provs).bind(&reasons)
    .execute(tx.conn())
    .await?;
    if !ok_eps.is_empty() {
        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE tenant_id = app_tenant() AND id = ANY($1) AND failing_since IS NOT NULL")
            .bind(&ok_eps)
            .execute(tx.conn())
            .await?;
    }
    let mut to_disable: Vec<(Uuid, String)> = gone_eps
        .iter()
        .map(|e| (*e, "the endpoint answered 410 Gone".to_owned()))
        .collect();
    if !bad_eps.is_empty() {
        let since = now - chrono::Duration::seconds(hub.cfg.endpoint_disable_after_secs as i64);
        let stale: Vec<(Uuid, chrono::DateTime<Utc>)> = sqlx::query_as(
            "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) \
             WHERE tenant_id = app_tenant() AND id = ANY($1) AND NOT (id = ANY($2)) RETURNING id, failing_since",
        )
        .bind(&bad_eps)
        .bind(&ok_eps)
        .fetch_all(tx.conn())
        .await?;
        to_disable.extend(
            stale
                .into_iter()
                .filter(|(_, f)| *f < since)
                .map(|(id, f)| (id, format!("failing since {}", f.to_rfc3339()))),
        );
    }
    for (id, reason) in to_disable {
        if disable_endpoint(&mut tx, id, &reason).await? {
            tracing::warn!(tenant_id = %tenant, endpoint_id = %id, reason, "webhook endpoint disabled");
        }
    }
    let lease = now + chrono::Duration::seconds(hub.cfg.lease_secs as i64);
    let created = store::insert_deliveries(&mut tx, &fallbacks, lease).await?;
    for d in created.iter().filter(|d| d.channel == "console") {
        store::notify_console(&mut tx, d).await?;
    }
    tx.commit().await?;
    Ok(created
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect())
}
