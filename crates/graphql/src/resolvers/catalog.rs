//! Catalog: plans, price versions, options.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::ledger::{CatalogOption, Plan, PlanPrice, PlanStatus};
use crate::types::rating::{self, OptionRating, PriceRating};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::catalog::{self, PriceInput};
use tsunagi_core::states::PlanState;
use uuid::Uuid;

#[derive(InputObject)]
#[graphql(name = "PriceInput")]
pub struct PriceInputGql {
    /// Minor units of the tenant's currency.
    pub monthly_fee: i64,
    pub data_mb: i64,
    pub voice_min: i32,
    pub sms: i32,
    pub overage_data_per_gb: i64,
    pub overage_voice_per_min: i64,
    pub overage_sms: i64,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    /// `immediately` (default) or `next_term`: when existing contracts move to this price.
    #[graphql(default_with = "String::from(\"immediately\")")]
    pub applies: String,
    /// Voice increment, tiers, international and roaming prices, sharing, carry-over.
    pub rating: Option<PriceRating>,
}

impl From<PriceInputGql> for PriceInput {
    fn from(p: PriceInputGql) -> Self {
        Self {
            monthly_fee: p.monthly_fee,
            data_mb: p.data_mb,
            voice_min: p.voice_min,
            sms: p.sms,
            overage_data_per_gb: p.overage_data_per_gb,
            overage_voice_per_min: p.overage_voice_per_min,
            overage_sms: p.overage_sms,
            valid_from: p.valid_from,
            applies: p.applies,
            rating: rating::stored(&p.rating),
        }
    }
}

#[derive(InputObject)]
pub struct PlanCreateInput {
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub allowed_option_ids: Vec<ID>,
    pub price: PriceInputGql,
}

#[derive(InputObject)]
pub struct PlanPriceAddInput {
    pub plan_id: ID,
    pub price: PriceInputGql,
}

#[derive(InputObject)]
pub struct PlanStatusInput {
    pub id: ID,
    pub version: i32,
}

#[derive(InputObject)]
pub struct OptionCreateInput {
    pub code: String,
    pub name: String,
    pub monthly_fee: i64,
    /// Free calls, or a data add-on's volume.
    pub rating: Option<OptionRating>,
}

#[derive(SimpleObject)]
pub struct PlanPayload {
    pub plan: Plan,
}

#[derive(SimpleObject)]
pub struct PlanPricePayload {
    pub price: PlanPrice,
}

#[derive(SimpleObject)]
pub struct OptionPayload {
    pub option: CatalogOption,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Plans of the tenant and of its MVNO (what a reseller sells).
    async fn plans(
        &self,
        ctx: &Context<'_>,
        status: Option<PlanStatus>,
    ) -> async_graphql::Result<Vec<Plan>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(catalog::plan_list(app, &c, status.map(Into::into))
            .await
            .gql()?
            .into_iter()
            .map(Plan)
            .collect())
    }
    async fn plan(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Plan> {
        let (app, c) = app_ctx(ctx)?;
        catalog::plan_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(|(p, _)| Plan(p))
    }
    async fn options(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CatalogOption>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(catalog::option_list(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// A new plan in draft, with its first price version.
    async fn plan_create(
        &self,
        ctx: &Context<'_>,
        input: PlanCreateInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (app, c) = app_ctx(ctx)?;
        let opts: Vec<Uuid> = input
            .allowed_option_ids
            .iter()
            .enumerate()
            .map(|(i, o)| parse_id(o, &format!("input.allowedOptionIds[{i}]")))
            .collect::<Result<_, _>>()?;
        let (plan, _) =
            catalog::plan_create(app, &c, &input.code, &input.name, opts, input.price.into())
                .await
                .gql()?;
        Ok(PlanPayload { plan: Plan(plan) })
    }
    /// A new price version; the current one ends when it starts.
    async fn plan_price_add(
        &self,
        ctx: &Context<'_>,
        input: PlanPriceAddInput,
    ) -> async_graphql::Result<PlanPricePayload> {
        let (app, c) = app_ctx(ctx)?;
        let p = catalog::plan_price_add(
            app,
            &c,
            parse_id(&input.plan_id, "input.planId")?,
            input.price.into(),
        )
        .await
        .gql()?;
        Ok(PlanPricePayload {
            price: PlanPrice(p),
        })
    }
    async fn plan_activate(
        &self,
        ctx: &Context<'_>,
        input: PlanStatusInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (app, c) = app_ctx(ctx)?;
        let p = catalog::plan_set_status(
            app,
            &c,
            parse_id(&input.id, "input.id")?,
            PlanState::Active,
            input.version,
        )
        .await
        .gql()?;
        Ok(PlanPayload { plan: Plan(p) })
    }
    /// Stops selling a plan; its contracts keep it.
    async fn plan_retire(
        &self,
        ctx: &Context<'_>,
        input: PlanStatusInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (app, c) = app_ctx(ctx)?;
        let p = catalog::plan_set_status(
            app,
            &c,
            parse_id(&input.id, "input.id")?,
            PlanState::Retired,
            input.version,
        )
        .await
        .gql()?;
        Ok(PlanPayload { plan: Plan(p) })
    }
    async fn option_create(
        &self,
        ctx: &Context<'_>,
        input: OptionCreateInput,
    ) -> async_graphql::Result<OptionPayload> {
        let (app, c) = app_ctx(ctx)?;
        let o = catalog::option_create(
            app,
            &c,
            &input.code,
            &input.name,
            input.monthly_fee,
            rating::stored(&input.rating),
        )
        .await
        .gql()?;
        Ok(OptionPayload { option: o.into() })
    }
}
