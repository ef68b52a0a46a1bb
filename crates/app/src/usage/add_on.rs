//! Data add-ons: options whose rating says `addOnMb`, bought for a line in the current bill
//! period. A purchase is a `data_add_on` order carrying the option's price in force (its fee,
//! charged once; billing takes it from the order) that raises the data allowance of the
//! line's pool — the line's own, or its contract's when the plan shares — and, when the
//! pool's lines were limited and the new allowance is more than what was used, lifts the
//! limit. The pool is locked before anything else, so a purchase and a rater never step on
//! each other. Customers buy for their own lines (`self_service:request`); staff need
//! `order:create`.

use super::limit::{self, Rule};
use super::rate::{Book, Opening, open_pools, owner_of, pool_of};
use crate::orders::{order_move, order_open};
use crate::record::record;
use crate::{App, Ctx};
use chrono::Utc;
use serde_json::json;
use std::collections::BTreeMap;
use tsunagi_core::rating::Meter;
use tsunagi_core::rating::rules::{MB, OptionRules};
use tsunagi_core::states::OrderState;
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::catalog::{self, CatalogOption};
use tsunagi_db::repo::limits as repo;
use tsunagi_db::repo::orders::Order;
use tsunagi_db::repo::rating as rating_repo;
use uuid::Uuid;

/// The data an option adds, when it is a data add-on.
fn add_on_mb(o: &CatalogOption) -> Option<i64> {
    OptionRules::parse(&o.rating, "rating")
        .ok()
        .and_then(|r| r.add_on_mb)
        .filter(|mb| *mb > 0)
}

async fn authorized(app: &App, ctx: &Ctx, line: Uuid) -> Result<tsunagi_db::repo::contracts::Line> {
    let p = &ctx.principal;
    if p.is_customer() {
        app.authz.check(p, "self_service", "request").await?;
    } else {
        app.authz.check(p, "order", "create").await?;
    }
    super::readable_line(app, ctx, line).await
}

/// The data add-ons on sale for a line (the line's tenant's catalog), cheapest first.
pub async fn offers(app: &App, ctx: &Ctx, line_id: Uuid) -> Result<Vec<CatalogOption>> {
    super::readable_line(app, ctx, line_id).await?;
    let mut tx = app.read(ctx).await?;
    let mut all: Vec<CatalogOption> = catalog::option_list(&mut tx)
        .await?
        .into_iter()
        .filter(|o| o.status == "active" && add_on_mb(o).is_some())
        .collect();
    tx.end()?;
    all.sort_by_key(|o| (o.monthly_fee, o.code.clone()));
    Ok(all)
}

/// What a purchase did.
#[derive(Debug, Clone)]
pub struct Bought {
    pub order: Order,
    pub added_bytes: i64,
    /// Lines whose data limit the purchase lifted.
    pub lines_freed: usize,
}

/// Buys a data add-on for a line in the current bill period (see the module's documentation),
/// at the fee the buyer was shown (`expected_fee`, minor units; another is a CONFLICT).
pub async fn buy(
    app: &App,
    ctx: &Ctx,
    line_id: Uuid,
    option_id: Uuid,
    expected_fee: i64,
) -> Result<Bought> {
    let line = authorized(app, ctx, line_id).await?;
    if line.tenant_id != ctx.principal.tenant_id.as_uuid() {
        return Err(Error::forbidden(
            "the line belongs to a reseller; its add-ons are bought there",
        ));
    }
    if line.status != "active" {
        return Err(Error::conflict(format!(
            "the line is {}; data add-ons are for active lines",
            line.status
        )));
    }
    let mut tx = app.tx(ctx).await?;
    let option = catalog::options_get(&mut tx, &[option_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid("input.optionId", "no such option"))?;
    if option.status != "active" {
        return Err(Error::invalid(
            "input.optionId",
            "the option is not on sale",
        ));
    }
    let mb = add_on_mb(&option).ok_or_else(|| {
        Error::invalid(
            "input.optionId",
            "the option is not a data add-on (its rating has no addOnMb)",
        )
    })?;
    if option.monthly_fee != expected_fee {
        return Err(Error::conflict(format!(
            "the add-on now costs {} {} (shown: {expected_fee}); show the price again",
            option.monthly_fee, option.currency
        )));
    }
    let settings =
        crate::tenants::effective_settings(&mut tx, TenantId::from(line.tenant_id)).await?;
    let rule = Rule::of(&settings);
    let now = Utc::now();
    let period = super::first_of(now.with_timezone(&rule.tz).date_naive());
    let mut book = Book::load(
        &mut tx,
        line.tenant_id,
        &[line.contract_id],
        rule.rounding,
        rule.tz,
    )
    .await?;
    let priced = book.priced(line.contract_id, now)?.clone();
    // The pool the period counts in (opened now if nothing was used yet), locked.
    let owner =
        match super::rate::line_pool(&mut tx, &line, priced.rules.shared, period, false).await? {
            Some(r) => r.owner_id,
            None => {
                let key = (
                    owner_of(priced.rules.shared, line.id, line.contract_id),
                    period,
                );
                let opening = Opening {
                    shared: priced.rules.shared,
                    carry: priced.rules.carry_over,
                    contract: line.contract_id,
                    at: now,
                };
                open_pools(&mut tx, &mut book, &BTreeMap::from([(key, opening)])).await?;
                key.0
            }
        };
    rating_repo::pools_lock(&mut tx, &[owner], &[period]).await?;
    let bytes = mb.saturating_mul(MB);
    let o = order_open(
        &mut tx,
        ctx,
        "data_add_on",
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        json!({
            "optionId": option.id, "code": option.code, "addOnMb": mb, "period": period,
            "fee": { "minor": option.monthly_fee, "currency": option.currency },
        }),
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::InProgress, None).await?;
    let row = repo::pool_add(&mut tx, owner, period, bytes).await?;
    let pool = pool_of(&row);
    let allowance = pool.allowance(&priced.tariff, &Meter::Data);
    let freed = if pool.used(&Meter::Data) < allowance {
        limit::lift(&mut tx, app, ctx, &row, "add_on", &[]).await?
    } else {
        0
    };
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.add_on", "usage_pool", owner).after(json!({
            "period": period, "lineId": line.id, "optionId": option.id, "addedBytes": bytes,
            "allowanceBytes": allowance, "orderId": o.id, "linesFreed": freed,
        })),
        None,
    )
    .await?;
    let o = order_move(&mut tx, ctx, o, OrderState::Completed, None).await?;
    tx.commit().await?;
    Ok(Bought {
        order: o,
        added_bytes: bytes,
        lines_freed: freed,
    })
}
