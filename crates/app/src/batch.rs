//! Reading the related rows of a list at once (the API's DataLoaders call these): one
//! statement per kind of row for a whole page, with the same checks as the single reads —
//! a customer principal gets only its own customer, contracts and lines; staff need the
//! object's read permission.

use crate::{App, Ctx};
use tsunagi_core::Result;
use tsunagi_db::repo::catalog::Plan;
use tsunagi_db::repo::contracts::{Contract, Line, LineFilter, plan_ids_of_customer};
use tsunagi_db::repo::customers::Customer;
use tsunagi_db::repo::inventory::{Device, Sim};
use tsunagi_db::repo::notifications::{self as n, AttemptRow};
use tsunagi_db::repo::orders::Order;
use tsunagi_db::repo::{Table, rows_by_ids};
use uuid::Uuid;

/// Contracts by id; a customer principal's are filtered to its own (its line's, for a
/// line user).
pub async fn contracts(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Contract>> {
    let f = crate::lines::scoped(app, ctx, "contract", LineFilter::default()).await?;
    let own_contract = match f.line_id {
        Some(l) => Some(crate::lines::line_get(app, ctx, l).await?.contract_id),
        None => None,
    };
    let mut tx = app.tx(ctx).await?;
    let rows: Vec<Contract> = rows_by_ids(&mut tx, Table::Contracts, ids).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|c| f.customer_id.is_none_or(|cu| cu == c.customer_id))
        .filter(|c| own_contract.is_none_or(|o| o == c.id))
        .collect())
}

/// Customers by id: staff with `customer:read`, a customer principal its own only.
pub async fn customers(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Customer>> {
    let own = match ctx.principal.customer {
        Some(scope) if ctx.principal.is_customer() => {
            app.authz
                .check(&ctx.principal, "self_service", "read")
                .await?;
            Some(scope.customer_id)
        }
        _ => {
            app.authz.check(&ctx.principal, "customer", "read").await?;
            None
        }
    };
    let mut tx = app.tx(ctx).await?;
    let rows: Vec<Customer> = rows_by_ids(&mut tx, Table::Customers, ids).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|c| own.is_none_or(|o| o == c.id))
        .collect())
}

/// Plans by id: staff with `catalog:read`; a customer principal only the plans of its own
/// contracts (its line's, for a line user), whatever ids it is asked for.
pub async fn plans(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Plan>> {
    let scope = if ctx.principal.is_customer() {
        Some(crate::lines::scoped(app, ctx, "catalog", LineFilter::default()).await?)
    } else {
        app.authz.check(&ctx.principal, "catalog", "read").await?;
        None
    };
    let mut tx = app.tx(ctx).await?;
    let own = match scope
        .as_ref()
        .and_then(|f| f.customer_id.map(|c| (c, f.line_id)))
    {
        Some((customer, line)) => Some(plan_ids_of_customer(&mut tx, customer, line).await?),
        None => None,
    };
    let rows: Vec<Plan> = rows_by_ids(&mut tx, Table::Plans, ids).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|p| own.as_ref().is_none_or(|o| o.contains(&p.id)))
        .collect())
}

/// The orders of several lines (each line's own and its contract's, newest first, 50 at
/// most per line): staff with `order:read`; a customer principal only for lines in its
/// scope (others get none).
pub async fn orders_of_lines(
    app: &App,
    ctx: &Ctx,
    lines: &[(Uuid, Uuid)],
) -> Result<Vec<((Uuid, Uuid), Order)>> {
    let scope = if ctx.principal.is_customer() {
        Some(crate::lines::scoped(app, ctx, "order", LineFilter::default()).await?)
    } else {
        app.authz.check(&ctx.principal, "order", "read").await?;
        None
    };
    let ids: Vec<Uuid> = lines.iter().map(|(l, _)| *l).collect();
    let mut tx = app.tx(ctx).await?;
    // The lines as they are in the database: a key's contract is the line's own.
    let rows: Vec<Line> = rows_by_ids(&mut tx, Table::Lines, &ids).await?;
    let known: Vec<(Uuid, Uuid)> = rows
        .iter()
        .filter(|l| {
            scope.as_ref().is_none_or(|f| {
                f.customer_id.is_none_or(|c| c == l.customer_id)
                    && f.line_id.is_none_or(|o| o == l.id)
            })
        })
        .map(|l| (l.id, l.contract_id))
        .filter(|k| lines.contains(k))
        .collect();
    let orders = tsunagi_db::repo::orders::orders_of_lines(&mut tx, &known, 50).await?;
    tx.commit().await?;
    Ok(orders)
}

pub async fn sims(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Sim>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let rows = rows_by_ids(&mut tx, Table::Sims, ids).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn devices(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Device>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let rows = rows_by_ids(&mut tx, Table::Devices, ids).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The attempts of several deliveries: (delivery, attempt), oldest first.
pub async fn attempts(
    app: &App,
    ctx: &Ctx,
    deliveries: &[Uuid],
) -> Result<Vec<(Uuid, AttemptRow)>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let rows = n::attempts_of(&mut tx, deliveries).await?;
    tx.commit().await?;
    Ok(rows)
}
