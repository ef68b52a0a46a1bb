//! The connected carrier: a tenant's carrier settings, its usage feed, the open carrier
//! steps with what each waits for, and a person's "retry now" for a step whose tries ran out.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::carrier::{
    CarrierSettings, CarrierUsageFeed, ProvisioningJob, ReconciliationItem, ReconciliationRun,
};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::carrier::{jobs, reconcile, settings, usage_feed};

#[derive(Default)]
pub struct CarrierQuery;

#[Object]
impl CarrierQuery {
    /// The tenant's carrier (null: none set; steps complete locally or wait for a person).
    async fn carrier_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CarrierSettings>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(settings::get(app, &c).await.gql()?.map(Into::into))
    }
    /// The carrier's usage feed as the worker reads it: how far, how many records, when,
    /// and the last failure (null: never read). Needs `carrier:read`.
    async fn carrier_usage_feed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CarrierUsageFeed>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(usage_feed::feed(app, &c).await.gql()?.map(Into::into))
    }
    /// Carrier steps still open, oldest first: with the workers (`nextAttemptAt`,
    /// `waitingFor`), parked after their tries (`exhaustedAt`), or waiting for a person.
    async fn carrier_jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, ProvisioningJob, EmptyFields, EmptyFields>>
    {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = jobs::open(app, &c, page.after, page.limit).await.gql()?;
        Ok(forward_connection(rows, page, |r| r.id, Into::into))
    }
    /// Reconciliation runs, newest first (`before`: a run id, for the next page).
    async fn reconciliation_runs(
        &self,
        ctx: &Context<'_>,
        before: Option<ID>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<ReconciliationRun>> {
        let (app, c) = app_ctx(ctx)?;
        let before = before.map(|b| parse_id(&b, "before")).transpose()?;
        let limit = i64::from(first.clamp(1, 100));
        let rows = reconcile::runs(app, &c, before, limit).await.gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
    async fn reconciliation_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ReconciliationRun> {
        let (app, c) = app_ctx(ctx)?;
        let r = reconcile::run_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()?;
        Ok(r.into())
    }
    /// Numbers that differed: of one run, or all (callbacks and resyncs too);
    /// `needsPerson` keeps those waiting for a person.
    async fn reconciliation_items(
        &self,
        ctx: &Context<'_>,
        run_id: Option<ID>,
        #[graphql(default = false)] needs_person: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, ReconciliationItem, EmptyFields, EmptyFields>>
    {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let run = run_id.map(|r| parse_id(&r, "runId")).transpose()?;
        let rows = reconcile::items(app, &c, run, needs_person, page.after, page.limit)
            .await
            .gql()?;
        Ok(forward_connection(rows, page, |r| r.id, Into::into))
    }
}

#[derive(InputObject)]
pub struct CarrierSettingsInput {
    /// The carrier API's base URL (docs/carrier-api.md), e.g. https://api.carrier.example.
    pub endpoint: String,
    /// Required the first time; leave out to keep the current key. Sealed, never shown.
    pub api_key: Option<String>,
    /// Whether new carrier steps go to the carrier (default true).
    #[graphql(default = true)]
    pub enabled: bool,
    /// How long one call may take (100–60000 ms; default 10000).
    #[graphql(default = 10000)]
    pub timeout_ms: i32,
    /// The current version (leave out the first time).
    pub version: Option<i32>,
    /// Makes a new callback secret (one is always made the first time).
    #[graphql(default = false)]
    pub rotate_callback_secret: bool,
    /// Hours the previous secret keeps verifying callbacks after a rotation (0–168,
    /// default 24), while the carrier switches to the new one.
    #[graphql(default = 24)]
    pub overlap_hours: i32,
    /// The SM-DP+'s ES2+ base URL for eSIM profiles; leave out for none (profiles are then
    /// prepared by hand with `esimProfileSetStatus`).
    pub smdp_endpoint: Option<String>,
    /// The SM-DP+'s API key: required when it is first set; leave out to keep it.
    pub smdp_api_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CarrierSettingsPayload {
    pub settings: CarrierSettings,
    /// The secret the carrier signs its callbacks with: shown this once, when made.
    pub callback_secret: Option<String>,
}

#[derive(InputObject)]
pub struct CarrierJobRetryInput {
    pub job_id: ID,
}

#[derive(SimpleObject)]
pub struct CarrierJobRetryPayload {
    pub job: ProvisioningJob,
}

#[derive(Default)]
pub struct CarrierGatewayMutation;

#[Object]
impl CarrierGatewayMutation {
    /// Connects (or changes) the tenant's carrier. The endpoint passes the SSRF guard.
    async fn carrier_settings_set(
        &self,
        ctx: &Context<'_>,
        input: CarrierSettingsInput,
    ) -> async_graphql::Result<CarrierSettingsPayload> {
        let (app, c) = app_ctx(ctx)?;
        let (row, secret) = settings::set(
            app,
            &c,
            settings::CarrierSettingsInput {
                endpoint: input.endpoint,
                api_key: input.api_key,
                enabled: input.enabled,
                timeout_ms: input.timeout_ms,
                version: input.version,
                rotate_callback_secret: input.rotate_callback_secret,
                overlap_hours: input.overlap_hours,
                smdp_endpoint: input.smdp_endpoint,
                smdp_api_key: input.smdp_api_key,
            },
        )
        .await
        .gql()?;
        Ok(CarrierSettingsPayload {
            settings: row.into(),
            callback_secret: secret,
        })
    }
    /// Retry now: a step parked after its tries gets a fresh round at the carrier.
    async fn carrier_job_retry(
        &self,
        ctx: &Context<'_>,
        input: CarrierJobRetryInput,
    ) -> async_graphql::Result<CarrierJobRetryPayload> {
        let (app, c) = app_ctx(ctx)?;
        let job = jobs::retry(app, &c, parse_id(&input.job_id, "input.jobId")?)
            .await
            .gql()?;
        Ok(CarrierJobRetryPayload { job: job.into() })
    }
    /// Starts a reconciliation run now; it goes on in the background (poll
    /// `reconciliationRun`).
    async fn carrier_reconcile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<ReconciliationRun> {
        let (app, c) = app_ctx(ctx)?;
        Ok(reconcile::start(app, &c).await.gql()?.into())
    }
    /// Asks the carrier for one line now and judges it by the rules; says what it found.
    async fn carrier_line_resync(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<String> {
        let (app, c) = app_ctx(ctx)?;
        reconcile::resync(app, &c, parse_id(&line_id, "lineId")?)
            .await
            .gql()
    }
}
