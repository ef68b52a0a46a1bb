//! Changes to a live contract or line: plan change (with a preview of the price effect and
//! the proration for the rest of the month), option add/remove, SIM swap.

use super::new_line::check_options;
use super::{order_move, order_open, provision};
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::identifiers::Iccid;
use tsunagi_core::pricing;
use tsunagi_core::states::{
    ContractState, LineState, OrderState, PlanState, SimState, StateMachine,
};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::catalog;
use tsunagi_db::repo::contracts::{self, Contract};
use tsunagi_db::repo::inventory;
use tsunagi_db::repo::orders::Order;
use uuid::Uuid;

/// The price effect of moving a contract to another plan today.
#[derive(Debug, Clone, Serialize)]
pub struct PlanChangePreview {
    pub contract_id: Uuid,
    pub current_plan_id: Uuid,
    pub new_plan_id: Uuid,
    pub new_plan_price_id: Uuid,
    pub currency: String,
    pub current_monthly_fee: i64,
    pub new_monthly_fee: i64,
    /// Days left in this billing period (today included) and days in it, in the tenant's time zone.
    pub days_remaining: i64,
    pub days_in_period: i64,
    /// (new − current) × remaining / days, rounded once by the tenant's rule; negative is a credit.
    pub proration: i64,
}

async fn preview_in(
    tx: &mut TenantTx,
    ctx: &Ctx,
    contract: &Contract,
    plan_id: Uuid,
) -> Result<PlanChangePreview> {
    if ContractState::from_db(&contract.status)? != ContractState::Active {
        return Err(Error::conflict(format!(
            "the contract is {}; only active contracts change plan",
            contract.status
        )));
    }
    if contract.plan_id == plan_id {
        return Err(Error::invalid(
            "input.planId",
            "the contract is already on this plan",
        ));
    }
    let plan = catalog::plan_get(tx, plan_id)
        .await
        .map_err(|_| Error::invalid("input.planId", "no such plan"))?;
    if PlanState::from_db(&plan.status)? != PlanState::Active {
        return Err(Error::invalid(
            "input.planId",
            format!("the plan is {}; only active plans can be sold", plan.status),
        ));
    }
    let now = Utc::now();
    let new_price = catalog::price_at(tx, plan_id, now)
        .await?
        .ok_or_else(|| Error::invalid("input.planId", "the plan has no price in force today"))?;
    let current = crate::catalog::contract_price_in(tx, contract, now)
        .await?
        .price;
    if current.currency != new_price.currency {
        return Err(Error::invalid(
            "input.planId",
            format!(
                "the plan is priced in {}, the contract in {}",
                new_price.currency, current.currency
            ),
        ));
    }
    let settings = crate::tenants::effective_settings(tx, ctx.principal.tenant_id).await?;
    let tz = settings.tz();
    let period = pricing::period_of(now, tz);
    let days_in_period = period.days;
    let days_remaining = pricing::days_remaining(&period, now, tz);
    let diff = i128::from(new_price.monthly_fee - current.monthly_fee) * i128::from(days_remaining);
    let proration = settings.rounding.divide(diff, i128::from(days_in_period)) as i64;
    Ok(PlanChangePreview {
        contract_id: contract.id,
        current_plan_id: contract.plan_id,
        new_plan_id: plan_id,
        new_plan_price_id: new_price.id,
        currency: new_price.currency,
        current_monthly_fee: current.monthly_fee,
        new_monthly_fee: new_price.monthly_fee,
        days_remaining,
        days_in_period,
        proration,
    })
}

pub async fn plan_change_preview(
    app: &App,
    ctx: &Ctx,
    contract_id: Uuid,
    plan_id: Uuid,
) -> Result<PlanChangePreview> {
    app.authz.check(&ctx.principal, "order", "create").await?;
    let mut tx = app.tx(ctx).await?;
    let c = contracts::contract_get(&mut tx, contract_id).await?;
    let p = preview_in(&mut tx, ctx, &c, plan_id).await?;
    tx.commit().await?;
    Ok(p)
}

/// Changes the plan now; the order stores the preview it was confirmed with.
pub async fn order_plan_change(
    app: &App,
    ctx: &Ctx,
    contract_id: Uuid,
    plan_id: Uuid,
) -> Result<(Order, PlanChangePreview)> {
    app.authz.check(&ctx.principal, "order", "create").await?;
    let mut tx = app.tx(ctx).await?;
    let mut c = contracts::contract_lock(&mut tx, contract_id).await?;
    let preview = preview_in(&mut tx, ctx, &c, plan_id).await?;
    let plan = catalog::plan_get(&mut tx, plan_id).await?;
    let kept: Vec<Uuid> = c
        .option_ids
        .iter()
        .copied()
        .filter(|o| plan.allowed_options.contains(o))
        .collect();
    let o = order_open(
        &mut tx,
        ctx,
        "plan_change",
        Some(c.customer_id),
        Some(c.id),
        None,
        json!({ "planId": plan_id, "preview": &preview }),
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::InProgress, None).await?;
    let before =
        json!({ "planId": c.plan_id, "planPriceId": c.plan_price_id, "optionIds": c.option_ids });
    c.plan_id = plan_id;
    c.plan_price_id = preview.new_plan_price_id;
    c.option_ids = kept;
    let c = contracts::contract_update(&mut tx, &c).await?;
    let money = |minor| ev::Money {
        minor,
        currency: preview.currency.clone(),
    };
    let event = Event::ContractPlanChanged(ev::ContractPlanChanged {
        contract_id: c.id,
        customer_id: c.customer_id,
        from_plan_id: preview.current_plan_id,
        to_plan_id: c.plan_id,
        plan_price_id: c.plan_price_id,
        previous_monthly_fee: money(preview.current_monthly_fee),
        monthly_fee: money(preview.new_monthly_fee),
        proration: money(preview.proration),
        days_remaining: preview.days_remaining,
        days_in_period: preview.days_in_period,
    });
    let entry = AuditEntry::new("contract.plan_change", "contract", c.id)
        .before(before)
        .after(json!({ "planId": c.plan_id, "planPriceId": c.plan_price_id, "optionIds": c.option_ids, "proration": preview.proration }));
    record_event(&mut tx, ctx, entry, event).await?;
    let o = order_move(&mut tx, ctx, o, OrderState::Completed, None).await?;
    tx.commit().await?;
    Ok((o, preview))
}

/// Adds (`add = true`) or removes an option on an active contract.
pub async fn order_option_change(
    app: &App,
    ctx: &Ctx,
    contract_id: Uuid,
    option_id: Uuid,
    add: bool,
) -> Result<Order> {
    app.authz.check(&ctx.principal, "order", "create").await?;
    let mut tx = app.tx(ctx).await?;
    let mut c = contracts::contract_lock(&mut tx, contract_id).await?;
    if ContractState::from_db(&c.status)? != ContractState::Active {
        return Err(Error::conflict(format!(
            "the contract is {}; options change on active contracts",
            c.status
        )));
    }
    let has = c.option_ids.contains(&option_id);
    if add && has {
        return Err(Error::conflict("the contract already has this option"));
    }
    if !add && !has {
        return Err(Error::invalid(
            "input.optionId",
            "the contract does not have this option",
        ));
    }
    if add {
        let plan = catalog::plan_get(&mut tx, c.plan_id).await?;
        check_options(&mut tx, &plan, &[option_id])
            .await
            .map_err(|_| {
                Error::invalid(
                    "input.optionId",
                    "the option is not on sale for this contract's plan",
                )
            })?;
    }
    let kind = if add { "option_add" } else { "option_remove" };
    let o = order_open(
        &mut tx,
        ctx,
        kind,
        Some(c.customer_id),
        Some(c.id),
        None,
        json!({ "optionId": option_id }),
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::InProgress, None).await?;
    let before = c.option_ids.clone();
    if add {
        c.option_ids.push(option_id);
    } else {
        c.option_ids.retain(|x| *x != option_id);
    }
    let c = contracts::contract_update(&mut tx, &c).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new(&format!("contract.{kind}"), "contract", c.id)
            .before(json!({ "optionIds": before }))
            .after(json!({ "optionIds": c.option_ids })),
        Event::ContractOptionsChanged(ev::ContractOptionsChanged {
            contract_id: c.id,
            customer_id: c.customer_id,
            added_option_ids: if add { vec![option_id] } else { vec![] },
            removed_option_ids: if add { vec![] } else { vec![option_id] },
            option_ids: c.option_ids.clone(),
        }),
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::Completed, None).await?;
    tx.commit().await?;
    Ok(o)
}

/// Moves a line to another SIM from stock; the old SIM becomes `returned` (or `faulty`/`lost`).
pub async fn order_sim_swap(
    app: &App,
    ctx: &Ctx,
    line_id: Uuid,
    iccid: &str,
    old_sim_state: SimState,
) -> Result<Order> {
    app.authz.check(&ctx.principal, "order", "create").await?;
    let iccid = Iccid::parse("input.iccid", iccid)?;
    if !matches!(
        old_sim_state,
        SimState::Returned | SimState::Faulty | SimState::Lost
    ) {
        return Err(Error::invalid(
            "input.oldSimStatus",
            "must be returned, faulty or lost",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    let mut line = contracts::line_lock(&mut tx, line_id).await?;
    if line.esim_id.is_some() {
        return Err(Error::conflict(
            "this line runs on an eSIM profile; a SIM swap applies to physical SIMs",
        ));
    }
    if !matches!(
        LineState::from_db(&line.status)?,
        LineState::Active | LineState::Suspended
    ) {
        return Err(Error::conflict(format!(
            "the line is {}; a SIM swap needs an active or suspended line",
            line.status
        )));
    }
    let new = inventory::sim_lock_by_iccid(&mut tx, iccid.as_str())
        .await
        .map_err(|_| Error::invalid("input.iccid", "no SIM with this ICCID in your stock"))?;
    SimState::from_db(&new.status)?
        .transition(SimState::Reserved)
        .map_err(|_| Error::conflict(format!("SIM {} is {}, not in stock", new.id, new.status)))?;
    let o = order_open(
        &mut tx,
        ctx,
        "sim_swap",
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        json!({ "iccid": iccid.as_str() }),
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::InProgress, None).await?;
    inventory::sim_set_status(
        &mut tx,
        new.id,
        SimState::Reserved.transition(SimState::Assigned)?.as_str(),
    )
    .await?;
    if let Some(old) = line.sim_id {
        inventory::sim_set_status(
            &mut tx,
            old,
            SimState::Assigned.transition(old_sim_state)?.as_str(),
        )
        .await?;
    }
    let previous_sim_id = line.sim_id;
    let before = json!({ "simId": line.sim_id });
    line.sim_id = Some(new.id);
    let line = contracts::line_update(&mut tx, &line).await?;
    let done = provision(app, &mut tx, o.id, line.id, "swap_sim").await?;
    let note = if done { Some(super::LOCAL_NOTE) } else { None };
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("line.sim_swap", "line", line.id)
            .before(before)
            .after(json!({ "simId": new.id, "note": note })),
        Event::LineSimSwapped(ev::LineSimSwapped {
            line_id: line.id,
            customer_id: line.customer_id,
            msisdn: ev::E164::from_digits(&line.msisdn),
            previous_sim_id,
            sim_id: new.id,
            order_id: o.id,
        }),
    )
    .await?;
    let o = if done {
        order_move(&mut tx, ctx, o, OrderState::Completed, None).await?
    } else {
        o
    };
    tx.commit().await?;
    Ok(o)
}
