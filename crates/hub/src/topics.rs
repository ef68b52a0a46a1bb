//! The hub's routing knowledge on top of the event contract (`tsunagi_core::events`): topic
//! filters, which topics are digested, the once-only key of quota alerts, and the routing a
//! tenant gets before it configures its own. Criticality, recipients and payload shapes come
//! from the contract itself.

use tsunagi_core::events::{Event, Topic};

/// Whether a rule's or an endpoint's topic filter (`*`, `line.*`, or a topic) matches.
pub fn matches(filter: &str, topic: &str) -> bool {
    filter == "*"
        || filter == topic
        || filter
            .strip_suffix(".*")
            .is_some_and(|p| topic.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// Non-critical alerts that arrive in bursts and are digested per recipient.
pub fn is_digested(topic: Topic) -> bool {
    topic == Topic::QuotaThresholdReached
}

/// The once-only key of a quota alert: (line, threshold, cycle).
pub fn quota_key(event: &Event) -> Option<(String, i32, String)> {
    match event {
        Event::QuotaThresholdReached(q) => {
            Some((q.line_id.to_string(), q.threshold, q.cycle.clone()))
        }
        _ => None,
    }
}

/// The digest key's threshold part (alerts of one threshold are digested together).
pub fn digest_threshold(event: &Event) -> String {
    match event {
        Event::QuotaThresholdReached(q) => q.threshold.to_string(),
        _ => String::new(),
    }
}

/// A rule the tenant gets while it has configured none of its own.
#[derive(Debug, Clone, Copy)]
pub struct DefaultRule {
    pub topic: Topic,
    pub audience: &'static str,
    pub role: Option<&'static str>,
    pub channel: &'static str,
}

const fn rule(
    topic: Topic,
    audience: &'static str,
    role: Option<&'static str>,
    channel: &'static str,
) -> DefaultRule {
    DefaultRule {
        topic,
        audience,
        role,
        channel,
    }
}

pub const DEFAULT_RULES: &[DefaultRule] = &[
    rule(Topic::PaymentFailed, "customer_admins", None, "email"),
    rule(Topic::PaymentFailed, "role", Some("billing"), "console"),
    rule(Topic::InvoiceIssued, "customer_admins", None, "email"),
    rule(
        Topic::QuotaThresholdReached,
        "customer_users",
        None,
        "email",
    ),
    rule(
        Topic::QuotaThresholdReached,
        "customer_admins",
        None,
        "email",
    ),
    rule(Topic::IncidentOutage, "role", Some("support"), "console"),
    rule(Topic::IncidentOutage, "role", Some("tenant_admin"), "email"),
    rule(Topic::LineStatusChanged, "customer_admins", None, "email"),
    rule(
        Topic::ApprovalRequested,
        "role",
        Some("approver"),
        "console",
    ),
    rule(
        Topic::WebhookEndpointDisabled,
        "role",
        Some("tenant_admin"),
        "email",
    ),
    rule(
        Topic::WebhookEndpointDisabled,
        "role",
        Some("tenant_admin"),
        "console",
    ),
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
    fn quota_keys() {
        let q = Topic::QuotaThresholdReached.example();
        let (line, threshold, cycle) = quota_key(&q).expect("quota key");
        assert_eq!((threshold, cycle.as_str()), (80, "2026-11"));
        assert_eq!(Some(line), q.facts().line_id().map(|l| l.to_string()));
        assert_eq!(quota_key(&Topic::LineStatusChanged.example()), None);
    }
}
