//! Closing a usage month. A closed month is billed: its records are no longer taken (they
//! wait in the rejection queue as `period_closed`, so nothing is dropped and nothing moves
//! an invoice already issued) and it is no longer re-rated. The bill run (issue 17) closes
//! the months it bills; until then a person with `usage:update` closes a month that has
//! ended. A month is not reopened.

use crate::record::record;
use crate::{App, Ctx};
use chrono::{NaiveDate, Utc};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::usage_periods as repo;
pub use tsunagi_db::repo::usage_periods::Close;

/// Closes the month holding `period` (a month that has ended, in the tenant's time zone).
pub async fn close(app: &App, ctx: &Ctx, period: NaiveDate) -> Result<Close> {
    super::staff_only(ctx, "closing a month is for the operator's staff")?;
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let tz = app.settings.of(&mut tx).await?.settings.tz();
    let period = super::first_of(period);
    let current = super::first_of(Utc::now().with_timezone(&tz).date_naive());
    if period >= current {
        return Err(Error::invalid(
            "input.period",
            format!(
                "{} has not ended; only a month that has ended is closed",
                period.format("%Y-%m")
            ),
        ));
    }
    let c = repo::close(&mut tx, period, &ctx.principal.actor.label()).await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.period_close", "usage_period", period.format("%Y-%m"))
            .after(serde_json::json!({ "period": period })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// The tenant's closed months, latest first (staff with `usage:read`).
pub async fn closed(app: &App, ctx: &Ctx, first: i64) -> Result<Vec<Close>> {
    super::staff_only(ctx, "closed months are for the operator's staff")?;
    app.authz.check(&ctx.principal, "usage", "read").await?;
    let mut tx = app.read(ctx).await?;
    let c = repo::closes(&mut tx, first.clamp(1, 120)).await?;
    tx.end()?;
    Ok(c)
}

/// CONFLICT when `tenant`'s month `period` is closed: it is billed and not re-rated. Holds
/// the months open until the transaction ends, so a close waits for the re-rating.
pub async fn refuse_closed(tx: &mut TenantTx, tenant: uuid::Uuid, period: NaiveDate) -> Result<()> {
    repo::hold_open(tx).await?;
    if repo::is_closed(tx, tenant, period).await? {
        return Err(Error::conflict(format!(
            "{} is closed (billed); it is no longer re-rated",
            period.format("%Y-%m")
        )));
    }
    Ok(())
}
