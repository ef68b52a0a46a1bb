//! Payloads of customers and their identity verification (KYC).

use super::{Payload, Topic, ex_id as id};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreated {
    pub customer_id: Uuid,
    /// `individual` or `business`.
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub kyc_status: String,
}

facts!(CustomerCreated {
    aggregate: customer_id,
    customer: customer_id
});

impl Payload for CustomerCreated {
    fn example(_: Topic) -> Self {
        Self {
            customer_id: id(4),
            kind: "business".into(),
            name: "大阪トレーディング株式会社".into(),
            email: Some("keiri@osaka-trading.example".into()),
            kyc_status: "not_started".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KycStatusChanged {
    pub customer_id: Uuid,
    pub name: String,
    /// `not_started`, `submitted`, `verified` or `rejected`.
    pub from: String,
    pub to: String,
    /// The reviewer's note (why it was rejected, what was checked).
    pub note: Option<String>,
}

facts!(KycStatusChanged {
    aggregate: customer_id,
    customer: customer_id
});

impl Payload for KycStatusChanged {
    fn example(_: Topic) -> Self {
        Self {
            customer_id: id(4),
            name: "田中 花子".into(),
            from: "submitted".into(),
            to: "verified".into(),
            note: Some("運転免許証で確認".into()),
        }
    }
}
