//! The audit log: one append-only table, one hash chain per tenant. A record is appended in
//! the same transaction as the change it describes; appends of one tenant are serialised by
//! a transaction-scoped advisory lock so the chain never forks. `audit_verify` recomputes
//! every hash and names the first record that does not match.

use crate::TenantTx;
use crate::canonical::to_canonical;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use tsunagi_core::events::DomainEvent;
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

/// sha256(prev_hash ‖ canonical JSON of every other field). Pure; used on append and verify.
pub fn record_hash(r: &AuditRecord) -> [u8; 32] {
    let body = json!([
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
    let mut s = String::with_capacity(256);
    to_canonical(&body, &mut s);
    let mut h = Sha256::new();
    h.update(&r.prev_hash);
    h.update(s.as_bytes());
    h.finalize().into()
}

/// Appends one record to the transaction tenant's chain and, in the same statement, the
/// change's outbox event (if any). Three statements in all: the chain lock, the last hash,
/// the insert (the NOTIFY for live subscribers is a trigger). Call it last in the
/// transaction: the chain lock is held until commit.
pub async fn audit_append(
    tx: &mut TenantTx,
    actor: &AuditActor,
    e: AuditEntry,
    event: Option<&DomainEvent>,
) -> Result<AuditRecord> {
    if event.is_some_and(|ev| ev.tenant_id != tx.tenant_id()) {
        return Err(Error::internal(
            "outbox event for another tenant than the transaction's",
        ));
    }
    let tenant = tx.tenant_id();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1::text, 0))")
        .bind(tenant.as_uuid())
        .execute(tx.conn())
        .await?;
    let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(tenant.as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_vec()));
    let mut rec = AuditRecord {
        tenant_id: tenant.as_uuid(),
        seq: prev_seq + 1,
        id: Uuid::now_v7(),
        // PostgreSQL keeps microseconds; hash what will be read back.
        occurred_at: Utc::now().trunc_subsecs(6),
        actor_type: actor.actor_type.clone(),
        actor_id: actor.actor_id.clone(),
        actor_label: actor.actor_label.clone(),
        action: e.action,
        target_type: e.target_type,
        target_id: e.target_id,
        before: e.before,
        after: e.after,
        request_id: actor.request_id.clone(),
        approval_id: e.approval_id,
        prev_hash,
        hash: Vec::new(),
    };
    rec.hash = record_hash(&rec).to_vec();
    sqlx::query(
        "WITH ev AS (INSERT INTO outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id) \
           SELECT $1, $17, $18, $19, $20, $21, $13 WHERE $17::uuid IS NOT NULL) \
         INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label, action, \
         target_type, target_id, before, after, request_id, approval_id, prev_hash, hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
    )
    .bind(rec.tenant_id)
    .bind(rec.seq)
    .bind(rec.id)
    .bind(rec.occurred_at)
    .bind(&rec.actor_type)
    .bind(&rec.actor_id)
    .bind(&rec.actor_label)
    .bind(&rec.action)
    .bind(&rec.target_type)
    .bind(&rec.target_id)
    .bind(&rec.before)
    .bind(&rec.after)
    .bind(&rec.request_id)
    .bind(rec.approval_id)
    .bind(&rec.prev_hash)
    .bind(&rec.hash)
    .bind(event.map(|ev| ev.id.as_uuid()))
    .bind(event.map(|ev| ev.topic.as_str()))
    .bind(event.map(|ev| ev.aggregate_type()))
    .bind(event.map(|ev| ev.aggregate_id.as_str()))
    .bind(event.map(|ev| &ev.payload))
    .execute(tx.conn())
    .await?;
    Ok(rec)
}

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
