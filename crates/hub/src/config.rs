//! The hub's settings (the `[hub]` section of the server configuration). Every time is
//! configurable, and `retry_scale` compresses the whole retry schedule for tests.

use serde::Deserialize;
use std::time::Duration;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// Whether `tsunagi worker` runs the hub (relay, consumers, dispatcher).
    pub enabled: bool,
    /// The Redis stream events are relayed to, and the consumer group reading it.
    pub stream: String,
    pub group: String,
    /// Approximate bound on the stream's length (XADD MAXLEN ~). Entries trimmed unread are
    /// published again from PostgreSQL after `republish_after_secs`.
    pub stream_maxlen: usize,
    pub relay_batch: i32,
    /// The relay wakes on each outbox commit (LISTEN/NOTIFY) and polls at least this often
    /// anyway: a wake-up lost or held up (seen over TLS) costs at most this much latency.
    pub relay_poll_ms: u64,
    pub consumer_batch: usize,
    /// Consumer tasks per worker process.
    pub consumers: usize,
    pub block_ms: usize,
    /// A pending entry idle this long belonged to a dead consumer and is claimed by another.
    pub reclaim_idle_ms: u64,
    pub republish_after_secs: u64,
    /// Delay before each attempt: the first is immediate. After the last, the delivery
    /// fails (dead letter, replayable). Svix's schedule by default.
    pub retry_schedule_secs: Vec<f64>,
    /// Multiplies every delay of the schedule (1.0 in production; tests compress it).
    pub retry_scale: f64,
    /// Upper bound for a receiver's `Retry-After`.
    pub max_retry_after_secs: u64,
    /// How long a claimed attempt is reserved before another worker may take it.
    pub lease_secs: u64,
    pub dispatch_interval_ms: u64,
    /// Sends in flight per worker process.
    pub concurrency: usize,
    /// Non-critical digestible alerts (quota thresholds) for one recipient within this
    /// window go out as one message.
    pub digest_window_secs: u64,
    /// An endpoint failing without a success for this long is disabled (with an alert).
    pub endpoint_disable_after_secs: u64,
    pub webhook_timeout_ms: u64,
    /// Private, loopback or link-local webhook destinations are refused unless listed
    /// here, as addresses or CIDR blocks (e.g. `127.0.0.1/32`).
    pub allow_private: Vec<String>,
    /// Base URL of the customer portal, used in the links of messages.
    pub portal_url: String,
    /// Sender address of e-mail.
    pub email_from: String,
    /// SMTP providers tried in order (failover), comma-separated lettre URLs:
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    pub smtp_urls: String,
    pub smtp_timeout_secs: u64,
    /// The public address of one-click unsubscribe links (`tsunagi serve`'s
    /// `/notifications/unsubscribe`), put in `List-Unsubscribe` of non-critical e-mail.
    pub unsubscribe_url: String,
    /// How long a tenant's own mail settings (sender, DKIM key, SMTP providers) are cached
    /// by a worker before they are read again.
    pub tenant_mail_ttl_secs: u64,
}

impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConfig")
            .field("enabled", &self.enabled)
            .field("stream", &self.stream)
            .field("retry_schedule_secs", &self.retry_schedule_secs)
            .field("retry_scale", &self.retry_scale)
            .field("smtp_urls", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl HubConfig {
    /// The delay before attempt `n` (1-based, so attempt 1 is the first), or None when the
    /// schedule is exhausted.
    pub fn delay_before(&self, n: usize) -> Option<Duration> {
        let secs = *self.retry_schedule_secs.get(n.checked_sub(1)?)?;
        Some(Duration::from_secs_f64((secs * self.retry_scale).max(0.0)))
    }

    pub fn validate(&self, errs: &mut Vec<String>) {
        if self.retry_schedule_secs.is_empty() {
            errs.push("hub.retry_schedule_secs: needs at least one entry".into());
        }
        if self.retry_schedule_secs.iter().any(|s| *s < 0.0) || self.retry_scale <= 0.0 {
            errs.push("hub.retry_schedule_secs/retry_scale: must not be negative".into());
        }
        if self.consumers == 0 || self.concurrency == 0 || self.consumer_batch == 0 {
            errs.push("hub.consumers/concurrency/consumer_batch: must be at least 1".into());
        }
        if !(1..=10_000).contains(&self.relay_poll_ms) {
            errs.push(format!(
                "hub.relay_poll_ms: {} is outside 1..=10000 (milliseconds)",
                self.relay_poll_ms
            ));
        }
        for a in &self.allow_private {
            if crate::ssrf::Cidr::parse(a).is_none() {
                errs.push(format!(
                    "hub.allow_private: {a:?} is not an address or CIDR block"
                ));
            }
        }
        if !self.unsubscribe_url.starts_with("https://")
            && !self.unsubscribe_url.starts_with("http://")
        {
            errs.push(format!(
                "hub.unsubscribe_url: {:?} is not an http(s) URL",
                self.unsubscribe_url
            ));
        }
        if self.email_from.parse::<lettre::message::Mailbox>().is_err() {
            errs.push(format!(
                "hub.email_from: {:?} is not an e-mail address",
                self.email_from
            ));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> HubConfig {
        HubConfig {
            enabled: true,
            stream: "t:events".into(),
            group: "hub".into(),
            stream_maxlen: 1000,
            relay_batch: 100,
            relay_poll_ms: 50,
            consumer_batch: 100,
            consumers: 1,
            block_ms: 100,
            reclaim_idle_ms: 1000,
            republish_after_secs: 60,
            retry_schedule_secs: vec![0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
            retry_scale: 1.0,
            max_retry_after_secs: 86400,
            lease_secs: 30,
            dispatch_interval_ms: 100,
            concurrency: 8,
            digest_window_secs: 60,
            endpoint_disable_after_secs: 3600,
            webhook_timeout_ms: 1000,
            allow_private: vec![],
            portal_url: "https://portal.example".into(),
            email_from: "Tsunagi <noreply@tsunagi.example>".into(),
            smtp_urls: String::new(),
            smtp_timeout_secs: 5,
            unsubscribe_url: "https://api.example/notifications/unsubscribe".into(),
            tenant_mail_ttl_secs: 30,
        }
    }

    #[test]
    fn schedule_is_scaled_and_ends() {
        let mut c = sample();
        assert_eq!(c.delay_before(1), Some(Duration::ZERO));
        assert_eq!(c.delay_before(2), Some(Duration::from_secs(5)));
        assert_eq!(c.delay_before(9), None);
        c.retry_scale = 0.01;
        assert_eq!(c.delay_before(3), Some(Duration::from_secs(3)));
    }

    #[test]
    fn validation_names_the_key() {
        let mut errs = Vec::new();
        sample().validate(&mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        let mut c = sample();
        c.relay_poll_ms = 0;
        c.consumers = 0;
        c.allow_private = vec!["not-a-cidr".into()];
        c.validate(&mut errs);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("hub.consumers"), "{errs:?}");
        assert!(
            errs[1].starts_with("hub.relay_poll_ms: 0 is outside"),
            "{errs:?}"
        );
        assert!(errs[2].starts_with("hub.allow_private"), "{errs:?}");
    }
}
