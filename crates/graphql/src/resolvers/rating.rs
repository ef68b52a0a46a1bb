//! Re-rating after a price correction (the quote, what would change, and the applying) and
//! data add-ons (what is on sale for a line, and the purchase).

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::ledger::CatalogOption;
use crate::types::ledger_objects::Order;
use crate::types::rating::UsageRerating;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use tsunagi_app::usage::{add_on, rerate};

#[derive(Default)]
pub struct RatingQuery;

#[Object]
impl RatingQuery {
    /// What re-rating the line's allowance pool (the line, or its contract's shared pool)
    /// in `period` (any day of the month; default: the current one) would change, against
    /// the catalog as it is now. Changes nothing.
    async fn usage_rerate_quote(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
        period: Option<NaiveDate>,
    ) -> async_graphql::Result<UsageRerating> {
        let (app, c) = app_ctx(ctx)?;
        let r = rerate::quote(app, &c, parse_id(&line_id, "lineId")?, period)
            .await
            .gql()?;
        Ok(r.into())
    }

    /// The data add-ons on sale for the line (options whose rating has `addOnMb`), cheapest
    /// first. A customer reads them for their own lines.
    async fn data_add_ons(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<Vec<CatalogOption>> {
        let (app, c) = app_ctx(ctx)?;
        let o = add_on::offers(app, &c, parse_id(&line_id, "lineId")?)
            .await
            .gql()?;
        Ok(o.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject)]
pub struct DataAddOnBuyInput {
    pub line_id: ID,
    /// An option on sale whose rating has `addOnMb`.
    pub option_id: ID,
    /// The fee the buyer was shown (minor units): bought only at that price (else CONFLICT).
    /// Send an `Idempotency-Key` header too, so a retry does not buy twice.
    pub expected_fee: i64,
}

#[derive(SimpleObject)]
pub struct DataAddOnBuyPayload {
    /// The `data_add_on` order, completed, with the option's fee in its input.
    pub order: Order,
    /// Bytes added to the period's allowance.
    pub added_bytes: i64,
    /// Lines whose data limit (throttle or block) the purchase lifted.
    pub lines_freed: i32,
}

#[derive(InputObject)]
pub struct UsageRerateInput {
    pub line_id: ID,
    /// Any day of the month to re-rate; default: the current one.
    pub period: Option<NaiveDate>,
    /// The new total the quote showed (`after`): applied only if it is still that.
    pub expected_after: i64,
}

#[derive(SimpleObject)]
pub struct UsageReratePayload {
    pub rerating: UsageRerating,
}

#[derive(Default)]
pub struct RatingMutation;

#[Object]
impl RatingMutation {
    /// Re-rates the line's allowance pool in the period and stores the new charges, if the
    /// new total is still the quoted one (else CONFLICT: quote again). Audited; announces
    /// `usage.rerated`.
    async fn usage_rerate(
        &self,
        ctx: &Context<'_>,
        input: UsageRerateInput,
    ) -> async_graphql::Result<UsageReratePayload> {
        let (app, c) = app_ctx(ctx)?;
        let r = rerate::apply(
            app,
            &c,
            parse_id(&input.line_id, "input.lineId")?,
            input.period,
            input.expected_after,
        )
        .await
        .gql()?;
        Ok(UsageReratePayload { rerating: r.into() })
    }

    /// Buys a data add-on for the line in the current bill period: raises the allowance of
    /// the line's pool and lifts a throttle or block. Customers buy for their own lines
    /// (`self_service:request`); staff need `order:create`. Audited.
    async fn data_add_on_buy(
        &self,
        ctx: &Context<'_>,
        input: DataAddOnBuyInput,
    ) -> async_graphql::Result<DataAddOnBuyPayload> {
        let (app, c) = app_ctx(ctx)?;
        let b = add_on::buy(
            app,
            &c,
            parse_id(&input.line_id, "input.lineId")?,
            parse_id(&input.option_id, "input.optionId")?,
            input.expected_fee,
        )
        .await
        .gql()?;
        Ok(DataAddOnBuyPayload {
            order: Order(b.order),
            added_bytes: b.added_bytes,
            lines_freed: i32::try_from(b.lines_freed).unwrap_or(i32::MAX),
        })
    }
}
