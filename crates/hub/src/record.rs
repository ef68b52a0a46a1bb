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
    tsunagi_db::repo::notifications::fail_pending_of_endpoint(tx, id, "endpoint disabled").await?;
    let entry = AuditEntry::new("webhook_endpoint.disable", "webhook_endpoint", id)
        .before(json!({"status": "enabled"}))
        .after(json!({"status": "disabled", "reason": reason}));
    let ev = DomainEvent::new(
        tx.tenant_id(),
        Event::WebhookEndpointDisabled(WebhookEndpointDisabled {
            endpoint_id: id,
            url: tsunagi_core::disclosure::url_shown(&url),
            reason: reason.to_owned(),
            failing_since,
        }),
    );
    audit_append(tx, &hub_actor(), entry, Some(&ev))?;
    Ok(true)
}

/// What one attempt's outcome makes of its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub status: &'static str,
    pub next: Option<chrono::DateTime<Utc>>,
    pub reason: Option<String>,
    pub code: Option<u16>,
    pub error: Option<String>,
    pub provider: Option<String>,
}

/// Delivered; pending again after the schedule's next delay (not before the receiver's
/// `Retry-After`, capped); or failed when the schedule is exhausted or the failure is
/// permanent.
pub fn next_step(
    cfg: &crate::HubConfig,
    d: &Delivery,
    o: &Outcome,
    now: chrono::DateTime<Utc>,
) -> Step {
    let attempt = d.attempts + 1;
    match o {
        Outcome::Delivered { provider, code } => Step {
            status: "delivered",
            next: None,
            reason: None,
            code: *code,
            error: None,
            provider: provider.clone(),
        },
        Outcome::Retry {
            error,
            code,
            retry_after,
        } => match cfg.delay_before(usize::try_from(attempt - d.schedule_base).unwrap_or(0) + 1) {
            Some(delay) => {
                let cap = Duration::from_secs(cfg.max_retry_after_secs);
                let wait = retry_after.map_or(delay, |r| delay.max(r.min(cap)));
                Step {
                    status: "pending",
                    next: Some(now + chrono::Duration::from_std(wait).unwrap_or_default()),
                    reason: None,
                    code: *code,
                    error: Some(error.clone()),
                    provider: None,
                }
            }
            None => Step {
                status: "failed",
                next: None,
                reason: Some(format!("retries exhausted after {attempt} attempts")),
                code: *code,
                error: Some(error.clone()),
                provider: None,
            },
        },
        Outcome::Permanent { error, code, .. } => Step {
            status: "failed",
            next: None,
            reason: Some(error.clone()),
            code: *code,
            error: Some(error.clone()),
            provider: None,
        },
    }
}

/// The delivery on the rule's fallback channel of one that failed for good.
fn fallback(d: &Delivery, fc: &str) -> NewDelivery {
    NewDelivery {
        event_id: d.event_id,
        topic: d.topic.clone(),
        channel: match fc {
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
    }
}

/// A batch's attempts as columns, for the two set-based statements that record them.
#[derive(Default)]
struct Columns {
    ids: Vec<Uuid>,
    nums: Vec<i32>,
    durs: Vec<i32>,
    outs: Vec<String>,
    codes: Vec<Option<i32>>,
    errs: Vec<Option<String>>,
    provs: Vec<Option<String>>,
    statuses: Vec<String>,
    nexts: Vec<Option<chrono::DateTime<Utc>>>,
    reasons: Vec<Option<String>>,
}

impl Columns {
    fn push(&mut self, d: &Delivery, o: &Outcome, dur: Duration, s: Step) {
        self.ids.push(d.id);
        self.nums.push(d.attempts + 1);
        self.durs
            .push(i32::try_from(dur.as_millis()).unwrap_or(i32::MAX));
        self.outs.push(o.name().to_owned());
        self.codes.push(s.code.map(i32::from));
        self.errs.push(s.error);
        self.provs.push(s.provider);
        self.statuses.push(s.status.to_owned());
        self.nexts.push(s.next);
        self.reasons.push(s.reason);
    }

    async fn write(&self, tx: &mut TenantTx) -> Result<()> {
        sqlx::query(
            "INSERT INTO hub_attempts (tenant_id, delivery_id, n, duration_ms, outcome, status_code, error, provider) \
             SELECT app_tenant(), * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[])",
        )
        .bind(&self.ids).bind(&self.nums).bind(&self.durs).bind(&self.outs).bind(&self.codes).bind(&self.errs).bind(&self.provs)
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
        .bind(&self.ids).bind(&self.nums).bind(&self.statuses).bind(&self.nexts).bind(&self.errs).bind(&self.provs).bind(&self.reasons)
        .execute(tx.conn())
        .await?;
        Ok(())
    }
}

/// Endpoints' health after a batch: a success clears `failing_since`; a failure starts it;
/// 410 Gone, or failing past the window, disables the endpoint (with its alert).
async fn endpoint_health(
    hub: &Hub,
    tx: &mut TenantTx,
    results: &[(Delivery, Outcome, Duration)],
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let (mut ok_eps, mut bad_eps, mut gone_eps) = (Vec::new(), Vec::new(), Vec::new());
    for (d, o, _) in results {
        if let Some(ep) = d.endpoint_id {
            match o {
                Outcome::Delivered { .. } => ok_eps.push(ep),
                Outcome::Permanent { gone: true, .. } => gone_eps.push(ep),
                _ => bad_eps.push(ep),
            }
        }
    }
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
        if disable_endpoint(tx, id, &reason).await? {
            tracing::warn!(tenant_id = %tx.tenant_id(), endpoint_id = %id, reason, "webhook endpoint disabled");
        }
    }
    Ok(())
}

/// Records one tenant's batch of attempts in one transaction; returns the fallback
/// deliveries to attempt.
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
    let mut cols = Columns::default();
    let mut fallbacks = Vec::new();
    for (d, o, dur) in &results {
        let step = next_step(&hub.cfg, d, o, now);
        if step.status == "failed"
            && let Some(fc) = &d.fallback_channel
        {
            fallbacks.push(fallback(d, fc));
        }
        cols.push(d, o, *dur, step);
    }
    cols.write(&mut tx).await?;
    endpoint_health(hub, &mut tx, &results, now).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(attempts: i32) -> Delivery {
        Delivery {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            event_id: Uuid::nil(),
            topic: "plan.created".into(),
            channel: "webhook".into(),
            recipient: "x".into(),
            user_id: None,
            endpoint_id: None,
            locale: None,
            subject: String::new(),
            body: String::new(),
            critical: false,
            status: "pending".into(),
            attempts,
            schedule_base: 0,
            fallback_channel: None,
        }
    }

    #[test]
    fn outcomes_follow_the_schedule_and_retry_after() {
        let cfg = crate::config::tests::sample();
        let now = Utc::now();
        let retry = |after: Option<u64>| Outcome::Retry {
            error: "503".into(),
            code: Some(503),
            retry_after: after.map(Duration::from_secs),
        };
        // The second attempt waits the schedule's 5 s, or the receiver's longer Retry-After.
        let s = next_step(&cfg, &delivery(1), &retry(None), now);
        assert_eq!(
            (s.status, s.next),
            ("pending", Some(now + chrono::Duration::seconds(300)))
        );
        let s = next_step(&cfg, &delivery(0), &retry(Some(60)), now);
        assert_eq!(s.next, Some(now + chrono::Duration::seconds(60)));
        // Past the schedule, the delivery fails for good and says why.
        let s = next_step(&cfg, &delivery(8), &retry(None), now);
        assert_eq!(s.status, "failed");
        assert_eq!(
            s.reason.as_deref(),
            Some("retries exhausted after 9 attempts")
        );
        let p = Outcome::Permanent {
            error: "550".into(),
            code: Some(550),
            gone: false,
        };
        assert_eq!(next_step(&cfg, &delivery(0), &p, now).status, "failed");
        let ok = Outcome::Delivered {
            provider: Some("smtp".into()),
            code: Some(250),
        };
        assert_eq!(
            next_step(&cfg, &delivery(0), &ok, now).provider.as_deref(),
            Some("smtp")
        );
    }
}
