//! Reading the related rows of a list at once (the API's DataLoaders call these): one
//! statement per kind of row for a whole page, with the same checks as the single reads —
//! a customer principal gets only its own customer, contracts and lines; staff need the
//! object's read permission.

use crate::{App, Ctx};
use tsunagi_core::Result;
use tsunagi_db::repo::catalog::Plan;
use tsunagi_db::repo::contracts::{Contract, LineFilter};
use tsunagi_db::repo::customers::Customer;
use tsunagi_db::repo::inventory::{Device, Sim};
use tsunagi_db::repo::notifications::{self as n, AttemptRow};
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

/// Plans by id: staff with `catalog:read`; a customer principal reaches this only through
/// the contracts and lines in its scope (`Line.plan`), so it may read those plans.
pub async fn plans(app: &App, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Plan>> {
    if ctx.principal.is_customer() {
        app.authz
            .check(&ctx.principal, "self_service", "read")
            .await?;
    } else {
        app.authz.check(&ctx.principal, "catalog", "read").await?;
    }
    let mut tx = app.tx(ctx).await?;
    let rows = rows_by_ids(&mut tx, Table::Plans, ids).await?;
    tx.commit().await?;
    Ok(rows)
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
