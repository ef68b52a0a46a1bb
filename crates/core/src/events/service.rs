//! Payloads of contracts and lines.

use super::{E164, Facts, Money, Payload, Topic, ex_id as id};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn msisdn() -> E164 {
    E164::from_digits("819012345678")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractCreated {
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub plan_id: Uuid,
    pub plan_price_id: Uuid,
    pub option_ids: Vec<Uuid>,
    pub status: String,
}

facts!(ContractCreated {
    aggregate: contract_id,
    customer: customer_id
});

impl Payload for ContractCreated {
    fn example(_: Topic) -> Self {
        Self {
            contract_id: id(40),
            customer_id: id(4),
            plan_id: id(20),
            plan_price_id: id(21),
            option_ids: vec![id(22)],
            status: "draft".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractStatusChanged {
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    /// `draft`, `active`, `suspended`, `terminating` or `terminated`.
    pub from: String,
    pub to: String,
}

facts!(ContractStatusChanged {
    aggregate: contract_id,
    customer: customer_id
});

impl Payload for ContractStatusChanged {
    fn example(_: Topic) -> Self {
        Self {
            contract_id: id(40),
            customer_id: id(4),
            from: "active".into(),
            to: "suspended".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractOptionsChanged {
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub added_option_ids: Vec<Uuid>,
    pub removed_option_ids: Vec<Uuid>,
    /// The options the contract has now.
    pub option_ids: Vec<Uuid>,
}

facts!(ContractOptionsChanged {
    aggregate: contract_id,
    customer: customer_id
});

impl Payload for ContractOptionsChanged {
    fn example(_: Topic) -> Self {
        Self {
            contract_id: id(40),
            customer_id: id(4),
            added_option_ids: vec![id(22)],
            removed_option_ids: vec![],
            option_ids: vec![id(22)],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractPlanChanged {
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub from_plan_id: Uuid,
    pub to_plan_id: Uuid,
    pub plan_price_id: Uuid,
    pub previous_monthly_fee: Money,
    pub monthly_fee: Money,
    /// What the rest of this period costs more (negative: a credit), rounded by the
    /// tenant's rule.
    pub proration: Money,
    pub days_remaining: i64,
    pub days_in_period: i64,
}

facts!(ContractPlanChanged {
    aggregate: contract_id,
    customer: customer_id
});

impl Payload for ContractPlanChanged {
    fn example(_: Topic) -> Self {
        Self {
            contract_id: id(40),
            customer_id: id(4),
            from_plan_id: id(20),
            to_plan_id: id(23),
            plan_price_id: id(24),
            previous_monthly_fee: Money::jpy(2980),
            monthly_fee: Money::jpy(3980),
            proration: Money::jpy(333),
            days_remaining: 10,
            days_in_period: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineCreated {
    pub line_id: Uuid,
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: E164,
    pub status: String,
    pub sim_id: Option<Uuid>,
    pub esim_profile_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
}

facts!(LineCreated {
    aggregate: line_id,
    line: line_id,
    customer: customer_id
});

impl Payload for LineCreated {
    fn example(_: Topic) -> Self {
        Self {
            line_id: id(5),
            contract_id: id(40),
            customer_id: id(4),
            msisdn: msisdn(),
            status: "requested".into(),
            sim_id: Some(id(41)),
            esim_profile_id: None,
            device_id: Some(id(42)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineStatusChanged {
    pub line_id: Uuid,
    pub contract_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: E164,
    /// The line's states: `requested`, `activating`, `active`, `suspending`, `suspended`,
    /// `resuming`, `terminating`, `terminated`, `pending`, `needs_review`.
    pub from: String,
    pub to: String,
    /// Why: the operator's reason, the carrier's answer, or what the line waits for.
    pub reason: Option<String>,
}

impl Facts for LineStatusChanged {
    fn aggregate_id(&self) -> String {
        self.line_id.to_string()
    }
    fn line_id(&self) -> Option<Uuid> {
        Some(self.line_id)
    }
    fn customer_id(&self) -> Option<Uuid> {
        Some(self.customer_id)
    }
    fn critical(&self) -> bool {
        self.to == "suspended"
    }
}

impl Payload for LineStatusChanged {
    fn example(_: Topic) -> Self {
        Self {
            line_id: id(5),
            contract_id: id(40),
            customer_id: id(4),
            msisdn: msisdn(),
            from: "suspending".into(),
            to: "suspended".into(),
            reason: Some("お客様のご依頼による一時停止".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineSimSwapped {
    pub line_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: E164,
    pub previous_sim_id: Option<Uuid>,
    pub sim_id: Uuid,
    pub order_id: Uuid,
}

facts!(LineSimSwapped {
    aggregate: line_id,
    line: line_id,
    customer: customer_id
});

impl Payload for LineSimSwapped {
    fn example(_: Topic) -> Self {
        Self {
            line_id: id(5),
            customer_id: id(4),
            msisdn: msisdn(),
            previous_sim_id: Some(id(41)),
            sim_id: id(43),
            order_id: id(50),
        }
    }
}

/// A carrier step that gave up: the carrier kept failing (or never answered) through every
/// try; its line waits in review for a person to retry it or resolve it by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarrierStepExhausted {
    pub job_id: Uuid,
    pub order_id: Uuid,
    pub line_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: E164,
    /// `activate`, `suspend`, `resume`, `terminate`, `swap_sim` or `set_speed_limit`.
    pub action: String,
    /// Calls made (commands sent and status questions asked).
    pub attempts: i32,
    /// The carrier's last answer, or what stayed unknown.
    pub last_error: String,
}

facts!(CarrierStepExhausted {
    aggregate: job_id,
    line: line_id,
    customer: customer_id
});

impl Payload for CarrierStepExhausted {
    fn example(_: Topic) -> Self {
        Self {
            job_id: id(60),
            order_id: id(50),
            line_id: id(5),
            customer_id: id(4),
            msisdn: msisdn(),
            action: "suspend".into(),
            attempts: 7,
            last_error: "not applied: HTTP 503 Service Unavailable".into(),
        }
    }
}

/// A reconciliation run that found drift a person must look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarrierDriftFound {
    pub run_id: Uuid,
    pub lines_checked: i32,
    pub drifted: i32,
    /// Repaired by a written rule (docs/carrier-api.md).
    pub repaired: i32,
    /// Waiting for a person.
    pub needs_person: i32,
}

facts!(CarrierDriftFound { aggregate: run_id });

impl Payload for CarrierDriftFound {
    fn example(_: Topic) -> Self {
        Self {
            run_id: id(61),
            lines_checked: 12840,
            drifted: 5,
            repaired: 3,
            needs_person: 2,
        }
    }
}
