//! Rating's storage (migrations/0021): the records a chunk just took (`usage_fresh`, filled
//! by the routing statement), the terms of their contracts, the allowance pools (locked in
//! key order, so concurrent raters wait for each other instead of deadlocking) and the
//! charges, one per rated record.

use crate::TenantTx;
use crate::repo::catalog::PlanPrice;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use sqlx::types::Json;
use std::collections::BTreeMap;
use tsunagi_core::Result;
use tsunagi_core::rating::Metered;
use tsunagi_core::usage::{Destination, UsageKind};
use uuid::Uuid;

/// A record the chunk took, with its line's customer.
#[derive(Debug, Clone, FromRow)]
pub struct Fresh {
    pub month: NaiveDate,
    pub source: String,
    pub record_id: String,
    pub kind: String,
    pub msisdn: String,
    pub line_id: Uuid,
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub bytes_up: i64,
    pub bytes_down: i64,
    pub seconds: i32,
    pub destination: Option<String>,
    pub roaming_zone: Option<String>,
}

impl Metered for Fresh {
    fn kind(&self) -> UsageKind {
        match self.kind.as_str() {
            "voice" => UsageKind::Voice,
            "sms" => UsageKind::Sms,
            _ => UsageKind::Data,
        }
    }
    fn bytes(&self) -> i64 {
        self.bytes_up.saturating_add(self.bytes_down)
    }
    fn seconds(&self) -> i64 {
        i64::from(self.seconds)
    }
    fn destination(&self) -> Option<Destination> {
        match self.destination.as_deref() {
            Some("international") => Some(Destination::International),
            Some(_) => Some(Destination::Domestic),
            None => None,
        }
    }
    fn roaming_zone(&self) -> Option<&str> {
        self.roaming_zone.as_deref()
    }
}

/// The records the chunk took, in time order.
pub async fn fresh(tx: &mut TenantTx) -> Result<Vec<Fresh>> {
    Ok(sqlx::query_as(
        "SELECT f.*, l.customer_id FROM usage_fresh f \
         JOIN lines l ON l.tenant_id = $1 AND l.id = f.line_id \
         ORDER BY f.occurred_at, f.record_id",
    )
    .bind(tx.tenant_id().as_uuid())
    .fetch_all(tx.conn())
    .await?)
}

/// A contract's terms from `valid_from` (`None`: since its creation) until the next change.
#[derive(Debug, Clone, FromRow)]
pub struct TermsAt {
    pub contract_id: Uuid,
    pub valid_from: Option<DateTime<Utc>>,
    pub plan_id: Uuid,
    pub plan_price_id: Uuid,
    pub option_ids: Vec<Uuid>,
    /// When the contract went into service.
    pub started_at: Option<DateTime<Utc>>,
}

/// The history of these contracts' terms (migration 0024), oldest first per contract.
pub async fn terms_history(
    tx: &mut TenantTx,
    tenant: Uuid,
    contracts: &[Uuid],
) -> Result<Vec<TermsAt>> {
    Ok(sqlx::query_as(
        "SELECT t.contract_id, CASE WHEN t.valid_from = '-infinity' THEN NULL ELSE t.valid_from END AS valid_from, \
                t.plan_id, t.plan_price_id, t.option_ids, c.started_at \
         FROM contract_terms t JOIN contracts c ON c.tenant_id = t.tenant_id AND c.id = t.contract_id \
         WHERE t.tenant_id = $1 AND t.contract_id = ANY($2) \
         ORDER BY t.contract_id, t.valid_from",
    )
    .bind(tenant)
    .bind(contracts)
    .fetch_all(tx.conn())
    .await?)
}

/// Every price version of these plans, oldest first.
pub async fn prices_of_plans(tx: &mut TenantTx, plans: &[Uuid]) -> Result<Vec<PlanPrice>> {
    Ok(
        sqlx::query_as("SELECT * FROM plan_prices WHERE plan_id = ANY($1) ORDER BY valid_from")
            .bind(plans)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// The rating rules of these options.
pub async fn option_rules(
    tx: &mut TenantTx,
    options: &[Uuid],
) -> Result<Vec<(Uuid, serde_json::Value)>> {
    Ok(
        sqlx::query_as("SELECT id, rating FROM options WHERE id = ANY($1)")
            .bind(options)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// A pool's counters in one period.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PoolRow {
    pub owner_id: Uuid,
    pub shared: bool,
    pub period: NaiveDate,
    pub used: Json<BTreeMap<String, i64>>,
    pub carried_bytes: i64,
    pub added_bytes: i64,
    pub charged: i64,
    pub records: i64,
    pub updated_at: DateTime<Utc>,
    /// `throttle` or `block` while the pool's lines are limited (see `limits`).
    pub limit_action: Option<String>,
    pub limit_kbps: Option<i32>,
    pub limited_at: Option<DateTime<Utc>>,
    pub lifted_at: Option<DateTime<Utc>>,
    /// `add_on` or `next_period`.
    pub lifted_by: Option<String>,
}

macro_rules! pool_columns {
    () => {
        "owner_id, shared, period, used, carried_bytes, added_bytes, charged, records, updated_at, \
         limit_action, limit_kbps, limited_at, lifted_at, lifted_by"
    };
}
pub(crate) use pool_columns;

/// The pools of these (owner, period) keys that exist, without locking them. One primary-key
/// probe per key, forced (`LATERAL … OFFSET 0`): under the generic plan of a prepared
/// statement, with statistics not yet gathered on a month's new pools, the planner took the
/// pools for one row and looped over every key for each of them — as a join or a semi-join
/// alike (10,000 × 10,000 comparisons, 2–3.8 s a chunk in the intake bench); probing takes
/// 18 ms whatever the estimates (measured with `plan_cache_mode = force_generic_plan`).
pub async fn pools_find(
    tx: &mut TenantTx,
    owners: &[Uuid],
    periods: &[NaiveDate],
) -> Result<Vec<PoolRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT p.* FROM unnest($2::uuid[], $3::date[]) AS k(o, d) CROSS JOIN LATERAL (SELECT ",
        pool_columns!(),
        " FROM usage_pools p WHERE p.tenant_id = $1 AND p.owner_id = k.o AND p.period = k.d \
         OFFSET 0) p"
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(owners)
    .bind(periods)
    .fetch_all(tx.conn())
    .await?)
}

/// A pool to open: (owner, shared, period, data carried in).
pub type NewPool = (Uuid, bool, NaiveDate, i64);

/// Opens missing pools in key order (a concurrent opener of the same pool wins; ours is
/// then ignored).
pub async fn pools_open(tx: &mut TenantTx, new: &[NewPool]) -> Result<()> {
    let mut new = new.to_vec();
    new.sort_by_key(|n| (n.0, n.2));
    let (owners, shared, periods, carried) = new.iter().fold(
        (vec![], vec![], vec![], vec![]),
        |(mut o, mut s, mut p, mut c), n| {
            o.push(n.0);
            s.push(n.1);
            p.push(n.2);
            c.push(n.3);
            (o, s, p, c)
        },
    );
    sqlx::query(
        "INSERT INTO usage_pools (tenant_id, owner_id, shared, period, carried_bytes) \
         SELECT $1, o, s, d, c FROM unnest($2::uuid[], $3::bool[], $4::date[], $5::bigint[]) AS k(o, s, d, c) \
         ORDER BY o, d ON CONFLICT DO NOTHING",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(owners)
    .bind(shared)
    .bind(periods)
    .bind(carried)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Locks the pools of these keys until the transaction ends, in key order (sorted here, so
/// every caller locks in the same order and concurrent raters wait instead of deadlocking),
/// one primary-key probe per key like [`pools_find`].
pub async fn pools_lock(
    tx: &mut TenantTx,
    owners: &[Uuid],
    periods: &[NaiveDate],
) -> Result<Vec<PoolRow>> {
    let mut keys: Vec<(Uuid, NaiveDate)> = owners
        .iter()
        .copied()
        .zip(periods.iter().copied())
        .collect();
    keys.sort();
    keys.dedup();
    let (owners, periods): (Vec<Uuid>, Vec<NaiveDate>) = keys.into_iter().unzip();
    Ok(sqlx::query_as(concat!(
        "SELECT p.* FROM unnest($2::uuid[], $3::date[]) WITH ORDINALITY AS k(o, d, n) \
         CROSS JOIN LATERAL (SELECT ",
        pool_columns!(),
        " FROM usage_pools p WHERE p.tenant_id = $1 AND p.owner_id = k.o AND p.period = k.d \
         FOR UPDATE) p ORDER BY k.n"
    ))
    .bind(tx.tenant_id().as_uuid())
    .bind(owners)
    .bind(periods)
    .fetch_all(tx.conn())
    .await?)
}

/// Writes the counters of locked pools back.
pub async fn pools_save(tx: &mut TenantTx, pools: &[PoolRow]) -> Result<()> {
    let owners: Vec<Uuid> = pools.iter().map(|p| p.owner_id).collect();
    let periods: Vec<NaiveDate> = pools.iter().map(|p| p.period).collect();
    let used: Vec<Json<&BTreeMap<String, i64>>> = pools.iter().map(|p| Json(&p.used.0)).collect();
    let charged: Vec<i64> = pools.iter().map(|p| p.charged).collect();
    let records: Vec<i64> = pools.iter().map(|p| p.records).collect();
    sqlx::query(
        "UPDATE usage_pools p SET used = k.u, charged = k.c, records = k.r, \
         version = p.version + 1, updated_at = now() \
         FROM unnest($2::uuid[], $3::date[], $4::jsonb[], $5::bigint[], $6::bigint[]) AS k(o, d, u, c, r) \
         WHERE p.tenant_id = $1 AND p.owner_id = k.o AND p.period = k.d",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(owners)
    .bind(periods)
    .bind(used)
    .bind(charged)
    .bind(records)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A rated record.
#[derive(Debug, Clone)]
pub struct Charge {
    pub month: NaiveDate,
    pub source: String,
    pub record_id: String,
    pub line_id: Uuid,
    pub pool_owner: Uuid,
    pub meter: String,
    pub units: i64,
    pub charge: i64,
    pub currency: String,
    pub plan_price_id: Uuid,
}

pub async fn charges_insert(tx: &mut TenantTx, charges: &[Charge]) -> Result<()> {
    macro_rules! col {
        ($f:ident) => {
            charges.iter().map(|c| c.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query(
        "INSERT INTO usage_charges (tenant_id, month, source, record_id, line_id, pool_owner, meter, \
         units, charge, currency, plan_price_id) \
         SELECT $1, * FROM unnest($2::date[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], \
         $8::bigint[], $9::bigint[], $10::text[], $11::uuid[])",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(col!(month))
    .bind(col!(source))
    .bind(col!(record_id))
    .bind(col!(line_id))
    .bind(col!(pool_owner))
    .bind(col!(meter))
    .bind(col!(units))
    .bind(col!(charge))
    .bind(col!(currency))
    .bind(col!(plan_price_id))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A rated record of a pool with what it was charged.
#[derive(Debug, Clone, FromRow)]
pub struct Charged {
    #[sqlx(flatten)]
    pub record: Fresh,
    pub meter: String,
    pub charge: i64,
}

/// The rated records of a pool in a period, in rating order (time, then record id).
pub async fn pool_records(
    tx: &mut TenantTx,
    tenant: Uuid,
    owner: Uuid,
    period: NaiveDate,
) -> Result<Vec<Charged>> {
    Ok(sqlx::query_as(
        "SELECT r.month, r.source, r.record_id, r.kind, r.msisdn, r.line_id, r.contract_id, \
         l.customer_id, r.occurred_at, r.bytes_up, r.bytes_down, r.seconds, r.destination, \
         r.roaming_zone, c.meter, c.charge \
         FROM usage_charges c \
         JOIN usage_records r ON r.tenant_id = c.tenant_id AND r.month = c.month \
           AND r.source = c.source AND r.record_id = c.record_id \
         JOIN lines l ON l.tenant_id = r.tenant_id AND l.id = r.line_id \
         WHERE c.tenant_id = $1 AND c.pool_owner = $2 AND c.month = $3 \
         ORDER BY r.occurred_at, r.record_id",
    )
    .bind(tenant)
    .bind(owner)
    .bind(period)
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces the charges of records rated again.
pub async fn charges_update(tx: &mut TenantTx, charges: &[Charge]) -> Result<()> {
    macro_rules! col {
        ($f:ident) => {
            charges.iter().map(|c| c.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query(
        "UPDATE usage_charges c SET meter = k.meter, units = k.units, charge = k.charge, \
         currency = k.currency, plan_price_id = k.price, rated_at = now() \
         FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], \
         $8::text[], $9::uuid[]) AS k(month, source, record_id, meter, units, charge, currency, price) \
         WHERE c.tenant_id = $1 AND c.month = k.month AND c.source = k.source AND c.record_id = k.record_id",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(col!(month))
    .bind(col!(source))
    .bind(col!(record_id))
    .bind(col!(meter))
    .bind(col!(units))
    .bind(col!(charge))
    .bind(col!(currency))
    .bind(col!(plan_price_id))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The pools of these owners in one period (a line's own and its contract's shared pool).
pub async fn pools_of(
    tx: &mut TenantTx,
    tenant: Uuid,
    owners: &[Uuid],
    period: NaiveDate,
) -> Result<Vec<PoolRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        pool_columns!(),
        " FROM usage_pools WHERE tenant_id = $1 AND owner_id = ANY($2) AND period = $3"
    ))
    .bind(tenant)
    .bind(owners)
    .bind(period)
    .fetch_all(tx.conn())
    .await?)
}

/// What a line was charged in a period, by meter (`pool`: the pool it was rated in).
pub async fn line_charges(
    tx: &mut TenantTx,
    tenant: Uuid,
    pool: Uuid,
    line: Uuid,
    month: NaiveDate,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT meter, sum(units)::bigint, sum(charge)::bigint FROM usage_charges \
         WHERE tenant_id = $1 AND pool_owner = $2 AND month = $3 AND line_id = $4 \
         GROUP BY meter ORDER BY meter",
    )
    .bind(tenant)
    .bind(pool)
    .bind(month)
    .bind(line)
    .fetch_all(tx.conn())
    .await?)
}
