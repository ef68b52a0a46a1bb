//! E-mail by SMTP (lettre), with provider failover: the providers are tried in order until
//! one accepts the message; a permanent rejection (5xx, e.g. unknown mailbox) ends the
//! attempt. Messages are plain UTF-8 text in the recipient's language, marked as
//! auto-generated, with the event id for support.

use super::Outcome;
use crate::HubConfig;
use crate::store::Delivery;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct EmailChannel {
    from: Mailbox,
    providers: Vec<(String, AsyncSmtpTransport<Tokio1Executor>)>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.providers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("EmailChannel")
            .field("providers", &names)
            .finish()
    }
}

impl EmailChannel {
    pub fn new(cfg: &HubConfig) -> anyhow::Result<Self> {
        let from: Mailbox = cfg
            .email_from
            .parse()
            .map_err(|e| anyhow::anyhow!("hub.email_from: {e}"))?;
        let mut providers = Vec::new();
        for url in cfg
            .smtp_urls
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| anyhow::anyhow!("hub.smtp_urls: invalid SMTP URL: {e}"))?
                .timeout(Some(Duration::from_secs(cfg.smtp_timeout_secs)))
                .build();
            let name = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
                .unwrap_or_else(|| "smtp".into());
            providers.push((name, t));
        }
        Ok(Self { from, providers })
    }

    pub fn message(&self, d: &Delivery) -> Result<Message, String> {
        let to: Mailbox = d
            .recipient
            .parse()
            .map_err(|e| format!("recipient {:?} is not an address: {e}", d.recipient))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(d.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Tsunagi-Event"),
                d.event_id.to_string(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Tsunagi-Topic"),
                d.topic.clone(),
            ));
        if let Some(l) = &d.locale {
            b = b.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                l.clone(),
            ));
        }
        if d.critical {
            b = b.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Importance"),
                "high".into(),
            ));
        }
        b.body(d.body.clone()).map_err(|e| e.to_string())
    }

    pub async fn send(&self, d: &Delivery) -> Outcome {
        if self.providers.is_empty() {
            return Outcome::Retry {
                error: "no SMTP provider configured (hub.smtp_urls)".into(),
                code: None,
                retry_after: None,
            };
        }
        let msg = match self.message(d) {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Permanent {
                    error: e,
                    code: None,
                    gone: false,
                };
            }
        };
        let mut errors = Vec::new();
        for (name, t) in &self.providers {
            match t.send(msg.clone()).await {
                Ok(r) => {
                    return Outcome::Delivered {
                        provider: Some(name.clone()),
                        code: Some(u16::from(r.code())),
                    };
                }
                Err(e) if e.is_permanent() => {
                    return Outcome::Permanent {
                        error: format!("{name}: {e}"),
                        code: e.status().map(u16::from),
                        gone: false,
                    };
                }
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        Outcome::Retry {
            error: errors.join("; "),
            code: None,
            retry_after: None,
        }
    }
}
