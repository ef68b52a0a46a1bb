//! Data limits: what the tenant's `dataAtQuota` rule does when a pool's data allowance is used
//! up in the current bill period, and how the limit ends. Limiting gives each active line of
//! the pool a `data_limit` order whose carrier step sets its speed (`throttleKbps`, or 0 to
//! block data); lifting gives each a `data_unlimit` order that clears it. A limit ends when a
//! data add-on raises the allowance past what was used ([`super::add_on`]) or when the period
//! ends (the worker's [`lift_past_periods`]). The pool's limit is written under its row lock
//! (the caller holds it), so its lines are limited once, however many raters cross the line.

use crate::orders::{order_fail, order_move, order_open, provision_with};
use crate::record::record;
use crate::{App, Ctx};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::json;
use tsunagi_core::states::OrderState;
use tsunagi_core::tenant::{DataAtQuota, RoundingRule, TenantSettings};
use tsunagi_core::{Result, TenantId};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::contracts::{self, Line, LineFilter};
use tsunagi_db::repo::limits as repo;
use tsunagi_db::repo::rating::PoolRow;
use tsunagi_db::repo::{Page, orders::Order};

/// The tenant's settings that rating and limiting read, resolved once per submission.
#[derive(Debug, Clone)]
pub struct Rule {
    pub action: DataAtQuota,
    pub kbps: i32,
    pub rounding: RoundingRule,
    pub tz: Tz,
}

impl Rule {
    pub fn of(s: &TenantSettings) -> Self {
        Self {
            action: s.data_at_quota,
            kbps: s.throttle_kbps,
            rounding: s.rounding,
            tz: s.tz(),
        }
    }
}

/// Whether the pool's lines are limited now.
pub fn limited(row: &PoolRow) -> bool {
    row.limit_action.is_some() && row.lifted_at.is_none()
}

/// The active lines a pool's limit applies to: the line, or every active line of the
/// contract whose lines share the allowance.
async fn lines_of(tx: &mut TenantTx, row: &PoolRow) -> Result<Vec<Line>> {
    let f = LineFilter {
        contract_id: row.shared.then_some(row.owner_id),
        line_id: (!row.shared).then_some(row.owner_id),
        status: Some("active".into()),
        ..Default::default()
    };
    contracts::line_list(
        tx,
        &f,
        Page {
            after: None,
            limit: 1_000,
        },
    )
    .await
}

/// One line's speed change, as an order with its carrier step (`None`: no limit).
async fn speed_order(
    tx: &mut TenantTx,
    app: &App,
    ctx: &Ctx,
    line: &Line,
    kind: &str,
    kbps: Option<i32>,
    why: &str,
) -> Result<Order> {
    // The newest speed wins: an older change still on its way is ended first.
    for order in repo::speed_jobs_supersede(tx, line.id).await? {
        order_fail(tx, ctx, order, "superseded by a newer speed change").await?;
    }
    let o = order_open(
        tx,
        ctx,
        kind,
        Some(line.customer_id),
        Some(line.contract_id),
        Some(line.id),
        json!({ "kbps": kbps, "reason": why }),
    )
    .await?;
    let o = order_move(tx, ctx, o, OrderState::InProgress, None).await?;
    let done = provision_with(
        app,
        tx,
        o.id,
        line.id,
        "set_speed_limit",
        &json!({ "kbps": kbps }),
    )
    .await?;
    if done {
        return order_move(
            tx,
            ctx,
            o,
            OrderState::Completed,
            Some(crate::orders::LOCAL_NOTE),
        )
        .await;
    }
    Ok(o)
}

/// Limits the lines of a pool whose data allowance is used up, when the tenant's rule says
/// so and the pool is not limited already. Returns the lines limited.
pub async fn limit(
    tx: &mut TenantTx,
    app: &App,
    ctx: &Ctx,
    rule: &Rule,
    row: &PoolRow,
) -> Result<usize> {
    let kbps = match rule.action {
        DataAtQuota::Notify => return Ok(0),
        DataAtQuota::Throttle => rule.kbps,
        DataAtQuota::Block => 0,
    };
    if limited(row) {
        return Ok(0);
    }
    repo::pool_limit(tx, row.owner_id, row.period, rule.action.as_str(), kbps).await?;
    let lines = lines_of(tx, row).await?;
    let why = format!(
        "data allowance of {} used up: {} (tenant setting dataAtQuota)",
        row.period.format("%Y-%m"),
        rule.action.as_str()
    );
    let mut orders = Vec::with_capacity(lines.len());
    for l in &lines {
        orders.push(
            speed_order(tx, app, ctx, l, "data_limit", Some(kbps), &why)
                .await?
                .id,
        );
    }
    record(
        tx,
        ctx,
        AuditEntry::new("usage.data_limit", "usage_pool", row.owner_id).after(json!({
            "period": row.period, "action": rule.action.as_str(), "kbps": kbps,
            "lineIds": lines.iter().map(|l| l.id).collect::<Vec<_>>(), "orderIds": orders,
        })),
        None,
    )
    .await?;
    Ok(lines.len())
}

/// Lifts a pool's limit (`by`: `add_on` or `next_period`): its lines get their speed back,
/// except those limited again by a pool of a later period (`still`: those pools' owners).
/// Returns the lines freed.
pub async fn lift(
    tx: &mut TenantTx,
    app: &App,
    ctx: &Ctx,
    row: &PoolRow,
    by: &str,
    still: &[uuid::Uuid],
) -> Result<usize> {
    if !limited(row) {
        return Ok(0);
    }
    repo::pool_lift(tx, row.owner_id, row.period, by).await?;
    let mut lines = lines_of(tx, row).await?;
    lines.retain(|l| !still.contains(&l.id) && !still.contains(&l.contract_id));
    let why = match by {
        "add_on" => "a data add-on raised the allowance",
        _ => "a new bill period began",
    };
    let mut orders = Vec::with_capacity(lines.len());
    for l in &lines {
        orders.push(
            speed_order(tx, app, ctx, l, "data_unlimit", None, why)
                .await?
                .id,
        );
    }
    record(
        tx,
        ctx,
        AuditEntry::new("usage.data_unlimit", "usage_pool", row.owner_id).after(json!({
            "period": row.period, "by": by,
            "lineIds": lines.iter().map(|l| l.id).collect::<Vec<_>>(), "orderIds": orders,
        })),
        None,
    )
    .await?;
    Ok(lines.len())
}

/// Worker activation: lifts every limit of a period that has ended in its tenant's time
/// zone. Returns the lines freed.
pub async fn lift_past_periods(app: &App, now: DateTime<Utc>) -> Result<usize> {
    // The month turns first at UTC+14: a tenant whose period ended is among these.
    let latest = super::first_of((now + Duration::hours(14)).date_naive());
    let mut freed = 0;
    for tenant in repo::tenants_with_limited_pools(&app.db, latest).await? {
        // One tenant's failure does not hold the others back.
        match lift_tenant(app, TenantId(tenant), now).await {
            Ok(n) => freed += n,
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e.detail(), "data limits not lifted; next activation retries")
            }
        }
    }
    Ok(freed)
}

async fn lift_tenant(app: &App, tenant: TenantId, now: DateTime<Utc>) -> Result<usize> {
    let Some(ctx) = Ctx::system(app, tenant, "system:data-limits").await? else {
        return Ok(0);
    };
    let mut tx = app.tx(&ctx).await?;
    let s = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    let period = super::first_of(now.with_timezone(&s.tz()).date_naive());
    let mut freed = 0;
    let ended = repo::pools_limited_before(&mut tx, period).await?;
    // A line whose new period is limited already keeps that limit.
    let still = repo::owners_limited_in(&mut tx, period).await?;
    for row in ended {
        freed += lift(&mut tx, app, &ctx, &row, "next_period", &still).await?;
    }
    tx.commit().await?;
    Ok(freed)
}
