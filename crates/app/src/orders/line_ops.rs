//! Suspend, resume and terminate: always through an approval request. The request checks
//! that the operation makes sense now; the execution (after approval) checks again under
//! the line's row lock, so two concurrent requests cannot both win and the carrier is
//! asked once (the job's idempotency key is the order).

use super::{LOCAL_NOTE, order_move, order_open, provision};
use crate::approvals::{self, ApprovalLink, Command};
use crate::record::{record, record_event};
use crate::{App, Ctx};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tsunagi_core::events::DomainEvent;
use tsunagi_core::states::{
    ContractState, EsimState, LineState, NumberState, OrderState, SimState, StateMachine,
};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::contracts::{self, Line};
use tsunagi_db::repo::inventory;
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
    /// (in-flight state, final state) for a line in `from`.
    fn path(&self, from: LineState) -> Result<(LineState, LineState)> {
        let (mid, end) = match self {
            Self::Suspend => (LineState::Suspending, LineState::Suspended),
            Self::Resume => (LineState::Resuming, LineState::Active),
            Self::Terminate => (LineState::Terminating, LineState::Terminated),
        };
        from.transition(mid)?;
        Ok((mid, end))
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
    let order = order_open(
        &mut tx,
        ctx,
        op.as_str(),
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        json!({ "reason": reason }),
    )
    .await?;
    let summary = format!(
        "{} line +{} ({}), requested by {}",
        op.as_str(),
        line.msisdn,
        reason.trim(),
        p.actor.label()
    );
    let cmd = Command::LineOperation {
        op,
        line_id,
        order_id: order.id,
        reason: reason.trim().to_owned(),
    };
    let approval = approvals::request(&mut tx, ctx, "line", line.id, summary, cmd).await?;
    let mut o = order.clone();
    o.approval_id = Some(approval.id);
    let o = repo::order_update(&mut tx, &o).await?;
    let o = order_move(
        &mut tx,
        ctx,
        o,
        OrderState::Held,
        Some(&format!("waiting for approval {}", approval.id)),
    )
    .await?;
    tx.commit().await?;
    Ok((o, approval))
}

/// Runs an approved operation inside the approval's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn line_op_execute(
    _app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    op: LineOp,
    line_id: Uuid,
    order_id: Uuid,
    reason: &str,
) -> Result<Value> {
    let mut line = contracts::line_lock(tx, line_id).await?;
    let from = LineState::from_db(&line.status)?;
    let (mid, end) = op.path(from)?;
    let order = repo::order_lock(tx, order_id).await?;
    let order = order_move(tx, ctx, order, OrderState::InProgress, None).await?;
    line = set_line_state(tx, ctx, Some(link), line, mid, Some(reason)).await?;
    if provision(tx, ctx, order.id, line.id, op.as_str()).await? {
        line = set_line_state(tx, ctx, Some(link), line, end, Some(LOCAL_NOTE)).await?;
        settle_resources(tx, ctx, &line, op).await?;
        order_move(tx, ctx, order, OrderState::Completed, None).await?;
    }
    Ok(json!({ "lineId": line.id, "status": line.status, "orderId": order_id }))
}

/// Moves a line (under its lock) and records who, why and under which approval.
pub(crate) async fn set_line_state(
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
    line.pending_from = None;
    let line = contracts::line_update(tx, &line).await?;
    let payload = json!({ "lineId": line.id, "msisdn": line.msisdn, "from": from.as_str(), "to": to.as_str(), "reason": why });
    let ev = DomainEvent::new(
        ctx.principal.tenant_id,
        "line.status_changed",
        "line",
        line.id,
        payload,
    );
    let entry = AuditEntry::new("line.status_change", "line", line.id)
        .before(json!({ "status": from.as_str() }))
        .after(json!({ "status": to.as_str(), "reason": why }));
    let entry = match link {
        Some(l) => l.stamp(entry),
        None => entry,
    };
    record(tx, ctx, entry, Some(ev)).await?;
    Ok(line)
}

/// After a completed operation: the contract follows the line; a terminated line gives its
/// number to quarantine and its SIM back.
async fn settle_resources(tx: &mut TenantTx, ctx: &Ctx, line: &Line, op: LineOp) -> Result<()> {
    let mut c = contracts::contract_lock(tx, line.contract_id).await?;
    let from = ContractState::from_db(&c.status)?;
    let to = match op {
        LineOp::Suspend => ContractState::Suspended,
        LineOp::Resume => ContractState::Active,
        LineOp::Terminate => {
            c.ended_at = Some(Utc::now());
            ContractState::Terminated
        }
    };
    let path = if op == LineOp::Terminate {
        vec![ContractState::Terminating, ContractState::Terminated]
    } else {
        vec![to]
    };
    let mut s = from;
    for step in path {
        s = s.transition(step)?;
    }
    c.status = s.as_str().into();
    let c = contracts::contract_update(tx, &c).await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("contract.status_change", "contract", c.id)
            .before(json!({ "status": from.as_str() }))
            .after(json!({ "status": c.status })),
        "contract.status_changed",
    )
    .await?;
    if op == LineOp::Terminate {
        let days = crate::tenants::effective_settings(tx, ctx.principal.tenant_id)
            .await?
            .number_quarantine_days;
        let n = inventory::number_lock(tx, &line.msisdn).await?;
        NumberState::from_db(&n.status)?.transition(NumberState::Quarantined)?;
        inventory::number_set(
            tx,
            &line.msisdn,
            NumberState::Quarantined.as_str(),
            Some(Utc::now() + Duration::days(i64::from(days))),
        )
        .await?;
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
    }
    Ok(())
}
