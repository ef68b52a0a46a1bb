//! Re-rating a tenant's whole month after a price correction. A month can hold millions of
//! records, so a run works in the background, durably, in small transactions: `start` opens
//! it and the quote walks the tenant's pools of the month in owner order (`cursor` keeps
//! where it stands, so a crashed worker's successor resumes there), rating each pool again
//! as [`super::rerate`] does for one line and keeping the pools whose charges change. A
//! person reads the difference and confirms the total (`apply`, with the quote's `after`);
//! then each changed pool is re-rated again under its row lock and stored only if it still
//! totals what was quoted — else it is counted as `moved` (its usage or prices changed
//! since) and left for a new quote. A worker's lease (`working_until`) keeps two workers off
//! one run (a worker that lost its lease rolls its step back); the worker's minute sweep
//! (`work_waiting`) picks up runs nobody works on, and a step that fails is kept as the
//! run's `error` and tried again by the next sweep, five times before the run `failed`.

use super::rerate::{compute_pool, store};
use crate::record::record;
use crate::{App, Ctx};
use chrono::{NaiveDate, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use tsunagi_core::tenant::TenantSettings;
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::rating as rating_repo;
use tsunagi_db::repo::rerate_runs::{self as repo, Run, RunPool};
use uuid::Uuid;

pub use tsunagi_db::repo::rerate_runs::{Run as RerateRun, RunPool as RerateRunPool};

/// Pools quoted per transaction (and per lease renewal).
const QUOTE_STEP: i64 = 200;
/// Pools applied per transaction: their row locks hold the intake of those pools until it
/// commits, so fewer.
const APPLY_STEP: i64 = 20;
/// A worker's lease on a run, seconds: renewed every step.
const LEASE_SECS: i32 = 300;
/// Failed steps in a row after which a run is `failed` (the month can be re-rated again).
const ATTEMPTS: i32 = 5;

/// Opens a run for the month holding `period` (default: the current one) and starts quoting
/// it. Needs `usage:update`. A future month is refused; a quoted run of the same month is
/// superseded; one being quoted or applied is a CONFLICT.
pub async fn start(app: &App, ctx: &Ctx, period: Option<NaiveDate>) -> Result<Run> {
    super::staff_only(ctx, STAFF_ONLY)?;
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let tz = app.settings.of(&mut tx).await?.settings.tz();
    let now = super::first_of(Utc::now().with_timezone(&tz).date_naive());
    let period = super::first_of(period.unwrap_or(now));
    if period > now {
        return Err(Error::invalid(
            "input.period",
            format!("{period} is in the future; re-rate a month that has usage"),
        ));
    }
    super::periods::refuse_closed(&mut tx, ctx.principal.tenant_id.as_uuid(), period).await?;
    let run = repo::run_insert(
        &mut tx,
        Uuid::now_v7(),
        period,
        &ctx.principal.actor.label(),
    )
    .await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.rerate_run_start", "usage_rerate_run", run.id)
            .after(serde_json::json!({ "period": period })),
        None,
    )
    .await?;
    tx.commit().await?;
    spawn(app, ctx.principal.tenant_id, run.id);
    Ok(run)
}

/// Applies a quoted run if its total after re-rating is `expected_after` (what the person
/// saw); the pools are stored in the background. Needs `usage:update`.
pub async fn apply(app: &App, ctx: &Ctx, id: Uuid, expected_after: i64) -> Result<Run> {
    super::staff_only(ctx, STAFF_ONLY)?;
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let mut run = repo::run_get(&mut tx, id, true)
        .await?
        .ok_or_else(|| Error::not_found("re-rating run"))?;
    if run.tenant_id != ctx.principal.tenant_id.as_uuid() {
        return Err(Error::forbidden(
            "the run belongs to a reseller; only it applies its re-rating",
        ));
    }
    if run.status != "quoted" {
        return Err(Error::conflict(format!(
            "the run is {}; only a quoted run is applied",
            run.status
        )));
    }
    super::periods::refuse_closed(&mut tx, run.tenant_id, run.period).await?;
    if run.after != expected_after {
        return Err(Error::conflict(format!(
            "the run totals {} after re-rating, not {expected_after}; read it again",
            run.after
        )));
    }
    let before = serde_json::to_value(&run).unwrap_or_default();
    run.status = "applying".into();
    run.applied_by = Some(ctx.principal.actor.label());
    repo::run_save(&mut tx, &run, None, None).await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.rerate_run_apply", "usage_rerate_run", run.id)
            .before(before)
            .after(serde_json::json!({ "status": run.status, "after": run.after })),
        None,
    )
    .await?;
    tx.commit().await?;
    spawn(app, ctx.principal.tenant_id, run.id);
    Ok(run)
}

/// A run of the principal's tenant or one it reads (`usage:read`, staff only).
pub async fn get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Run> {
    readable(app, ctx).await?;
    let mut tx = app.read(ctx).await?;
    let run = repo::run_get(&mut tx, id, false).await?;
    tx.end()?;
    run.ok_or_else(|| Error::not_found("re-rating run"))
}

/// The latest runs, newest first.
pub async fn list(app: &App, ctx: &Ctx, first: i64) -> Result<Vec<Run>> {
    readable(app, ctx).await?;
    let mut tx = app.read(ctx).await?;
    let runs = repo::runs_list(&mut tx, first.clamp(1, 100)).await?;
    tx.end()?;
    Ok(runs)
}

/// A run's changing pools (the first `first`, in owner order).
pub async fn pools(app: &App, ctx: &Ctx, id: Uuid, first: i64) -> Result<Vec<RunPool>> {
    readable(app, ctx).await?;
    let mut tx = app.read(ctx).await?;
    let pools = repo::pools_of_run(&mut tx, id, false, first.clamp(1, 1_000)).await?;
    tx.end()?;
    Ok(pools)
}

/// Why a customer's login may not re-rate (a line or a month).
pub(super) const STAFF_ONLY: &str = "re-rating is for the operator's staff";

async fn readable(app: &App, ctx: &Ctx) -> Result<()> {
    super::staff_only(ctx, STAFF_ONLY)?;
    app.authz.check(&ctx.principal, "usage", "read").await
}

/// Runs this process works on now; the sweep starts more only below [`SWEPT_AT_ONCE`], so
/// long runs leave the worker's connections to its other jobs.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
const SWEPT_AT_ONCE: usize = 2;

fn spawn(app: &App, tenant: TenantId, id: Uuid) {
    let app = app.clone();
    RUNNING.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let worked = work(&app, tenant, id).await;
        RUNNING.fetch_sub(1, Ordering::Relaxed);
        if let Err(e) = worked {
            tracing::warn!(run = %id, error = %e.detail(), "re-rating run stopped; the worker's sweep resumes it");
        }
    });
}

/// Worker activation: starts work on every run nobody works on (after a crash, a restart or
/// a failed step), each in its own task so a long run does not hold up the other jobs.
pub async fn work_waiting(app: &App) -> Result<usize> {
    let waiting = repo::runs_waiting(&app.db).await?;
    let mut n = 0;
    for (tenant, id) in waiting {
        if RUNNING.load(Ordering::Relaxed) >= SWEPT_AT_ONCE {
            break;
        }
        spawn(app, TenantId(tenant), id);
        n += 1;
    }
    Ok(n)
}

/// What a step did.
enum Step {
    More,
    Done,
    /// Another worker holds the run now: this one stops, having written nothing.
    Lost,
}

/// Quotes or applies a run to its end, a step of pools per transaction, if no other worker
/// holds it. A failed step is kept as the run's `error` and the run is released for the
/// worker's next sweep, which resumes where it stands; after [`ATTEMPTS`] failures in a row
/// the run is `failed`.
pub async fn work(app: &App, tenant: TenantId, id: Uuid) -> Result<()> {
    let Some(ctx) = Ctx::system(app, tenant, "system:rerate").await? else {
        return Ok(());
    };
    let lease = Uuid::now_v7();
    let mut tx = app.tx(&ctx).await?;
    let claimed = repo::run_claim(&mut tx, id, lease, LEASE_SECS).await?;
    tx.commit().await?;
    let Some(mut run) = claimed else {
        return Ok(());
    };
    // The tenant's rounding and currency, read once: the whole run prices with the same.
    let mut tx = app.read(&ctx).await?;
    let settings = crate::tenants::effective_settings(&mut tx, tenant).await?;
    tx.end()?;
    loop {
        let attempts = run.attempts + 1;
        run.error = None;
        run.attempts = 0;
        let step = match run.status.as_str() {
            "quoting" => quote_step(app, &ctx, &settings, &mut run, lease).await,
            "applying" => apply_step(app, &ctx, &settings, &mut run, lease).await,
            _ => return Ok(()),
        };
        match step {
            Ok(Step::More) => continue,
            Ok(Step::Done | Step::Lost) => return Ok(()),
            Err(e) => {
                let error: String = e.detail().chars().take(1000).collect();
                let mut tx = app.tx(&ctx).await?;
                repo::run_failed_step(&mut tx, id, lease, &error, attempts, attempts >= ATTEMPTS)
                    .await?;
                tx.commit().await?;
                return Err(e);
            }
        }
    }
}

/// Ends a step: saves the run under the worker's lease and commits, or rolls the whole step
/// back when the lease was lost.
async fn end_step(
    mut tx: tsunagi_db::TenantTx,
    run: &Run,
    done: bool,
    lease: Uuid,
) -> Result<Step> {
    let renew = (!done).then_some(LEASE_SECS);
    if !repo::run_save(&mut tx, run, renew, Some(lease)).await? {
        drop(tx); // rolled back: the step's pools are another worker's now
        return Ok(Step::Lost);
    }
    tx.commit().await?;
    Ok(if done { Step::Done } else { Step::More })
}

/// Quotes the next pools.
async fn quote_step(
    app: &App,
    ctx: &Ctx,
    settings: &TenantSettings,
    run: &mut Run,
    lease: Uuid,
) -> Result<Step> {
    let mut tx = app.tx(ctx).await?;
    if !repo::run_renew(&mut tx, run.id, lease, LEASE_SECS).await? {
        return Ok(Step::Lost);
    }
    let tenant = ctx.principal.tenant_id;
    let rows = repo::pools_after(&mut tx, run.period, run.cursor, QUOTE_STEP).await?;
    let done = (rows.len() as i64) < QUOTE_STEP;
    for row in rows {
        let owner = row.owner_id;
        let (r, _, _) =
            compute_pool(&mut tx, tenant.as_uuid(), settings, Some(row), run.period).await?;
        run.cursor = Some(owner);
        run.pools += 1;
        run.records += r.records;
        run.before = run.before.saturating_add(r.before);
        run.after = run.after.saturating_add(r.after);
        run.changed += r.changed;
        run.currency = Some(r.currency.clone());
        if r.changed > 0 {
            run.pools_changed += 1;
            let p = RunPool {
                owner_id: owner,
                line_id: r.line_id,
                records: r.records,
                before: r.before,
                after: r.after,
                changed: r.changed,
                outcome: None,
            };
            repo::pool_add(&mut tx, run.id, &p).await?;
        }
    }
    if done {
        run.status = "quoted".into();
        run.quoted_at = Some(Utc::now());
        run.currency.get_or_insert(settings.currency.clone());
    }
    end_step(tx, run, done, lease).await
}

/// Applies the next changed pools, each only if it still totals what was quoted.
async fn apply_step(
    app: &App,
    ctx: &Ctx,
    settings: &TenantSettings,
    run: &mut Run,
    lease: Uuid,
) -> Result<Step> {
    let mut tx = app.tx(ctx).await?;
    if !repo::run_renew(&mut tx, run.id, lease, LEASE_SECS).await? {
        return Ok(Step::Lost);
    }
    let tenant = ctx.principal.tenant_id;
    // The month is held open before any pool is locked (the intake's order); a month closed
    // since the run was applied ends it: what it stored stays, the rest is not stored.
    tsunagi_db::repo::usage_periods::hold_open(&mut tx).await?;
    if tsunagi_db::repo::usage_periods::is_closed(&mut tx, tenant.as_uuid(), run.period).await? {
        run.status = "failed".into();
        run.error = Some(format!(
            "{} was closed (billed) while the re-rating was applied",
            run.period.format("%Y-%m")
        ));
        run.finished_at = Some(Utc::now());
        return end_step(tx, run, true, lease).await;
    }
    let open = repo::pools_of_run(&mut tx, run.id, true, APPLY_STEP).await?;
    let done = (open.len() as i64) < APPLY_STEP;
    for p in open {
        let row = rating_repo::pools_lock(&mut tx, &[p.owner_id], &[run.period])
            .await?
            .into_iter()
            .next();
        let (r, charges, row) =
            compute_pool(&mut tx, tenant.as_uuid(), settings, row, run.period).await?;
        let outcome = if r.before == p.before && r.after == p.after && r.records == p.records {
            store(&mut tx, ctx, r, &charges, row).await?;
            run.pools_applied += 1;
            "applied"
        } else {
            run.pools_moved += 1;
            "moved"
        };
        repo::pool_outcome(&mut tx, run.id, p.owner_id, outcome).await?;
    }
    if done {
        run.status = "applied".into();
        run.finished_at = Some(Utc::now());
    }
    end_step(tx, run, done, lease).await
}
