//! Payloads of the catalog: plans, their price versions, options.

use super::{Money, Payload, Topic, ex_id as id, ex_time as at};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One price version of a plan: what a month costs and includes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceVersion {
    pub price_id: Uuid,
    pub monthly_fee: Money,
    pub data_mb: i64,
    pub voice_min: i32,
    pub sms: i32,
    pub valid_from: DateTime<Utc>,
    /// `immediately` or `next_term`: how the version reaches contracts sold before it.
    pub applies: String,
}

impl PriceVersion {
    fn example() -> Self {
        Self {
            price_id: id(21),
            monthly_fee: Money::jpy(2980),
            data_mb: 20480,
            voice_min: 0,
            sms: 0,
            valid_from: at(0),
            applies: "next_term".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanChanged {
    pub plan_id: Uuid,
    pub code: String,
    pub name: String,
    /// `draft`, `active` or `retired`.
    pub status: String,
    pub allowed_option_ids: Vec<Uuid>,
    /// The first price version (on `plan.created`), else null.
    pub price: Option<PriceVersion>,
}

facts!(PlanChanged { aggregate: plan_id });

impl Payload for PlanChanged {
    fn example(topic: Topic) -> Self {
        Self {
            plan_id: id(20),
            code: "DATA-20G".into(),
            name: "データ 20GB".into(),
            status: match topic {
                Topic::PlanActivated => "active",
                Topic::PlanRetired => "retired",
                _ => "draft",
            }
            .into(),
            allowed_option_ids: vec![id(22)],
            price: Some(PriceVersion::example()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanPriceChanged {
    pub plan_id: Uuid,
    pub price: PriceVersion,
    /// When contracts sold earlier start paying this version.
    pub reaches_existing_contracts_at: DateTime<Utc>,
}

facts!(PlanPriceChanged { aggregate: plan_id });

impl Payload for PlanPriceChanged {
    fn example(_: Topic) -> Self {
        Self {
            plan_id: id(20),
            price: PriceVersion::example(),
            reaches_existing_contracts_at: at(15),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OptionCreated {
    pub option_id: Uuid,
    pub code: String,
    pub name: String,
    pub monthly_fee: Money,
}

facts!(OptionCreated {
    aggregate: option_id
});

impl Payload for OptionCreated {
    fn example(_: Topic) -> Self {
        Self {
            option_id: id(22),
            code: "VOICE-5MIN".into(),
            name: "5分かけ放題".into(),
            monthly_fee: Money::jpy(550),
        }
    }
}
