//! Webhooks: a POST of the TMF688-shaped event, signed per Standard Webhooks with every
//! secret in force, through a client whose resolver applies the SSRF guard. 2xx is
//! delivered; 410 disables the endpoint; 429/5xx (and everything else) are retried, after
//! `Retry-After` when the receiver sends one.

use super::Outcome;
use crate::ssrf::{Guard, guarded_client};
use crate::store::Delivery;
use crate::{HubConfig, signing};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// An endpoint's URL and the keys currently signing its messages.
#[derive(Debug, Clone)]
pub struct EndpointKeys {
    pub id: Uuid,
    pub url: String,
    pub enabled: bool,
    pub keys: Vec<Vec<u8>>,
}

#[derive(Debug)]
pub struct WebhookChannel {
    client: reqwest::Client,
    guard: Arc<Guard>,
}

impl WebhookChannel {
    pub fn new(cfg: &HubConfig, guard: Arc<Guard>) -> anyhow::Result<Self> {
        let client = guarded_client(
            guard.clone(),
            Duration::from_millis(cfg.webhook_timeout_ms),
            "Tsunagi-Webhooks/1",
        )?;
        Ok(Self { client, guard })
    }

    pub async fn send(&self, d: &Delivery, ep: Option<&EndpointKeys>) -> Outcome {
        let Some(ep) = ep.filter(|e| e.enabled) else {
            return Outcome::Permanent {
                error: "endpoint disabled or deleted".into(),
                code: None,
                gone: false,
            };
        };
        if let Err(error) = self.guard.check_literal(&ep.url) {
            return Outcome::Permanent {
                error,
                code: None,
                gone: false,
            };
        }
        let msg_id = format!("msg_{}", d.event_id.simple());
        let ts = chrono::Utc::now().timestamp();
        let sig = signing::signature_header(&ep.keys, &msg_id, ts, d.body.as_bytes());
        let r = self
            .client
            .post(&ep.url)
            .header("content-type", "application/json")
            .header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(d.body.clone())
            .send()
            .await;
        match r {
            Ok(resp) => {
                let code = resp.status().as_u16();
                if resp.status().is_success() {
                    return Outcome::Delivered {
                        provider: None,
                        code: Some(code),
                    };
                }
                if code == 410 {
                    return Outcome::Permanent {
                        error: "410 Gone".into(),
                        code: Some(code),
                        gone: true,
                    };
                }
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Outcome::Retry {
                    error: format!("HTTP {code}"),
                    code: Some(code),
                    retry_after,
                }
            }
            Err(e) => {
                let text = error_chain(&e);
                if text.contains("SSRF guard") {
                    Outcome::Permanent {
                        error: text,
                        code: None,
                        gone: false,
                    }
                } else {
                    Outcome::Retry {
                        error: text,
                        code: None,
                        retry_after: None,
                    }
                }
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
