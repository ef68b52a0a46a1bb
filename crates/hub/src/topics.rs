//! The topics the hub knows by name: which are critical (they ignore opt-outs and digests),
//! which are digested, sample data for template previews, and the routing a tenant gets
//! before it configures its own. Any other outbox topic can still be routed by a rule or a
//! webhook filter and is rendered with the generic template.

use serde_json::{Value, json};

pub const QUOTA: &str = "quota.threshold_reached";
pub const ENDPOINT_DISABLED: &str = "webhook.endpoint_disabled";

/// Topics with their own shipped templates.
pub const KNOWN: &[&str] = &[
    "payment.failed",
    "invoice.issued",
    QUOTA,
    "incident.outage",
    "line.status_changed",
    "approval.requested",
    "order.completed",
    "order.failed",
    "kyc.status_changed",
    ENDPOINT_DISABLED,
];

/// Critical alerts reach every recipient at once: payment failed, outage, suspension, and
/// the platform's own alert that a webhook endpoint was disabled.
pub fn is_critical(topic: &str, payload: &Value) -> bool {
    match topic {
        "payment.failed" | "incident.outage" | ENDPOINT_DISABLED => true,
        "line.status_changed" => status_after(payload) == Some("suspended"),
        _ => false,
    }
}

/// Non-critical alerts that arrive in bursts and are digested per recipient.
pub fn is_digested(topic: &str) -> bool {
    topic == QUOTA
}

fn status_after(payload: &Value) -> Option<&str> {
    payload
        .pointer("/after/status")
        .or_else(|| payload.get("status"))
        .and_then(Value::as_str)
}

/// Whether a rule's or an endpoint's topic filter (`*`, `line.*`, or a topic) matches.
pub fn matches(filter: &str, topic: &str) -> bool {
    filter == "*"
        || filter == topic
        || filter
            .strip_suffix(".*")
            .is_some_and(|p| topic.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// The once-only key of a quota alert: (line, threshold, cycle), or None if malformed.
pub fn quota_key(payload: &Value) -> Option<(String, i32, String)> {
    let line = payload.get("line_id")?.as_str()?.to_owned();
    let threshold = i32::try_from(payload.get("threshold")?.as_i64()?).ok()?;
    let cycle = payload.get("cycle")?.as_str()?.to_owned();
    Some((line, threshold, cycle))
}

/// Data shaped like the real events, for previews and the shipped templates' tests.
pub fn sample_payload(topic: &str) -> Value {
    match topic {
        "payment.failed" => json!({
            "invoice_id": "INV-2026-11-000123", "customer_id": "00000000-0000-0000-0000-000000000000",
            "customer_name": "大阪トレーディング株式会社",
            "amount": {"minor": 5280, "currency": "JPY"},
            "reason": "card_declined", "attempt": 1,
            "next_retry_at": "2026-11-24T10:00:00Z",
            "suspension_deadline": "2026-12-01T00:00:00Z"}),
        "invoice.issued" => json!({
            "invoice_id": "INV-2026-11-000123", "customer_name": "大阪トレーディング株式会社",
            "amount": {"minor": 5280, "currency": "JPY"}, "due_date": "2026-11-30T00:00:00Z",
            "period": "2026-10"}),
        QUOTA => json!({
            "line_id": "00000000-0000-0000-0000-000000000001", "msisdn": "+819012345678",
            "threshold": 80, "cycle": "2026-11", "used_mb": 16384, "quota_mb": 20480}),
        "incident.outage" => json!({
            "incident_id": "INC-42", "title": "関西エリアでデータ通信障害",
            "area": "Kansai", "started_at": "2026-11-21T09:12:00Z",
            "status": "investigating", "next_update_at": "2026-11-21T10:00:00Z"}),
        "line.status_changed" => json!({
            "before": {"status": "active", "msisdn": "+819012345678"},
            "after": {"status": "suspended", "msisdn": "+819012345678",
                      "status_reason": "non-payment"}}),
        "approval.requested" => json!({
            "after": {"action": "line.suspend", "requested_by": "support@sakura.example",
                      "reason": "customer request", "expires_at": "2026-11-22T09:00:00Z"}}),
        "order.completed" | "order.failed" => json!({
            "after": {"kind": "new_line", "status": if topic == "order.failed" { "failed" } else { "completed" },
                      "status_reason": "carrier rejected the SIM"}}),
        "kyc.status_changed" => json!({
            "before": {"kyc_status": "submitted"}, "after": {"kyc_status": "verified", "name": "田中 花子"}}),
        ENDPOINT_DISABLED => json!({
            "endpoint_id": "00000000-0000-0000-0000-000000000002",
            "url": "https://hooks.partner.example/tsunagi",
            "reason": "failing since 2026-11-16T09:00:00Z", "failing_since": "2026-11-16T09:00:00Z"}),
        _ => json!({"after": {}}),
    }
}

/// A rule the tenant gets while it has configured none of its own.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRule {
    pub topic: &'static str,
    pub audience: &'static str,
    pub role: Option<&'static str>,
    pub channel: &'static str,
}

pub const DEFAULT_RULES: &[DefaultRule] = &[
    DefaultRule {
        topic: "payment.failed",
        audience: "customer_admins",
        role: None,
        channel: "email",
    },
    DefaultRule {
        topic: "payment.failed",
        audience: "role",
        role: Some("billing"),
        channel: "console",
    },
    DefaultRule {
        topic: "invoice.issued",
        audience: "customer_admins",
        role: None,
        channel: "email",
    },
    DefaultRule {
        topic: QUOTA,
        audience: "customer_users",
        role: None,
        channel: "email",
    },
    DefaultRule {
        topic: QUOTA,
        audience: "customer_admins",
        role: None,
        channel: "email",
    },
    DefaultRule {
        topic: "incident.outage",
        audience: "role",
        role: Some("support"),
        channel: "console",
    },
    DefaultRule {
        topic: "incident.outage",
        audience: "role",
        role: Some("tenant_admin"),
        channel: "email",
    },
    DefaultRule {
        topic: "line.status_changed",
        audience: "customer_admins",
        role: None,
        channel: "email",
    },
    DefaultRule {
        topic: "approval.requested",
        audience: "role",
        role: Some("approver"),
        channel: "console",
    },
    DefaultRule {
        topic: ENDPOINT_DISABLED,
        audience: "role",
        role: Some("tenant_admin"),
        channel: "email",
    },
    DefaultRule {
        topic: ENDPOINT_DISABLED,
        audience: "role",
        role: Some("tenant_admin"),
        channel: "console",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert!(matches("*", "line.status_changed"));
        assert!(matches("line.*", "line.status_changed"));
        assert!(!matches("line.*", "lines.x"));
        assert!(!matches("line.*", "line"));
        assert!(matches("payment.failed", "payment.failed"));
        assert!(!matches("payment.failed", "payment.failed_twice"));
    }

    #[test]
    fn criticality() {
        assert!(is_critical("payment.failed", &json!({})));
        assert!(is_critical(
            "line.status_changed",
            &sample_payload("line.status_changed")
        ));
        assert!(!is_critical(
            "line.status_changed",
            &json!({"after": {"status": "active"}})
        ));
        assert!(!is_critical(QUOTA, &sample_payload(QUOTA)));
    }

    #[test]
    fn quota_keys() {
        assert_eq!(
            quota_key(&sample_payload(QUOTA)),
            Some((
                "00000000-0000-0000-0000-000000000001".into(),
                80,
                "2026-11".into()
            ))
        );
        assert_eq!(quota_key(&json!({"line_id": "x"})), None);
    }
}
