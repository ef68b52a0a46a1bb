//! Delivery channels. Each attempt ends in one `Outcome`; the dispatcher turns it into the
//! delivery's next state. Console alerts are delivered when they are planned (a NOTIFY in
//! the planning transaction) and never reach a channel here.

pub mod email;
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
}

impl Channels {
    pub fn new(cfg: &HubConfig, guard: Arc<Guard>) -> anyhow::Result<Self> {
        Ok(Self {
            webhook: webhook::WebhookChannel::new(cfg, guard)?,
            email: email::EmailChannel::new(cfg)?,
        })
    }

    pub async fn send(&self, d: &Delivery, endpoint: Option<&webhook::EndpointKeys>) -> Outcome {
        match d.channel.as_str() {
            "webhook" => self.webhook.send(d, endpoint).await,
            "email" => self.email.send(d).await,
            other => Outcome::Permanent {
                error: format!("channel {other} is not attempted by the dispatcher"),
                code: None,
                gone: false,
            },
        }
    }
}
