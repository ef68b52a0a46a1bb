//! Domain events as they are written to the outbox: a TMF688-style envelope the hub relays.

use crate::ids::{EventId, TenantId};
use serde::{Deserialize, Serialize};

/// One event, written in the same transaction as the change it describes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: EventId,
    pub tenant_id: TenantId,
    /// e.g. `tenant.suspended`, `line.status_changed`.
    pub topic: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub payload: serde_json::Value,
}

impl DomainEvent {
    pub fn new(
        tenant_id: TenantId,
        topic: impl Into<String>,
        aggregate_type: impl Into<String>,
        aggregate_id: impl ToString,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            id: EventId::new(),
            tenant_id,
            topic: topic.into(),
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.to_string(),
            payload,
        }
    }
}
