//! Re-rating after a price correction: a pool's records of a period (the line's own, or
//! every line of its contract when the plan shares the allowance) rated again from the
//! start of the period, in the order rating uses (time, then record id), against the
//! catalog as it is now. `quote` shows the difference and changes nothing; `apply` does the
//! same under the pool's row lock and replaces the charges and the pool's counters, but only
//! if the new total is still the one the person saw (else CONFLICT: quote again).

use super::rate::Book;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tsunagi_core::events::{self as ev, Event, Money};
use tsunagi_core::rating::{Pool, rate};
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::contracts::Line;
use tsunagi_db::repo::rating::{self as repo, Charge};
use uuid::Uuid;

/// The most changed records a quote lists (the totals count them all).
pub const LISTED: usize = 100;

/// One record whose charge changes.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub source: String,
    pub record_id: String,
    pub line_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub meter: String,
    pub before: i64,
    pub after: i64,
}

/// What re-rating a pool's period does.
#[derive(Debug, Clone, Serialize)]
pub struct Rerating {
    pub line_id: Uuid,
    pub customer_id: Uuid,
    pub pool_owner_id: Uuid,
    pub shared: bool,
    pub period: NaiveDate,
    pub currency: String,
    pub records: i64,
    /// Charged now and after re-rating, minor units.
    pub before: i64,
    pub after: i64,
    /// How many records' charges change; the first [`LISTED`] of them.
    pub changed: i64,
    pub changes: Vec<Change>,
    pub applied: bool,
}

/// What re-rating `line`'s pool in `period` (its month; default: the current one) would
/// change. Needs `usage:read` (or the customer's own line).
pub async fn quote(
    app: &App,
    ctx: &Ctx,
    line: Uuid,
    period: Option<NaiveDate>,
) -> Result<Rerating> {
    super::staff_only(ctx, super::rerate_run::STAFF_ONLY)?;
    let line = super::readable_line(app, ctx, line).await?;
    let mut tx = app.read(ctx).await?;
    let (r, _, _) = compute(&mut tx, &line, period, false).await?;
    tx.end()?;
    Ok(r)
}

/// Re-rates and stores the result if its new total is `expected_after` (what the quote
/// showed). Needs `usage:update`; only the line's own tenant re-rates it.
pub async fn apply(
    app: &App,
    ctx: &Ctx,
    line: Uuid,
    period: Option<NaiveDate>,
    expected_after: i64,
) -> Result<Rerating> {
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let line = super::readable_line(app, ctx, line).await?;
    if line.tenant_id != ctx.principal.tenant_id.as_uuid() {
        return Err(Error::forbidden(
            "the line belongs to a reseller; only it re-rates its usage",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    // Months held open before the pool's lock, the order the intake takes them in.
    tsunagi_db::repo::usage_periods::hold_open(&mut tx).await?;
    let (r, charges, pool) = compute(&mut tx, &line, period, true).await?;
    super::periods::refuse_closed(&mut tx, line.tenant_id, r.period).await?;
    if r.after != expected_after {
        return Err(Error::conflict(format!(
            "re-rating now totals {} and not {expected_after}: the usage or the prices changed since the quote; quote again",
            r.after
        )));
    }
    let r = store(&mut tx, ctx, r, &charges, pool).await?;
    tx.commit().await?;
    Ok(r)
}

/// Stores a re-rating computed under the pool's lock: the changed charges, the pool's
/// counters, the audit record and `usage.rerated`.
pub(super) async fn store(
    tx: &mut TenantTx,
    ctx: &Ctx,
    mut r: Rerating,
    charges: &[Charge],
    pool: Option<repo::PoolRow>,
) -> Result<Rerating> {
    if let Some(row) = pool {
        repo::charges_update(tx, charges).await?;
        repo::pools_save(tx, &[row]).await?;
    }
    r.applied = true;
    record_event(
        tx,
        ctx,
        AuditEntry::new("usage.rerate", "usage_pool", r.pool_owner_id).after(serde_json::json!({
            "lineId": r.line_id, "period": r.period, "records": r.records,
            "before": r.before, "after": r.after, "changed": r.changed,
        })),
        Event::UsageRerated(ev::UsageRerated {
            line_id: r.line_id,
            customer_id: r.customer_id,
            pool_owner_id: r.pool_owner_id,
            cycle: r.period.format("%Y-%m").to_string(),
            records: r.records,
            before: Money {
                minor: r.before,
                currency: r.currency.clone(),
            },
            after: Money {
                minor: r.after,
                currency: r.currency.clone(),
            },
        }),
    )
    .await?;
    Ok(r)
}

/// Rates the pool's period again. `lock`: hold the pool's row until the transaction ends.
/// Returns the comparison, the new charges of the records whose charge changes and the
/// pool's new counters.
async fn compute(
    tx: &mut TenantTx,
    line: &Line,
    period: Option<NaiveDate>,
    lock: bool,
) -> Result<(Rerating, Vec<Charge>, Option<repo::PoolRow>)> {
    let settings = crate::tenants::effective_settings(tx, TenantId::from(line.tenant_id)).await?;
    let tz: Tz = settings.tz();
    let period =
        super::first_of(period.unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive()));
    let mut book = Book::load(
        tx,
        line.tenant_id,
        &[line.contract_id],
        settings.rounding,
        tz,
    )
    .await?;
    // The pool the period was rated in (today's rules name it, or the other one).
    let shared = book.priced(line.contract_id, Utc::now())?.rules.shared;
    let row = super::rate::line_pool(tx, line, shared, period, lock).await?;
    let found = row.is_some();
    let mut r = compute_pool(tx, line.tenant_id, &settings, row, period).await?;
    r.0.line_id = line.id;
    r.0.customer_id = line.customer_id;
    if !found {
        r.0.pool_owner_id = line.id;
    }
    Ok(r)
}

/// Rates a pool's records of `period` again (`row`: the pool, locked when it is to be
/// stored; `None`: nothing was rated). The comparison names the pool's first record's line.
pub(super) async fn compute_pool(
    tx: &mut TenantTx,
    tenant: Uuid,
    settings: &tsunagi_core::tenant::TenantSettings,
    row: Option<repo::PoolRow>,
    period: NaiveDate,
) -> Result<(Rerating, Vec<Charge>, Option<repo::PoolRow>)> {
    let tz: Tz = settings.tz();
    let owner = row.as_ref().map_or(Uuid::nil(), |r| r.owner_id);
    let records = if row.is_some() {
        repo::pool_records(tx, tenant, owner, period).await?
    } else {
        Vec::new()
    };
    let contracts: Vec<Uuid> = {
        let mut c: Vec<Uuid> = records.iter().map(|r| r.record.contract_id).collect();
        c.sort();
        c.dedup();
        c
    };
    let mut book = Book::load(tx, tenant, &contracts, settings.rounding, tz).await?;
    let mut pool = Pool {
        used: Default::default(),
        carried_bytes: row.as_ref().map_or(0, |r| r.carried_bytes),
        added_bytes: row.as_ref().map_or(0, |r| r.added_bytes),
    };
    let first = records.first().map(|c| &c.record);
    let mut out = Rerating {
        line_id: first.map_or(owner, |f| f.line_id),
        customer_id: first.map_or(Uuid::nil(), |f| f.customer_id),
        pool_owner_id: owner,
        shared: row.as_ref().is_some_and(|r| r.shared),
        period,
        currency: settings.currency.clone(),
        records: records.len() as i64,
        before: 0,
        after: 0,
        changed: 0,
        changes: Vec::new(),
        applied: false,
    };
    let mut charges = Vec::with_capacity(records.len());
    for c in &records {
        let f = &c.record;
        let priced = book.priced(f.contract_id, f.occurred_at)?;
        let r = rate(&priced.tariff, &mut pool, f);
        out.currency = priced.currency.clone();
        out.before = out.before.saturating_add(c.charge);
        out.after = out.after.saturating_add(r.charge);
        if r.charge != c.charge || r.meter.key() != c.meter {
            out.changed += 1;
            if out.changes.len() < LISTED {
                out.changes.push(Change {
                    source: f.source.clone(),
                    record_id: f.record_id.clone(),
                    line_id: f.line_id,
                    occurred_at: f.occurred_at,
                    meter: r.meter.key(),
                    before: c.charge,
                    after: r.charge,
                });
            }
        }
        if r.charge == c.charge && r.meter.key() == c.meter {
            continue;
        }
        charges.push(Charge {
            month: f.month,
            source: f.source.clone(),
            record_id: f.record_id.clone(),
            line_id: f.line_id,
            pool_owner: owner,
            meter: r.meter.key(),
            units: r.units,
            charge: r.charge,
            currency: priced.currency.clone(),
            plan_price_id: priced.price_id,
        });
    }
    let row = row.map(|mut row| {
        super::rate::keep_used(&mut row, &pool);
        row.charged = out.after;
        row.records = out.records;
        row
    });
    Ok((out, charges, row))
}
