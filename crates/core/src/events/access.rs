//! Payloads of tenants, users, API keys and authorization rules.

use super::{Payload, Topic, ex_id as id, ex_time as at};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCreated {
    pub tenant_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    /// `mvno` or `reseller`.
    pub kind: String,
    pub status: String,
}

facts!(TenantCreated {
    aggregate: tenant_id
});

impl Payload for TenantCreated {
    fn example(_: Topic) -> Self {
        Self {
            tenant_id: id(1),
            parent_id: Some(id(2)),
            slug: "kansai-connect".into(),
            name: "Kansai Connect".into(),
            kind: "reseller".into(),
            status: "active".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatusChanged {
    pub tenant_id: Uuid,
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub reason: String,
}

facts!(TenantStatusChanged {
    aggregate: tenant_id
});

impl Payload for TenantStatusChanged {
    fn example(topic: Topic) -> Self {
        let suspended = topic == Topic::TenantSuspended;
        Self {
            tenant_id: id(1),
            slug: "kansai-connect".into(),
            name: "Kansai Connect".into(),
            status: if suspended { "suspended" } else { "active" }.into(),
            reason: if suspended {
                "unpaid platform fees"
            } else {
                "fees paid"
            }
            .into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantUpdated {
    pub tenant_id: Uuid,
    pub slug: String,
    pub name: String,
    /// The tenant's own setting overrides, as `tenantUpdate` takes them (the rest inherit).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The names of the settings whose override changed.
    pub changed_settings: Vec<String>,
}

facts!(TenantUpdated {
    aggregate: tenant_id
});

impl Payload for TenantUpdated {
    fn example(_: Topic) -> Self {
        let mut settings = serde_json::Map::new();
        settings.insert("locale".into(), serde_json::json!("en"));
        Self {
            tenant_id: id(1),
            slug: "kansai-connect".into(),
            name: "Kansai Connect".into(),
            settings,
            changed_settings: vec!["locale".into()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserChanged {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// For self-service users: the customer they belong to.
    pub customer_id: Option<Uuid>,
    /// For a line's users: the line.
    pub line_id: Option<Uuid>,
    /// The language of the user's messages (`ja`, `en`); null: the tenant's.
    pub locale: Option<String>,
}

facts!(UserChanged { aggregate: user_id });

impl Payload for UserChanged {
    fn example(_: Topic) -> Self {
        Self {
            user_id: id(3),
            email: "sato@sakura-mobile.example".into(),
            display_name: "佐藤 健".into(),
            roles: vec!["support".into()],
            status: "active".into(),
            customer_id: Some(id(4)),
            line_id: Some(id(5)),
            locale: Some("en".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyChanged {
    pub api_key_id: Uuid,
    pub name: String,
    pub roles: Vec<String>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

facts!(ApiKeyChanged {
    aggregate: api_key_id
});

impl Payload for ApiKeyChanged {
    fn example(topic: Topic) -> Self {
        Self {
            api_key_id: id(6),
            name: "billing export".into(),
            roles: vec!["billing".into()],
            created_by: "admin@sakura-mobile.example".into(),
            expires_at: Some(at(9)),
            revoked_at: (topic == Topic::ApiKeyRevoked).then(|| at(10)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChanged {
    pub policy_id: Uuid,
    /// `added` or `removed`.
    pub change: String,
    /// `p` (a permission) or `g` (a role grant).
    pub ptype: String,
    pub subject: String,
    pub object: String,
    pub action: String,
    /// `allow` or `deny`.
    pub effect: String,
}

facts!(PolicyChanged {
    aggregate: policy_id
});

impl Payload for PolicyChanged {
    fn example(_: Topic) -> Self {
        Self {
            policy_id: id(7),
            change: "added".into(),
            ptype: "p".into(),
            subject: "support".into(),
            object: "line".into(),
            action: "suspend".into(),
            effect: "deny".into(),
        }
    }
}
