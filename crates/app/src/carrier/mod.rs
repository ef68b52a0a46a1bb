//! The carrier, connected. A tenant configures its carrier (`settings`); carrier steps
//! (provisioning jobs, written in the order's transaction by `orders`) are then taken by
//! the workers (`worker`): each call carries the job's idempotency key, failures retry on
//! a schedule with jitter, an unknown outcome (a timeout) is first settled by asking the
//! carrier for the line's status (the janitor), and a job whose tries run out parks and
//! sends its line to review with a critical event. The carrier's own messages arrive as
//! signed callbacks (`callbacks`). With an SM-DP+ set, an eSIM line's profile is ordered,
//! confirmed, cancelled and released there (`esim`), and the SM-DP+'s signed download
//! notices move it (`notices`). The carrier's usage records are pulled from its feed into
//! the usage intake (`usage_feed`). What a step's answer does to the line, contract and order
//! stays in `orders::carrier`, shared with the manual path (`carrierReport`, review).

pub mod callbacks;
pub mod esim;
pub mod jobs;
pub mod notices;
pub mod reconcile;
pub mod rules;
pub mod settings;
pub mod usage_feed;
pub mod worker;

use serde::Deserialize;
use std::time::Duration;

/// `[carrier]`: the workers' schedule and the SSRF allowlist for carrier endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CarrierConfig {
    /// Private/loopback carrier endpoints allowed, e.g. ["10.20.0.0/16"] (the simulator in
    /// development: ["127.0.0.1/32"]).
    pub allow_private: Vec<String>,
    /// Delay before each further try after a refused connection or 5xx (seconds); a job
    /// gets one try more than entries before it parks and its line goes to review.
    pub retry_schedule_secs: Vec<f64>,
    /// Delay before asking the carrier for the line's status after an unknown outcome,
    /// indexed like the retries.
    pub status_schedule_secs: Vec<f64>,
    /// Multiplies every delay (tests and demos shorten them).
    pub retry_scale: f64,
    /// Random spread of each delay, ± this share (0–1).
    pub jitter: f64,
    /// Jobs claimed per round, and carrier calls in flight at once per worker.
    pub batch: i32,
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs.
    pub poll_ms: u64,
    /// How long a claimed job is the claimer's; past it, another worker asks the carrier
    /// what happened and carries on.
    pub lease_secs: f64,
    /// How old a callback's timestamp may be (either way) before it is refused.
    pub callback_tolerance_secs: i64,
    /// Minutes between scheduled reconciliation runs of every tenant with a carrier (0: off).
    pub reconcile_every_mins: u64,
    /// Milliseconds between readings of every connected carrier's usage feed (0: off).
    pub usage_poll_ms: u64,
}

impl Default for CarrierConfig {
    fn default() -> Self {
        Self {
            allow_private: vec![],
            retry_schedule_secs: vec![2.0, 10.0, 30.0, 120.0, 600.0, 1800.0],
            status_schedule_secs: vec![5.0, 15.0, 60.0, 300.0, 900.0, 1800.0],
            retry_scale: 1.0,
            jitter: 0.2,
            batch: 64,
            concurrency: 32,
            poll_ms: 200,
            lease_secs: 120.0,
            callback_tolerance_secs: 300,
            reconcile_every_mins: 60,
            usage_poll_ms: 60_000,
        }
    }
}

impl CarrierConfig {
    /// Calls a job may make before it parks (commands and status questions that did not
    /// settle it).
    pub fn max_tries(&self) -> i32 {
        self.retry_schedule_secs.len() as i32 + 1
    }

    /// The delay before the next step after `tries` unsettled calls, with jitter.
    pub fn delay(&self, status: bool, tries: i32) -> Duration {
        let s = if status {
            &self.status_schedule_secs
        } else {
            &self.retry_schedule_secs
        };
        let i = (tries.max(1) as usize - 1).min(s.len().saturating_sub(1));
        let base = s.get(i).copied().unwrap_or(1.0) * self.retry_scale;
        let spread = 1.0 + self.jitter * (2.0 * rand::random::<f64>() - 1.0);
        Duration::from_secs_f64((base * spread).max(0.0))
    }

    /// Problems with the settings, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if self.retry_schedule_secs.is_empty() || self.status_schedule_secs.is_empty() {
            errs.push(
                "carrier.retry_schedule_secs/status_schedule_secs: need at least one entry".into(),
            );
        }
        let all = self
            .retry_schedule_secs
            .iter()
            .chain(&self.status_schedule_secs);
        if all.clone().any(|s| *s < 0.0) || self.retry_scale <= 0.0 {
            errs.push("carrier.*_schedule_secs/retry_scale: must not be negative".into());
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            errs.push("carrier.jitter: between 0 and 1".into());
        }
        if self.batch < 1 || self.concurrency < 1 || self.lease_secs < 1.0 {
            errs.push("carrier.batch/concurrency/lease_secs: at least 1".into());
        }
        errs
    }
}

/// The carrier's form of a number we keep as digits.
pub(crate) fn plus(msisdn: &str) -> String {
    format!("+{}", msisdn.trim_start_matches('+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_schedule_within_the_jitter() {
        let c = CarrierConfig::default();
        for _ in 0..200 {
            let d = c.delay(false, 1).as_secs_f64();
            assert!((1.6..=2.4).contains(&d), "{d}");
            let d = c.delay(true, 3).as_secs_f64();
            assert!((48.0..=72.0).contains(&d), "{d}");
            // Past the end of the schedule, the last entry.
            let d = c.delay(false, 40).as_secs_f64();
            assert!((1440.0..=2160.0).contains(&d), "{d}");
        }
        assert_eq!(c.max_tries(), 7);
        let fast = CarrierConfig {
            retry_scale: 0.001,
            jitter: 0.0,
            ..c
        };
        assert_eq!(fast.delay(false, 2), Duration::from_millis(10));
    }

    #[test]
    fn bad_settings_are_named() {
        let c = CarrierConfig {
            retry_schedule_secs: vec![],
            jitter: 2.0,
            ..CarrierConfig::default()
        };
        let p = c.problems().join("\n");
        assert!(p.contains("carrier.retry_schedule_secs"), "{p}");
        assert!(p.contains("carrier.jitter"), "{p}");
    }
}
