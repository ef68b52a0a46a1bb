//! A line in review (or still pending) is resolved by a person to what the carrier really
//! did, under a second person's approval; the open steps close and their orders complete
//! or fail accordingly.

use super::carrier::{check_text, settle, target};
use super::line_ops::set_line_state;
use super::order_move;
use crate::approvals::{self, ApprovalCommand, ApprovalLink, Executor};
use crate::{App, Ctx};
use serde_json::{Value, json};
use tsunagi_core::states::{LineState, OrderState, StateMachine};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::contracts;
use tsunagi_db::repo::orders as repo;
use uuid::Uuid;

/// Asks for a line in review (or still pending) to be set to what the carrier really did:
/// `active`, `suspended` or `terminated`. Becomes an approval request.
pub async fn line_review_request(
    app: &App,
    ctx: &Ctx,
    line_id: Uuid,
    to: LineState,
    reason: &str,
) -> Result<ApprovalRequest> {
    app.authz.check(&ctx.principal, "line", "review").await?;
    check_text("input.reason", reason)?;
    if !matches!(
        to,
        LineState::Active | LineState::Suspended | LineState::Terminated
    ) {
        return Err(Error::invalid(
            "input.status",
            "must be ACTIVE, SUSPENDED or TERMINATED (what the carrier did)",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    let line = contracts::line_lock(&mut tx, line_id).await?;
    let from = LineState::from_db(&line.status)?;
    if !matches!(from, LineState::NeedsReview | LineState::Pending) {
        return Err(Error::conflict(format!(
            "the line is {}; only lines in review or pending are resolved by hand",
            line.status
        )));
    }
    let summary = format!(
        "resolve line +{} ({} → {}): {}, requested by {}",
        line.msisdn,
        from.as_str(),
        to.as_str(),
        reason.trim(),
        ctx.principal.actor.label()
    );
    let cmd = LineReviewResolve {
        line_id,
        to: to.as_str().to_owned(),
        reason: reason.trim().to_owned(),
    };
    let a = approvals::request(app, &mut tx, ctx, "line", line.id, summary, &cmd).await?;
    tx.commit().await?;
    Ok(a)
}

/// A person's decision on what a line really is, waiting for its approval.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LineReviewResolve {
    pub line_id: Uuid,
    pub to: String,
    pub reason: String,
}

impl ApprovalCommand for LineReviewResolve {
    const KIND: &'static str = "line_review_resolve";
    fn action(&self) -> String {
        "line.review_resolve".into()
    }
}

pub struct LineReviewExecutor;

#[async_trait::async_trait]
impl Executor for LineReviewExecutor {
    async fn execute(
        &self,
        _app: &App,
        tx: &mut TenantTx,
        ctx: &Ctx,
        link: &ApprovalLink,
        command: Value,
    ) -> Result<Value> {
        let c: LineReviewResolve = approvals::read_command(command)?;
        line_review_execute(tx, ctx, link, c.line_id, &c.to, &c.reason).await
    }
}

/// Runs an approved resolution inside the approval's transaction.
pub async fn line_review_execute(
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    line_id: Uuid,
    to: &str,
    reason: &str,
) -> Result<Value> {
    let to = LineState::from_db(to)?;
    let line = contracts::line_lock(tx, line_id).await?;
    let from = LineState::from_db(&line.status)?;
    if !matches!(from, LineState::NeedsReview | LineState::Pending) {
        return Err(Error::conflict(format!(
            "the line is {} now; nothing to resolve",
            line.status
        )));
    }
    let why = format!("resolved after review: {reason}");
    let line = set_line_state(tx, ctx, Some(link), line, to, Some(&why)).await?;
    settle(tx, ctx, &line, to).await?;
    let by = format!("review:{}", link.approval_id);
    let mut orders = Vec::new();
    for job in repo::jobs_open_of_line(tx, line_id).await? {
        let answer = format!("closed by review: the line is {}", to.as_str());
        let done = target(&job.action) == Some(to);
        let status = if done { "done" } else { "failed" };
        repo::job_close(tx, job.id, status, &by, Some(&answer)).await?;
        let order = repo::order_lock(tx, job.order_id).await?;
        if order.status == OrderState::InProgress.as_str() {
            let (state, note) = if done {
                (OrderState::Completed, None)
            } else {
                (OrderState::Failed, Some(answer.as_str()))
            };
            orders.push(json!({ "orderId": order.id, "status": state.as_str() }));
            order_move(tx, ctx, order, state, note).await?;
        }
    }
    Ok(json!({ "lineId": line.id, "status": line.status, "orders": orders }))
}
