//! Payloads of billing, payments, usage and service assurance. The contract is fixed here
//! so the hub's routing, templates and tests use the real types; their producers arrive
//! with the billing, payments, usage and service-assurance capabilities.

use super::{E164, Money, Payload, Topic, ex_id as id, ex_time as at};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceIssued {
    pub invoice_id: Uuid,
    /// The invoice's number as printed (gapless per tenant).
    pub invoice_number: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// Total including consumption tax.
    pub amount: Money,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    pub due_date: DateTime<Utc>,
}

facts!(InvoiceIssued {
    aggregate: invoice_id,
    customer: customer_id
});

impl Payload for InvoiceIssued {
    fn example(_: Topic) -> Self {
        Self {
            invoice_id: id(90),
            invoice_number: "INV-2026-11-000123".into(),
            customer_id: id(4),
            customer_name: "大阪トレーディング株式会社".into(),
            amount: Money::jpy(5280),
            period: "2026-10".into(),
            due_date: at(15),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFailed {
    pub payment_id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub amount: Money,
    /// The gateway's reason, e.g. `card_declined`.
    pub reason: String,
    pub attempt: i32,
    pub next_retry_at: Option<DateTime<Utc>>,
    /// When the customer's lines are suspended if nothing is paid.
    pub suspension_deadline: Option<DateTime<Utc>>,
}

facts!(PaymentFailed {
    aggregate: payment_id,
    customer: customer_id
});

impl Payload for PaymentFailed {
    fn example(_: Topic) -> Self {
        Self {
            payment_id: id(91),
            invoice_id: id(90),
            invoice_number: "INV-2026-11-000123".into(),
            customer_id: id(4),
            customer_name: "大阪トレーディング株式会社".into(),
            amount: Money::jpy(5280),
            reason: "card_declined".into(),
            attempt: 1,
            next_retry_at: Some(at(1)),
            suspension_deadline: Some(at(15)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaThresholdReached {
    pub line_id: Uuid,
    pub customer_id: Uuid,
    pub msisdn: E164,
    /// Percent of the allowance: 80, 100, …
    pub threshold: i32,
    /// The billing period, `YYYY-MM`.
    pub cycle: String,
    pub used_mb: i64,
    pub quota_mb: i64,
}

facts!(QuotaThresholdReached {
    aggregate: line_id,
    line: line_id,
    customer: customer_id
});

impl Payload for QuotaThresholdReached {
    fn example(_: Topic) -> Self {
        Self {
            line_id: id(5),
            customer_id: id(4),
            msisdn: E164::from_digits("819012345678"),
            threshold: 80,
            cycle: "2026-11".into(),
            used_mb: 16384,
            quota_mb: 20480,
        }
    }
}

/// A pool's usage in a period was rated again (after a price correction): what it cost
/// before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRerated {
    /// The line re-rating was asked for.
    pub line_id: Uuid,
    pub customer_id: Uuid,
    /// The pool: the line, or the contract whose lines share the allowance.
    pub pool_owner_id: Uuid,
    /// The billing period, `YYYY-MM`.
    pub cycle: String,
    pub records: i64,
    pub before: Money,
    pub after: Money,
}

facts!(UsageRerated {
    aggregate: pool_owner_id,
    line: line_id,
    customer: customer_id
});

impl Payload for UsageRerated {
    fn example(_: Topic) -> Self {
        Self {
            line_id: id(5),
            customer_id: id(4),
            pool_owner_id: id(5),
            cycle: "2026-11".into(),
            records: 412,
            before: Money::jpy(1_650),
            after: Money::jpy(1_100),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentOutage {
    pub incident_id: Uuid,
    /// The incident's number as shown to people (`INC-42`).
    pub incident_number: String,
    pub title: String,
    pub area: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub next_update_at: Option<DateTime<Utc>>,
}

facts!(IncidentOutage {
    aggregate: incident_id
});

impl Payload for IncidentOutage {
    fn example(_: Topic) -> Self {
        Self {
            incident_id: id(92),
            incident_number: "INC-42".into(),
            title: "関西エリアでデータ通信障害".into(),
            area: "Kansai".into(),
            status: "investigating".into(),
            started_at: at(9),
            next_update_at: Some(at(10)),
        }
    }
}
