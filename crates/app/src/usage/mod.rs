//! Usage: the carrier's records of data, calls and messages, taken exactly once and routed
//! to the line that had the MSISDN at the record's time (`ingest`, read from NDJSON or CSV
//! by `formats`); records that cannot be taken wait with their reason to be corrected,
//! re-processed or discarded by a person (`rejections`). Each record taken is rated in the same
//! transaction (`rate`); a line's allowance is read live (`allowance`). Reading a line's
//! records needs `usage:read`, or a customer's own line; submitting needs `usage:create`
//! (the `usage_feed` role of an API key).

pub mod add_on;
pub mod allowance;
mod book;
pub mod formats;
pub mod ingest;
pub mod limit;
pub mod periods;
pub mod rate;
pub mod rejections;
pub mod rerate;
pub mod rerate_run;

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use tsunagi_core::usage::Submitted;
use tsunagi_core::{Error, Result};
use tsunagi_db::repo::usage as repo;
pub use tsunagi_db::repo::usage::{Batch, Record, Rejection, RejectionFilter};
use uuid::Uuid;

pub use ingest::{Ingest, Summary};

/// The most records one GraphQL call may submit (larger sets go to the bulk endpoint).
pub const MAX_GRAPHQL_RECORDS: usize = 1_000;

/// Submits a small batch (GraphQL): each record as submitted fields, positions from 1.
pub async fn submit(
    app: &App,
    ctx: &Ctx,
    source: &str,
    records: &[Submitted<'_>],
) -> Result<Summary> {
    if records.len() > MAX_GRAPHQL_RECORDS {
        return Err(Error::invalid(
            "input.records",
            format!(
                "at most {MAX_GRAPHQL_RECORDS} records per call; send larger sets to POST /usage/records"
            ),
        ));
    }
    let mut ingest = Ingest::start(app, ctx, source, "graphql").await?;
    for (i, r) in records.iter().enumerate() {
        ingest.push(i as i64 + 1, r).await?;
    }
    ingest.finish().await
}

/// A line's records in `[from, to)`, newest first, after a cursor of (time, record id).
pub async fn line_records(
    app: &App,
    ctx: &Ctx,
    line: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<Record>> {
    readable_line(app, ctx, line).await?;
    if to <= from {
        return Err(Error::invalid("to", "must be after from"));
    }
    let mut tx = app.read(ctx).await?;
    let rows = repo::records_of_line(&mut tx, line, from, to, after, limit).await?;
    tx.end()?;
    Ok(rows)
}

/// The line whose usage the caller asks for: staff need `usage:read` (RLS keeps them in
/// their tenants); a customer reads only their own lines (NOT_FOUND for any other).
/// FORBIDDEN with `refusal` for a customer's login: re-rating and closing months are the
/// operator's staff's work, whatever a tenant's policies grant.
pub(crate) fn staff_only(ctx: &Ctx, refusal: &str) -> Result<()> {
    if ctx.principal.is_customer() {
        return Err(Error::forbidden(refusal));
    }
    Ok(())
}

pub(crate) async fn readable_line(
    app: &App,
    ctx: &Ctx,
    line: Uuid,
) -> Result<tsunagi_db::repo::contracts::Line> {
    if ctx.principal.is_customer() {
        return crate::lines::line_get(app, ctx, line).await;
    }
    app.authz.check(&ctx.principal, "usage", "read").await?;
    let mut tx = app.read(ctx).await?;
    let l = tsunagi_db::repo::contracts::line_get(&mut tx, line).await?;
    tx.end()?;
    Ok(l)
}

/// The first day of the month holding `d`: a bill period's key.
pub(crate) fn first_of(d: chrono::NaiveDate) -> chrono::NaiveDate {
    chrono::Datelike::with_day(&d, 1).unwrap_or(d)
}

/// The latest submissions, newest first.
pub async fn batches(app: &App, ctx: &Ctx, limit: i64) -> Result<Vec<Batch>> {
    app.authz.check(&ctx.principal, "usage", "read").await?;
    let mut tx = app.read(ctx).await?;
    let rows = repo::batch_list(&mut tx, limit).await?;
    tx.end()?;
    Ok(rows)
}
