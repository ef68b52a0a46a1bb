//! Reading contracts and lines — for staff, and for customer principals within their scope:
//! a customer admin sees the company's contracts and lines, a customer user only their own
//! line. Another customer's objects are NOT_FOUND.

use crate::{App, Ctx};
use tsunagi_core::{Error, Result};
use tsunagi_db::repo::Page;
use tsunagi_db::repo::contracts::{self as repo, Contract, Line, LineFilter};
use tsunagi_db::repo::orders::{self, ProvisioningJob};
use uuid::Uuid;

/// Asks the right permission and narrows the filter to the principal's customer scope.
pub(crate) async fn scoped(
    app: &App,
    ctx: &Ctx,
    obj: &str,
    mut f: LineFilter,
) -> Result<LineFilter> {
    let p = &ctx.principal;
    if p.is_customer() {
        app.authz.check(p, "self_service", "read").await?;
        let scope = p
            .customer
            .ok_or_else(|| Error::forbidden("this customer login is not linked to a customer"))?;
        if f.customer_id.is_some_and(|c| c != scope.customer_id) {
            return Err(Error::not_found("customer"));
        }
        f.customer_id = Some(scope.customer_id);
        if let Some(l) = scope.line_id {
            // Another line of the same customer is not this user's: NOT_FOUND, never the
            // user's own line in its place.
            if f.line_id.is_some_and(|asked| asked != l) {
                return Err(Error::not_found("line"));
            }
            f.line_id = Some(l);
        }
    } else {
        app.authz.check(p, obj, "read").await?;
    }
    Ok(f)
}

pub async fn line_list(app: &App, ctx: &Ctx, f: LineFilter, page: Page) -> Result<Vec<Line>> {
    let f = scoped(app, ctx, "line", f).await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::line_list(&mut tx, &f, page).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn line_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Line> {
    let f = scoped(
        app,
        ctx,
        "line",
        LineFilter {
            line_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::line_list(
        &mut tx,
        &f,
        Page {
            after: None,
            limit: 1,
        },
    )
    .await?;
    tx.commit().await?;
    r.into_iter().next().ok_or(Error::not_found("line"))
}

pub async fn contract_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Contract> {
    let f = scoped(app, ctx, "contract", LineFilter::default()).await?;
    let mut tx = app.tx(ctx).await?;
    let c = repo::contract_get(&mut tx, id).await?;
    tx.commit().await?;
    if f.customer_id.is_some_and(|cu| cu != c.customer_id) {
        return Err(Error::not_found("contract"));
    }
    if let Some(line) = f.line_id {
        // A customer user sees the contract of their own line only.
        let own = line_get(app, ctx, line).await?;
        if own.contract_id != c.id {
            return Err(Error::not_found("contract"));
        }
    }
    Ok(c)
}

pub async fn contracts_of(app: &App, ctx: &Ctx, customer: Uuid) -> Result<Vec<Contract>> {
    let f = scoped(
        app,
        ctx,
        "contract",
        LineFilter {
            customer_id: Some(customer),
            ..Default::default()
        },
    )
    .await?;
    let mut tx = app.tx(ctx).await?;
    let mut r = repo::contracts_of(&mut tx, f.customer_id.unwrap_or(customer)).await?;
    tx.commit().await?;
    if let Some(line) = f.line_id {
        let own = line_get(app, ctx, line).await?;
        r.retain(|c| c.id == own.contract_id);
    }
    Ok(r)
}

/// The carrier steps of a line (to see what is in flight and how it completed).
pub async fn line_jobs(app: &App, ctx: &Ctx, line: Uuid) -> Result<Vec<ProvisioningJob>> {
    line_get(app, ctx, line).await?;
    let mut tx = app.tx(ctx).await?;
    let r = orders::jobs_of_line(&mut tx, line).await?;
    tx.commit().await?;
    Ok(r)
}

/// A line's detail page in one read: the line, contract, customer, SIM, device, plan and
/// the last 20 history entries, with what the caller may see of each.
pub struct LineDetailView {
    pub detail: repo::LineDetail,
    pub can_read_customer: bool,
    pub can_read_stock: bool,
    pub can_read_history: bool,
    pub unmask: bool,
}

pub async fn line_detail(app: &App, ctx: &Ctx, id: Uuid) -> Result<LineDetailView> {
    let f = scoped(
        app,
        ctx,
        "line",
        LineFilter {
            line_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    let p = &ctx.principal;
    let can_read_customer = p.is_customer() || app.authz.allowed(p, "customer", "read").await?;
    let can_read_stock = app.authz.allowed(p, "inventory", "read").await?;
    let can_read_history = app.authz.allowed(p, "history", "read").await?;
    let unmask = crate::inventory::can_unmask(app, ctx).await?;
    let mut tx = app.tx(ctx).await?;
    let detail = repo::line_detail(&mut tx, id)
        .await?
        .ok_or(Error::not_found("line"))?;
    tx.commit().await?;
    if f.customer_id.is_some_and(|c| c != detail.line.customer_id)
        || f.line_id.is_some_and(|l| l != id)
    {
        return Err(Error::not_found("line"));
    }
    Ok(LineDetailView {
        detail,
        can_read_customer,
        can_read_stock,
        can_read_history,
        unmask,
    })
}
