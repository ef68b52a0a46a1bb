//! Channel plugins: a delivery on `plugin:<name>` runs the plugin the tenant has in force at
//! hook `channel:<name>` (its own, or its MVNO's) with the rendered message. The plugin's
//! only way out is the host's HTTP import, through the same SSRF-guarded client as
//! webhooks, and only to the hosts its manifest allows. The plugin's answer maps onto the
//! hub's outcomes; a sandbox failure is permanent unless it is a timeout (the rule's
//! fallback channel then takes over).

use super::Outcome;
use crate::ssrf::{Guard, guarded_client};
use crate::store::Delivery;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tsunagi_core::TenantId;
use tsunagi_registry::host::bindings::channel::tsunagi::plugins::channel_types::{
    Delivery as PluginDelivery, Notification, Recipient,
};
use tsunagi_registry::host::http::UrlCheck;
use tsunagi_registry::host::{Egress, Failure};
use tsunagi_registry::{Hook, Registry, Source};

pub struct PluginChannel {
    registry: Registry,
    egress: Egress,
}

impl std::fmt::Debug for PluginChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PluginChannel")
    }
}

/// How channel plugins reach the network: the SSRF-guarded client and the guard's check of
/// IP-literal URLs (the CLI's `tsunagi plugin test` uses the same).
pub fn egress(guard: Arc<Guard>, timeout: Duration) -> anyhow::Result<Egress> {
    let client = guarded_client(guard.clone(), timeout, "Tsunagi-Plugins/1")?;
    let check: UrlCheck = Arc::new(move |u: &str| guard.check_literal(u));
    Ok(Egress {
        client,
        check: Some(check),
    })
}

impl PluginChannel {
    pub fn new(registry: Registry, guard: Arc<Guard>, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            registry,
            egress: egress(guard, timeout)?,
        })
    }

    /// Delivers through the tenant's plugin; `data` is the event's payload.
    pub async fn send(&self, d: &Delivery, data: &Value) -> Outcome {
        let Some(hook) = Hook::for_channel(&d.channel) else {
            return permanent(format!("{} is not a plugin channel", d.channel));
        };
        let n = Notification {
            tenant: d.tenant_id.to_string(),
            event_id: d.event_id.to_string(),
            topic: d.topic.clone(),
            critical: d.critical,
            subject: d.subject.clone(),
            body: d.body.clone(),
            data: data.to_string(),
            recipient: Recipient {
                address: d.recipient.clone(),
                name: None,
                locale: d.locale.clone().unwrap_or_else(|| "ja".into()),
            },
            config: Vec::new(),
        };
        let r = self
            .registry
            .deliver(TenantId::from(d.tenant_id), &hook, self.egress.clone(), n)
            .await;
        match r {
            Err(e) => Outcome::Retry {
                error: format!("plugin registry: {}", e.public_message()),
                code: None,
                retry_after: None,
            },
            Ok(None) => permanent(format!("no plugin is active at hook {hook}")),
            Ok(Some((source, out))) => match out.result {
                Ok(PluginDelivery::Delivered(id)) => Outcome::Delivered {
                    provider: id.or_else(|| Some(label(&source))),
                    code: None,
                },
                Ok(PluginDelivery::Retryable(error)) => Outcome::Retry {
                    error,
                    code: None,
                    retry_after: None,
                },
                Ok(PluginDelivery::Permanent(error)) => permanent(error),
                Err(e) if matches!(e.failure, Failure::Timeout { .. }) => Outcome::Retry {
                    error: e.to_string(),
                    code: None,
                    retry_after: None,
                },
                Err(e) => permanent(e.to_string()),
            },
        }
    }
}

fn label(s: &Source) -> String {
    match s {
        Source::Plugin { name, version, .. } => format!("plugin {name} {version}"),
        Source::BuiltIn => "built-in".into(),
    }
}

fn permanent(error: String) -> Outcome {
    Outcome::Permanent {
        error,
        code: None,
        gone: false,
    }
}
