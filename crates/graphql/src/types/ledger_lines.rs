//! Contracts, lines, resources, orders, approvals and search hits as GraphQL objects.
//! Identifiers are masked unless the caller may `identifier:unmask`.

use super::audit::AuditRecord;
pub use super::carrier::ProvisioningJob;
use super::ledger::{ContractStatus, LineStatus, PlanPrice, id};
pub use super::ledger_objects::{
    ApprovalRequest, Device, EsimProfile, Number, Order, PlanChangePreview, SearchHit, Sim,
};
use crate::loaders::{Loaders, one};
use crate::{GqlResult, app_ctx};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::contracts;

pub(crate) async fn unmask(ctx: &Context<'_>) -> async_graphql::Result<bool> {
    let (app, c) = app_ctx(ctx)?;
    tsunagi_app::inventory::can_unmask(app, &c).await.gql()
}

pub struct Contract(pub contracts::Contract);

#[Object]
impl Contract {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn customer_id(&self) -> ID {
        id(self.0.customer_id)
    }
    async fn plan_id(&self) -> ID {
        id(self.0.plan_id)
    }
    /// The price version the contract was sold on (or moved to by a plan change). Later
    /// versions reach it as they say (immediately or next term): see `price`.
    async fn plan_price_id(&self) -> ID {
        id(self.0.plan_price_id)
    }
    /// What the contract pays at `at` (default now): the price version in force, the billing
    /// period holding `at`, and the next announced price change.
    async fn price(
        &self,
        ctx: &Context<'_>,
        at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ContractPrice> {
        let (app, c) = app_ctx(ctx)?;
        let p = tsunagi_app::catalog::contract_price(app, &c, self.0.id, at)
            .await
            .gql()?;
        Ok(ContractPrice {
            in_force: PlanPrice(p.price),
            period_start: p.period.start,
            period_end: p.period.end,
            days_in_period: p.period.days,
            next_change: p.next.map(|(price, at)| PriceChange {
                price: PlanPrice(price),
                effective_at: at,
            }),
        })
    }
    async fn option_ids(&self) -> Vec<ID> {
        self.0.option_ids.iter().copied().map(id).collect()
    }
    async fn status(&self) -> async_graphql::Result<ContractStatus> {
        ContractStatus::of(&self.0.status)
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Line>> {
        let (app, c) = app_ctx(ctx)?;
        let f = contracts::LineFilter {
            contract_id: Some(self.0.id),
            ..Default::default()
        };
        let rows = tsunagi_app::lines::line_list(
            app,
            &c,
            f,
            tsunagi_app::views::Page {
                after: None,
                limit: 200,
            },
        )
        .await
        .gql()?;
        Ok(rows.into_iter().map(Line::plain).collect())
    }
}

/// A contract's price at an instant.
#[derive(SimpleObject)]
pub struct ContractPrice {
    /// The price version in force.
    pub in_force: PlanPrice,
    /// The billing period (a calendar month in the tenant's time zone) holding the instant.
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub days_in_period: i64,
    /// The next price change announced for this contract, if any.
    pub next_change: Option<PriceChange>,
}

/// A price version and the instant it reaches the contract.
#[derive(SimpleObject)]
pub struct PriceChange {
    pub price: PlanPrice,
    pub effective_at: DateTime<Utc>,
}

/// A line; when read through `line(id)`, its related objects come preloaded in one read.
pub struct Line(
    pub contracts::Line,
    pub Option<std::sync::Arc<tsunagi_app::lines::LineDetailView>>,
);

impl Line {
    pub fn plain(row: contracts::Line) -> Self {
        Self(row, None)
    }
    pub fn detailed(v: tsunagi_app::lines::LineDetailView) -> Self {
        Self(v.detail.line.clone(), Some(std::sync::Arc::new(v)))
    }
}

fn forbidden(what: &str) -> async_graphql::Error {
    crate::to_gql(tsunagi_core::Error::forbidden(format!(
        "your roles do not allow reading {what}"
    )))
}

#[Object]
impl Line {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn tenant_id(&self) -> ID {
        id(self.0.tenant_id)
    }
    /// E.164 with '+'.
    async fn msisdn(&self) -> String {
        format!("+{}", self.0.msisdn)
    }
    async fn status(&self) -> async_graphql::Result<LineStatus> {
        LineStatus::of(&self.0.status)
    }
    /// Why the line is in its state (the request's reason, or how a step completed).
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// For `PENDING` and `NEEDS_REVIEW`: the step that was in flight (e.g. `SUSPENDING`).
    async fn pending_from(&self) -> async_graphql::Result<Option<LineStatus>> {
        self.0
            .pending_from
            .as_deref()
            .map(LineStatus::of)
            .transpose()
    }
    async fn contract_id(&self) -> ID {
        id(self.0.contract_id)
    }
    async fn customer_id(&self) -> ID {
        id(self.0.customer_id)
    }
    async fn contract(&self, ctx: &Context<'_>) -> async_graphql::Result<Contract> {
        if let Some(p) = &self.1 {
            return Ok(Contract(p.detail.contract.clone()));
        }
        if let Some(l) = ctx.data_opt::<Loaders>() {
            return one(&l.contracts, self.0.contract_id, "contract")
                .await
                .gql()
                .map(Contract);
        }
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::lines::contract_get(app, &c, self.0.contract_id)
            .await
            .gql()
            .map(Contract)
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<super::ledger::Customer> {
        if let Some(p) = &self.1 {
            return if p.can_read_customer {
                Ok(super::ledger::Customer(p.detail.customer.clone()))
            } else {
                Err(forbidden("customers"))
            };
        }
        if let Some(l) = ctx.data_opt::<Loaders>() {
            return one(&l.customers, self.0.customer_id, "customer")
                .await
                .gql()
                .map(super::ledger::Customer);
        }
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::customers::customer_get(app, &c, self.0.customer_id)
            .await
            .gql()
            .map(super::ledger::Customer)
    }
    /// The plan the line's contract is on.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<super::ledger::Plan> {
        if let Some(p) = &self.1 {
            return Ok(super::ledger::Plan(p.detail.plan.clone()));
        }
        if let Some(l) = ctx.data_opt::<Loaders>() {
            let contract = one(&l.contracts, self.0.contract_id, "contract")
                .await
                .gql()?;
            return one(&l.plans, contract.plan_id, "plan")
                .await
                .gql()
                .map(super::ledger::Plan);
        }
        let (app, c) = app_ctx(ctx)?;
        let contract = tsunagi_app::lines::contract_get(app, &c, self.0.contract_id)
            .await
            .gql()?;
        tsunagi_app::catalog::plan_get(app, &c, contract.plan_id)
            .await
            .gql()
            .map(|(p, _)| super::ledger::Plan(p))
    }
    async fn device(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Device>> {
        if let Some(p) = &self.1 {
            return Ok(p
                .detail
                .device
                .clone()
                .filter(|_| p.can_read_stock)
                .map(|row| Device {
                    row,
                    unmask: p.unmask,
                }));
        }
        let Some(d) = self.0.device_id else {
            return Ok(None);
        };
        let (app, c) = app_ctx(ctx)?;
        let found = match ctx.data_opt::<Loaders>() {
            Some(l) => one(&l.devices, d, "device").await,
            None => tsunagi_app::inventory::device_get(app, &c, d).await,
        };
        match found {
            Ok(row) => Ok(Some(Device {
                row,
                unmask: unmask(ctx).await?,
            })),
            Err(tsunagi_core::Error::Forbidden { .. }) => Ok(None),
            Err(e) => Err(crate::to_gql(e)),
        }
    }
    async fn sim(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Sim>> {
        if let Some(p) = &self.1 {
            return Ok(p
                .detail
                .sim
                .clone()
                .filter(|_| p.can_read_stock)
                .map(|row| Sim {
                    row,
                    unmask: p.unmask,
                }));
        }
        let Some(sim) = self.0.sim_id else {
            return Ok(None);
        };
        let (app, c) = app_ctx(ctx)?;
        let found = match ctx.data_opt::<Loaders>() {
            Some(l) => one(&l.sims, sim, "SIM").await,
            None => tsunagi_app::inventory::sim_get(app, &c, sim).await,
        };
        match found {
            Ok(row) => Ok(Some(Sim {
                row,
                unmask: unmask(ctx).await?,
            })),
            // Customer principals see the line but not the stock.
            Err(tsunagi_core::Error::Forbidden { .. }) => Ok(None),
            Err(e) => Err(crate::to_gql(e)),
        }
    }
    async fn esim_profile_id(&self) -> Option<ID> {
        self.0.esim_id.map(id)
    }
    async fn device_id(&self) -> Option<ID> {
        self.0.device_id.map(id)
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Who did what to this line, when, why and under which approval (the last 200, oldest
    /// first; the last 20 when the line was read with `line(id)`).
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AuditRecord>> {
        if let Some(p) = &self.1 {
            return if p.can_read_history {
                Ok(p.detail.history.iter().cloned().map(AuditRecord).collect())
            } else {
                Err(forbidden("history"))
            };
        }
        let (app, c) = app_ctx(ctx)?;
        let r = tsunagi_app::history::history(app, &c, "line", &self.0.id.to_string(), 200)
            .await
            .gql()?;
        Ok(r.into_iter().map(AuditRecord).collect())
    }
    /// The carrier's sequence number of the last change we know of (a callback older than
    /// it changes nothing), and when we last saw the line at the carrier.
    async fn carrier_sequence(&self) -> Option<i64> {
        self.0.carrier_sequence
    }
    async fn carrier_synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.carrier_synced_at
    }
    /// New-line order accepted → line active at the carrier, in milliseconds (KPI).
    async fn activation_lead_ms(&self) -> Option<i64> {
        self.0.activation_lead_ms
    }
    /// The line's orders, newest first (the last 50): for staff with `order:read`, and
    /// for the line's customer — their requests and whether they wait for approval.
    async fn orders(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::ledger_objects::Order>> {
        let key = (self.0.id, self.0.contract_id);
        let orders = match ctx.data_opt::<Loaders>() {
            Some(l) => l.line_orders.load_one(key).await.gql()?.unwrap_or_default(),
            None => {
                let (app, c) = app_ctx(ctx)?;
                tsunagi_app::batch::orders_of_lines(app, &c, &[key])
                    .await
                    .gql()?
                    .into_iter()
                    .map(|(_, o)| o)
                    .collect()
            }
        };
        Ok(orders
            .into_iter()
            .map(super::ledger_objects::Order)
            .collect())
    }
    /// Carrier steps: queued, done or failed, by whom (`local` while no carrier is
    /// connected, `report:<who>`, `review:<approval>`) and what the carrier answered.
    async fn provisioning_jobs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProvisioningJob>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(tsunagi_app::lines::line_jobs(app, &c, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
