//! Audit records and chain verification results.

use async_graphql::{ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::{AuditRecord as Row, VerifyReport};

pub struct AuditRecord(pub Row);

#[Object]
impl AuditRecord {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn tenant_id(&self) -> ID {
        ID(self.0.tenant_id.to_string())
    }
    /// Position in the tenant's chain, from 1.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// `user`, `api_key` or `system`.
    async fn actor_type(&self) -> &str {
        &self.0.actor_type
    }
    async fn actor_id(&self) -> &str {
        &self.0.actor_id
    }
    async fn actor_label(&self) -> &str {
        &self.0.actor_label
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }
    async fn target_id(&self) -> &str {
        &self.0.target_id
    }
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    async fn approval_id(&self) -> Option<ID> {
        self.0.approval_id.map(|a| ID(a.to_string()))
    }
    /// Hex SHA-256 of this record (covering the previous record's hash).
    async fn hash(&self) -> String {
        hex_string(&self.0.hash)
    }
    async fn prev_hash(&self) -> String {
        hex_string(&self.0.prev_hash)
    }
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// A descendant tenant's log; default the caller's own.
    pub tenant_id: Option<ID>,
    pub actor_id: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct AuditVerification {
    pub tenant_id: ID,
    pub records_checked: i64,
    pub ok: bool,
    /// The first record that does not match, if any.
    pub first_broken_seq: Option<i64>,
    pub first_broken_id: Option<ID>,
    pub reason: Option<String>,
}

impl From<VerifyReport> for AuditVerification {
    fn from(r: VerifyReport) -> Self {
        Self {
            tenant_id: ID(r.tenant_id.to_string()),
            records_checked: r.records_checked,
            ok: r.ok,
            first_broken_seq: r.first_broken_seq,
            first_broken_id: r.first_broken_id.map(|i| ID(i.to_string())),
            reason: r.reason,
        }
    }
}
