//! Lines, contracts and orders: reading (staff and self-service), new line, plan change with
//! preview, options, SIM swap, and the critical suspend/resume/terminate (approval requests).

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::ledger::{LineStatus, OrderStatus, SimStatus};
use crate::types::ledger_lines::{ApprovalRequest, Contract, Line, Order, PlanChangePreview};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::lines;
use tsunagi_app::orders::{self, LineOp, NewLine};
use tsunagi_app::views::contracts::LineFilter;
use tsunagi_core::states::{LineState, StateMachine};
use uuid::Uuid;

#[derive(InputObject)]
pub struct NewLineInput {
    pub customer_id: ID,
    pub plan_id: ID,
    #[graphql(default)]
    pub option_ids: Vec<ID>,
    /// A number from your pool; default the next available one.
    pub msisdn: Option<String>,
    /// A physical SIM from stock; without it an eSIM profile is allocated.
    pub iccid: Option<String>,
    pub device_id: Option<ID>,
    /// Brings the customer's number from another operator (MNP) instead of the pool.
    pub port_in: Option<PortInInput>,
}

/// A port-in: the donor's MNP reservation number (10 digits) with its expiry date, or the
/// one-stop method (no reservation number).
#[derive(InputObject)]
pub struct PortInInput {
    /// The number at the other operator, in any common format.
    pub msisdn: String,
    pub reservation_number: Option<String>,
    /// The reservation number's expiry date; at least the tenant's `mnpMinDaysLeft` ahead.
    pub reservation_expires_on: Option<chrono::NaiveDate>,
    #[graphql(default)]
    pub one_stop: bool,
}

#[derive(InputObject)]
pub struct PlanChangeInput {
    pub contract_id: ID,
    pub plan_id: ID,
}

#[derive(InputObject)]
pub struct OptionChangeInput {
    pub contract_id: ID,
    pub option_id: ID,
}

#[derive(InputObject)]
pub struct SimSwapInput {
    pub line_id: ID,
    /// The new SIM's ICCID (from stock).
    pub iccid: String,
    /// What happened to the old SIM: RETURNED (default), FAULTY or LOST.
    #[graphql(default_with = "SimStatus::Returned")]
    pub old_sim_status: SimStatus,
}

#[derive(InputObject)]
pub struct LineOperationInput {
    pub line_id: ID,
    /// Why; shown to the approver and in the line's history.
    #[graphql(default)]
    pub reason: String,
}

#[derive(InputObject)]
pub struct OrderCancelInput {
    pub id: ID,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct OrderPayload {
    pub order: Order,
}

#[derive(SimpleObject)]
pub struct PlanChangePayload {
    pub order: Order,
    /// The price effect the change was made with.
    pub preview: PlanChangePreview,
}

#[derive(SimpleObject)]
pub struct LineOperationPayload {
    /// The order, held until the approval request is decided.
    pub order: Order,
    pub approval_request: ApprovalRequest,
}

#[derive(Default)]
pub struct LineQuery;

#[Object]
impl LineQuery {
    /// A line you can see (a customer user: only their own).
    async fn line(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Line> {
        let (app, c) = app_ctx(ctx)?;
        lines::line_detail(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Line::detailed)
    }
    async fn lines(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
        status: Option<LineStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Line, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let st: Option<LineState> = status.map(Into::into);
        let f = LineFilter {
            customer_id: customer_id
                .as_ref()
                .map(|x| parse_id(x, "customerId"))
                .transpose()?,
            status: st.map(|s| s.as_str().to_owned()),
            ..Default::default()
        };
        let rows = lines::line_list(app, &c, f, page).await.gql()?;
        Ok(forward_connection(rows, page, |r| r.id, Line::plain))
    }
    async fn contract(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Contract> {
        let (app, c) = app_ctx(ctx)?;
        lines::contract_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Contract)
    }
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Order> {
        let (app, c) = app_ctx(ctx)?;
        orders::order_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Order)
    }
    async fn orders(
        &self,
        ctx: &Context<'_>,
        status: Option<OrderStatus>,
        line_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Order, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let line = line_id
            .as_ref()
            .map(|l| parse_id(l, "lineId"))
            .transpose()?;
        let rows = orders::order_list(app, &c, status.map(Into::into), line, page)
            .await
            .gql()?;
        Ok(forward_connection(rows, page, |r| r.id, Order))
    }
    /// The price effect of a plan change today, before confirming it.
    async fn plan_change_preview(
        &self,
        ctx: &Context<'_>,
        contract_id: ID,
        plan_id: ID,
    ) -> async_graphql::Result<PlanChangePreview> {
        let (app, c) = app_ctx(ctx)?;
        orders::plan_change_preview(
            app,
            &c,
            parse_id(&contract_id, "contractId")?,
            parse_id(&plan_id, "planId")?,
        )
        .await
        .gql()
        .map(Into::into)
    }
}

#[derive(Default)]
pub struct LineMutation;

async fn line_op(
    ctx: &Context<'_>,
    input: LineOperationInput,
    op: LineOp,
) -> async_graphql::Result<LineOperationPayload> {
    let (app, c) = app_ctx(ctx)?;
    let (o, a) = orders::line_op_request(
        app,
        &c,
        parse_id(&input.line_id, "input.lineId")?,
        op,
        &input.reason,
    )
    .await
    .gql()?;
    Ok(LineOperationPayload {
        order: Order(o),
        approval_request: ApprovalRequest(a),
    })
}

#[Object]
impl LineMutation {
    /// Orders a new line; held with a reason while the customer's KYC is not verified.
    async fn order_new_line(
        &self,
        ctx: &Context<'_>,
        input: NewLineInput,
    ) -> async_graphql::Result<OrderPayload> {
        let (app, c) = app_ctx(ctx)?;
        let option_ids: Vec<Uuid> = input
            .option_ids
            .iter()
            .enumerate()
            .map(|(i, o)| parse_id(o, &format!("input.optionIds[{i}]")))
            .collect::<Result<_, _>>()?;
        let nl = NewLine {
            customer_id: parse_id(&input.customer_id, "input.customerId")?,
            plan_id: parse_id(&input.plan_id, "input.planId")?,
            option_ids,
            msisdn: input.msisdn,
            iccid: input.iccid,
            device_id: input
                .device_id
                .as_ref()
                .map(|d| parse_id(d, "input.deviceId"))
                .transpose()?,
            port_in: input.port_in.map(|p| orders::PortIn {
                msisdn: p.msisdn,
                reservation_number: p.reservation_number,
                reservation_expires_on: p.reservation_expires_on,
                one_stop: p.one_stop,
            }),
        };
        orders::order_new_line(app, &c, nl)
            .await
            .gql()
            .map(|o| OrderPayload { order: Order(o) })
    }
    async fn order_plan_change(
        &self,
        ctx: &Context<'_>,
        input: PlanChangeInput,
    ) -> async_graphql::Result<PlanChangePayload> {
        let (app, c) = app_ctx(ctx)?;
        let (o, p) = orders::order_plan_change(
            app,
            &c,
            parse_id(&input.contract_id, "input.contractId")?,
            parse_id(&input.plan_id, "input.planId")?,
        )
        .await
        .gql()?;
        Ok(PlanChangePayload {
            order: Order(o),
            preview: p.into(),
        })
    }
    async fn order_option_add(
        &self,
        ctx: &Context<'_>,
        input: OptionChangeInput,
    ) -> async_graphql::Result<OrderPayload> {
        let (app, c) = app_ctx(ctx)?;
        orders::order_option_change(
            app,
            &c,
            parse_id(&input.contract_id, "input.contractId")?,
            parse_id(&input.option_id, "input.optionId")?,
            true,
        )
        .await
        .gql()
        .map(|o| OrderPayload { order: Order(o) })
    }
    async fn order_option_remove(
        &self,
        ctx: &Context<'_>,
        input: OptionChangeInput,
    ) -> async_graphql::Result<OrderPayload> {
        let (app, c) = app_ctx(ctx)?;
        orders::order_option_change(
            app,
            &c,
            parse_id(&input.contract_id, "input.contractId")?,
            parse_id(&input.option_id, "input.optionId")?,
            false,
        )
        .await
        .gql()
        .map(|o| OrderPayload { order: Order(o) })
    }
    async fn order_sim_swap(
        &self,
        ctx: &Context<'_>,
        input: SimSwapInput,
    ) -> async_graphql::Result<OrderPayload> {
        let (app, c) = app_ctx(ctx)?;
        orders::order_sim_swap(
            app,
            &c,
            parse_id(&input.line_id, "input.lineId")?,
            &input.iccid,
            input.old_sim_status.into(),
        )
        .await
        .gql()
        .map(|o| OrderPayload { order: Order(o) })
    }
    /// Cancels an order that has not started.
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        input: OrderCancelInput,
    ) -> async_graphql::Result<OrderPayload> {
        let (app, c) = app_ctx(ctx)?;
        orders::order_cancel(app, &c, parse_id(&input.id, "input.id")?, &input.reason)
            .await
            .gql()
            .map(|o| OrderPayload { order: Order(o) })
    }
    /// Asks to suspend a line: becomes an approval request (critical).
    async fn line_suspend(
        &self,
        ctx: &Context<'_>,
        input: LineOperationInput,
    ) -> async_graphql::Result<LineOperationPayload> {
        line_op(ctx, input, LineOp::Suspend).await
    }
    async fn line_resume(
        &self,
        ctx: &Context<'_>,
        input: LineOperationInput,
    ) -> async_graphql::Result<LineOperationPayload> {
        line_op(ctx, input, LineOp::Resume).await
    }
    async fn line_terminate(
        &self,
        ctx: &Context<'_>,
        input: LineOperationInput,
    ) -> async_graphql::Result<LineOperationPayload> {
        line_op(ctx, input, LineOp::Terminate).await
    }
}
