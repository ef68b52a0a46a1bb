//! The carrier as GraphQL objects: provisioning steps with what each waits for, the calls
//! made for them, and a tenant's carrier settings (never its key or secret).

use super::ledger::id;
use crate::{GqlResult, app_ctx};
use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::carrier::{Attempt, CarrierRow};
use tsunagi_app::views::orders;

/// A carrier step of an order.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProvisioningJob {
    pub id: ID,
    pub order_id: ID,
    pub line_id: ID,
    /// `activate`, `suspend`, `resume`, `terminate`, `swap_sim`, `set_speed_limit`.
    pub action: String,
    /// `queued`, `running` (a worker is calling the carrier), `done`, `failed`.
    pub status: String,
    /// `carrier` (a worker), `local` (no carrier connected), `report:<who>`,
    /// `review:<approval>`.
    pub completed_by: Option<String>,
    /// What the carrier (or a person reading its portal, or a review) answered, and when.
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Calls that did not settle it (failed sends and status questions).
    pub attempts: i32,
    /// What happens next: `SEND` (the command, again) or `STATUS` (ask the carrier how the
    /// line is: the last outcome is unknown); null when no worker has it.
    pub waiting_for: Option<String>,
    /// When a worker takes it next; null: waits for a person (parked, or no carrier).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure, in the carrier's words.
    pub last_error: Option<String>,
    /// When its tries ran out (its line went to review; `carrierJobRetry` starts again).
    pub exhausted_at: Option<DateTime<Utc>>,
}

impl From<orders::ProvisioningJob> for ProvisioningJob {
    fn from(j: orders::ProvisioningJob) -> Self {
        Self {
            id: id(j.id),
            order_id: id(j.order_id),
            line_id: id(j.line_id),
            action: j.action,
            status: j.status,
            completed_by: j.completed_by,
            answer: j.answer,
            answered_at: j.answered_at,
            created_at: j.created_at,
            attempts: j.attempts,
            waiting_for: j.waiting_for.map(|w| w.to_uppercase()),
            next_attempt_at: j.next_attempt_at,
            last_error: j.last_error,
            exhausted_at: j.exhausted_at,
        }
    }
}

#[ComplexObject]
impl ProvisioningJob {
    /// Every call made at the carrier for this step, oldest first.
    async fn carrier_attempts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CarrierAttempt>> {
        let (app, c) = app_ctx(ctx)?;
        let job = crate::error::parse_id(&self.id, "id")?;
        let rows = tsunagi_app::carrier::jobs::attempts(app, &c, job)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// One call at the carrier.
#[derive(SimpleObject)]
pub struct CarrierAttempt {
    pub at: DateTime<Utc>,
    /// `COMMAND` (sent under the step's idempotency key) or `STATUS` (the line asked for).
    pub kind: String,
    /// What was sent.
    pub request: async_graphql::Json<serde_json::Value>,
    /// `APPLIED`, `REFUSED`, `TRANSIENT` (not applied), `UNKNOWN` (no answer), `MATCHED`
    /// (the line already shows the step), `DIFFERS` (not yet), `MISSING`.
    pub outcome: String,
    pub answer: String,
    pub duration_ms: i32,
}

impl From<Attempt> for CarrierAttempt {
    fn from(a: Attempt) -> Self {
        Self {
            at: a.at,
            kind: a.kind.to_uppercase(),
            request: async_graphql::Json(a.request),
            outcome: a.outcome.to_uppercase(),
            answer: a.answer,
            duration_ms: a.duration_ms,
        }
    }
}

/// A tenant's carrier. Its API key and callback secret are sealed and never shown.
#[derive(SimpleObject)]
pub struct CarrierSettings {
    pub endpoint: String,
    /// Whether new carrier steps go to it (off: they wait for a person).
    pub enabled: bool,
    pub timeout_ms: i32,
    pub version: i32,
    /// Where the carrier sends its callbacks, under this API's address.
    pub callback_path: String,
    /// The SM-DP+'s ES2+ base URL (null: none).
    pub smdp_endpoint: Option<String>,
    /// Where the SM-DP+ sends its download notices (HandleDownloadProgressInfo), signed
    /// with the same callback secret.
    pub smdp_notice_path: String,
    pub updated_at: DateTime<Utc>,
}

impl From<CarrierRow> for CarrierSettings {
    fn from(r: CarrierRow) -> Self {
        Self {
            endpoint: r.endpoint,
            enabled: r.enabled,
            timeout_ms: r.timeout_ms,
            version: r.version,
            callback_path: tsunagi_app::carrier::callbacks::path(r.tenant_id),
            smdp_endpoint: r.smdp_endpoint,
            smdp_notice_path: tsunagi_app::carrier::notices::path(r.tenant_id),
            updated_at: r.updated_at,
        }
    }
}

/// A reconciliation run: our lines against the carrier's inventory.
#[derive(SimpleObject)]
pub struct ReconciliationRun {
    pub id: ID,
    /// `schedule` or `manual`.
    pub trigger: String,
    /// `running`, `done`, `failed` (`error` says why).
    pub status: String,
    pub lines_checked: i32,
    pub in_sync: i32,
    pub drifted: i32,
    /// Drift repaired by a written rule (docs/carrier-api.md).
    pub repaired: i32,
    pub needs_person: i32,
    pub error: Option<String>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<tsunagi_app::views::carrier::Run> for ReconciliationRun {
    fn from(r: tsunagi_app::views::carrier::Run) -> Self {
        Self {
            id: id(r.id),
            trigger: r.trigger,
            status: r.status,
            lines_checked: r.lines_checked,
            in_sync: r.in_sync,
            drifted: r.drifted,
            repaired: r.repaired,
            needs_person: r.needs_person,
            error: r.error,
            started_by: r.started_by,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// One number that differed from the carrier's.
#[derive(SimpleObject)]
pub struct ReconciliationItem {
    pub id: ID,
    /// The run (null: found by a callback or a single-line resync).
    pub run_id: Option<ID>,
    /// `run`, `callback` or `resync`.
    pub source: String,
    pub msisdn: String,
    pub line_id: Option<ID>,
    /// `missing_at_carrier`, `missing_here`, `state_differs`, `sim_differs`, `ported_out`.
    pub kind: String,
    /// Our side and the carrier's, as each had it.
    pub ours: Option<async_graphql::Json<serde_json::Value>>,
    pub theirs: Option<async_graphql::Json<serde_json::Value>>,
    /// `repaired` or `needs_person`.
    pub action: String,
    /// The rule that decided (docs/carrier-api.md).
    pub rule: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<tsunagi_app::views::carrier::Item> for ReconciliationItem {
    fn from(i: tsunagi_app::views::carrier::Item) -> Self {
        Self {
            id: id(i.id),
            run_id: i.run_id.map(id),
            source: i.source,
            msisdn: format!("+{}", i.msisdn),
            line_id: i.line_id.map(id),
            kind: i.kind,
            ours: i.ours.map(async_graphql::Json),
            theirs: i.theirs.map(async_graphql::Json),
            action: i.action,
            rule: i.rule,
            note: i.note,
            created_at: i.created_at,
        }
    }
}

/// The carrier's usage feed as the worker reads it (`carrier.usage_poll_ms`).
#[derive(SimpleObject)]
pub struct CarrierUsageFeed {
    /// The carrier's position after the last records taken (null: none yet).
    pub position: Option<String>,
    /// Records received from the feed so far (duplicates and refused ones included).
    pub records: i64,
    /// When the feed was last read without failure.
    pub pulled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last reading's failure (cleared by the next success); nothing is lost: the next
    /// reading starts at `position`.
    pub last_error: Option<String>,
    pub failed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<tsunagi_app::carrier::usage_feed::Feed> for CarrierUsageFeed {
    fn from(f: tsunagi_app::carrier::usage_feed::Feed) -> Self {
        Self {
            position: f.position,
            records: f.records,
            pulled_at: f.pulled_at,
            last_error: f.last_error,
            failed_at: f.failed_at,
        }
    }
}
