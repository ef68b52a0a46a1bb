//! Notification types: routing rules, templates, preferences, webhook endpoints,
//! deliveries with their attempts, live alerts.

use async_graphql::{ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::notifications::{
    AttemptRow, DeliveryRow, EndpointRow, PreferenceRow, RuleRow, TemplateRow,
};

/// Which events reach whom by which channel.
#[derive(SimpleObject)]
pub struct NotificationRule {
    pub id: ID,
    /// A topic, `prefix.*` or `*`.
    pub topic: String,
    /// `role`, `customer_admins` or `customer_users`.
    pub audience: String,
    pub role: Option<String>,
    /// `email` or `console`.
    pub channel: String,
    /// Used when the primary channel fails for good.
    pub fallback_channel: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<RuleRow> for NotificationRule {
    fn from(r: RuleRow) -> Self {
        Self {
            id: ID(r.id.to_string()),
            topic: r.topic,
            audience: r.audience,
            role: r.role,
            channel: r.channel,
            fallback_channel: r.fallback_channel,
            created_at: r.created_at,
        }
    }
}

/// A tenant's template for (topic, channel, locale); the shipped one applies where none.
#[derive(SimpleObject)]
pub struct NotificationTemplate {
    pub topic: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<TemplateRow> for NotificationTemplate {
    fn from(t: TemplateRow) -> Self {
        Self {
            topic: t.topic,
            channel: t.channel,
            locale: t.locale,
            subject: t.subject,
            body: t.body,
            version: t.version,
            updated_at: t.updated_at,
        }
    }
}

/// A rendered template.
#[derive(SimpleObject)]
pub struct TemplatePreview {
    pub subject: String,
    pub body: String,
}

/// A topic of the event contract (docs/events.md), with an example payload for previews.
#[derive(SimpleObject)]
pub struct NotificationTopic {
    pub topic: String,
    /// What happened, in one sentence.
    pub description: String,
    /// Whether its alerts ignore opt-outs and digests (always, or when `criticalWhen` says).
    pub critical: bool,
    /// For topics critical only sometimes: when (e.g. "when the line becomes suspended").
    pub critical_when: Option<String>,
    /// Bursts are digested into one message per recipient.
    pub digested: bool,
    /// An example payload, as templates see it under `data` and webhooks under `event`.
    pub sample_data: Json<serde_json::Value>,
    /// The JSON Schema (draft 2020-12) of the payload.
    pub payload_schema: Json<serde_json::Value>,
    /// The shipped Japanese and English e-mail templates.
    pub default_subject_ja: String,
    pub default_body_ja: String,
    pub default_subject_en: String,
    pub default_body_en: String,
}

/// The caller's own choice for a topic on a channel.
#[derive(SimpleObject)]
pub struct NotificationPreference {
    pub topic: String,
    pub channel: String,
    pub opted_out: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<PreferenceRow> for NotificationPreference {
    fn from(p: PreferenceRow) -> Self {
        Self {
            topic: p.topic,
            channel: p.channel,
            opted_out: p.opted_out,
            updated_at: p.updated_at,
        }
    }
}

/// A hub subscription (TMF688): where the tenant's events are POSTed, signed.
#[derive(SimpleObject)]
pub struct WebhookEndpoint {
    pub id: ID,
    /// The callback URL.
    pub url: String,
    pub description: String,
    /// Topic filters (`*`, `line.*`, `payment.failed`).
    pub topics: Vec<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Set while deliveries fail; the endpoint is disabled when it stays set past the window.
    pub failing_since: Option<DateTime<Utc>>,
    /// During a rotation, the previous secret also signs until then.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(e: EndpointRow) -> Self {
        Self {
            id: ID(e.id.to_string()),
            url: e.url,
            description: e.description,
            topics: e.topics,
            status: e.status,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at,
            failing_since: e.failing_since,
            previous_secret_until: e.previous_secret_until,
            version: e.version,
            created_at: e.created_at,
        }
    }
}

/// An endpoint with its signing secret, returned only when it is created or rotated.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks). Shown once.
    pub secret: String,
}

/// One message to one recipient on one channel.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Delivery {
    pub id: ID,
    pub event_id: ID,
    pub topic: String,
    /// `email`, `webhook`, `console` or `plugin:<name>` (a channel plugin).
    pub channel: String,
    /// An e-mail address, an endpoint id, or `role:<role>` for console alerts.
    pub recipient: String,
    pub endpoint_id: Option<ID>,
    pub locale: Option<String>,
    pub subject: String,
    pub critical: bool,
    /// `pending`, `delivered`, `failed` (dead letter, replayable), `skipped` or `digested`.
    pub status: String,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    pub attempt_count: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The e-mail provider that accepted it, or the channel plugin (and its message id).
    pub provider: Option<String>,
    pub digest_id: Option<ID>,
    pub fallback_of: Option<ID>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Self {
        let id = |u: uuid::Uuid| ID(u.to_string());
        Self {
            id: id(d.id),
            event_id: id(d.event_id),
            topic: d.topic,
            channel: d.channel,
            recipient: d.recipient,
            endpoint_id: d.endpoint_id.map(id),
            locale: d.locale,
            subject: d.subject,
            critical: d.critical,
            status: d.status,
            reason: d.reason,
            attempt_count: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            provider: d.provider,
            digest_id: d.digest_id.map(id),
            fallback_of: d.fallback_of.map(id),
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct DeliveryAttempt {
    pub n: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    /// `delivered`, `retryable` or `permanent`.
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub provider: Option<String>,
}

impl From<AttemptRow> for DeliveryAttempt {
    fn from(a: AttemptRow) -> Self {
        Self {
            n: a.n,
            at: a.at,
            duration_ms: a.duration_ms,
            outcome: a.outcome,
            status_code: a.status_code,
            error: a.error,
            provider: a.provider,
        }
    }
}

/// A live alert for a staff console.
#[derive(SimpleObject, Clone)]
pub struct Alert {
    pub delivery_id: ID,
    pub event_id: ID,
    pub topic: String,
    /// `role:<role>` (or `user:<id>` for a fallback).
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub critical: bool,
}

impl From<tsunagi_app::notifications::alerts::AlertView> for Alert {
    fn from(a: tsunagi_app::notifications::alerts::AlertView) -> Self {
        Self {
            delivery_id: ID(a.delivery_id),
            event_id: ID(a.event_id),
            topic: a.topic,
            recipient: a.recipient,
            subject: a.subject,
            body: a.body,
            critical: a.critical,
        }
    }
}

/// A rule, as changed.
#[derive(SimpleObject)]
pub struct NotificationRulePayload {
    pub rule: NotificationRule,
}

/// A template, as set.
#[derive(SimpleObject)]
pub struct NotificationTemplatePayload {
    pub template: NotificationTemplate,
}

/// Whether the tenant's template was deleted (the shipped one applies again).
#[derive(SimpleObject)]
pub struct NotificationTemplateDeletePayload {
    pub deleted: bool,
}

/// The caller's preference, as set.
#[derive(SimpleObject)]
pub struct NotificationPreferencePayload {
    pub preference: NotificationPreference,
}

/// An endpoint, as changed.
#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub endpoint: WebhookEndpoint,
}

/// A delivery, as replayed.
#[derive(SimpleObject)]
pub struct DeliveryPayload {
    pub delivery: Delivery,
}

/// How many failed deliveries were sent again.
#[derive(SimpleObject)]
pub struct DeliveryReplayCount {
    pub count: i32,
}

/// One of the tenant's own SMTP providers (its URL and credentials are never shown again).
#[derive(SimpleObject)]
pub struct SmtpProvider {
    pub id: ID,
    pub name: String,
    /// Tried in this order, before the platform's providers.
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

impl From<tsunagi_app::notifications::mail::SmtpProviderView> for SmtpProvider {
    fn from(p: tsunagi_app::notifications::mail::SmtpProviderView) -> Self {
        Self {
            id: ID(p.id.to_string()),
            name: p.name,
            position: p.position,
            created_at: p.created_at,
        }
    }
}

/// An address that unsubscribed from a topic with a one-click link (and is no user).
#[derive(SimpleObject)]
pub struct NotificationSuppression {
    pub address: String,
    pub topic: String,
    pub created_at: DateTime<Utc>,
}

impl From<tsunagi_app::notifications::suppressions::Suppression> for NotificationSuppression {
    fn from(s: tsunagi_app::notifications::suppressions::Suppression) -> Self {
        Self {
            address: s.address,
            topic: s.topic,
            created_at: s.created_at,
        }
    }
}

/// The tenant's own e-mail: sender, DKIM signing, providers.
#[derive(SimpleObject)]
pub struct MailSettings {
    /// The sender of the tenant's messages; null: the platform's.
    pub from_address: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_selector: Option<String>,
    /// Whether a DKIM key is stored (the key itself is never shown).
    pub dkim_configured: bool,
    pub version: i32,
    pub providers: Vec<SmtpProvider>,
}

impl From<tsunagi_app::notifications::mail::MailSettingsView> for MailSettings {
    fn from(s: tsunagi_app::notifications::mail::MailSettingsView) -> Self {
        Self {
            from_address: s.from_address,
            dkim_domain: s.dkim_domain,
            dkim_selector: s.dkim_selector,
            dkim_configured: s.dkim_configured,
            version: s.version,
            providers: s.providers.into_iter().map(Into::into).collect(),
        }
    }
}
