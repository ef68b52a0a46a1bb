//! A line's allowance in the current bill period, live: per meter what the tariff in force
//! includes (with carried-over and added data), what the pool used, what is left and what
//! the line was charged beyond it. Staff need `usage:read`; a customer reads their own lines.

use super::rate::{Book, pool_of};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tsunagi_core::rating::{Meter, Pool};
use tsunagi_core::{Result, TenantId};
use tsunagi_db::repo::rating as repo;
use uuid::Uuid;

/// One meter of a line's allowance.
#[derive(Debug, Clone, Serialize)]
pub struct MeterAllowance {
    /// `data` (bytes), `voice` (billed seconds), `sms`, `voice_international`, …,
    /// `roaming_data:<zone>`.
    pub meter: String,
    /// Included in the period (data: with carried-over and added data).
    pub included: i64,
    /// Used by the pool (all lines of the contract when it is shared).
    pub used: i64,
    pub remaining: i64,
    /// What this line used and was charged beyond the allowance, minor units.
    pub line_units: i64,
    pub line_charge: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Allowance {
    pub line_id: Uuid,
    pub period: NaiveDate,
    pub shared: bool,
    pub currency: String,
    pub carried_bytes: i64,
    pub added_bytes: i64,
    pub meters: Vec<MeterAllowance>,
    /// When the pool last counted a record (none yet: `None`).
    pub updated_at: Option<DateTime<Utc>>,
    /// The data limit in force on the line's pool, if any.
    pub limit: Option<DataLimit>,
}

/// A data limit in force: the allowance was used up and the tenant's rule slowed or stopped
/// data at the carrier.
#[derive(Debug, Clone, Serialize)]
pub struct DataLimit {
    /// `throttle` or `block`.
    pub action: String,
    /// The speed the carrier was asked for, kbit/s (0: blocked).
    pub kbps: i32,
    pub since: DateTime<Utc>,
}

/// The line's allowance now.
pub async fn line_allowance(app: &App, ctx: &Ctx, line_id: Uuid) -> Result<Allowance> {
    let line = super::readable_line(app, ctx, line_id).await?;
    let mut tx = app.read(ctx).await?;
    let settings =
        crate::tenants::effective_settings(&mut tx, TenantId::from(line.tenant_id)).await?;
    let tz: Tz = settings.tz();
    let now = Utc::now();
    let local = now.with_timezone(&tz).date_naive();
    let period = super::first_of(local);
    let mut book = Book::load(
        &mut tx,
        line.tenant_id,
        &[line.contract_id],
        settings.rounding,
        tz,
    )
    .await?;
    let priced = book.priced(line.contract_id, now)?.clone();
    let row = super::rate::line_pool(&mut tx, &line, priced.rules.shared, period, false).await?;
    let shared = row.as_ref().map_or(priced.rules.shared, |r| r.shared);
    let owner = row.as_ref().map_or(line.id, |r| r.owner_id);
    let charged = repo::line_charges(&mut tx, line.tenant_id, owner, line.id, period).await?;
    tx.end()?;
    let pool = row.as_ref().map(pool_of).unwrap_or_default();
    let mut meters: Vec<Meter> = vec![Meter::Data, Meter::Voice, Meter::Sms];
    for m in pool.used.keys().chain(priced.tariff.curves.keys()) {
        if !meters.contains(m) && pool.used(m) > 0 {
            meters.push(m.clone());
        }
    }
    let meters = meters
        .into_iter()
        .map(|m| {
            let (units, charge) = charged
                .iter()
                .find(|(k, _, _)| *k == m.key())
                .map_or((0, 0), |(_, u, c)| (*u, *c));
            MeterAllowance {
                meter: m.key(),
                included: Pool::allowance(&pool, &priced.tariff, &m),
                used: pool.used(&m),
                remaining: pool.remaining(&priced.tariff, &m),
                line_units: units,
                line_charge: charge,
            }
        })
        .collect();
    Ok(Allowance {
        line_id,
        period,
        shared,
        currency: priced.currency,
        carried_bytes: pool.carried_bytes,
        added_bytes: pool.added_bytes,
        meters,
        limit: row
            .as_ref()
            .filter(|r| super::limit::limited(r))
            .and_then(|r| {
                Some(DataLimit {
                    action: r.limit_action.clone()?,
                    kbps: r.limit_kbps?,
                    since: r.limited_at?,
                })
            }),
        updated_at: row
            .map(|r| r.updated_at)
            .filter(|_| pool.used.values().any(|v| *v > 0)),
    })
}
