//! Appending a transaction's audit records (with their outbox events) to its tenant's chain.
//!
//! Records wait in the `TenantTx` until it commits, then go in one batch. The chain lock
//! (one per tenant) is held from the moment the chain's last link is read until the commit
//! is durable, so everything done while holding it is on every writer's critical path. The
//! commit therefore goes in two messages: `audit_stage` (bound parameters, before the lock)
//! writes the events and leaves the records in a transaction-local setting; then one
//! simple-protocol message — `SELECT audit_chain_staged(); COMMIT; BEGIN` — takes the lock,
//! hashes and inserts the records and commits, with no round trip to the application while
//! the lock is held (measured: the wait for the lock was 11.6 ms of a 12.5 ms append when the
//! lock was held across that round trip). The empty transaction the trailing BEGIN opens is
//! rolled back when the connection goes back to the pool. The message carries no value, so
//! a slow-statement log line never shows audited data.
//!
//! A flush before the commit (`TenantTx::enter_child`) stages and chains the same way but
//! leaves the transaction open; the lock is then held to the commit.

use crate::TenantTx;
use crate::announce::Written;
use crate::audit::{AuditActor, AuditEntry, AuditRecord, body_parts};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value};
use sqlx::Row;
use tsunagi_core::events::DomainEvent;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

/// A record waiting for its transaction's commit (with its outbox event, if any).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    actor: AuditActor,
    entry: AuditEntry,
    event: Option<DomainEvent>,
    occurred_at: DateTime<Utc>,
}

/// Records a change in the transaction tenant's chain, with the change's outbox event (if
/// any). The record is written when the transaction commits, together with every other
/// record of the transaction (see the module documentation). A rollback, or a rollback to
/// a savepoint taken before, drops it with the change.
pub fn audit_append(
    tx: &mut TenantTx,
    actor: &AuditActor,
    e: AuditEntry,
    event: Option<&DomainEvent>,
) -> Result<()> {
    if event.is_some_and(|ev| ev.tenant_id != tx.tenant_id()) {
        return Err(Error::internal(
            "outbox event for another tenant than the transaction's",
        ));
    }
    tx.push_audit(Pending {
        actor: actor.clone(),
        entry: e,
        event: event.cloned(),
        // PostgreSQL keeps microseconds; hash what will be read back.
        occurred_at: Utc::now().trunc_subsecs(6),
    });
    Ok(())
}

/// The records of `pending` as they will be stored in `tx`'s tenant (seq and hashes are the
/// database's), each with its event.
fn records(tx: &TenantTx, pending: Vec<Pending>) -> Vec<(AuditRecord, Option<DomainEvent>)> {
    let tenant = tx.tenant_id().as_uuid();
    pending
        .into_iter()
        .map(|p| {
            let rec = AuditRecord {
                tenant_id: tenant,
                seq: 0,
                id: Uuid::now_v7(),
                occurred_at: p.occurred_at,
                actor_type: p.actor.actor_type,
                actor_id: p.actor.actor_id,
                actor_label: p.actor.actor_label,
                action: p.entry.action,
                target_type: p.entry.target_type,
                target_id: p.entry.target_id,
                before: p.entry.before,
                after: p.entry.after,
                request_id: p.actor.request_id,
                approval_id: p.entry.approval_id,
                prev_hash: Vec::new(),
                hash: Vec::new(),
            };
            (rec, p.event)
        })
        .collect()
}

fn written(tx: &TenantTx, n: usize, last: i64, events: bool) -> Written {
    Written {
        tenant: tx.tenant_id(),
        from: last - n as i64 + 1,
        to: last,
        events,
    }
}

/// Writes the pending records as the next links of the tenant's chain, with their events,
/// leaving the transaction open: the chain lock is held until it commits. For flushes before
/// the commit (moving to another tenant).
pub(crate) async fn audit_flush(
    tx: &mut TenantTx,
    pending: Vec<Pending>,
) -> Result<Option<Written>> {
    if pending.is_empty() {
        return Ok(None);
    }
    let (n, events) = stage(tx, pending).await?;
    let last: i64 = sqlx::query_scalar("SELECT audit_chain_staged()")
        .fetch_one(tx.conn())
        .await?;
    Ok(Some(written(tx, n, last, events)))
}

/// Stages the pending records and events (before the lock), then chains the records and
/// commits in one message. Afterwards the connection is in a new, empty transaction (which
/// the caller drops). Answers what was written.
pub(crate) async fn audit_commit(
    tx: &mut TenantTx,
    pending: Vec<Pending>,
) -> std::result::Result<Written, sqlx::Error> {
    let (n, events) = stage(tx, pending).await?;
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(
        "SELECT audit_chain_staged(); COMMIT; BEGIN",
    ))
    .fetch_all(tx.conn())
    .await?;
    let last: i64 = match rows.first() {
        Some(r) => r.try_get(0)?,
        None => return Err(sqlx::Error::RowNotFound),
    };
    Ok(written(tx, n, last, events))
}

/// `audit_stage`: writes the events, keeps the records for `audit_chain_staged`. Answers how
/// many records, and whether any carried an event.
async fn stage(
    tx: &mut TenantTx,
    pending: Vec<Pending>,
) -> std::result::Result<(usize, bool), sqlx::Error> {
    let (n, events) = (pending.len(), pending.iter().any(|p| p.event.is_some()));
    let batch: Vec<Value> = records(tx, pending)
        .into_iter()
        .map(|(r, ev)| staged(r, ev))
        .collect();
    sqlx::query("SELECT audit_stage($1, $2)")
        .bind(tx.tenant_id().as_uuid())
        .bind(Value::Array(batch))
        .execute(tx.conn())
        .await?;
    Ok((n, events))
}

/// One record as `audit_stage` reads it: absent keys are SQL NULL (a present JSON null is a
/// JSON null, as a bound `Option<Value>` would be).
fn staged(r: AuditRecord, ev: Option<DomainEvent>) -> Value {
    let (head, tail) = body_parts(&r);
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    let s = |v: String| Some(Value::String(v));
    put("body_head", s(head));
    put("body_tail", s(tail));
    put("id", s(r.id.to_string()));
    put(
        "occurred_at",
        s(r.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    );
    put("actor_type", s(r.actor_type));
    put("actor_id", s(r.actor_id));
    put("actor_label", s(r.actor_label));
    put("action", s(r.action));
    put("target_type", s(r.target_type));
    put("target_id", s(r.target_id));
    put("before", r.before);
    put("after", r.after);
    put("request_id", r.request_id.map(Value::String));
    put(
        "approval_id",
        r.approval_id.map(|u| Value::String(u.to_string())),
    );
    if let Some(e) = ev {
        put("event_id", s(e.id.as_uuid().to_string()));
        put("topic", s(e.topic.as_str().to_owned()));
        put("aggregate_type", s(e.aggregate_type().to_owned()));
        put("aggregate_id", s(e.aggregate_id.clone()));
        put("payload", Some(e.payload));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(before: Option<Value>, request_id: Option<String>) -> AuditRecord {
        AuditRecord {
            tenant_id: Uuid::nil(),
            seq: 0,
            id: Uuid::nil(),
            occurred_at: DateTime::from_timestamp(1_700_000_000, 123_456_000).expect("time"),
            actor_type: "user".into(),
            actor_id: "u".into(),
            actor_label: "a@example.com".into(),
            action: "line.suspend".into(),
            target_type: "line".into(),
            target_id: "l".into(),
            before,
            after: Some(json!({"status": "suspended"})),
            request_id,
            approval_id: None,
            prev_hash: Vec::new(),
            hash: Vec::new(),
        }
    }

    /// What `audit_stage` reads must be what a bound `Option` would have stored: an absent
    /// value is SQL NULL (no key), a JSON null stays a JSON null, and the hashed body parts
    /// are the ones `record_hash` uses.
    #[test]
    fn staged_records_keep_null_apart_from_absent() {
        let absent = staged(record(None, None), None);
        assert!(absent.get("before").is_none() && absent.get("request_id").is_none());
        assert!(absent.get("event_id").is_none() && absent.get("approval_id").is_none());
        let null = staged(record(Some(Value::Null), Some("r-1".into())), None);
        assert_eq!(null.get("before"), Some(&Value::Null));
        assert_eq!(null["request_id"], "r-1");
        let r = record(None, None);
        let (head, tail) = body_parts(&r);
        assert_eq!(absent["body_head"], head.as_str());
        assert_eq!(absent["body_tail"], tail.as_str());
        assert_eq!(absent["occurred_at"], "2023-11-14T22:13:20.123456Z");
    }
}
