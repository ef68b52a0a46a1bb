//! Rating in the transaction that takes the records: each record a chunk took is rated
//! against its contract's tariff at the record's time (the price version in force then, its
//! rules and the contract's options, see tsunagi_core::rating::rules) and counted into its
//! allowance pool — the line's own, or its contract's when the plan shares the allowance.
//! The pools are locked in key order before any is read for rating, so two chunks rating
//! records of the same pool wait for each other and never consume the same allowance twice.
//! A pool opened for a new period takes the data its previous period carries over, when
//! the plan says so. Crossing 80 % or 100 % of a data allowance announces
//! `quota.threshold_reached`, in the same transaction (once: a pool only grows).

pub use super::book::{Book, Priced, TariffKey};
use super::limit::{self, Rule};
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::{DateTime, Months, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tsunagi_core::events::{self as ev, E164, Event};
use tsunagi_core::rating::rules::MB;
use tsunagi_core::rating::{Meter, Pool, rate};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::rating::{self as repo, Charge, PoolRow};
use uuid::Uuid;

/// What rating a chunk did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rated {
    pub records: i64,
    /// Minor units charged beyond allowances.
    pub charged: i64,
    /// Thresholds announced.
    pub crossings: i64,
}

/// A pool's counters as rating keeps them.
pub fn pool_of(row: &PoolRow) -> Pool {
    Pool {
        used: row
            .used
            .0
            .iter()
            .filter_map(|(k, v)| Meter::from_key(k).map(|m| (m, *v)))
            .collect(),
        carried_bytes: row.carried_bytes,
        added_bytes: row.added_bytes,
    }
}

/// A pool's key: its owner (line or contract) and period.
pub type Key = (Uuid, NaiveDate);

/// Writes a pool's counters back into its row (meters by their stored names).
pub fn keep_used(row: &mut PoolRow, pool: &Pool) {
    row.used.0 = pool.used.iter().map(|(m, v)| (m.key(), *v)).collect();
}

/// The pool a record of `line` counts in: its contract's when the plan shares the allowance.
pub fn owner_of(shared: bool, line: Uuid, contract: Uuid) -> Uuid {
    if shared { contract } else { line }
}

/// The pool a line's period was rated in: the one today's rules name if it exists, else the
/// other (a price version that changed `shared` mid-period). `lock`: for update (the
/// transaction's own tenant only).
pub async fn line_pool(
    tx: &mut TenantTx,
    line: &tsunagi_db::repo::contracts::Line,
    shared: bool,
    period: NaiveDate,
    lock: bool,
) -> Result<Option<PoolRow>> {
    for owner in [
        owner_of(shared, line.id, line.contract_id),
        owner_of(!shared, line.id, line.contract_id),
    ] {
        let rows = if lock {
            repo::pools_lock(tx, &[owner], &[period]).await?
        } else {
            repo::pools_of(tx, line.tenant_id, &[owner], period).await?
        };
        if let Some(r) = rows.into_iter().next() {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// A pool to open if missing: whether it shares and carries over, and the contract and
/// instant whose tariff prices what it carries in (its first record's).
#[derive(Debug, Clone, Copy)]
pub struct Opening {
    pub shared: bool,
    pub carry: bool,
    pub contract: Uuid,
    pub at: DateTime<Utc>,
}

/// Rates what the chunk took (see the module's documentation); `rule` is the tenant's
/// `dataAtQuota` with the settings rating reads.
pub async fn rate_fresh(tx: &mut TenantTx, app: &App, ctx: &Ctx, rule: &Rule) -> Result<Rated> {
    let fresh = repo::fresh(tx).await?;
    if fresh.is_empty() {
        return Ok(Rated::default());
    }
    let contracts: BTreeSet<Uuid> = fresh.iter().map(|f| f.contract_id).collect();
    let contracts: Vec<Uuid> = contracts.into_iter().collect();
    let tenant = tx.tenant_id().as_uuid();
    let mut book = Book::load(tx, tenant, &contracts, rule.rounding, rule.tz).await?;
    let mut keys: BTreeMap<Key, Opening> = BTreeMap::new();
    let mut pool_keys = Vec::with_capacity(fresh.len());
    for f in &fresh {
        let p = book.priced(f.contract_id, f.occurred_at)?;
        let owner = owner_of(p.rules.shared, f.line_id, f.contract_id);
        keys.entry((owner, f.month)).or_insert(Opening {
            shared: p.rules.shared,
            carry: p.rules.carry_over,
            contract: f.contract_id,
            at: f.occurred_at,
        });
        pool_keys.push(((owner, f.month), p.key));
    }
    open_pools(tx, &mut book, &keys).await?;
    let (owners, periods): (Vec<Uuid>, Vec<NaiveDate>) = keys.keys().copied().unzip();
    let mut pools: HashMap<Key, (PoolRow, Pool)> = repo::pools_lock(tx, &owners, &periods)
        .await?
        .into_iter()
        .map(|r| {
            let p = pool_of(&r);
            ((r.owner_id, r.period), (r, p))
        })
        .collect();
    let mut out = Rated::default();
    let mut charges = Vec::with_capacity(fresh.len());
    let mut crossings = Vec::new();
    // The data allowance of each pool that counted data, by its latest record's tariff.
    let mut data_pools: BTreeMap<Key, i64> = BTreeMap::new();
    for (f, (key, tariff)) in fresh.iter().zip(&pool_keys) {
        let priced = book.built(tariff)?;
        let (row, pool) = pools
            .get_mut(key)
            .ok_or_else(|| Error::internal("an allowance pool was not opened"))?;
        let r = rate(&priced.tariff, pool, f);
        row.charged = row.charged.saturating_add(r.charge);
        row.records += 1;
        out.records += 1;
        out.charged = out.charged.saturating_add(r.charge);
        if r.meter == Meter::Data {
            data_pools.insert(*key, pool.allowance(&priced.tariff, &Meter::Data));
            for t in &r.crossed {
                crossings.push((
                    f.clone(),
                    *key,
                    *t,
                    r.used_after,
                    pool.allowance(&priced.tariff, &Meter::Data),
                ));
            }
        }
        charges.push(Charge {
            month: f.month,
            source: f.source.clone(),
            record_id: f.record_id.clone(),
            line_id: f.line_id,
            pool_owner: key.0,
            meter: r.meter.key(),
            units: r.units,
            charge: r.charge,
            currency: priced.currency.clone(),
            plan_price_id: priced.price_id,
        });
    }
    // Pools of the current period whose data allowance is used up: the tenant's rule.
    let now = super::first_of(Utc::now().with_timezone(&rule.tz).date_naive());
    let full: Vec<PoolRow> = data_pools
        .iter()
        .filter(|((_, period), _)| *period == now)
        .filter_map(|(k, allowance)| {
            let (row, pool) = pools.get(k)?;
            (*allowance > 0 && pool.used(&Meter::Data) >= *allowance).then(|| row.clone())
        })
        .collect();
    let rows: Vec<PoolRow> = pools
        .into_values()
        .map(|(mut row, pool)| {
            keep_used(&mut row, &pool);
            row
        })
        .collect();
    repo::pools_save(tx, &rows).await?;
    repo::charges_insert(tx, &charges).await?;
    for row in &full {
        limit::limit(tx, app, ctx, rule, row).await?;
    }
    for (f, (owner, period), threshold, used, allowance) in crossings {
        out.crossings += 1;
        record_event(
            tx,
            ctx,
            AuditEntry::new("usage.quota_threshold", "usage_pool", owner).after(
                serde_json::json!({
                    "period": period, "threshold": threshold, "lineId": f.line_id,
                    "usedBytes": used, "allowanceBytes": allowance,
                }),
            ),
            Event::QuotaThresholdReached(ev::QuotaThresholdReached {
                line_id: f.line_id,
                customer_id: f.customer_id,
                msisdn: E164::from_digits(&f.msisdn),
                threshold: i32::from(threshold),
                cycle: period.format("%Y-%m").to_string(),
                used_mb: used / MB,
                quota_mb: allowance / MB,
            }),
        )
        .await?;
    }
    Ok(out)
}

/// Opens the pools that do not exist yet; one that carries over takes what its previous
/// period left of that period's own allowance (priced by the tariff of its `Opening`).
pub async fn open_pools(
    tx: &mut TenantTx,
    book: &mut Book,
    keys: &BTreeMap<Key, Opening>,
) -> Result<()> {
    let (owners, periods): (Vec<Uuid>, Vec<NaiveDate>) = keys.keys().copied().unzip();
    let existing: BTreeSet<Key> = repo::pools_find(tx, &owners, &periods)
        .await?
        .into_iter()
        .map(|r| (r.owner_id, r.period))
        .collect();
    let missing: Vec<(Key, Opening)> = keys
        .iter()
        .filter(|(k, _)| !existing.contains(k))
        .map(|(k, o)| (*k, *o))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let prev = |d: NaiveDate| d.checked_sub_months(Months::new(1)).unwrap_or(d);
    let (po, pp): (Vec<Uuid>, Vec<NaiveDate>) = missing
        .iter()
        .filter(|m| m.1.carry)
        .map(|((o, d), _)| (*o, prev(*d)))
        .unzip();
    let before: HashMap<Key, PoolRow> = if po.is_empty() {
        HashMap::new()
    } else {
        repo::pools_find(tx, &po, &pp)
            .await?
            .into_iter()
            .map(|r| ((r.owner_id, r.period), r))
            .collect()
    };
    let mut new = Vec::with_capacity(missing.len());
    for ((owner, period), o) in missing {
        let mut carried = 0;
        if o.carry {
            // No pool last period (nothing used) carries the whole allowance, if the contract
            // was in service then.
            let served = book.served_before(o.contract, period);
            let tariff = &book.priced(o.contract, o.at)?.tariff;
            carried = match before.get(&(owner, prev(period))) {
                Some(row) => pool_of(row).carry_next(tariff),
                None if served => Pool::default().carry_next(tariff),
                None => 0,
            };
        }
        new.push((owner, o.shared, period, carried));
    }
    repo::pools_open(tx, &new).await
}
