//! The new-line order: a contract for a customer on a plan's current price with options, a
//! number from the pool, a SIM (by ICCID) or an eSIM profile, optionally a device; the line
//! goes requested → activating → active. Held with a clear reason while the customer's KYC
//! is not verified (tenant setting `kycBeforeActivation`), and released when it is. A
//! port-in (MNP) brings the number from another operator instead of the pool: it enters
//! the pool `porting_in` and is assigned when the carrier completes the port.

use super::line_ops::set_line_state;
use super::port_in::{PortIn, check_port_in, port_in_number};
use super::{LOCAL_NOTE, order_move, order_open, provision_with};
use crate::payloads;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::identifiers::{Iccid, Msisdn};
use tsunagi_core::states::{
    ContractState, EsimState, KycState, LineState, NumberState, OrderState, PlanState, SimState,
    StateMachine,
};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::contracts::{self, Contract, Line};
use tsunagi_db::repo::orders::{self as repo, Order};
use tsunagi_db::repo::{catalog, customers, inventory};
use uuid::Uuid;

/// What a new-line order asks for (stored as the order's input).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewLine {
    pub customer_id: Uuid,
    pub plan_id: Uuid,
    #[serde(default)]
    pub option_ids: Vec<Uuid>,
    /// A specific number, or the next available one.
    pub msisdn: Option<String>,
    /// A physical SIM by ICCID, or (when absent) an eSIM profile from stock.
    pub iccid: Option<String>,
    pub device_id: Option<Uuid>,
    /// The number comes from another operator (MNP) instead of the pool.
    #[serde(default)]
    pub port_in: Option<PortIn>,
}

pub async fn order_new_line(app: &App, ctx: &Ctx, mut input: NewLine) -> Result<Order> {
    app.authz.check(&ctx.principal, "order", "create").await?;
    let mut tx = app.tx(ctx).await?;
    let settings = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    let mut v = Validator::new();
    if let Some(m) = &input.msisdn {
        match Msisdn::parse("input.msisdn", m, &settings.country_calling_code) {
            Ok(m) => input.msisdn = Some(m.as_str().to_owned()),
            Err(Error::Validation(f)) => f.into_iter().for_each(|e| v.push(&e.field, e.reason)),
            Err(e) => return Err(e),
        }
    }
    if let Some(i) = &input.iccid {
        match Iccid::parse("input.iccid", i) {
            Ok(i) => input.iccid = Some(i.as_str().to_owned()),
            Err(Error::Validation(f)) => f.into_iter().for_each(|e| v.push(&e.field, e.reason)),
            Err(e) => return Err(e),
        }
    }
    if let Some(p) = input.port_in.as_mut() {
        v.check(
            input.msisdn.is_none(),
            "input.msisdn",
            "not with portIn: the ported number is portIn.msisdn",
        );
        check_port_in(&mut v, p, &settings)?;
    }
    v.finish()?;
    let customer = customers::customer_lock(&mut tx, input.customer_id).await?;
    let plan = catalog::plan_get(&mut tx, input.plan_id).await?;
    if PlanState::from_db(&plan.status)? != PlanState::Active {
        return Err(Error::invalid(
            "input.planId",
            format!("the plan is {}; only active plans can be sold", plan.status),
        ));
    }
    if catalog::price_at(&mut tx, plan.id, Utc::now())
        .await?
        .is_none()
    {
        return Err(Error::invalid(
            "input.planId",
            "the plan has no price in force today",
        ));
    }
    check_options(&mut tx, &plan, &input.option_ids).await?;
    let order = order_open(
        &mut tx,
        ctx,
        "new_line",
        Some(customer.id),
        None,
        None,
        serde_json::to_value(&input)?,
    )
    .await?;
    let kyc = KycState::from_db(&customer.kyc_status)?;
    let order = if settings.kyc_before_activation && kyc != KycState::Verified {
        let why = format!(
            "waiting for KYC: the customer's identity is {} (activation needs verified)",
            kyc.as_str()
        );
        order_move(&mut tx, ctx, order, OrderState::Held, Some(&why)).await?
    } else {
        execute(app, &mut tx, ctx, order, &input).await?
    };
    tx.commit().await?;
    Ok(order)
}

pub(crate) async fn check_options(
    tx: &mut TenantTx,
    plan: &catalog::Plan,
    ids: &[Uuid],
) -> Result<()> {
    let mut v = Validator::new();
    let found = catalog::options_get(tx, ids).await?;
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|o| o.id == *id) {
            None => v.push(&format!("input.optionIds[{i}]"), "no such option"),
            Some(o) if o.status != "active" => v.push(
                &format!("input.optionIds[{i}]"),
                "the option is not on sale",
            ),
            Some(_) if !plan.allowed_options.contains(id) => v.push(
                &format!("input.optionIds[{i}]"),
                format!("plan {} does not allow this option", plan.code),
            ),
            Some(_) => {}
        }
    }
    v.finish()
}

/// Assigns the resources, creates contract and line, provisions.
async fn execute(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    order: Order,
    input: &NewLine,
) -> Result<Order> {
    let order = order_move(tx, ctx, order, OrderState::InProgress, None).await?;
    let number = match &input.port_in {
        Some(p) => {
            // A KYC-held order runs later: its reservation must still have the days left.
            let settings = crate::tenants::effective_settings(tx, ctx.principal.tenant_id).await?;
            let mut v = Validator::new();
            check_port_in(&mut v, &mut p.clone(), &settings)?;
            v.finish()?;
            port_in_number(tx, &p.msisdn).await?
        }
        None => pool_number(tx, input.msisdn.as_deref()).await?,
    };
    let (sim_id, esim_id) = match &input.iccid {
        Some(iccid) => {
            let sim = inventory::sim_lock_by_iccid(tx, iccid).await.map_err(|_| {
                Error::invalid("input.iccid", "no SIM with this ICCID in your stock")
            })?;
            SimState::from_db(&sim.status)?
                .transition(SimState::Reserved)
                .map_err(|_| {
                    Error::conflict(format!("SIM {} is {}, not in stock", sim.id, sim.status))
                })?;
            inventory::sim_set_status(
                tx,
                sim.id,
                SimState::Reserved.transition(SimState::Assigned)?.as_str(),
            )
            .await?;
            (Some(sim.id), None)
        }
        None => {
            let e = inventory::esim_pick(tx).await?.ok_or_else(|| {
                Error::conflict("no eSIM profile available; add profiles or give an ICCID")
            })?;
            inventory::esim_set_status(
                tx,
                e.id,
                EsimState::Available
                    .transition(EsimState::Allocated)?
                    .as_str(),
            )
            .await?;
            (None, Some(e.id))
        }
    };
    if let Some(d) = input.device_id {
        let dev = inventory::device_lock(tx, d)
            .await
            .map_err(|_| Error::invalid("input.deviceId", "no such device in your stock"))?;
        if dev.status != "in_stock" {
            return Err(Error::conflict(format!(
                "device {} is {}",
                dev.id, dev.status
            )));
        }
        inventory::device_set_status(tx, d, "assigned").await?;
    }
    let price = catalog::price_at(tx, input.plan_id, Utc::now())
        .await?
        .ok_or_else(|| Error::invalid("input.planId", "no price in force"))?;
    let contract = contracts::contract_insert(
        tx,
        &Contract {
            tenant_id: ctx.principal.tenant_id.as_uuid(),
            id: Uuid::now_v7(),
            customer_id: input.customer_id,
            billing_account_id: None,
            plan_id: input.plan_id,
            plan_price_id: price.id,
            option_ids: input.option_ids.clone(),
            status: ContractState::Draft.as_str().into(),
            started_at: None,
            ended_at: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        },
    )
    .await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("contract.create", "contract", contract.id).after(&contract),
        Event::ContractCreated(ev::ContractCreated {
            contract_id: contract.id,
            customer_id: contract.customer_id,
            plan_id: contract.plan_id,
            plan_price_id: contract.plan_price_id,
            option_ids: contract.option_ids.clone(),
            status: contract.status.clone(),
        }),
    )
    .await?;
    let line = contracts::line_insert(
        tx,
        &Line {
            tenant_id: ctx.principal.tenant_id.as_uuid(),
            id: Uuid::now_v7(),
            contract_id: contract.id,
            customer_id: input.customer_id,
            msisdn: number.msisdn.clone(),
            sim_id,
            esim_id,
            device_id: input.device_id,
            status: LineState::Requested.as_str().into(),
            pending_from: None,
            status_reason: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            carrier_sequence: None,
            carrier_synced_at: None,
            activation_lead_ms: None,
        },
    )
    .await?;
    record_event(
        tx,
        ctx,
        AuditEntry::new("line.create", "line", line.id).after(&line),
        Event::LineCreated(payloads::line_created(&line)),
    )
    .await?;
    let mut order = order;
    order.contract_id = Some(contract.id);
    order.line_id = Some(line.id);
    let order = repo::order_update(tx, &order).await?;
    let line = set_line_state(tx, ctx, None, line, LineState::Activating, None).await?;
    let (action, params) = match &input.port_in {
        Some(p) => (
            "port_in",
            serde_json::json!({
                "reservationNumber": p.reservation_number,
                "reservationExpiresOn": p.reservation_expires_on,
                "oneStop": p.one_stop,
            }),
        ),
        None => ("activate", serde_json::Value::Null),
    };
    if provision_with(app, tx, order.id, line.id, action, &params).await? {
        let (_, order) =
            super::carrier::complete(tx, ctx, None, order, line, action, LOCAL_NOTE).await?;
        return Ok(order);
    }
    Ok(order)
}

/// A number of the pool (the one asked for, or the next available), assigned.
async fn pool_number(tx: &mut TenantTx, msisdn: Option<&str>) -> Result<inventory::Number> {
    let number = match msisdn {
        Some(m) => inventory::number_lock(tx, m)
            .await
            .map_err(|_| Error::invalid("input.msisdn", "this number is not in your pool"))?,
        None => inventory::number_pick(tx)
            .await?
            .ok_or_else(|| Error::conflict("the number pool has no available number"))?,
    };
    NumberState::from_db(&number.status)?
        .transition(NumberState::Reserved)
        .map_err(|_| {
            let until = number
                .quarantine_until
                .map(|u| format!(" until {}", u.to_rfc3339()))
                .unwrap_or_default();
            Error::conflict(format!(
                "number +{} is {}{until}, not available",
                number.msisdn, number.status
            ))
        })?;
    inventory::number_set(
        tx,
        &number.msisdn,
        NumberState::Reserved
            .transition(NumberState::Assigned)?
            .as_str(),
        None,
    )
    .await?;
    Ok(number)
}

/// After KYC is verified: carries out the customer's new-line orders held for it. An order
/// that can no longer be fulfilled (its number was taken meanwhile) fails with the reason;
/// the others go ahead.
pub async fn release_kyc_held(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    customer: Uuid,
) -> Result<usize> {
    let held = repo::orders_held_for_kyc(tx, customer).await?;
    let mut done = 0;
    for o in held {
        let input: NewLine = serde_json::from_value(o.input.clone())
            .map_err(|e| Error::internal(format!("stored order input: {e}")))?;
        tx.savepoint().await?;
        match execute(app, tx, ctx, o.clone(), &input).await {
            Ok(_) => {
                tx.release_savepoint().await?;
                done += 1;
            }
            Err(e) if e.is_client_error() => {
                tx.rollback_to_savepoint().await?;
                let o = repo::order_lock(tx, o.id).await?;
                order_move(tx, ctx, o, OrderState::Failed, Some(&e.public_message())).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
