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

use crate::payloads;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::Utc;
use serde_json::{Value, json};
use tsunagi_core::events::Event;
use tsunagi_core::states::{OrderState, StateMachine};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::orders::{self as repo, Order};
use uuid::Uuid;

/// A new order row in `acknowledged` (or `held` with a reason).
pub(crate) async fn order_open(
    tx: &mut TenantTx,
    ctx: &Ctx,
    kind: &str,
    customer: Option<Uuid>,
    contract: Option<Uuid>,
    line: Option<Uuid>,
    input: Value,
) -> Result<Order> {
    let o = repo::order_insert(
        tx,
        &Order {
            tenant_id: ctx.principal.tenant_id.as_uuid(),
            id: Uuid::now_v7(),
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
        },
    )
    .await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("order.create", "order", o.id).after(&o),
        Event::OrderAcknowledged(payloads::order(&o)),
    )
    .await?;
    Ok(o)
}

/// Moves an order along its machine and records it; `order.completed` etc. go to the outbox.
pub(crate) async fn order_move(
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
    let o = repo::order_update(tx, &o).await?;
    let p = payloads::order(&o);
    let event = match to {
        OrderState::Acknowledged => Event::OrderAcknowledged(p),
        OrderState::Held => Event::OrderHeld(p),
        OrderState::InProgress => Event::OrderInProgress(p),
        OrderState::Completed => Event::OrderCompleted(p),
        OrderState::Failed => Event::OrderFailed(p),
        OrderState::Cancelled => Event::OrderCancelled(p),
    };
    let entry = AuditEntry::new("order.status_change", "order", o.id)
        .before(json!({ "status": from.as_str() }))
        .after(json!({ "status": o.status, "note": note }));
    record_event(tx, ctx, entry, event).await?;
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
/// Returns whether it completed.
pub(crate) async fn provision(
    tx: &mut TenantTx,
    ctx: &Ctx,
    order: Uuid,
    line: Uuid,
    action: &str,
) -> Result<bool> {
    provision_with(tx, ctx, order, line, action, &serde_json::Value::Null).await
}

/// [`provision`], with what the command needs beyond the line (`params`).
pub(crate) async fn provision_with(
    tx: &mut TenantTx,
    ctx: &Ctx,
    order: Uuid,
    line: Uuid,
    action: &str,
    params: &serde_json::Value,
) -> Result<bool> {
    let carrier = tsunagi_db::repo::carrier::carrier_enabled(tx).await?;
    let job = repo::job_insert(tx, order, line, action, carrier == Some(true)).await?;
    if !params.is_null() {
        tsunagi_db::repo::carrier::job_params(tx, job.id, params).await?;
    }
    // A carrier is set (even switched off): its word settles the step, never a local one.
    if carrier.is_some() {
        return Ok(job.status == "done");
    }
    let local = crate::tenants::effective_settings(tx, ctx.principal.tenant_id)
        .await?
        .complete_provisioning_locally;
    if local && job.status == "queued" {
        repo::job_complete(tx, job.id, "local").await?;
        return Ok(true);
    }
    Ok(job.status == "done")
}

/// The history note for steps completed without a carrier.
pub(crate) const LOCAL_NOTE: &str =
    "completed locally: no carrier connected (tenant setting completeProvisioningLocally)";
