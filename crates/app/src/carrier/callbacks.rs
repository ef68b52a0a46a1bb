//! Callbacks from the carrier: signed messages (Standard Webhooks, with the tenant's
//! callback secret) that say how a line is now, under the carrier's sequence number. A
//! callback is checked (signature, timestamp within the tolerance, a body the contract
//! reads, a line of this tenant) before anything changes; it is taken once per event id;
//! one older than the newest change we know of changes nothing (a late "activated" never
//! overrides a newer "suspended"). A callback that confirms an open step completes it
//! (the carrier's asynchronous answer); one that shows a line unlike our books is judged
//! by the reconciliation rules, like a reconciliation item of one line.

use super::reconcile;
use super::worker::step_done_at;
use crate::orders::carrier::{Answerer, answer_step};
use crate::{App, Ctx};
use tsunagi_carrier::CallbackEvent;
use tsunagi_core::{Error, Result, TenantId, signing};
use tsunagi_db::repo::carrier as repo;
use tsunagi_db::repo::contracts;
use tsunagi_db::repo::orders as jobs;
use uuid::Uuid;

/// Where a tenant's carrier sends callbacks, under the API's address.
pub fn path(tenant: Uuid) -> String {
    format!("/carrier/callbacks/{tenant}")
}

/// The signature headers of a callback.
#[derive(Debug, Clone, Default)]
pub struct Signed {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

/// Checks a signed message from the tenant's carrier (or SM-DP+): the signature with a
/// callback secret in force, the timestamp within the tolerance. Nothing is read before.
pub(crate) async fn verify(app: &App, tenant: TenantId, h: &Signed, body: &[u8]) -> Result<()> {
    let keys = super::settings::callback_keys(app, tenant).await?;
    if keys.is_empty() {
        return Err(Error::not_found("carrier callback receiver"));
    }
    let ts: i64 = h
        .timestamp
        .parse()
        .map_err(|_| Error::forbidden("webhook-timestamp: unix seconds required"))?;
    let skew = chrono::Utc::now().timestamp().abs_diff(ts);
    if skew > app.config.carrier.callback_tolerance_secs.unsigned_abs() {
        return Err(Error::forbidden(format!(
            "webhook-timestamp: {skew} s away from now, more than the {} s allowed (replayed or a wrong clock)",
            app.config.carrier.callback_tolerance_secs
        )));
    }
    let signed = |k: &Vec<u8>| signing::verify(k, &h.id, ts, body, &h.signature);
    if h.id.is_empty() || !keys.iter().any(signed) {
        return Err(Error::forbidden(
            "webhook-signature: does not match this tenant's callback secret",
        ));
    }
    Ok(())
}

/// Checks and applies one callback; returns what it did (`completed suspend`, `in sync`,
/// `stale: …`, `duplicate`, `drift: …`).
pub async fn receive(app: &App, tenant: Uuid, h: &Signed, body: &[u8]) -> Result<String> {
    let tenant = TenantId(tenant);
    verify(app, tenant, h, body).await?;
    let ev: CallbackEvent = serde_json::from_slice(body)
        .map_err(|e| Error::bad_request(format!("the body is not a carrier callback: {e}")))?;
    if ev.id != h.id {
        return Err(Error::bad_request("the body's id differs from webhook-id"));
    }
    if !matches!(ev.kind.as_str(), "line.updated" | "line.ported_out") {
        return Err(Error::invalid(
            "type",
            "must be line.updated or line.ported_out",
        ));
    }
    let Some(ctx) = Ctx::system(app, tenant, "system:carrier-callback").await? else {
        return Err(Error::not_found("carrier callback receiver"));
    };
    apply(app, &ctx, &ev, body).await
}

async fn apply(app: &App, ctx: &Ctx, ev: &CallbackEvent, body: &[u8]) -> Result<String> {
    let digits = ev.line.msisdn.trim_start_matches('+');
    let mut tx = app.tx(ctx).await?;
    let Some(line) = contracts::line_by_msisdn_lock(&mut tx, digits).await? else {
        return Err(Error::not_found("line with this MSISDN in this tenant"));
    };
    if repo::callback_seen(&mut tx, &ev.id).await? {
        return Ok("duplicate".into());
    }
    let seq = i64::try_from(ev.line.sequence).unwrap_or(i64::MAX);
    let known = line.carrier_sequence.unwrap_or(0);
    let outcome = if seq <= known {
        format!("stale: sequence {seq}, we know {known}")
    } else {
        repo::line_seen(&mut tx, line.id, seq).await?;
        let mut done = None;
        // A port-out is judged before any open step: the line ends as ported out (its
        // number leaves the pool) whatever we were about to ask the carrier.
        let open = if ev.line.ported_out {
            vec![]
        } else {
            jobs::jobs_open_of_line(&mut tx, line.id).await?
        };
        for job in open {
            let ours = ev.key.as_deref() == Some(job.idempotency_key.as_str());
            if ours || step_done_at(&mut tx, &job, &line, &ev.line).await? {
                let action = job.action.clone();
                let answer = format!("callback {}: the carrier shows the step done", ev.id);
                answer_step(
                    &mut tx,
                    ctx,
                    job,
                    true,
                    &answer,
                    "carrier",
                    Answerer::Worker,
                )
                .await?;
                done = Some(format!("completed {action}"));
                break;
            }
        }
        match done {
            Some(d) => d,
            None => reconcile::judge_one(&mut tx, ctx, &line, &ev.line, "callback").await?,
        }
    };
    let body: serde_json::Value = serde_json::from_slice(body)?;
    repo::callback_insert(&mut tx, &ev.id, digits, seq, &body, &outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}
