//! The carrier's answers and review: recording what the carrier answered to a step, and
//! resolving a line in review (or still pending) to what the carrier really did (an
//! approval request).

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::ledger::LineStatus;
use crate::types::ledger_lines::{ApprovalRequest, ProvisioningJob};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::orders::{carrier, review};

#[derive(InputObject)]
pub struct CarrierReportInput {
    /// The provisioning job (`Line.provisioningJobs`).
    pub job_id: ID,
    /// Whether the carrier carried the step out.
    pub succeeded: bool,
    /// What the carrier answered (its reference or error), kept with the step.
    pub answer: String,
}

#[derive(SimpleObject)]
pub struct CarrierReportPayload {
    pub job: ProvisioningJob,
}

#[derive(InputObject)]
pub struct LineReviewResolveInput {
    pub line_id: ID,
    /// What the carrier did: ACTIVE, SUSPENDED or TERMINATED.
    pub status: LineStatus,
    /// How this was established (e.g. the carrier's ticket number).
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct LineReviewResolvePayload {
    /// Executed once a different approver approves it.
    pub approval_request: ApprovalRequest,
}

#[derive(Default)]
pub struct CarrierMutation;

#[Object]
impl CarrierMutation {
    /// Records the carrier's answer to a waiting step: success completes it (the line
    /// reaches its end state, the order completes); a refusal sends the line to
    /// `NEEDS_REVIEW` and fails the order.
    async fn carrier_report(
        &self,
        ctx: &Context<'_>,
        input: CarrierReportInput,
    ) -> async_graphql::Result<CarrierReportPayload> {
        let (app, c) = app_ctx(ctx)?;
        let job = carrier::carrier_report(
            app,
            &c,
            parse_id(&input.job_id, "input.jobId")?,
            input.succeeded,
            &input.answer,
        )
        .await
        .gql()?;
        Ok(CarrierReportPayload { job: job.into() })
    }
    /// Asks to set a line in review (or pending) to what the carrier did; a second person
    /// approves. Open steps then close and their orders complete or fail accordingly.
    async fn line_review_resolve(
        &self,
        ctx: &Context<'_>,
        input: LineReviewResolveInput,
    ) -> async_graphql::Result<LineReviewResolvePayload> {
        let (app, c) = app_ctx(ctx)?;
        let a = review::line_review_request(
            app,
            &c,
            parse_id(&input.line_id, "input.lineId")?,
            input.status.into(),
            &input.reason,
        )
        .await
        .gql()?;
        Ok(LineReviewResolvePayload {
            approval_request: ApprovalRequest(a),
        })
    }
}
