//! The carrier's side of orders. A carrier step (a provisioning job) ends in one of three
//! ways, all decided here:
//!
//! - it completes — locally while no carrier is connected (tenant setting
//!   `completeProvisioningLocally`), or when the carrier (or a person reading the carrier's
//!   portal) reports success: the line reaches the step's end state, its contract and
//!   resources follow, the order completes;
//! - the carrier refuses it: the line goes to `needs_review` and the order fails;
//! - nobody answers: after the tenant's `carrierPendingAfterMinutes` the line shows
//!   `pending`, after `carrierReviewAfterMinutes` it goes to `needs_review`.
//!
//! A line in review (or still pending) is resolved by a person to what the carrier really
//! did, under a second person's approval; the open steps close and their orders complete
//! or fail accordingly.

use super::line_ops::set_line_state;
use super::order_move;
use crate::approvals::ApprovalLink;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::states::{
    ContractState, EsimState, LineState, NumberState, OrderState, SimState, StateMachine,
};
use tsunagi_core::{Error, Result, TenantId, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::contracts::{self, Contract, Line};
use tsunagi_db::repo::inventory;
use tsunagi_db::repo::orders::{self as repo, Order, ProvisioningJob};
use uuid::Uuid;

/// The line state a carrier step ends in; `None` for steps that leave it (a SIM swap).
pub(crate) fn target(action: &str) -> Option<LineState> {
    match action {
        "activate" | "port_in" | "resume" => Some(LineState::Active),
        "suspend" => Some(LineState::Suspended),
        "terminate" => Some(LineState::Terminated),
        _ => None,
    }
}

/// A completed step: the line reaches the step's end state, its contract and resources
/// follow, and the order completes.
pub(crate) async fn complete(
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: Option<&ApprovalLink>,
    order: Order,
    line: Line,
    action: &str,
    note: &str,
) -> Result<(Line, Order)> {
    let done = Done {
        link,
        action,
        note,
        contract: None,
    };
    complete_with(tx, ctx, order, line, done).await
}

/// How a step completed: under which approval, which action, the history note, and the
/// line's contract when the caller holds its lock already.
pub(crate) struct Done<'a> {
    pub link: Option<&'a ApprovalLink>,
    pub action: &'a str,
    pub note: &'a str,
    pub contract: Option<Contract>,
}

/// [`complete`]. Writes the order, and the line when the step moves it (so a caller may pass
/// a line and an order whose earlier steps of the transaction are recorded but not written).
pub(crate) async fn complete_with(
    tx: &mut TenantTx,
    ctx: &Ctx,
    order: Order,
    line: Line,
    done: Done<'_>,
) -> Result<(Line, Order)> {
    let Done {
        link,
        action,
        note,
        contract,
    } = done;
    let at = LineState::from_db(&line.status)?;
    let line = match target(action) {
        // A repair sends the carrier a state our books already have.
        Some(to) if to != at => {
            let line = set_line_state(tx, ctx, link, line, to, Some(note)).await?;
            settle_as(tx, ctx, &line, to, false, contract).await?;
            line
        }
        _ => line,
    };
    if action == "activate" || action == "port_in" {
        let lead = (Utc::now() - order.created_at).num_milliseconds().max(0);
        tsunagi_db::repo::carrier::line_activation_lead(tx, line.id, lead).await?;
    }
    if action == "port_in" {
        // The port is complete: the number is ours, on this line.
        let n = inventory::number_lock(tx, &line.msisdn).await?;
        if NumberState::from_db(&n.status)? == NumberState::PortingIn {
            let to = NumberState::PortingIn.transition(NumberState::Assigned)?;
            inventory::number_set(tx, &line.msisdn, to.as_str(), None).await?;
        }
    }
    let order = order_move(tx, ctx, order, OrderState::Completed, None).await?;
    Ok((line, order))
}

/// The contract follows a line that reached `to`; a terminated line gives its number to
/// quarantine and its SIM, eSIM profile and device back.
pub(crate) async fn settle(tx: &mut TenantTx, ctx: &Ctx, line: &Line, to: LineState) -> Result<()> {
    settle_as(tx, ctx, line, to, false, None).await
}

/// [`settle`], for a number ported away: it leaves our pool instead of quarantine.
async fn settle_as(
    tx: &mut TenantTx,
    ctx: &Ctx,
    line: &Line,
    to: LineState,
    ported_out: bool,
    locked: Option<Contract>,
) -> Result<()> {
    use ContractState as C;
    let mut c = match locked {
        Some(c) if c.id == line.contract_id => c,
        _ => contracts::contract_lock(tx, line.contract_id).await?,
    };
    let from = C::from_db(&c.status)?;
    let path: &[C] = match (to, from) {
        (LineState::Active, C::Active)
        | (LineState::Suspended, C::Suspended)
        | (LineState::Terminated, C::Terminated) => &[],
        (LineState::Active, _) => &[C::Active],
        (LineState::Suspended, _) => &[C::Suspended],
        (LineState::Terminated, C::Draft | C::Terminating) => &[C::Terminated],
        (LineState::Terminated, _) => &[C::Terminating, C::Terminated],
        _ => &[],
    };
    if !path.is_empty() {
        let mut s = from;
        for step in path {
            s = s.transition(*step)?;
        }
        if from == C::Draft && s == C::Active {
            c.started_at = Some(Utc::now());
        }
        if s == C::Terminated {
            c.ended_at = Some(Utc::now());
        }
        c.status = s.as_str().into();
        let c = contracts::contract_update(tx, &c).await?;
        record_event(
            tx,
            ctx,
            AuditEntry::new("contract.status_change", "contract", c.id)
                .before(json!({ "status": from.as_str() }))
                .after(json!({ "status": c.status })),
            Event::ContractStatusChanged(ev::ContractStatusChanged {
                contract_id: c.id,
                customer_id: c.customer_id,
                from: from.as_str().into(),
                to: c.status.clone(),
            }),
        )
        .await?;
    }
    if to == LineState::Terminated {
        release(tx, ctx, line, ported_out).await?;
    }
    Ok(())
}

async fn release(tx: &mut TenantTx, ctx: &Ctx, line: &Line, ported_out: bool) -> Result<()> {
    let n = inventory::number_lock(tx, &line.msisdn).await?;
    let from = NumberState::from_db(&n.status)?;
    // A port-in that never completed leaves the number with the other operator.
    if ported_out || from == NumberState::PortingIn {
        from.transition(NumberState::PortedOut)?;
        inventory::number_set(tx, &line.msisdn, NumberState::PortedOut.as_str(), None).await?;
    } else {
        let days = crate::tenants::effective_settings(tx, ctx.principal.tenant_id)
            .await?
            .number_quarantine_days;
        from.transition(NumberState::Quarantined)?;
        inventory::number_set(
            tx,
            &line.msisdn,
            NumberState::Quarantined.as_str(),
            Some(Utc::now() + Duration::days(i64::from(days))),
        )
        .await?;
    }
    if let Some(sim) = line.sim_id {
        inventory::sim_set_status(
            tx,
            sim,
            SimState::Assigned.transition(SimState::Returned)?.as_str(),
        )
        .await?;
    }
    if let Some(esim) = line.esim_id {
        let e = inventory::esim_get(tx, esim).await?;
        let from = EsimState::from_db(&e.status)?;
        let to = if from == EsimState::Allocated {
            EsimState::Available
        } else {
            EsimState::Deleted
        };
        inventory::esim_set_status(tx, esim, from.transition(to)?.as_str()).await?;
    }
    if let Some(device) = line.device_id {
        inventory::device_set_status(tx, device, "returned").await?;
    }
    Ok(())
}

pub(crate) fn check_text(field: &str, text: &str) -> Result<()> {
    let mut v = Validator::new();
    v.check(!text.trim().is_empty(), field, "must say what happened");
    v.check(text.len() <= 1000, field, "must be at most 1000 characters");
    v.finish()
}

/// Records the carrier's answer to a step (the carrier connector's entry point; until it is
/// connected, staff record what the carrier's portal shows). Success completes the step;
/// a refusal sends the line to review and fails the order.
pub async fn carrier_report(
    app: &App,
    ctx: &Ctx,
    job_id: Uuid,
    succeeded: bool,
    answer: &str,
) -> Result<ProvisioningJob> {
    app.authz
        .check(&ctx.principal, "line", "carrier_report")
        .await?;
    check_text("input.answer", answer)?;
    let mut tx = app.tx(ctx).await?;
    // Line, then job: the order every path that holds both takes (no deadlocks).
    let line = tsunagi_db::repo::carrier::job_get(&mut tx, job_id)
        .await?
        .line_id;
    contracts::line_lock(&mut tx, line).await?;
    let job = repo::job_lock(&mut tx, job_id).await?;
    let by = format!("report:{}", ctx.principal.actor.label());
    let closed = answer_step(
        &mut tx,
        ctx,
        job,
        succeeded,
        answer.trim(),
        &by,
        Answerer::Person,
    )
    .await?;
    tx.commit().await?;
    Ok(closed)
}

/// Who answers a step: a person reporting what the carrier's portal shows (refused while
/// the line is in review: that is `lineReviewResolve`'s), or a carrier worker (which may
/// settle a line in review after a person's "retry now").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answerer {
    Person,
    Worker,
}

/// The carrier's answer to a locked step, in the caller's transaction: staff reports and
/// the carrier workers end here. Success completes the step; a refusal sends the line to
/// review and fails the order. `by` is recorded as who closed it.
pub(crate) async fn answer_step(
    tx: &mut TenantTx,
    ctx: &Ctx,
    job: ProvisioningJob,
    succeeded: bool,
    answer: &str,
    by: &str,
    who: Answerer,
) -> Result<ProvisioningJob> {
    if !matches!(job.status.as_str(), "queued" | "running") {
        return Err(Error::conflict(format!(
            "this step was already answered ({}{})",
            job.status,
            job.answer
                .as_deref()
                .map(|a| format!(": {a}"))
                .unwrap_or_default()
        )));
    }
    let line = contracts::line_lock(tx, job.line_id).await?;
    let in_review = LineState::from_db(&line.status)? == LineState::NeedsReview;
    if in_review && who == Answerer::Person {
        return Err(Error::conflict(
            "the line is in review: resolve it (lineReviewResolve) with what the carrier did",
        ));
    }
    let order = repo::order_lock(tx, job.order_id).await?;
    let status = if succeeded { "done" } else { "failed" };
    let closed = repo::job_close(tx, job.id, status, by, Some(answer)).await?;
    if succeeded {
        let note = format!("the carrier confirmed: {answer}");
        complete(tx, ctx, None, order, line, &job.action, &note).await?;
    } else {
        let why = format!("the carrier refused: {answer}");
        if target(&job.action).is_some() && !in_review {
            set_line_state(tx, ctx, None, line, LineState::NeedsReview, Some(&why)).await?;
        }
        order_move(tx, ctx, order, OrderState::Failed, Some(&why)).await?;
    }
    Ok(closed)
}

/// Worker activation: lines whose carrier step has waited past the tenant's limits show
/// `pending`, then go to `needs_review`. Returns (now pending, now in review).
pub async fn flag_unanswered(app: &App, now: DateTime<Utc>) -> Result<(usize, usize)> {
    let (mut pending, mut review) = (0, 0);
    // In-flight lines not yet flagged may become pending; any in-flight line (pending
    // included) may go to review.
    let in_flight = LineState::ALL.iter().filter(|s| s.in_flight());
    let waiting: Vec<&str> = in_flight.clone().map(|s| s.as_str()).collect();
    let moving: Vec<&str> = in_flight
        .filter(|s| **s != LineState::Pending)
        .map(|s| s.as_str())
        .collect();
    // One minute is the shortest limit a tenant can set.
    for tenant in repo::tenants_with_waiting_jobs(&app.db, now - Duration::minutes(1)).await? {
        let Some(ctx) = Ctx::system(app, TenantId(tenant), "system:carrier-watch").await? else {
            continue;
        };
        let mut tx = app.tx(&ctx).await?;
        let s = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
        let pending_after = Duration::minutes(i64::from(s.carrier_pending_after_minutes));
        let review_after = Duration::minutes(i64::from(s.carrier_review_after_minutes));
        let jobs = repo::jobs_waiting(
            &mut tx,
            &moving,
            now - pending_after,
            &waiting,
            now - review_after,
        )
        .await?;
        for job in jobs {
            if target(&job.action).is_none() {
                continue;
            }
            let line = contracts::line_lock(&mut tx, job.line_id).await?;
            let state = LineState::from_db(&line.status)?;
            let waited = (now - job.created_at).num_minutes();
            if now - job.created_at >= review_after && state.in_flight() {
                let why = format!(
                    "no answer from the carrier for {waited} min to {}: check with the carrier and resolve",
                    job.action
                );
                set_line_state(
                    &mut tx,
                    &ctx,
                    None,
                    line,
                    LineState::NeedsReview,
                    Some(&why),
                )
                .await?;
                review += 1;
            } else if state.in_flight() && state != LineState::Pending {
                let why = format!("waiting for the carrier to {} for {waited} min", job.action);
                set_line_state(&mut tx, &ctx, None, line, LineState::Pending, Some(&why)).await?;
                pending += 1;
            }
        }
        tx.commit().await?;
    }
    Ok((pending, review))
}

/// A step whose tries ran out (parked): its line goes to review, unless it is there
/// already or stays usable (a SIM swap or speed change leaves an active line active), and
/// the tenant's staff get a critical `carrier.step_exhausted`.
pub(crate) async fn line_to_review(
    tx: &mut TenantTx,
    ctx: &Ctx,
    job: &ProvisioningJob,
    why: &str,
) -> Result<()> {
    let line = contracts::line_lock(tx, job.line_id).await?;
    let state = LineState::from_db(&line.status)?;
    let reason = format!(
        "the carrier did not carry out {} after {} tries ({why}): retry the step or resolve the line",
        job.action, job.attempts
    );
    let line = if state != LineState::NeedsReview && state.can_become(LineState::NeedsReview) {
        set_line_state(tx, ctx, None, line, LineState::NeedsReview, Some(&reason)).await?
    } else {
        line
    };
    let event = Event::CarrierStepExhausted(ev::CarrierStepExhausted {
        job_id: job.id,
        order_id: job.order_id,
        line_id: line.id,
        customer_id: line.customer_id,
        msisdn: ev::E164::from_digits(&line.msisdn),
        action: job.action.clone(),
        attempts: job.attempts,
        last_error: why.to_owned(),
    });
    let entry = AuditEntry::new("provisioning_job.exhausted", "provisioning_job", job.id)
        .after(json!({ "attempts": job.attempts, "lastError": why, "lineStatus": line.status }));
    record_event(tx, ctx, entry, event).await
}

/// The carrier says the number was ported to another operator: the line ends here with
/// reason `ported_out` (its `line.status_changed` to `terminated` is billing's cue for the
/// final invoice), its contract ends, and the number leaves our pool for good.
pub(crate) async fn end_ported_out(tx: &mut TenantTx, ctx: &Ctx, line: Line) -> Result<Line> {
    let why = "ported_out: the number was ported to another operator";
    // Steps still open for the line will never be carried out: they fail, with their orders.
    for job in repo::jobs_open_of_line(tx, line.id).await? {
        repo::job_close(tx, job.id, "failed", "carrier", Some(why)).await?;
        let order = repo::order_lock(tx, job.order_id).await?;
        if OrderState::from_db(&order.status)?.can_become(OrderState::Failed) {
            order_move(tx, ctx, order, OrderState::Failed, Some(why)).await?;
        }
    }
    let mut line = line;
    let from = LineState::from_db(&line.status)?;
    if from.can_become(LineState::Terminating) {
        line = set_line_state(tx, ctx, None, line, LineState::Terminating, Some(why)).await?;
    } else if !from.can_become(LineState::Terminated) {
        // Mid-step (suspending, resuming): through review, the one way out of it.
        line = set_line_state(tx, ctx, None, line, LineState::NeedsReview, Some(why)).await?;
    }
    let line = set_line_state(tx, ctx, None, line, LineState::Terminated, Some(why)).await?;
    settle_as(tx, ctx, &line, LineState::Terminated, true, None).await?;
    Ok(line)
}
