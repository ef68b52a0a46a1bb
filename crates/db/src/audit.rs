//! The audit log: one append-only table, one hash chain per tenant. A record is appended in
//! the same transaction as the change it describes; appends of one tenant are serialised by
//! a transaction-scoped advisory lock so the chain never forks. `audit_verify` recomputes
//! every hash and names the first record that does not match.

use crate::TenantTx;
use crate::canonical::to_canonical;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use tsunagi_core::{Error, Principal, Result, TenantId};
use uuid::Uuid;

/// What a mutation records. `before`/`after` are the changed object's public fields.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub approval_id: Option<Uuid>,
}

impl AuditEntry {
    pub fn new(action: &str, target_type: &str, target_id: impl ToString) -> Self {
        Self {
            action: action.into(),
            target_type: target_type.into(),
            target_id: target_id.to_string(),
            before: None,
            after: None,
            approval_id: None,
        }
    }
    pub fn before(mut self, v: impl serde::Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }
    pub fn after(mut self, v: impl serde::Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// Who did it and under which request.
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub actor_type: String,
    pub actor_id: String,
    pub actor_label: String,
    pub request_id: Option<String>,
}

impl AuditActor {
    pub fn of(p: &Principal, request_id: Option<&str>) -> Self {
        Self {
            actor_type: p.actor.kind().into(),
            actor_id: p.actor.id(),
            actor_label: p.actor.label(),
            request_id: request_id.map(str::to_owned),
        }
    }
}

#[derive(Debug, Clone, FromRow, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: String,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub approval_id: Option<Uuid>,
    #[serde(skip_serializing, default, deserialize_with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    #[serde(skip_serializing, default, deserialize_with = "hex_bytes")]
    pub hash: Vec<u8>,
}

/// Hashes arrive as hex text when a record is read back as JSON (`encode(hash, 'hex')`).
fn hex_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
    let s: String = serde::Deserialize::deserialize(d)?;
    hex::decode(s).map_err(serde::de::Error::custom)
}

/// The hash of the first record's predecessor.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// sha256(prev_hash ‖ canonical JSON of every other field). Pure; used on verify, and the
/// same computation runs in `audit_chain_staged` (migrations/0018) on append.
pub fn record_hash(r: &AuditRecord) -> [u8; 32] {
    let (head, tail) = body_parts(r);
    let mut h = Sha256::new();
    h.update(&r.prev_hash);
    h.update(head.as_bytes());
    h.update(r.seq.to_string().as_bytes());
    h.update(tail.as_bytes());
    h.finalize().into()
}

/// The canonical JSON of a record's hashed fields, `[tenant, seq, id, …]`, in the two parts
/// around the sequence number: `[\"tenant\",` and `,\"id\",…]`.
pub(crate) fn body_parts(r: &AuditRecord) -> (String, String) {
    let rest = json!([
        r.id.to_string(),
        r.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        r.actor_type,
        r.actor_id,
        r.actor_label,
        r.action,
        r.target_type,
        r.target_id,
        r.before,
        r.after,
        r.request_id,
        r.approval_id.map(|u| u.to_string()),
    ]);
    let mut head = String::with_capacity(40);
    head.push('[');
    to_canonical(&Value::String(r.tenant_id.to_string()), &mut head);
    head.push(',');
    let mut tail = String::with_capacity(256);
    to_canonical(&rest, &mut tail);
    tail.replace_range(..1, ",");
    (head, tail)
}

pub(crate) use crate::audit_append::Pending;
pub use crate::audit_append::audit_append;

/// Filters for listing; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub tenant_id: Option<TenantId>,
    pub actor_id: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of records, newest first. `after`/`before` are sequence numbers (cursors).
pub async fn audit_list(
    tx: &mut TenantTx,
    f: &AuditFilter,
    after: Option<i64>,
    before: Option<i64>,
    limit: i64,
    from_end: bool,
) -> Result<Vec<AuditRecord>> {
    let tenant = f.tenant_id.unwrap_or(tx.tenant_id());
    let order = if from_end { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT * FROM audit_log WHERE tenant_id = $1 \
         AND ($2::text IS NULL OR actor_id = $2) AND ($3::text IS NULL OR target_type = $3) \
         AND ($4::text IS NULL OR target_id = $4) AND ($5::text IS NULL OR action = $5) \
         AND ($6::timestamptz IS NULL OR occurred_at >= $6) AND ($7::timestamptz IS NULL OR occurred_at < $7) \
         AND ($8::bigint IS NULL OR seq < $8) AND ($9::bigint IS NULL OR seq > $9) \
         ORDER BY seq {order} LIMIT $10"
    );
    let mut rows: Vec<AuditRecord> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant.as_uuid())
        .bind(&f.actor_id)
        .bind(&f.target_type)
        .bind(&f.target_id)
        .bind(&f.action)
        .bind(f.from)
        .bind(f.to)
        .bind(after)
        .bind(before)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?;
    if from_end {
        rows.reverse();
    }
    Ok(rows)
}

/// The outcome of recomputing a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub tenant_id: TenantId,
    pub records_checked: i64,
    pub ok: bool,
    /// The first record whose hash, link or sequence does not match.
    pub first_broken_seq: Option<i64>,
    pub first_broken_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// Recomputes the chain of `tenant` (visible to the transaction) in pages of 1,000.
pub async fn audit_verify(tx: &mut TenantTx, tenant: TenantId) -> Result<VerifyReport> {
    if !tx.scope().visible.contains(&tenant) {
        return Err(Error::not_found("tenant"));
    }
    let mut prev_hash = GENESIS.to_vec();
    let mut expected_seq = 1i64;
    let mut checked = 0i64;
    let broken = |r: &AuditRecord, checked: i64, reason: String| VerifyReport {
        tenant_id: tenant,
        records_checked: checked,
        ok: false,
        first_broken_seq: Some(r.seq),
        first_broken_id: Some(r.id),
        reason: Some(reason),
    };
    loop {
        let page: Vec<AuditRecord> = sqlx::query_as(
            "SELECT * FROM audit_log WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq LIMIT 1000",
        )
        .bind(tenant.as_uuid())
        .bind(expected_seq)
        .fetch_all(tx.conn())
        .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            checked += 1;
            if r.seq != expected_seq {
                return Ok(broken(
                    r,
                    checked,
                    format!("sequence gap: expected {expected_seq}, found {}", r.seq),
                ));
            }
            if r.prev_hash != prev_hash {
                return Ok(broken(
                    r,
                    checked,
                    "prev_hash does not match the previous record's hash".into(),
                ));
            }
            if record_hash(r).as_slice() != r.hash.as_slice() {
                return Ok(broken(
                    r,
                    checked,
                    "hash does not match the record's contents".into(),
                ));
            }
            prev_hash = r.hash.clone();
            expected_seq += 1;
        }
    }
    Ok(VerifyReport {
        tenant_id: tenant,
        records_checked: checked,
        ok: true,
        first_broken_seq: None,
        first_broken_id: None,
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> AuditRecord {
        AuditRecord {
            tenant_id: Uuid::nil(),
            seq: 1,
            id: Uuid::nil(),
            occurred_at: DateTime::<Utc>::from_timestamp(1_700_000_000, 123_456_000)
                .unwrap_or_default(),
            actor_type: "user".into(),
            actor_id: "u".into(),
            actor_label: "a@b".into(),
            action: "user.create".into(),
            target_type: "user".into(),
            target_id: "x".into(),
            before: None,
            after: Some(json!({"email": "a@b", "roles": ["support"]})),
            request_id: Some("r".into()),
            approval_id: None,
            prev_hash: GENESIS.to_vec(),
            hash: vec![],
        }
    }

    /// The two parts around the sequence number are exactly the record's canonical JSON.
    #[test]
    fn the_body_in_two_parts_is_the_whole_canonical_record() {
        let mut r = rec();
        r.seq = 1234;
        r.actor_label = "佐藤 花子 <hanako@example.jp>".into();
        let (head, tail) = body_parts(&r);
        let whole = json!([
            r.tenant_id.to_string(),
            r.seq,
            r.id.to_string(),
            r.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            r.actor_type,
            r.actor_id,
            r.actor_label,
            r.action,
            r.target_type,
            r.target_id,
            r.before,
            r.after,
            r.request_id,
            r.approval_id.map(|u| u.to_string()),
        ]);
        assert_eq!(
            format!("{head}{}{tail}", r.seq),
            crate::canonical::canonical(&whole)
        );
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let base = record_hash(&rec());
        let mut r = rec();
        r.after = Some(json!({"email": "a@b", "roles": ["tenant_admin"]}));
        assert_ne!(record_hash(&r), base);
        let mut r = rec();
        r.actor_label = "b@b".into();
        assert_ne!(record_hash(&r), base);
        let mut r = rec();
        r.prev_hash = vec![1; 32];
        assert_ne!(record_hash(&r), base);
        assert_eq!(record_hash(&rec()), base);
    }
}
