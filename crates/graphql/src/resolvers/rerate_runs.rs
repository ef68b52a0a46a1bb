//! A tenant's usage months as a whole: re-rating a month (a run quoted in the background,
//! read with its changing pools, and applied once a person confirms its total), and closing
//! a billed month.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::ledger::id;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use tsunagi_app::usage::{periods, rerate_run};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RerateRunStatus {
    /// The worker is rating the month's pools again; nothing changes yet.
    Quoting,
    /// The difference is known: apply it, or start a new run.
    Quoted,
    /// The changing pools are being stored, each if it still totals what was quoted.
    Applying,
    Applied,
    /// A newer run of the same month replaced this quote.
    Superseded,
    /// Its steps failed five times in a row (`error` says why); start a new run.
    Failed,
}

impl RerateRunStatus {
    fn of(s: &str) -> Self {
        match s {
            "quoting" => Self::Quoting,
            "quoted" => Self::Quoted,
            "applying" => Self::Applying,
            "applied" => Self::Applied,
            "superseded" => Self::Superseded,
            _ => Self::Failed,
        }
    }
}

/// A tenant-wide re-rating of one month.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UsageRerateRun {
    pub id: ID,
    /// The tenant whose month it is (a parent reads its resellers' runs by id).
    pub tenant_id: ID,
    /// The first day of the month.
    pub period: NaiveDate,
    pub status: RerateRunStatus,
    /// Pools quoted so far (all of them once `QUOTED`).
    pub pools: i32,
    pub records: i64,
    /// Charged now and after re-rating, minor units (of the pools quoted so far).
    pub before: i64,
    pub after: i64,
    /// Records whose charge changes, and the pools holding them.
    pub changed: i64,
    pub pools_changed: i32,
    /// While and after applying: pools stored, and pools left alone because their usage or
    /// prices moved since the quote (start a new run for them).
    pub pools_applied: i32,
    pub pools_moved: i32,
    pub currency: Option<String>,
    /// The last step's failure, if it failed (the worker tries again every minute, five
    /// times).
    pub error: Option<String>,
    pub requested_by: String,
    pub applied_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub quoted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A pool whose charges the run changes.
#[derive(SimpleObject)]
pub struct UsageRerateRunPool {
    /// The line, or the contract whose lines share the allowance.
    pub pool_owner_id: ID,
    /// A line of the pool (its first record's).
    pub line_id: ID,
    pub records: i64,
    pub before: i64,
    pub after: i64,
    pub changed: i64,
    /// `applied` or `moved` once the run is applied.
    pub outcome: Option<String>,
}

#[ComplexObject]
impl UsageRerateRun {
    /// The pools whose charges change, in owner order (at most 1,000).
    async fn changed_pools(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i64,
    ) -> async_graphql::Result<Vec<UsageRerateRunPool>> {
        let (app, c) = app_ctx(ctx)?;
        let run = parse_id(&self.id, "id")?;
        let pools = rerate_run::pools(app, &c, run, first).await.gql()?;
        Ok(pools
            .into_iter()
            .map(|p| UsageRerateRunPool {
                pool_owner_id: id(p.owner_id),
                line_id: id(p.line_id),
                records: p.records,
                before: p.before,
                after: p.after,
                changed: p.changed,
                outcome: p.outcome,
            })
            .collect())
    }
}

impl From<rerate_run::RerateRun> for UsageRerateRun {
    fn from(r: rerate_run::RerateRun) -> Self {
        Self {
            id: id(r.id),
            tenant_id: id(r.tenant_id),
            period: r.period,
            status: RerateRunStatus::of(&r.status),
            pools: r.pools,
            records: r.records,
            before: r.before,
            after: r.after,
            changed: r.changed,
            pools_changed: r.pools_changed,
            pools_applied: r.pools_applied,
            pools_moved: r.pools_moved,
            currency: r.currency,
            error: r.error,
            requested_by: r.requested_by,
            applied_by: r.applied_by,
            created_at: r.created_at,
            quoted_at: r.quoted_at,
            finished_at: r.finished_at,
        }
    }
}

/// A closed (billed) usage month.
#[derive(SimpleObject)]
pub struct UsageClosedPeriod {
    /// The first day of the month.
    pub period: NaiveDate,
    pub closed_by: String,
    pub closed_at: DateTime<Utc>,
}

impl From<periods::Close> for UsageClosedPeriod {
    fn from(c: periods::Close) -> Self {
        Self {
            period: c.period,
            closed_by: c.closed_by,
            closed_at: c.closed_at,
        }
    }
}

#[derive(Default)]
pub struct RerateRunQuery;

#[Object]
impl RerateRunQuery {
    /// The tenant's closed (billed) months, latest first (staff with `usage:read`).
    async fn usage_closed_periods(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12)] first: i64,
    ) -> async_graphql::Result<Vec<UsageClosedPeriod>> {
        let (app, c) = app_ctx(ctx)?;
        let closed = periods::closed(app, &c, first).await.gql()?;
        Ok(closed.into_iter().map(Into::into).collect())
    }

    /// The tenant's own latest re-rating runs of whole months, newest first (staff with
    /// `usage:read`).
    async fn usage_rerate_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i64,
    ) -> async_graphql::Result<Vec<UsageRerateRun>> {
        let (app, c) = app_ctx(ctx)?;
        let runs = rerate_run::list(app, &c, first).await.gql()?;
        Ok(runs.into_iter().map(Into::into).collect())
    }

    async fn usage_rerate_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<UsageRerateRun> {
        let (app, c) = app_ctx(ctx)?;
        let r = rerate_run::get(app, &c, parse_id(&id, "id")?).await.gql()?;
        Ok(r.into())
    }
}

#[derive(InputObject)]
pub struct UsageRerateRunStartInput {
    /// Any day of the month to re-rate; default: the current one. Not a future month.
    pub period: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UsageRerateRunApplyInput {
    pub id: ID,
    /// The run's `after` as the person saw it: applied only if it is still that.
    pub expected_after: i64,
}

#[derive(SimpleObject)]
pub struct UsageRerateRunPayload {
    pub run: UsageRerateRun,
}

#[derive(InputObject)]
pub struct UsagePeriodCloseInput {
    /// Any day of a month that has ended (in the tenant's time zone).
    pub period: NaiveDate,
}

#[derive(Default)]
pub struct RerateRunMutation;

#[Object]
impl RerateRunMutation {
    /// Closes a month that has ended: its records are no longer taken (they wait in the
    /// rejection queue as `PERIOD_CLOSED`) and it is no longer re-rated. Bill runs close the
    /// months they bill; a month is not reopened. Needs `usage:update`. Audited.
    async fn usage_period_close(
        &self,
        ctx: &Context<'_>,
        input: UsagePeriodCloseInput,
    ) -> async_graphql::Result<UsageClosedPeriod> {
        let (app, c) = app_ctx(ctx)?;
        let closed = periods::close(app, &c, input.period).await.gql()?;
        Ok(closed.into())
    }

    /// Starts re-rating every pool of the tenant's month against the catalog as it is now:
    /// the quote runs in the background (read the run until it is `QUOTED`); nothing changes
    /// until it is applied. Needs `usage:update`. Audited.
    async fn usage_rerate_run_start(
        &self,
        ctx: &Context<'_>,
        input: UsageRerateRunStartInput,
    ) -> async_graphql::Result<UsageRerateRunPayload> {
        let (app, c) = app_ctx(ctx)?;
        let r = rerate_run::start(app, &c, input.period).await.gql()?;
        Ok(UsageRerateRunPayload { run: r.into() })
    }

    /// Applies a quoted run whose total is still `expectedAfter` (else CONFLICT); each pool
    /// is stored only if it still totals what was quoted, and announces `usage.rerated`.
    /// Needs `usage:update`. Audited.
    async fn usage_rerate_run_apply(
        &self,
        ctx: &Context<'_>,
        input: UsageRerateRunApplyInput,
    ) -> async_graphql::Result<UsageRerateRunPayload> {
        let (app, c) = app_ctx(ctx)?;
        let r = rerate_run::apply(
            app,
            &c,
            parse_id(&input.id, "input.id")?,
            input.expected_after,
        )
        .await
        .gql()?;
        Ok(UsageRerateRunPayload { run: r.into() })
    }
}
