//! Rating in the transaction that takes the records: each record a chunk took is rated
//! against its contract's tariff at the record's time (the price version in force then, its
//! rules and the contract's options, see tsunagi_core::rating::rules) and counted into its
//! allowance pool — the line's own, or its contract's when the plan shares the allowance.
//! The pools are locked in key order before any is read for rating, so two chunks rating
//! records of the same pool wait for each other and never consume the same allowance twice.
//! A pool opened for a new period takes the data its previous period carries over, when
//! the plan says so. Crossing 80 % or 100 % of a data allowance announces
//! `quota.threshold_reached`, in the same transaction (once: a pool only grows).

use crate::Ctx;
use crate::record::record_event;
use chrono::{Months, NaiveDate};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tsunagi_core::events::{self as ev, E164, Event};
use tsunagi_core::pricing::{self, Applies, Version};
use tsunagi_core::rating::rules::{self, MB, OptionRules, PriceColumns, PriceRules};
use tsunagi_core::rating::{Meter, Pool, Tariff, rate};
use tsunagi_core::tenant::RoundingRule;
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::catalog::PlanPrice;
use tsunagi_db::repo::rating::{self as repo, Charge, Fresh, PoolRow};
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

/// A tariff as priced for one contract at one time.
#[derive(Debug, Clone)]
pub struct Priced {
    pub tariff: Tariff,
    pub rules: PriceRules,
    pub price_id: Uuid,
    pub currency: String,
}

/// The catalog as rating needs it for a set of contracts, read once per chunk.
pub struct Book {
    terms: HashMap<Uuid, repo::Terms>,
    prices: HashMap<Uuid, Vec<PlanPrice>>,
    options: HashMap<Uuid, OptionRules>,
    rounding: RoundingRule,
    tz: Tz,
    cache: HashMap<(Uuid, Uuid), Priced>,
}

impl Book {
    pub async fn load(
        tx: &mut TenantTx,
        tenant: Uuid,
        contracts: &[Uuid],
        rounding: RoundingRule,
        tz: Tz,
    ) -> Result<Self> {
        let terms = repo::terms(tx, tenant, contracts).await?;
        let plans: BTreeSet<Uuid> = terms.iter().map(|t| t.plan_id).collect();
        let plans: Vec<Uuid> = plans.into_iter().collect();
        let mut prices: HashMap<Uuid, Vec<PlanPrice>> = HashMap::new();
        for p in repo::prices_of_plans(tx, &plans).await? {
            prices.entry(p.plan_id).or_default().push(p);
        }
        let option_ids: BTreeSet<Uuid> = terms.iter().flat_map(|t| t.option_ids.clone()).collect();
        let option_ids: Vec<Uuid> = option_ids.into_iter().collect();
        let mut options = HashMap::new();
        for (id, v) in repo::option_rules(tx, &option_ids).await? {
            let r = OptionRules::parse(&v, "option.rating")
                .map_err(|e| Error::internal(format!("option {id}: {}: {}", e.field, e.reason)))?;
            options.insert(id, r);
        }
        Ok(Self {
            terms: terms.into_iter().map(|t| (t.id, t)).collect(),
            prices,
            options,
            rounding,
            tz,
            cache: HashMap::new(),
        })
    }

    /// The tariff of a contract at an instant: the price version in force then.
    pub fn priced(&mut self, contract: Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<&Priced> {
        let terms = self
            .terms
            .get(&contract)
            .ok_or_else(|| Error::internal(format!("contract {contract} is not readable")))?;
        let versions = self
            .prices
            .get(&terms.plan_id)
            .ok_or_else(|| Error::internal(format!("plan {} has no price", terms.plan_id)))?;
        let base = versions
            .iter()
            .position(|p| p.id == terms.plan_price_id)
            .ok_or_else(|| Error::internal("the contract's price version is missing"))?;
        let v: Vec<Version> = versions
            .iter()
            .map(|p| Version {
                valid_from: p.valid_from,
                applies: Applies::parse(&p.applies).unwrap_or(Applies::Immediately),
            })
            .collect();
        let p = &versions[pricing::in_force(&v, base, at, self.tz)];
        let key = (contract, p.id);
        if !self.cache.contains_key(&key) {
            let rules = PriceRules::parse(&p.rating, "rating").map_err(|e| {
                Error::internal(format!("price {}: {}: {}", p.id, e.field, e.reason))
            })?;
            let opts: Vec<OptionRules> = terms
                .option_ids
                .iter()
                .filter_map(|o| self.options.get(o).cloned())
                .collect();
            let tariff = rules::tariff(&columns(p), &rules, &opts, self.rounding);
            tariff
                .check()
                .map_err(|e| Error::internal(format!("price {}: {}", p.id, e.0)))?;
            self.cache.insert(
                key,
                Priced {
                    tariff,
                    rules,
                    price_id: p.id,
                    currency: p.currency.clone(),
                },
            );
        }
        Ok(&self.cache[&key])
    }

    /// Whether the contract was in service before `period` began (its first day, local).
    pub fn served_before(&self, contract: Uuid, period: NaiveDate) -> bool {
        self.terms
            .get(&contract)
            .and_then(|t| t.started_at)
            .is_some_and(|s| s.with_timezone(&self.tz).date_naive() < period)
    }

    /// A tariff [`Book::priced`] already built.
    pub fn built(&self, contract: Uuid, price: Uuid) -> Result<&Priced> {
        self.cache
            .get(&(contract, price))
            .ok_or_else(|| Error::internal("a tariff was not built before rating"))
    }
}

fn columns(p: &PlanPrice) -> PriceColumns {
    PriceColumns {
        data_mb: p.data_mb,
        voice_min: i64::from(p.voice_min),
        sms: i64::from(p.sms),
        overage_data_per_gb: p.overage_data_per_gb,
        overage_voice_per_min: p.overage_voice_per_min,
        overage_sms: p.overage_sms,
    }
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

type Key = (Uuid, NaiveDate);

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

/// Rates what the chunk took (see the module's documentation).
pub async fn rate_fresh(
    tx: &mut TenantTx,
    ctx: &Ctx,
    rounding: RoundingRule,
    tz: Tz,
) -> Result<Rated> {
    let fresh = repo::fresh(tx).await?;
    if fresh.is_empty() {
        return Ok(Rated::default());
    }
    let contracts: BTreeSet<Uuid> = fresh.iter().map(|f| f.contract_id).collect();
    let contracts: Vec<Uuid> = contracts.into_iter().collect();
    let tenant = tx.tenant_id().as_uuid();
    let mut book = Book::load(tx, tenant, &contracts, rounding, tz).await?;
    // Each record's pool, and whether it shares and carries over.
    let mut keys: BTreeMap<Key, (bool, bool)> = BTreeMap::new();
    let mut pool_keys = Vec::with_capacity(fresh.len());
    for f in &fresh {
        let p = book.priced(f.contract_id, f.occurred_at)?;
        let owner = owner_of(p.rules.shared, f.line_id, f.contract_id);
        keys.entry((owner, f.month))
            .or_insert((p.rules.shared, p.rules.carry_over));
        pool_keys.push(((owner, f.month), p.price_id));
    }
    open_missing(tx, &mut book, &fresh, &keys).await?;
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
    for (f, (key, price)) in fresh.iter().zip(&pool_keys) {
        let priced = book.built(f.contract_id, *price)?;
        let (row, pool) = pools
            .get_mut(key)
            .ok_or_else(|| Error::internal("an allowance pool was not opened"))?;
        let r = rate(&priced.tariff, pool, f);
        row.charged = row.charged.saturating_add(r.charge);
        row.records += 1;
        out.records += 1;
        out.charged = out.charged.saturating_add(r.charge);
        if r.meter == Meter::Data {
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
    let rows: Vec<PoolRow> = pools
        .into_values()
        .map(|(mut row, pool)| {
            keep_used(&mut row, &pool);
            row
        })
        .collect();
    repo::pools_save(tx, &rows).await?;
    repo::charges_insert(tx, &charges).await?;
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
/// period left of that period's own allowance.
async fn open_missing(
    tx: &mut TenantTx,
    book: &mut Book,
    fresh: &[Fresh],
    keys: &BTreeMap<Key, (bool, bool)>,
) -> Result<()> {
    let (owners, periods): (Vec<Uuid>, Vec<NaiveDate>) = keys.keys().copied().unzip();
    let existing: BTreeSet<Key> = repo::pools_find(tx, &owners, &periods)
        .await?
        .into_iter()
        .map(|r| (r.owner_id, r.period))
        .collect();
    let missing: Vec<(Key, bool, bool)> = keys
        .iter()
        .filter(|(k, _)| !existing.contains(k))
        .map(|(k, (shared, carry))| (*k, *shared, *carry))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let prev = |d: NaiveDate| d.checked_sub_months(Months::new(1)).unwrap_or(d);
    let (po, pp): (Vec<Uuid>, Vec<NaiveDate>) = missing
        .iter()
        .filter(|m| m.2)
        .map(|((o, d), _, _)| (*o, prev(*d)))
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
    for ((owner, period), shared, carry) in missing {
        let mut carried = 0;
        if carry {
            // Priced by the tariff of the pool's first record of the new period. No pool last
            // period (nothing used) carries the whole allowance, if the contract was in
            // service then.
            let f = fresh
                .iter()
                .find(|f| f.month == period && (f.line_id == owner || f.contract_id == owner))
                .ok_or_else(|| Error::internal("a pool without records"))?;
            let served = book.served_before(f.contract_id, period);
            let tariff = &book.priced(f.contract_id, f.occurred_at)?.tariff;
            carried = match before.get(&(owner, prev(period))) {
                Some(row) => pool_of(row).carry_next(tariff),
                None if served => Pool::default().carry_next(tariff),
                None => 0,
            };
        }
        new.push((owner, shared, period, carried));
    }
    repo::pools_open(tx, &new).await
}
