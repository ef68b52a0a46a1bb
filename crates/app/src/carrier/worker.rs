//! The carrier workers. Each round claims due jobs of every tenant (`FOR UPDATE SKIP
//! LOCKED`, under a lease) and works them concurrently: a job waiting to `send` sends its
//! command under its idempotency key; a job waiting for `status` (its last outcome is
//! unknown: a timeout, or a worker that died holding it) first asks the carrier how the
//! line is, and only sends again when the line is not yet what the step asks for. Every
//! call is recorded as an attempt. A job whose tries run out parks (no worker takes it
//! until a person retries it), its line goes to review with the reason, and the tenant's
//! staff get a critical `carrier.step_exhausted`.

use super::{esim, plus};
use crate::orders::carrier::{Answerer, answer_step, line_to_review};
use crate::{App, Ctx};
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;
use tsunagi_carrier::{
    CarrierGateway, CarrierLine, CarrierStatus, Command, GatewayError, LineCommand,
};
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::repo::carrier as repo;
use tsunagi_db::repo::contracts::{self, Line};
use tsunagi_db::repo::inventory;
use tsunagi_db::repo::orders::ProvisioningJob;
use uuid::Uuid;

/// One round: claims due jobs and works them. Returns how many were claimed.
pub async fn run_due(app: &App) -> Result<usize> {
    let cfg = &app.config.carrier;
    let claimed = repo::claim(&app.db, cfg.batch, cfg.lease_secs).await?;
    let n = claimed.len();
    let mut ctxs: HashMap<Uuid, Option<Ctx>> = HashMap::new();
    let mut work = Vec::with_capacity(n);
    for (tenant, job) in claimed {
        if let std::collections::hash_map::Entry::Vacant(e) = ctxs.entry(tenant) {
            e.insert(Ctx::system(app, TenantId(tenant), "system:carrier-worker").await?);
        }
        if let Some(Some(ctx)) = ctxs.get(&tenant) {
            work.push((ctx.clone(), job));
        }
    }
    futures_util::stream::iter(work)
        .for_each_concurrent(cfg.concurrency, |(ctx, job)| async move {
            if let Err(e) = work_job(app, &ctx, job).await {
                tracing::warn!(job = %job, error = %e.detail(), "carrier job failed");
                // Counted as a try like a carrier failure, so a step that keeps failing
                // here parks and reaches a person; if even that fails, the lease runs out
                // and another round asks the carrier what happened.
                if let Err(e) = give_back(app, &ctx, job, &e).await {
                    tracing::warn!(job = %job, error = %e.detail(), "carrier job left to its lease");
                }
            }
        })
        .await;
    Ok(n)
}

/// What a step asks of the carrier, and whether a line at the carrier already shows it.
struct Step {
    command: Command,
}

impl Step {
    fn done_at(&self, l: &CarrierLine) -> bool {
        use CarrierStatus as S;
        match &self.command {
            Command::Activate { iccid } | Command::PortIn { iccid, .. } => {
                l.status == S::Active && &l.iccid == iccid && !l.ported_out
            }
            Command::Suspend => l.status == S::Suspended,
            Command::Resume => l.status == S::Active,
            // A port-out is not our termination (its number leaves the pool): not done.
            Command::Terminate => l.status == S::Terminated && !l.ported_out,
            Command::SwapSim { iccid } => &l.iccid == iccid,
            Command::SetSpeedLimit { kbps } => l.speed_limit_kbps == *kbps,
        }
    }
}

async fn iccid_of(tx: &mut tsunagi_db::TenantTx, line: &Line) -> Result<String> {
    if let Some(sim) = line.sim_id {
        return Ok(inventory::sim_get(tx, sim).await?.iccid);
    }
    if let Some(esim) = line.esim_id {
        return Ok(inventory::esim_get(tx, esim).await?.iccid);
    }
    Err(Error::conflict("the line has neither a SIM nor an eSIM"))
}

async fn step_of(
    tx: &mut tsunagi_db::TenantTx,
    job: &ProvisioningJob,
    line: &Line,
) -> Result<Step> {
    let command = match job.action.as_str() {
        "activate" => Command::Activate {
            iccid: iccid_of(tx, line).await?,
        },
        "port_in" => Command::PortIn {
            iccid: iccid_of(tx, line).await?,
            reservation_number: job.params["reservationNumber"].as_str().map(str::to_owned),
            reservation_expires_on: job.params["reservationExpiresOn"]
                .as_str()
                .and_then(|d| d.parse().ok()),
            one_stop: job.params["oneStop"].as_bool().unwrap_or(false),
        },
        "swap_sim" => Command::SwapSim {
            iccid: iccid_of(tx, line).await?,
        },
        "suspend" => Command::Suspend,
        "resume" => Command::Resume,
        "terminate" => Command::Terminate,
        "set_speed_limit" => Command::SetSpeedLimit {
            kbps: job.params["kbps"].as_u64().map(|k| k as u32),
        },
        other => return Err(Error::internal(format!("unknown carrier action {other}"))),
    };
    Ok(Step { command })
}

/// Whether the carrier's line already shows what a step asks (a callback's test).
pub(crate) async fn step_done_at(
    tx: &mut tsunagi_db::TenantTx,
    job: &ProvisioningJob,
    line: &Line,
    theirs: &CarrierLine,
) -> Result<bool> {
    Ok(step_of(tx, job, line).await?.done_at(theirs))
}

/// How a call ended, for the attempt log and the job.
enum Outcome {
    /// The step is done at the carrier (the line after it).
    Done(CarrierLine, String),
    /// Refused for good.
    Refused(String),
    /// Not settled: send again (or ask again) later.
    Again { status: bool, why: String },
    /// The line is not yet what the step asks: send now.
    SendNow(String),
}

/// A step that failed on our side (not the carrier's answer): another try later, asking
/// the carrier first (it may have been sent), or parked when its tries are spent.
async fn give_back(app: &App, ctx: &Ctx, job_id: Uuid, e: &Error) -> Result<()> {
    let why = if e.is_client_error() {
        e.public_message()
    } else {
        "the platform failed on this step (see the worker's log)".to_owned()
    };
    let mut tx = app.tx(ctx).await?;
    let line = repo::job_get(&mut tx, job_id).await?.line_id;
    contracts::line_lock(&mut tx, line).await?;
    let job = tsunagi_db::repo::orders::job_lock(&mut tx, job_id).await?;
    if job.status != "running" {
        return Ok(());
    }
    retry_or_park(app, &mut tx, ctx, &job, true, &why).await?;
    tx.commit().await?;
    Ok(())
}

/// An unsettled call: the job's next try (`status`: ask the carrier first) after the
/// schedule's delay, or, its tries spent, parked with its line in review.
async fn retry_or_park(
    app: &App,
    tx: &mut tsunagi_db::TenantTx,
    ctx: &Ctx,
    job: &ProvisioningJob,
    status: bool,
    why: &str,
) -> Result<()> {
    let cfg = &app.config.carrier;
    let tries = job.attempts + 1;
    if tries >= cfg.max_tries() {
        let parked = repo::job_park(tx, job.id, why).await?;
        line_to_review(tx, ctx, &parked, why).await?;
    } else {
        let at = Utc::now() + cfg.delay(status, tries);
        let next = if status { "status" } else { "send" };
        repo::job_schedule(tx, job.id, next, at, true, why).await?;
    }
    Ok(())
}

async fn work_job(app: &App, ctx: &Ctx, job_id: Uuid) -> Result<()> {
    let mut tx = app.tx(ctx).await?;
    let job = repo::job_get(&mut tx, job_id).await?;
    // Ours only while the lease we were given lasts (a round runs `batch` jobs
    // `concurrency` at a time; a late one may have been claimed again meanwhile).
    if job.status != "running" || job.lease_until.is_none_or(|l| l <= Utc::now()) {
        return Ok(());
    }
    let line = contracts::line_get(&mut tx, job.line_id).await?;
    let step = step_of(&mut tx, &job, &line).await?;
    let gateway = app.carriers.of(app, &mut tx, false).await?;
    let smdp = match app.carriers.smdp_of(app, &mut tx).await? {
        Some(s) => Some((s, esim::prep_of(&mut tx, &job, &line).await?)),
        None => None,
    };
    tx.commit().await?;
    let Some(gw) = gateway else {
        // The carrier was switched off meanwhile: the step waits for a person.
        let mut tx = app.tx(ctx).await?;
        repo::job_unschedule(
            &mut tx,
            job.id,
            "the carrier was switched off: waiting for a person",
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    // The SM-DP+ first (an eSIM line's profile ordered before its activation, its order
    // cancelled before it ends); a failure there is this step's attempt.
    if let Some((smdp, prep)) = smdp
        && let Err(u) = esim::run(app, ctx, smdp.as_ref(), &job, prep).await?
    {
        let outcome = if u.refused {
            Outcome::Refused(u.why)
        } else {
            Outcome::Again {
                status: false,
                why: u.why,
            }
        };
        return settle(app, ctx, &job, "es2plus", &u.request, outcome, u.ms).await;
    }
    let msisdn = plus(&line.msisdn);
    let asking = job.waiting_for.as_deref() == Some("status");
    let started = Instant::now();
    let (kind, request, outcome) = if asking {
        let r = gw.line(&msisdn).await;
        let o = match r {
            Ok(Some(l)) if step.done_at(&l) => {
                let a = format!(
                    "the carrier shows the line {:?} (sequence {})",
                    l.status, l.sequence
                );
                Outcome::Done(l, a.to_lowercase())
            }
            Ok(Some(l)) => Outcome::SendNow(
                format!("the carrier shows the line {:?}: not yet done", l.status).to_lowercase(),
            ),
            Ok(None) => Outcome::SendNow("the carrier has no such line yet".into()),
            Err(e) => Outcome::Again {
                status: true,
                why: e.to_string(),
            },
        };
        ("status", json!({ "msisdn": msisdn }), o)
    } else {
        let cmd = LineCommand {
            key: job.idempotency_key.clone(),
            msisdn: msisdn.clone(),
            command: step.command.clone(),
        };
        let o = match gw.submit(&cmd).await {
            Ok(l) => Outcome::Done(l, "applied".into()),
            Err(GatewayError::Rejected { code, message }) => {
                // Already so at the carrier (a command of ours under another key, or a
                // person at the carrier's portal): the step is done.
                match gw.line(&msisdn).await {
                    Ok(Some(l)) if step.done_at(&l) && code != "idempotency_conflict" => {
                        Outcome::Done(l, format!("already so at the carrier ({code})"))
                    }
                    _ => Outcome::Refused(format!("{code}: {message}")),
                }
            }
            Err(GatewayError::Transient(m)) => Outcome::Again {
                status: false,
                why: format!("not applied: {m}"),
            },
            Err(GatewayError::Unknown(m)) => Outcome::Again {
                status: true,
                why: format!("outcome unknown: {m}"),
            },
        };
        ("command", serde_json::to_value(&cmd)?, o)
    };
    let ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    settle(app, ctx, &job, kind, &request, outcome, ms).await
}

/// Writes what a call ended in: the attempt, and the job's (and line's) next state.
async fn settle(
    app: &App,
    ctx: &Ctx,
    job: &ProvisioningJob,
    kind: &str,
    request: &serde_json::Value,
    outcome: Outcome,
    ms: i32,
) -> Result<()> {
    let mut tx = app.tx(ctx).await?;
    // Line, then job: the order every path that holds both takes (no deadlocks).
    contracts::line_lock(&mut tx, job.line_id).await?;
    let claimed = job.lease_until;
    let job = tsunagi_db::repo::orders::job_lock(&mut tx, job.id).await?;
    let (label, answer) = match &outcome {
        Outcome::Done(_, a) => (
            if kind == "status" {
                "matched"
            } else {
                "applied"
            },
            a.clone(),
        ),
        Outcome::Refused(a) => ("refused", a.clone()),
        Outcome::Again { status: _, why } if kind == "status" => ("transient", why.clone()),
        Outcome::Again { status: true, why } => ("unknown", why.clone()),
        Outcome::Again { why, .. } => ("transient", why.clone()),
        Outcome::SendNow(a) => ("differs", a.clone()),
    };
    repo::attempt_insert(&mut tx, job.id, kind, request, label, &answer, ms).await?;
    if job.status != "running" || job.lease_until != claimed {
        // Closed meanwhile (a callback, a person), or claimed again by another worker
        // after our lease ran out: the call is on record, the job is not ours to move.
        tx.commit().await?;
        return Ok(());
    }
    let by = "carrier";
    match outcome {
        Outcome::Done(l, a) => {
            repo::line_seen(&mut tx, job.line_id, l.sequence as i64).await?;
            answer_step(&mut tx, ctx, job, true, &a, by, Answerer::Worker).await?;
        }
        Outcome::Refused(a) => {
            answer_step(&mut tx, ctx, job, false, &a, by, Answerer::Worker).await?;
        }
        Outcome::SendNow(a) => {
            repo::job_schedule(&mut tx, job.id, "send", Utc::now(), false, &a).await?;
        }
        Outcome::Again { status, why } => {
            retry_or_park(app, &mut tx, ctx, &job, status, &why).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
