//! Orders: new line, plan change, option add/remove, SIM swap, suspend, resume, terminate.
//! An order moves acknowledged → in_progress → completed | failed | cancelled, and waits in
//! `held` for an approval or for KYC. Carrier steps leave the line in its in-flight state
//! and a provisioning job row in the same transaction; until the carrier is connected, the
//! tenant setting `completeProvisioningLocally` completes them at once, and says so in the
//! line's history. What happens when the carrier answers, refuses or stays silent is
//! `carrier`'s.

pub mod carrier;
mod changes;
mod line_ops;
mod new_line;
mod port_in;
pub mod review;

pub use changes::{
    PlanChangePreview, order_option_change, order_plan_change, order_sim_swap, plan_change_preview,
};
pub use line_ops::{
    LineOp, LineOperation, LineOperationExecutor, line_op_execute, line_op_request,
};
pub use new_line::{NewLine, order_new_line, release_kyc_held};
pub use port_in::PortIn;

use crate::record::record_event;
use crate::{App, Ctx};
use crate::{approvals, payloads};
use chrono::Utc;
use serde_json::{Value, json};
use tsunagi_core::events::Event;
use tsunagi_core::states::{OrderState, StateMachine};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::orders::{self as repo, Order};
use uuid::Uuid;

/// A new order row in `acknowledged`.
pub(crate) async fn order_open(
    tx: &mut TenantTx,
    ctx: &Ctx,
    kind: &str,
    customer: Option<Uuid>,
    contract: Option<Uuid>,
    line: Option<Uuid>,
    input: Value,
) -> Result<Order> {
    let o = draft(ctx, Uuid::now_v7(), kind, customer, contract, line, input);
    let o = repo::order_insert(tx, &o).await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("order.create", "order", o.id).after(&o),
        Event::OrderAcknowledged(payloads::order(&o)),
    )
    .await?;
    Ok(o)
}

/// A new order that waits from the start for `approval` (a drafted request whose command
/// names the order `id`): the request and the order, written `held`, in one statement; every
/// step is recorded and announced (the request; the order acknowledged, then held), as
/// [`approvals::request`], [`order_open`] and [`order_move`] would.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn order_open_held(
    tx: &mut TenantTx,
    ctx: &Ctx,
    approval: &ApprovalRequest,
    id: Uuid,
    kind: &str,
    customer: Option<Uuid>,
    contract: Option<Uuid>,
    line: Option<Uuid>,
    input: Value,
) -> Result<(Order, ApprovalRequest)> {
    let acknowledged = draft(ctx, id, kind, customer, contract, line, input);
    let why = format!("waiting for approval {}", approval.id);
    let mut held = acknowledged.clone();
    held.status = OrderState::Acknowledged
        .transition(OrderState::Held)?
        .as_str()
        .into();
    held.hold_reason = Some(why.clone());
    held.approval_id = Some(approval.id);
    let (approval, held) =
        tsunagi_db::repo::approvals::approval_insert_with_order(tx, approval, &held).await?;
    approvals::requested(tx, ctx, &approval).await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("order.create", "order", id).after(&acknowledged),
        Event::OrderAcknowledged(payloads::order(&acknowledged)),
    )
    .await?;
    record_event(
        tx,
        ctx,
        step_entry(id, OrderState::Acknowledged, &held.status, Some(&why)),
        Event::OrderHeld(payloads::order(&held)),
    )
    .await?;
    Ok((held, approval))
}

fn draft(
    ctx: &Ctx,
    id: Uuid,
    kind: &str,
    customer: Option<Uuid>,
    contract: Option<Uuid>,
    line: Option<Uuid>,
    input: Value,
) -> Order {
    Order {
        tenant_id: ctx.principal.tenant_id.as_uuid(),
        id,
        kind: kind.into(),
        status: OrderState::Acknowledged.as_str().into(),
        customer_id: customer,
        contract_id: contract,
        line_id: line,
        input,
        hold_reason: None,
        approval_id: None,
        failure: None,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        completed_at: None,
    }
}

/// The audit entry of an order's step.
fn step_entry(id: Uuid, from: OrderState, to: &str, note: Option<&str>) -> AuditEntry {
    AuditEntry::new("order.status_change", "order", id)
        .before(json!({ "status": from.as_str() }))
        .after(json!({ "status": to, "note": note }))
}

/// Moves an order along its machine and records it; `order.completed` etc. go to the outbox.
pub(crate) async fn order_move(
    tx: &mut TenantTx,
    ctx: &Ctx,
    o: Order,
    to: OrderState,
    note: Option<&str>,
) -> Result<Order> {
    let o = order_step(tx, ctx, o, to, note).await?;
    repo::order_update(tx, &o).await
}

/// [`order_move`] without the write: the step is recorded and announced, and the caller
/// writes the order (once, after its last step in the transaction).
pub(crate) async fn order_step(
    tx: &mut TenantTx,
    ctx: &Ctx,
    mut o: Order,
    to: OrderState,
    note: Option<&str>,
) -> Result<Order> {
    let from = OrderState::from_db(&o.status)?;
    o.status = from.transition(to)?.as_str().into();
    match to {
        OrderState::Held => o.hold_reason = note.map(str::to_owned),
        OrderState::Failed | OrderState::Cancelled => o.failure = note.map(str::to_owned),
        _ => o.hold_reason = None,
    }
    let p = payloads::order(&o);
    let event = match to {
        OrderState::Acknowledged => Event::OrderAcknowledged(p),
        OrderState::Held => Event::OrderHeld(p),
        OrderState::InProgress => Event::OrderInProgress(p),
        OrderState::Completed => Event::OrderCompleted(p),
        OrderState::Failed => Event::OrderFailed(p),
        OrderState::Cancelled => Event::OrderCancelled(p),
    };
    record_event(tx, ctx, step_entry(o.id, from, &o.status, note), event).await?;
    Ok(o)
}

/// Ends an order that cannot be carried out (used when an approved command fails).
pub async fn order_fail(tx: &mut TenantTx, ctx: &Ctx, id: Uuid, why: &str) -> Result<()> {
    let o = repo::order_lock(tx, id).await?;
    if OrderState::from_db(&o.status)?.can_become(OrderState::Failed) {
        order_move(tx, ctx, o, OrderState::Failed, Some(why)).await?;
    }
    Ok(())
}

pub(crate) async fn order_cancel_in(
    tx: &mut TenantTx,
    ctx: &Ctx,
    id: Uuid,
    why: &str,
) -> Result<Order> {
    let o = repo::order_lock(tx, id).await?;
    order_move(tx, ctx, o, OrderState::Cancelled, Some(why)).await
}

/// Cancels an order that has not started (acknowledged or held).
pub async fn order_cancel(app: &App, ctx: &Ctx, id: Uuid, reason: &str) -> Result<Order> {
    app.authz.check(&ctx.principal, "order", "cancel").await?;
    let mut tx = app.tx(ctx).await?;
    let o = repo::order_lock(&mut tx, id).await?;
    if o.approval_id.is_some() && o.status == OrderState::Held.as_str() {
        return Err(Error::conflict(
            "the order waits for an approval: reject the approval request instead",
        ));
    }
    let o = order_move(&mut tx, ctx, o, OrderState::Cancelled, Some(reason)).await?;
    tx.commit().await?;
    Ok(o)
}

pub async fn order_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Order> {
    app.authz.check(&ctx.principal, "order", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let o = repo::order_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(o)
}

pub async fn order_list(
    app: &App,
    ctx: &Ctx,
    status: Option<OrderState>,
    line: Option<Uuid>,
    page: Page,
) -> Result<Vec<Order>> {
    app.authz.check(&ctx.principal, "order", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let o = repo::order_list(&mut tx, status.map(|s| s.as_str()), line, page).await?;
    tx.commit().await?;
    Ok(o)
}

/// Queues the carrier step: for the carrier workers when the tenant's carrier is connected,
/// for a person (or the carrier's callback) when it is set but switched off; with no
/// carrier set, when the tenant says so, it completes at once (else a person answers it).
/// Returns whether it completed. One statement: the tenant's carrier switch and settings come
/// from the settings cache.
pub(crate) async fn provision(
    app: &App,
    tx: &mut TenantTx,
    order: Uuid,
    line: Uuid,
    action: &str,
) -> Result<bool> {
    provision_with(app, tx, order, line, action, &serde_json::Value::Null).await
}

/// [`provision`], with what the command needs beyond the line (`params`).
pub(crate) async fn provision_with(
    app: &App,
    tx: &mut TenantTx,
    order: Uuid,
    line: Uuid,
    action: &str,
    params: &serde_json::Value,
) -> Result<bool> {
    let t = app.settings.of(tx).await?;
    // A carrier is set (even switched off): its word settles the step, never a local one.
    let local = t.carrier_enabled.is_none() && t.settings.complete_provisioning_locally;
    let job = repo::job_insert(
        tx,
        order,
        line,
        action,
        t.carrier_enabled == Some(true),
        local,
    )
    .await?;
    if !params.is_null() {
        tsunagi_db::repo::carrier::job_params(tx, job.id, params).await?;
    }
    Ok(job.status == "done")
}

/// The history note for steps completed without a carrier.
pub(crate) const LOCAL_NOTE: &str =
    "completed locally: no carrier connected (tenant setting completeProvisioningLocally)";
