//! Re-rating after a price correction: the quote (what would change) and the applying.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::rating::UsageRerating;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use tsunagi_app::usage::rerate;

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
}
