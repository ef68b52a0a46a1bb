//! Suspend, resume and terminate: always through an approval request. The request checks
//! that the operation makes sense now; the execution (after approval) checks again under
//! the line's row lock, so two concurrent requests cannot both win and the carrier is
//! asked once (the job's idempotency key is the order).

use super::{LOCAL_NOTE, carrier, order_open_held, order_step, provision};
use crate::approvals::{self, ApprovalCommand, ApprovalLink, Ending, Executor};
use crate::payloads;
use crate::record::record_event;
use crate::{App, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tsunagi_core::events::Event;
use tsunagi_core::states::{LineState, OrderState, StateMachine};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::contracts::{self, Line};
use tsunagi_db::repo::orders::{self as repo, Order};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LineOp {
    Suspend,
    Resume,
    Terminate,
}

impl LineOp {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Terminate => "terminate",
        }
    }
    /// The in-flight state a line in `from` enters (the end state is the carrier step's).
    fn path(&self, from: LineState) -> Result<LineState> {
        let mid = match self {
            Self::Suspend => LineState::Suspending,
            Self::Resume => LineState::Resuming,
            Self::Terminate => LineState::Terminating,
        };
        from.transition(mid)
    }
}

/// Asks for a suspension, resumption or termination. Staff need `line:<op>`; a customer
/// admin may ask for suspend/resume of the company's own lines (`self_service:request`).
/// Returns the held order and the approval request.
pub async fn line_op_request(
    app: &App,
    ctx: &Ctx,
    line_id: Uuid,
    op: LineOp,
    reason: &str,
) -> Result<(Order, ApprovalRequest)> {
    let p = &ctx.principal;
    if p.is_customer() {
        app.authz.check(p, "self_service", "request").await?;
        if p.customer.is_none() {
            return Err(Error::forbidden(
                "this customer login is not linked to a customer",
            ));
        }
        if op == LineOp::Terminate {
            return Err(Error::forbidden(
                "customers may request suspend and resume only",
            ));
        }
    } else {
        app.authz.check(p, "line", op.as_str()).await?;
    }
    let mut v = Validator::new();
    v.check(
        op == LineOp::Resume || !reason.trim().is_empty(),
        "input.reason",
        "must say why",
    );
    v.check(
        reason.len() <= 500,
        "input.reason",
        "must be at most 500 characters",
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let line = contracts::line_lock(&mut tx, line_id).await?;
    if let Some(scope) = p.customer
        && (line.customer_id != scope.customer_id || scope.line_id.is_some_and(|l| l != line.id))
    {
        return Err(Error::not_found("line"));
    }
    op.path(LineState::from_db(&line.status)?)?;
    let summary = format!(
        "{} line +{} ({}), requested by {}",
        op.as_str(),
        line.msisdn,
        reason.trim(),
        p.actor.label()
    );
    let cmd = LineOperation {
        op,
        line_id,
        order_id: Uuid::now_v7(),
        reason: reason.trim().to_owned(),
    };
    let approval = approvals::draft(app, &mut tx, ctx, "line", line.id, summary, &cmd).await?;
    let (o, approval) = order_open_held(
        &mut tx,
        ctx,
        &approval,
        cmd.order_id,
        op.as_str(),
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok((o, approval))
}

/// Runs an approved operation inside the approval's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn line_op_execute(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    op: LineOp,
    line_id: Uuid,
    order_id: Uuid,
    reason: &str,
) -> Result<Value> {
    let (line, order, contract) = repo::step_lock(tx, line_id, order_id).await?;
    let from = LineState::from_db(&line.status)?;
    let mid = op.path(from)?;
    // Each step is recorded as it happens; the rows are written once, in their last state.
    let order = order_step(tx, ctx, order, OrderState::InProgress, None).await?;
    let line = line_step(tx, ctx, Some(link), line, mid, Some(reason)).await?;
    let line = if provision(app, tx, order.id, line.id, op.as_str()).await? {
        // Completing moves the line on from `mid` (so writes it) and writes the order.
        let done = carrier::Done {
            link: Some(link),
            action: op.as_str(),
            note: LOCAL_NOTE,
            contract: Some(contract),
        };
        carrier::complete_with(tx, ctx, order, line, done).await?.0
    } else {
        repo::order_update(tx, &order).await?;
        contracts::line_update(tx, &line).await?
    };
    Ok(json!({ "lineId": line.id, "status": line.status, "orderId": order_id }))
}

/// A suspension, resumption or termination waiting for its approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineOperation {
    pub op: LineOp,
    pub line_id: Uuid,
    pub order_id: Uuid,
    pub reason: String,
}

impl ApprovalCommand for LineOperation {
    const KIND: &'static str = "line_operation";
    fn action(&self) -> String {
        format!("line.{}", self.op.as_str())
    }
}

/// Runs approved line operations; a request that ends without running ends its order.
pub struct LineOperationExecutor;

#[async_trait::async_trait]
impl Executor for LineOperationExecutor {
    async fn execute(
        &self,
        app: &App,
        tx: &mut TenantTx,
        ctx: &Ctx,
        link: &ApprovalLink,
        command: Value,
    ) -> Result<Value> {
        let c: LineOperation = approvals::read_command(command)?;
        line_op_execute(app, tx, ctx, link, c.op, c.line_id, c.order_id, &c.reason).await
    }

    async fn abandon(
        &self,
        tx: &mut TenantTx,
        ctx: &Ctx,
        command: &Value,
        ending: Ending,
        why: &str,
    ) -> Result<()> {
        let c: LineOperation = approvals::read_command(command.clone())?;
        match ending {
            Ending::Failed => super::order_fail(tx, ctx, c.order_id, why).await,
            Ending::Rejected | Ending::Expired => super::order_cancel_in(tx, ctx, c.order_id, why)
                .await
                .map(|_| ()),
        }
    }
}

/// Moves a line (under its lock) and records who, why and under which approval.
pub(crate) async fn set_line_state(
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: Option<&ApprovalLink>,
    line: Line,
    to: LineState,
    why: Option<&str>,
) -> Result<Line> {
    let line = line_step(tx, ctx, link, line, to, why).await?;
    contracts::line_update(tx, &line).await
}

/// [`set_line_state`] without the write: the step is recorded and announced, and the caller
/// writes the line (once, after its last step in the transaction).
pub(crate) async fn line_step(
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: Option<&ApprovalLink>,
    mut line: Line,
    to: LineState,
    why: Option<&str>,
) -> Result<Line> {
    let from = LineState::from_db(&line.status)?;
    line.status = from.transition(to)?.as_str().into();
    line.status_reason = why.map(str::to_owned);
    // `pending` and `needs_review` remember which step was in flight.
    line.pending_from = match to {
        LineState::Pending | LineState::NeedsReview
            if from.in_flight() && from != LineState::Pending =>
        {
            Some(from.as_str().to_owned())
        }
        LineState::Pending | LineState::NeedsReview => line.pending_from.take(),
        _ => None,
    };
    let event = Event::LineStatusChanged(payloads::line_status(
        &line,
        from.as_str(),
        to.as_str(),
        why.map(str::to_owned),
    ));
    let entry = AuditEntry::new("line.status_change", "line", line.id)
        .before(json!({ "status": from.as_str() }))
        .after(json!({ "status": to.as_str(), "reason": why }));
    let entry = match link {
        Some(l) => l.stamp(entry),
        None => entry,
    };
    record_event(tx, ctx, entry, event).await?;
    Ok(line)
}
