//! Delivery channels. Each attempt ends in one `Outcome`; the dispatcher turns it into the
//! delivery's next state. Console alerts are delivered when they are planned (a NOTIFY in
//! the planning transaction) and never reach a channel here.

pub mod email;
pub mod mail;
pub mod plugin;
pub mod smtp_pin;
pub mod webhook;

use crate::HubConfig;
use crate::ssrf::Guard;
use crate::store::Delivery;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered {
        provider: Option<String>,
        code: Option<u16>,
    },
    /// Try again on the schedule (not before `retry_after` when the receiver asked).
    Retry {
        error: String,
        code: Option<u16>,
        retry_after: Option<Duration>,
    },
    /// Do not try again. `gone`: the endpoint said 410 and is disabled.
    Permanent {
        error: String,
        code: Option<u16>,
        gone: bool,
    },
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Delivered { .. } => "delivered",
            Self::Retry { .. } => "retryable",
            Self::Permanent { .. } => "permanent",
        }
    }
}

#[derive(Debug)]
pub struct Channels {
    pub webhook: webhook::WebhookChannel,
    pub email: email::EmailChannel,
    /// Present when the process runs tenant plugins.
    pub plugin: Option<plugin::PluginChannel>,
}

impl Channels {
    pub fn new(
        cfg: &HubConfig,
        guard: Arc<Guard>,
        plugins: Option<tsunagi_registry::Registry>,
        key: tsunagi_core::crypto::DataKey,
        db: tsunagi_db::Db,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(cfg.webhook_timeout_ms);
        Ok(Self {
            plugin: plugins
                .map(|r| plugin::PluginChannel::new(r, guard.clone(), timeout))
                .transpose()?,
            webhook: webhook::WebhookChannel::new(cfg, guard.clone())?,
            email: email::EmailChannel::new(cfg, key, db, guard.clone())?,
        })
    }

    /// One attempt. `data` is the event's payload (channel plugins receive it).
    pub async fn send(
        &self,
        d: &Delivery,
        endpoint: Option<&webhook::EndpointKeys>,
        data: Option<&serde_json::Value>,
    ) -> Outcome {
        match d.channel.as_str() {
            "webhook" => self.webhook.send(d, endpoint).await,
            "email" => self.email.send(d).await,
            c if c.starts_with("plugin:") => match &self.plugin {
                Some(p) => p.send(d, data.unwrap_or(&serde_json::Value::Null)).await,
                None => Outcome::Retry {
                    error: "this worker does not run channel plugins".into(),
                    code: None,
                    retry_after: None,
                },
            },
            other => Outcome::Permanent {
                error: format!("channel {other} is not attempted by the dispatcher"),
                code: None,
                gone: false,
            },
        }
    }
}
