//! Reconciliation: our books against the carrier's. A run pages through the carrier's
//! inventory beside our lines (both in number order, a merge: memory stays one page of
//! each), judges every number by the rules (`rules`), records each drifted number as an
//! item, repairs what a rule says is safe (re-sending our suspension or termination as a
//! new carrier step, ending a line whose number was ported away) and leaves the rest for a
//! person, with a critical `carrier.drift_found` when any does. Runs happen on the worker's
//! schedule for every tenant with a carrier, on demand, and for one line (`resync`);
//! callbacks showing drift are judged the same way.

use super::rules::{Action, Verdict, judge};
use crate::orders::carrier::end_ported_out;
use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::json;
use std::sync::Arc;
use tsunagi_carrier::{CarrierGateway, CarrierLine, HttpCarrier};
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::states::OrderState;
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::contracts::{self, Line};
use tsunagi_db::repo::reconcile::{self as repo, Counts, Item, OurLine, Run};
use uuid::Uuid;

/// Numbers compared per page (ours and the carrier's).
const PAGE: u32 = 2000;

async fn gateway(app: &App, ctx: &Ctx) -> Result<Arc<HttpCarrier>> {
    let mut tx = app.tx(ctx).await?;
    let g = app.carriers.of(app, &mut tx, true).await?;
    tx.commit().await?;
    g.ok_or_else(|| Error::conflict("no carrier is set for this tenant (carrierSettingsSet)"))
}

/// Starts a run now; it goes on in the background. Returns the run (`running`).
pub async fn start(app: &App, ctx: &Ctx) -> Result<Run> {
    app.authz
        .check(&ctx.principal, "carrier", "reconcile")
        .await?;
    let gw = gateway(app, ctx).await?;
    let mut tx = app.tx(ctx).await?;
    let run = repo::run_insert(&mut tx, "manual", &ctx.principal.actor.label()).await?;
    tx.commit().await?;
    let (app, ctx, r) = (app.clone(), ctx.clone(), run.clone());
    tokio::spawn(async move {
        if let Err(e) = finish(&app, &ctx, &r, gw.as_ref()).await {
            tracing::warn!(run = %r.id, error = %e.detail(), "reconciliation run failed");
        }
    });
    Ok(run)
}

/// One whole run in the caller's task (the scheduled runs, and the benchmark).
pub async fn run(app: &App, ctx: &Ctx, trigger: &str) -> Result<Run> {
    let gw = gateway(app, ctx).await?;
    let mut tx = app.tx(ctx).await?;
    let run = repo::run_insert(&mut tx, trigger, &ctx.principal.actor.label()).await?;
    tx.commit().await?;
    finish(app, ctx, &run, gw.as_ref()).await
}

/// Scheduled runs: every tenant with a carrier, one after another.
pub async fn run_all(app: &App) -> Result<usize> {
    let mut n = 0;
    for tenant in repo::tenants_with_carrier(&app.db).await? {
        let t = tsunagi_core::TenantId(tenant);
        if let Some(ctx) = Ctx::system(app, t, "system:reconciliation").await? {
            // One tenant's failing carrier does not stop the others' runs.
            match run(app, &ctx, "schedule").await {
                Ok(_) => n += 1,
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e.detail(), "reconciliation run failed")
                }
            }
        }
    }
    Ok(n)
}

async fn finish(app: &App, ctx: &Ctx, run: &Run, gw: &dyn CarrierGateway) -> Result<Run> {
    let mut c = Counts::default();
    let outcome = merge(app, ctx, run.id, gw, &mut c).await;
    let mut tx = app.tx(ctx).await?;
    let error = outcome.err().map(|e| e.detail());
    let done = repo::run_finish(&mut tx, run.id, c, error.as_deref()).await?;
    if c.needs_person > 0 {
        let entry = AuditEntry::new("reconciliation.drift_found", "reconciliation_run", run.id)
            .after(json!({ "drifted": c.drifted, "repaired": c.repaired, "needsPerson": c.needs_person }));
        let event = Event::CarrierDriftFound(ev::CarrierDriftFound {
            run_id: run.id,
            lines_checked: c.lines_checked,
            drifted: c.drifted,
            repaired: c.repaired,
            needs_person: c.needs_person,
        });
        record_event(&mut tx, ctx, entry, event).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// The merge of the two ordered streams.
async fn merge(
    app: &App,
    ctx: &Ctx,
    run: Uuid,
    gw: &dyn CarrierGateway,
    c: &mut Counts,
) -> Result<()> {
    let carrier_err = |e: tsunagi_carrier::GatewayError| {
        Error::unavailable(format!("the carrier's inventory could not be read: {e}"))
    };
    let mut theirs: std::collections::VecDeque<CarrierLine> = Default::default();
    let mut ours: std::collections::VecDeque<OurLine> = Default::default();
    let (mut their_next, mut their_done) = (None::<String>, false);
    let (mut our_after, mut our_done) = (None::<String>, false);
    loop {
        // (A page may come back empty with a cursor: keep asking.)
        while theirs.is_empty() && !their_done {
            let p = gw
                .inventory(their_next.as_deref(), PAGE)
                .await
                .map_err(carrier_err)?;
            their_done = p.next.is_none();
            their_next = p.next;
            theirs.extend(p.lines);
        }
        if ours.is_empty() && !our_done {
            let mut tx = app.tx(ctx).await?;
            let page = repo::our_lines(&mut tx, our_after.as_deref(), i64::from(PAGE)).await?;
            tx.commit().await?;
            our_done = page.len() < PAGE as usize;
            our_after = page.last().map(|l| l.msisdn.clone()).or(our_after);
            ours.extend(page);
        }
        let (o, t) = match (ours.front(), theirs.front()) {
            (None, None) => return Ok(()),
            (Some(o), Some(t)) => {
                let td = t.msisdn.trim_start_matches('+');
                match o.msisdn.as_bytes().cmp(td.as_bytes()) {
                    std::cmp::Ordering::Less => (ours.pop_front(), None),
                    std::cmp::Ordering::Greater => (None, theirs.pop_front()),
                    std::cmp::Ordering::Equal => (ours.pop_front(), theirs.pop_front()),
                }
            }
            (Some(_), None) => (ours.pop_front(), None),
            (None, Some(_)) => (None, theirs.pop_front()),
        };
        c.lines_checked += 1;
        match judge(o.as_ref(), t.as_ref()) {
            Verdict::InSync | Verdict::InFlight => c.in_sync += 1,
            Verdict::Drift { .. } => {
                let msisdn = o.as_ref().map(|o| o.msisdn.clone()).unwrap_or_else(|| {
                    t.as_ref()
                        .map(|t| t.msisdn.trim_start_matches('+').to_owned())
                        .unwrap_or_default()
                });
                let mut tx = app.tx(ctx).await?;
                // Judged again under the line's lock: it may have moved since the page.
                let (label, _) = act(&mut tx, ctx, Some(run), "run", &msisdn, t.as_ref()).await?;
                tx.commit().await?;
                match label.as_str() {
                    "repaired" => (c.drifted += 1, c.repaired += 1),
                    "needs_person" => (c.drifted += 1, c.needs_person += 1),
                    _ => (c.in_sync += 1, ()),
                };
            }
        }
    }
}

/// Judges a number under its line's lock and acts; records the item. Returns the action
/// (`repaired`, `needs_person`, or `in_sync`/`in_flight` when nothing differs any more)
/// and the item's note.
async fn act(
    tx: &mut TenantTx,
    ctx: &Ctx,
    run: Option<Uuid>,
    source: &str,
    msisdn: &str,
    theirs: Option<&CarrierLine>,
) -> Result<(String, String)> {
    let line = contracts::line_by_msisdn_lock(tx, msisdn).await?;
    // The carrier's page may be older than what we learnt since (an answer, a callback).
    if let (Some(l), Some(t)) = (&line, theirs)
        && i64::try_from(t.sequence).unwrap_or(i64::MAX) < l.carrier_sequence.unwrap_or(0)
    {
        return Ok(("in_sync".into(), String::new()));
    }
    let ours = repo::our_line(tx, msisdn).await?;
    let (kind, rule, action, note) = match judge(ours.as_ref(), theirs) {
        Verdict::InSync => return Ok(("in_sync".into(), String::new())),
        Verdict::InFlight => return Ok(("in_flight".into(), String::new())),
        Verdict::Drift {
            kind,
            rule,
            action,
            note,
        } => (kind, rule, action, note),
    };
    let label = match (&action, line) {
        (Action::Resend(op), Some(l)) => {
            resend(tx, ctx, &l, op, &note).await?;
            "repaired"
        }
        (Action::EndPortedOut, Some(l)) => {
            end_ported_out(tx, ctx, l).await?;
            "repaired"
        }
        _ => "needs_person",
    };
    repo::item_insert(
        tx,
        &Item {
            tenant_id: ctx.principal.tenant_id.as_uuid(),
            id: Uuid::now_v7(),
            run_id: run,
            source: source.into(),
            msisdn: msisdn.into(),
            line_id: ours.as_ref().map(|o| o.id),
            kind: kind.into(),
            ours: ours
                .as_ref()
                .map(|o| json!({ "status": o.status, "iccid": o.iccid })),
            theirs: theirs.map(|t| serde_json::to_value(t).unwrap_or_default()),
            action: label.into(),
            rule: rule.into(),
            note: note.clone(),
            created_at: chrono::Utc::now(),
        },
    )
    .await?;
    Ok((label.into(), note))
}

/// A repair: our state sent to the carrier again, as a new order with its carrier step.
async fn resend(tx: &mut TenantTx, ctx: &Ctx, line: &Line, op: &str, why: &str) -> Result<()> {
    let input = json!({ "reason": format!("reconciliation: {why}"), "repair": true });
    let order = crate::orders::order_open(
        tx,
        ctx,
        op,
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        input,
    )
    .await?;
    crate::orders::order_move(tx, ctx, order.clone(), OrderState::InProgress, None).await?;
    let connected = tsunagi_db::repo::carrier::connected(tx).await?;
    tsunagi_db::repo::orders::job_insert(tx, order.id, line.id, op, connected, false).await?;
    Ok(())
}

/// A callback that showed a line unlike our books: judged like a run's item.
pub(crate) async fn judge_one(
    tx: &mut TenantTx,
    ctx: &Ctx,
    line: &Line,
    theirs: &CarrierLine,
    source: &str,
) -> Result<String> {
    let (label, note) = act(tx, ctx, None, source, &line.msisdn, Some(theirs)).await?;
    Ok(if note.is_empty() {
        label
    } else {
        format!("{label}: {note}")
    })
}

/// Asks the carrier for one line now and judges it.
pub async fn resync(app: &App, ctx: &Ctx, line_id: Uuid) -> Result<String> {
    app.authz
        .check(&ctx.principal, "carrier", "reconcile")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let line = contracts::line_get(&mut tx, line_id).await?;
    tx.commit().await?;
    let gw = gateway(app, ctx).await?;
    let theirs = gw
        .line(&super::plus(&line.msisdn))
        .await
        .map_err(|e| Error::unavailable(format!("the carrier could not be asked: {e}")))?;
    let mut tx = app.tx(ctx).await?;
    let line = contracts::line_lock(&mut tx, line_id).await?;
    if let Some(t) = &theirs {
        tsunagi_db::repo::carrier::line_seen(&mut tx, line.id, t.sequence as i64).await?;
    }
    let (label, note) = act(&mut tx, ctx, None, "resync", &line.msisdn, theirs.as_ref()).await?;
    tx.commit().await?;
    Ok(if note.is_empty() {
        label
    } else {
        format!("{label}: {note}")
    })
}

pub async fn runs(app: &App, ctx: &Ctx, before: Option<Uuid>, limit: i64) -> Result<Vec<Run>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::runs(&mut tx, before, limit).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn run_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Run> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::run_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn items(
    app: &App,
    ctx: &Ctx,
    run: Option<Uuid>,
    needs_person: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Item>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::items(&mut tx, run, needs_person, after, limit).await?;
    tx.commit().await?;
    Ok(r)
}
