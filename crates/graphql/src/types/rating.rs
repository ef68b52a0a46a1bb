//! The rating rules of a price version and an option as the API shows and takes them. The
//! shape mirrors tsunagi_core::rating::rules, which checks them (one place for the rules).

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

/// One step of a tiered data price: from `fromMb` used in the period, the period's data
/// charge is `amount` (minor units).
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(input_name = "DataStepInput")]
#[serde(rename_all = "camelCase")]
pub struct DataStep {
    pub from_mb: i64,
    pub amount: i64,
}

/// A roaming zone's prices, charged from the first unit (minor units).
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(input_name = "RoamingZoneInput")]
#[serde(rename_all = "camelCase")]
pub struct RoamingZone {
    /// The zone as the carrier's records name it (`asia`, `eu`).
    pub zone: String,
    pub data_per_mb: i64,
    pub voice_per_min: i64,
    pub sms: i64,
}

/// How a price version rates usage beyond its allowances and overage prices.
#[derive(Debug, Clone, Default, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(input_name = "PriceRatingInput")]
#[serde(rename_all = "camelCase")]
pub struct PriceRating {
    /// Calls are billed in whole increments of this many seconds, rounded up (default 30).
    pub voice_increment_seconds: Option<i64>,
    /// A tiered data plan: the period's data charge by volume step, instead of allowance
    /// and overage.
    #[graphql(default)]
    #[serde(default)]
    pub data_steps: Vec<DataStep>,
    pub international_voice_per_min: Option<i64>,
    pub international_sms: Option<i64>,
    #[graphql(default)]
    #[serde(default)]
    pub roaming: Vec<RoamingZone>,
    /// The allowance is shared by all lines of a contract.
    #[graphql(default)]
    #[serde(default)]
    pub shared: bool,
    /// Data left unused at the end of a period carries into the next, used first there.
    #[graphql(default)]
    #[serde(default)]
    pub carry_over: bool,
}

/// What an option changes in rating.
#[derive(Debug, Clone, Default, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(input_name = "OptionRatingInput")]
#[serde(rename_all = "camelCase")]
pub struct OptionRating {
    /// The first seconds of every domestic call are free (300 for five-minute calls).
    pub free_call_seconds: Option<i64>,
    /// Domestic calls cost nothing.
    #[graphql(default)]
    #[serde(default)]
    pub unlimited_domestic_calls: bool,
    /// A data add-on: bought, it adds this much data to the period's allowance.
    pub add_on_mb: Option<i64>,
}

/// The stored rules as the API shows them (stored rules were checked when written).
pub fn shown<T: for<'de> Deserialize<'de> + Default>(v: &serde_json::Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// The rules as stored, unchecked (the service checks them, naming the field).
pub fn stored<T: Serialize>(r: &Option<T>) -> serde_json::Value {
    r.as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
        .map(strip_nulls)
        .unwrap_or_else(|| serde_json::json!({}))
}

fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        v => v,
    }
}

/// One record whose charge re-rating changes.
#[derive(SimpleObject)]
pub struct RerateChange {
    pub source: String,
    pub record_id: String,
    pub line_id: async_graphql::ID,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub meter: String,
    /// Minor units charged now and after re-rating.
    pub before: i64,
    pub after: i64,
}

/// What re-rating a line's allowance pool in a period changes (or changed, once applied).
#[derive(SimpleObject)]
pub struct UsageRerating {
    pub line_id: async_graphql::ID,
    /// The pool: the line, or the contract whose lines share the allowance.
    pub pool_owner_id: async_graphql::ID,
    pub shared: bool,
    /// The first day of the period.
    pub period: chrono::NaiveDate,
    pub currency: String,
    pub records: i64,
    /// Charged now, and after re-rating (minor units).
    pub before: i64,
    pub after: i64,
    /// How many records' charges change; `changes` lists the first 100.
    pub changed: i64,
    pub changes: Vec<RerateChange>,
    pub applied: bool,
}

impl From<tsunagi_app::usage::rerate::Rerating> for UsageRerating {
    fn from(r: tsunagi_app::usage::rerate::Rerating) -> Self {
        use crate::types::ledger::id;
        Self {
            line_id: id(r.line_id),
            pool_owner_id: id(r.pool_owner_id),
            shared: r.shared,
            period: r.period,
            currency: r.currency,
            records: r.records,
            before: r.before,
            after: r.after,
            changed: r.changed,
            changes: r
                .changes
                .into_iter()
                .map(|c| RerateChange {
                    source: c.source,
                    record_id: c.record_id,
                    line_id: id(c.line_id),
                    occurred_at: c.occurred_at,
                    meter: c.meter,
                    before: c.before,
                    after: c.after,
                })
                .collect(),
            applied: r.applied,
        }
    }
}
