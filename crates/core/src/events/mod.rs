//! The one event contract. Every topic the platform emits is a variant of [`Topic`] with one
//! payload type, and a producer can only write an [`Event`] — a topic together with its
//! payload — so a payload the hub cannot read does not compile. The hub decodes the same
//! types to decide criticality, recipients and rendering; docs/events.md and the JSON
//! Schemas integrators validate against are generated from them (`schema`).
//!
//! Conventions every payload follows: camelCase keys, ids as UUID strings, MSISDNs in E.164
//! with `+` ([`E164`]), money as `{minor, currency}` ([`Money`]), times in RFC 3339 UTC, no
//! optional key left out (an absent value is `null`), and identifiers of SIMs, eSIMs and
//! devices only as their ids — never an ICCID, IMSI, IMEI or secret. Each payload written to
//! the outbox carries `schemaVersion`, the version of its topic's schema.

#[macro_use]
mod macros;
mod access;
mod billing;
mod catalog;
mod customers;
mod inventory;
mod notify;
mod orders;
mod plugins;
pub mod schema;
mod service;

pub use access::*;
pub use billing::*;
pub use catalog::*;
pub use customers::*;
pub use inventory::*;
pub use notify::*;
pub use orders::*;
pub use plugins::*;
pub use service::*;

use crate::ids::{EventId, TenantId};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// What the contract knows of any payload: the resource it is about and who it concerns.
pub trait Facts {
    /// The id of the resource (the envelope's aggregate).
    fn aggregate_id(&self) -> String;
    /// The line the event is about, if any (its users are the `customer_users` audience).
    fn line_id(&self) -> Option<Uuid> {
        None
    }
    /// The customer the event is about, if it says (else the line's customer is looked up).
    fn customer_id(&self) -> Option<Uuid> {
        None
    }
    /// For topics whose criticality depends on the payload ([`Criticality::When`]).
    fn critical(&self) -> bool {
        false
    }
}

/// A payload type of the contract.
pub trait Payload:
    Facts + Serialize + DeserializeOwned + JsonSchema + Clone + fmt::Debug + PartialEq
{
    /// A realistic instance, every optional field filled, for previews and the docs.
    fn example(topic: Topic) -> Self;
}

/// A fixed time on the examples' day (2026-11-21, `h` o'clock UTC).
fn ex_time(h: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, h, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A fixed UUIDv7-shaped id for examples.
fn ex_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5a00_0000_7000_8000_0000_0000_0000 + n)
}

/// Whether a topic's alerts ignore opt-outs and digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criticality {
    Always,
    Never,
    /// Critical when the payload says so; the text says when.
    When(&'static str),
}

/// An MSISDN in E.164 with the leading `+` (`+819012345678`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// From the stored digits (`819012345678`) or an already prefixed number.
    pub fn from_digits(digits: &str) -> Self {
        let d = digits.trim_start_matches('+');
        Self(format!("+{d}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for E164 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "E164".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^\\+[1-9][0-9]{7,14}$",
            "description": "An MSISDN in E.164 with the leading +.",
            "examples": ["+819012345678"]
        })
    }
}

/// An amount in minor units of its currency (JPY has none: 5280 is ¥5,280).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    pub minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl Money {
    pub fn jpy(minor: i64) -> Self {
        Self {
            minor,
            currency: "JPY".into(),
        }
    }
}

contract! {
    // access: tenants, users, API keys, policies
    /// A tenant (MVNO or reseller) was created under the producer's tenant.
    TenantCreated = "tenant.created", "tenant", "access", Never, TenantCreated;
    /// A descendant tenant was suspended: its users are refused from the next request on.
    TenantSuspended = "tenant.suspended", "tenant", "access", Never, TenantStatusChanged;
    /// A suspended descendant tenant was resumed.
    TenantResumed = "tenant.resumed", "tenant", "access", Never, TenantStatusChanged;
    /// A tenant's name or settings changed.
    TenantUpdated = "tenant.updated", "tenant", "access", Never, TenantUpdated;
    /// A user was created.
    UserCreated = "user.created", "user", "access", Never, UserChanged;
    /// A user's roles or status changed.
    UserUpdated = "user.updated", "user", "access", Never, UserChanged;
    /// An API key was created (its secret is never in an event).
    ApiKeyCreated = "api_key.created", "apiKey", "access", Never, ApiKeyChanged;
    /// An API key was revoked.
    ApiKeyRevoked = "api_key.revoked", "apiKey", "access", Never, ApiKeyChanged;
    /// A tenant authorization rule was added or removed.
    PolicyChanged = "policy.changed", "policy", "access", Never, PolicyChanged;
    // catalog
    /// A plan was created with its first price.
    PlanCreated = "plan.created", "plan", "catalog", Never, PlanChanged;
    /// A plan went on sale.
    PlanActivated = "plan.active", "plan", "catalog", Never, PlanChanged;
    /// A plan was retired: no new sales, existing contracts keep it.
    PlanRetired = "plan.retired", "plan", "catalog", Never, PlanChanged;
    /// A new price version of a plan; says when it reaches existing contracts.
    PlanPriceChanged = "plan.price_changed", "plan", "catalog", Never, PlanPriceChanged;
    /// An option was created.
    OptionCreated = "option.created", "option", "catalog", Never, OptionCreated;
    // customers
    /// A customer was created.
    CustomerCreated = "customer.created", "customer", "customer", Never, CustomerCreated;
    /// A customer's identity verification moved.
    KycStatusChanged = "kyc.status_changed", "customer", "customer", Never, KycStatusChanged;
    // inventory
    /// Numbers were added to stock.
    NumbersAdded = "inventory.numbers_added", "inventoryBatch", "inventory", Never, InventoryAdded;
    /// SIMs were added to stock.
    SimsAdded = "inventory.sims_added", "inventoryBatch", "inventory", Never, InventoryAdded;
    /// eSIM profiles were added to stock.
    EsimProfilesAdded = "inventory.esim_profiles_added", "inventoryBatch", "inventory", Never, InventoryAdded;
    /// Devices were added to stock.
    DevicesAdded = "inventory.devices_added", "inventoryBatch", "inventory", Never, InventoryAdded;
    /// An eSIM profile moved (downloaded, installed, …).
    EsimStatusChanged = "esim.status_changed", "esimProfile", "inventory", Never, EsimStatusChanged;
    // service: contracts and lines
    /// A contract was created (with its new-line order).
    ContractCreated = "contract.created", "contract", "service", Never, ContractCreated;
    /// A contract moved (active, suspended, terminated, …) with its line.
    ContractStatusChanged = "contract.status_changed", "contract", "service", Never, ContractStatusChanged;
    /// Options were added to or removed from a contract.
    ContractOptionsChanged = "contract.options_changed", "contract", "service", Never, ContractOptionsChanged;
    /// A contract moved to another plan, with the proration.
    ContractPlanChanged = "contract.plan_changed", "contract", "service", Never, ContractPlanChanged;
    /// A line was created for a new-line order.
    LineCreated = "line.created", "line", "service", Never, LineCreated;
    /// A line moved: activating, active, suspended, resumed, terminated, pending, in review.
    LineStatusChanged = "line.status_changed", "line", "service", When("when the line becomes suspended"), LineStatusChanged;
    /// A line was moved to another SIM.
    LineSimSwapped = "line.sim_swapped", "line", "service", Never, LineSimSwapped;
    /// A carrier step gave up after its tries; its line waits in review for a person.
    CarrierStepExhausted = "carrier.step_exhausted", "provisioningJob", "service", Always, CarrierStepExhausted;
    /// A reconciliation run found lines that differ from the carrier's and need a person.
    CarrierDriftFound = "carrier.drift_found", "reconciliationRun", "service", Always, CarrierDriftFound;
    // orders and approvals
    /// An order was accepted.
    OrderAcknowledged = "order.acknowledged", "order", "order", Never, OrderChanged;
    /// An order waits (for KYC, an approval, …).
    OrderHeld = "order.held", "order", "order", Never, OrderChanged;
    /// An order is being carried out.
    OrderInProgress = "order.in_progress", "order", "order", Never, OrderChanged;
    /// An order was carried out.
    OrderCompleted = "order.completed", "order", "order", Never, OrderChanged;
    /// An order could not be carried out; says why.
    OrderFailed = "order.failed", "order", "order", Never, OrderChanged;
    /// An order was cancelled.
    OrderCancelled = "order.cancelled", "order", "order", Never, OrderChanged;
    /// A critical operation waits for a second person's approval.
    ApprovalRequested = "approval.requested", "approval", "approval", Never, ApprovalChanged;
    /// An approved operation was carried out.
    ApprovalExecuted = "approval.executed", "approval", "approval", Never, ApprovalChanged;
    /// An approved operation could not be carried out.
    ApprovalFailed = "approval.failed", "approval", "approval", Never, ApprovalChanged;
    /// A request was rejected.
    ApprovalRejected = "approval.rejected", "approval", "approval", Never, ApprovalChanged;
    /// A request expired undecided.
    ApprovalExpired = "approval.expired", "approval", "approval", Never, ApprovalChanged;
    // notifications
    /// A notification routing rule was created.
    NotificationRuleCreated = "notification_rule.created", "notificationRule", "notification", Never, NotificationRuleChanged;
    /// A notification routing rule was deleted.
    NotificationRuleDeleted = "notification_rule.deleted", "notificationRule", "notification", Never, NotificationRuleChanged;
    /// A tenant template was set or deleted.
    NotificationTemplateChanged = "notification_template.changed", "notificationTemplate", "notification", Never, NotificationTemplateChanged;
    /// A user opted in or out of a topic on a channel.
    NotificationPreferenceChanged = "notification_preference.changed", "notificationPreference", "notification", Never, NotificationPreferenceChanged;
    /// A webhook endpoint was registered.
    WebhookEndpointCreated = "webhook_endpoint.created", "webhookEndpoint", "notification", Never, WebhookEndpointChanged;
    /// A webhook endpoint's secret was rotated.
    WebhookEndpointSecretRotated = "webhook_endpoint.secret_rotated", "webhookEndpoint", "notification", Never, WebhookEndpointChanged;
    /// A webhook endpoint was enabled or disabled by a person.
    WebhookEndpointStatusChanged = "webhook_endpoint.status_changed", "webhookEndpoint", "notification", Never, WebhookEndpointChanged;
    /// A webhook endpoint was deleted.
    WebhookEndpointDeleted = "webhook_endpoint.deleted", "webhookEndpoint", "notification", Never, WebhookEndpointChanged;
    /// The hub disabled a failing webhook endpoint (410, or failing past the window).
    WebhookEndpointDisabled = "webhook.endpoint_disabled", "webhookEndpoint", "notification", Always, WebhookEndpointDisabled;
    /// Failed deliveries were sent again.
    DeliveryReplayed = "delivery.replayed", "delivery", "notification", Never, DeliveryReplayed;
    // plugins
    /// A plugin version was uploaded.
    PluginVersionUploaded = "plugin.version_uploaded", "pluginVersion", "plugin", Never, PluginVersionChanged;
    /// A plugin version's manifest changed.
    PluginManifestChanged = "plugin.manifest_changed", "pluginVersion", "plugin", Never, PluginVersionChanged;
    /// A fixture set was created.
    PluginFixtureSetCreated = "plugin.fixture_set_created", "pluginFixtureSet", "plugin", Never, PluginFixtureSetChanged;
    /// A fixture set was deleted.
    PluginFixtureSetDeleted = "plugin.fixture_set_deleted", "pluginFixtureSet", "plugin", Never, PluginFixtureSetChanged;
    /// A plugin version was put in force at a hook (after approval).
    PluginActivated = "plugin.activated", "pluginHook", "plugin", Never, PluginHookChanged;
    /// A hook went back to its previous version.
    PluginRolledBack = "plugin.rolled_back", "pluginHook", "plugin", Never, PluginHookChanged;
    /// A hook went back to the built-in behaviour.
    PluginDisabled = "plugin.disabled", "pluginHook", "plugin", Never, PluginHookChanged;
    /// An MVNO changed whether its resellers may replace a hook.
    PluginHookPolicyChanged = "plugin.hook_policy_changed", "pluginHook", "plugin", Never, PluginHookPolicyChanged;
    // billing and assurance (the contract is fixed now; their producers arrive with billing,
    // payments, usage and service assurance)
    /// An invoice was issued.
    InvoiceIssued = "invoice.issued", "invoice", "billing", Never, InvoiceIssued;
    /// A payment failed; says what to do and when the line would be suspended.
    PaymentFailed = "payment.failed", "payment", "billing", Always, PaymentFailed;
    /// A line used a threshold of its data allowance.
    QuotaThresholdReached = "quota.threshold_reached", "line", "usage", Never, QuotaThresholdReached;
    /// A pool's usage in a period was rated again after a price correction.
    UsageRerated = "usage.rerated", "usagePool", "usage", Never, UsageRerated;
    /// An outage was declared.
    IncidentOutage = "incident.outage", "incident", "assurance", Always, IncidentOutage;
}

impl Event {
    /// Whether this event's alerts ignore opt-outs and digests.
    pub fn is_critical(&self) -> bool {
        match self.topic().criticality() {
            Criticality::Always => true,
            Criticality::Never => false,
            Criticality::When(_) => self.facts().critical(),
        }
    }

    /// The payload as written: its fields and `schemaVersion`.
    pub fn to_payload(&self) -> serde_json::Value {
        let mut v = self.to_value();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "schemaVersion".into(),
                serde_json::json!(self.topic().version()),
            );
        }
        v
    }

    /// Reads a payload as written under a topic; a payload of another schema version or
    /// shape is refused with serde's words.
    pub fn decode(topic: Topic, payload: &serde_json::Value) -> Result<Self, String> {
        let v = payload.get("schemaVersion").and_then(|v| v.as_u64());
        if v != Some(u64::from(topic.version())) {
            return Err(format!(
                "{} payload has schemaVersion {v:?}, expected {}",
                topic.as_str(),
                topic.version()
            ));
        }
        Self::from_value(topic, payload.clone()).map_err(|e| format!("{}: {e}", topic.as_str()))
    }
}

/// One event as written to the outbox, in the same transaction as the change it describes.
#[derive(Debug, Clone)]
pub struct DomainEvent {
    pub id: EventId,
    pub tenant_id: TenantId,
    pub topic: Topic,
    pub aggregate_id: String,
    pub payload: serde_json::Value,
}

impl DomainEvent {
    pub fn new(tenant_id: TenantId, event: Event) -> Self {
        Self {
            id: EventId::new(),
            tenant_id,
            topic: event.topic(),
            aggregate_id: event.facts().aggregate_id(),
            payload: event.to_payload(),
        }
    }

    /// The resource type, as stored in the outbox's `aggregate_type`.
    pub fn aggregate_type(&self) -> &'static str {
        self.topic.resource()
    }
}

#[cfg(test)]
mod tests;
