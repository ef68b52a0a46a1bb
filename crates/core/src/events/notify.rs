//! Payloads of the notification settings: rules, templates, preferences, webhook endpoints,
//! replays, and the hub's own alert that it disabled an endpoint.

use super::{Facts, Payload, Topic, ex_id as id, ex_time as at};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRuleChanged {
    pub rule_id: Uuid,
    /// A topic, `prefix.*` or `*`.
    pub topic: String,
    /// `role`, `customer_admins` or `customer_users`.
    pub audience: String,
    pub role: Option<String>,
    pub channel: String,
    pub fallback_channel: Option<String>,
}

facts!(NotificationRuleChanged { aggregate: rule_id });

impl Payload for NotificationRuleChanged {
    fn example(_: Topic) -> Self {
        Self {
            rule_id: id(70),
            topic: "payment.*".into(),
            audience: "role".into(),
            role: Some("billing".into()),
            channel: "email".into(),
            fallback_channel: Some("console".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationTemplateChanged {
    pub topic: String,
    pub channel: String,
    pub locale: String,
    /// `set` or `deleted` (the shipped template applies again).
    pub change: String,
}

impl Facts for NotificationTemplateChanged {
    fn aggregate_id(&self) -> String {
        format!("{}/{}/{}", self.topic, self.channel, self.locale)
    }
}

impl Payload for NotificationTemplateChanged {
    fn example(_: Topic) -> Self {
        Self {
            topic: "payment.failed".into(),
            channel: "email".into(),
            locale: "ja".into(),
            change: "set".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferenceChanged {
    pub user_id: Uuid,
    /// A topic or `*`.
    pub topic: String,
    pub channel: String,
    pub opted_out: bool,
}

facts!(NotificationPreferenceChanged { aggregate: user_id });

impl Payload for NotificationPreferenceChanged {
    fn example(_: Topic) -> Self {
        Self {
            user_id: id(3),
            topic: "quota.threshold_reached".into(),
            channel: "email".into(),
            opted_out: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointChanged {
    pub endpoint_id: Uuid,
    /// Scheme, host and port only (`https://hooks.example/…`): paths carry tokens.
    pub url: String,
    pub topics: Vec<String>,
    /// `enabled`, `disabled` or `deleted`.
    pub status: String,
    /// Until when the previous secret still signs (after a rotation).
    pub previous_secret_until: Option<DateTime<Utc>>,
}

facts!(WebhookEndpointChanged {
    aggregate: endpoint_id
});

impl Payload for WebhookEndpointChanged {
    fn example(topic: Topic) -> Self {
        Self {
            endpoint_id: id(71),
            url: "https://hooks.partner.example/…".into(),
            topics: vec!["line.*".into(), "payment.failed".into()],
            status: match topic {
                Topic::WebhookEndpointDeleted => "deleted",
                Topic::WebhookEndpointStatusChanged => "disabled",
                _ => "enabled",
            }
            .into(),
            previous_secret_until: Some(at(12)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointDisabled {
    pub endpoint_id: Uuid,
    /// Scheme, host and port only (`https://hooks.example/…`): paths carry tokens.
    pub url: String,
    pub reason: String,
    pub failing_since: Option<DateTime<Utc>>,
}

facts!(WebhookEndpointDisabled {
    aggregate: endpoint_id
});

impl Payload for WebhookEndpointDisabled {
    fn example(_: Topic) -> Self {
        Self {
            endpoint_id: id(71),
            url: "https://hooks.partner.example/…".into(),
            reason: "failing since 2026-11-16T09:00:00Z".into(),
            failing_since: Some(at(9)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReplayed {
    /// The one delivery replayed, or null when all failed ones of an endpoint were.
    pub delivery_id: Option<Uuid>,
    /// The endpoint whose failed deliveries were replayed, if that was the request.
    pub endpoint_id: Option<Uuid>,
    pub count: i64,
}

impl Facts for DeliveryReplayed {
    fn aggregate_id(&self) -> String {
        self.delivery_id
            .or(self.endpoint_id)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }
}

impl Payload for DeliveryReplayed {
    fn example(_: Topic) -> Self {
        Self {
            delivery_id: None,
            endpoint_id: Some(id(71)),
            count: 12,
        }
    }
}
