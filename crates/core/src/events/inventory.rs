//! Payloads of stock: batches of numbers, SIMs, eSIM profiles and devices, and eSIM moves.
//! Batches carry counts and the batch's id, never the identifiers of what was added.

use super::{Payload, Topic, ex_id as id};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventoryAdded {
    pub batch_id: Uuid,
    /// `number`, `sim`, `esim_profile` or `device`.
    pub kind: String,
    pub count: i64,
}

facts!(InventoryAdded {
    aggregate: batch_id
});

impl Payload for InventoryAdded {
    fn example(topic: Topic) -> Self {
        Self {
            batch_id: id(30),
            kind: match topic {
                Topic::NumbersAdded => "number",
                Topic::SimsAdded => "sim",
                Topic::EsimProfilesAdded => "esim_profile",
                _ => "device",
            }
            .into(),
            count: 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EsimStatusChanged {
    pub esim_profile_id: Uuid,
    pub from: String,
    pub to: String,
    /// The line the profile serves, if any.
    pub line_id: Option<Uuid>,
}

facts!(EsimStatusChanged {
    aggregate: esim_profile_id,
    line: line_id
});

impl Payload for EsimStatusChanged {
    fn example(_: Topic) -> Self {
        Self {
            esim_profile_id: id(31),
            from: "downloaded".into(),
            to: "installed".into(),
            line_id: Some(id(5)),
        }
    }
}
