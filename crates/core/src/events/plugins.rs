//! Payloads of tenant plugins: versions, fixture sets, what is in force at a hook.

use super::{Payload, Topic, ex_id as id};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginVersionChanged {
    pub version_id: Uuid,
    pub plugin: String,
    pub version: String,
    /// `pricing`, `commission` or `channel`.
    pub world: String,
    /// SHA-256 of the component.
    pub digest: String,
    pub size_bytes: i64,
    /// Revision of the manifest (1 at upload).
    pub manifest_revision: i32,
    /// Names of the sealed secrets (never their values).
    pub secret_keys: Vec<String>,
}

facts!(PluginVersionChanged {
    aggregate: version_id
});

impl Payload for PluginVersionChanged {
    fn example(topic: Topic) -> Self {
        Self {
            version_id: id(80),
            plugin: "volume-discount".into(),
            version: "1.2.0".into(),
            world: "pricing".into(),
            digest: "9f2c…".into(),
            size_bytes: 44_210,
            manifest_revision: if topic == Topic::PluginManifestChanged {
                2
            } else {
                1
            },
            secret_keys: vec!["api_token".into()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginFixtureSetChanged {
    pub fixture_set_id: Uuid,
    pub name: String,
    pub world: String,
    pub inputs: i64,
}

facts!(PluginFixtureSetChanged {
    aggregate: fixture_set_id
});

impl Payload for PluginFixtureSetChanged {
    fn example(_: Topic) -> Self {
        Self {
            fixture_set_id: id(81),
            name: "November edge cases".into(),
            world: "pricing".into(),
            inputs: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginHookChanged {
    /// `pricing`, `commission` or `channel:<name>`.
    pub hook: String,
    /// The version in force now (null: the built-in behaviour).
    pub version_id: Option<Uuid>,
    pub previous_version_id: Option<Uuid>,
    /// `active` or `disabled`.
    pub status: String,
    pub changed_by: String,
    pub approval_id: Option<Uuid>,
    pub reason: Option<String>,
}

facts!(PluginHookChanged { aggregate: hook });

impl Payload for PluginHookChanged {
    fn example(topic: Topic) -> Self {
        let disabled = topic == Topic::PluginDisabled;
        Self {
            hook: "pricing".into(),
            version_id: (!disabled).then(|| id(80)),
            previous_version_id: Some(id(82)),
            status: if disabled { "disabled" } else { "active" }.into(),
            changed_by: "admin@sakura-mobile.example".into(),
            approval_id: Some(id(60)),
            reason: Some("November volume discount".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginHookPolicyChanged {
    /// A hook, or `channel:*` for every channel.
    pub hook: String,
    pub resellers_may_replace: bool,
}

facts!(PluginHookPolicyChanged { aggregate: hook });

impl Payload for PluginHookPolicyChanged {
    fn example(_: Topic) -> Self {
        Self {
            hook: "channel:*".into(),
            resellers_may_replace: true,
        }
    }
}
