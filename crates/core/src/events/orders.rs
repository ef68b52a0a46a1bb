//! Payloads of orders and four-eyes approval requests.

use super::{Payload, Topic, ex_id as id, ex_time as at};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderChanged {
    pub order_id: Uuid,
    /// `new_line`, `suspend`, `resume`, `terminate`, `plan_change`, `option_add`,
    /// `option_remove`, `sim_swap`.
    pub kind: String,
    /// `acknowledged`, `held`, `in_progress`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub customer_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    /// What a held order waits for.
    pub hold_reason: Option<String>,
    /// Why a failed or cancelled order ended.
    pub failure: Option<String>,
    /// The approval request the order waits for or ran under.
    pub approval_id: Option<Uuid>,
}

facts!(OrderChanged {
    aggregate: order_id,
    line: line_id,
    customer: customer_id
});

impl Payload for OrderChanged {
    fn example(topic: Topic) -> Self {
        let status = topic.as_str().trim_start_matches("order.");
        Self {
            order_id: id(50),
            kind: "new_line".into(),
            status: status.into(),
            customer_id: Some(id(4)),
            contract_id: Some(id(40)),
            line_id: Some(id(5)),
            hold_reason: Some("waiting for KYC".into()),
            failure: Some("carrier rejected the SIM (E42)".into()),
            approval_id: Some(id(60)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalChanged {
    pub approval_id: Uuid,
    /// The operation: `line.suspend`, `customer.kyc_verify`, `plugin.activate`, …
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// What will happen, in words.
    pub summary: String,
    /// `pending`, `executed`, `failed`, `rejected` or `expired`.
    pub status: String,
    pub requested_by: String,
    pub decided_by: Option<String>,
    /// The approver's or rejecter's note.
    pub note: Option<String>,
    /// Why an approved operation could not be carried out.
    pub failure: Option<String>,
    pub expires_at: DateTime<Utc>,
}

facts!(ApprovalChanged {
    aggregate: approval_id
});

impl Payload for ApprovalChanged {
    fn example(topic: Topic) -> Self {
        let status = match topic {
            Topic::ApprovalRequested => "pending",
            t => t.as_str().trim_start_matches("approval."),
        };
        Self {
            approval_id: id(60),
            action: "line.suspend".into(),
            target_type: "line".into(),
            target_id: id(5).to_string(),
            summary: "suspend line +819012345678: お客様のご依頼".into(),
            status: status.into(),
            requested_by: "support@sakura-mobile.example".into(),
            decided_by: Some("approver@sakura-mobile.example".into()),
            note: Some("確認済み".into()),
            failure: Some("line cannot go from terminated to suspending".into()),
            expires_at: at(23),
        }
    }
}
