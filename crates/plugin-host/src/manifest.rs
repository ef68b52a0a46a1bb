//! A plugin's manifest: the sandbox as a reviewable document — which world it implements,
//! its resource limits (within the platform's maxima), its config values and secrets, and
//! for channel plugins the hosts it may reach.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The interface versions this host implements. A new minor version is added here and the
/// previous one stays supported.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum World {
    Pricing,
    Commission,
    Channel,
}

impl World {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pricing" => Some(Self::Pricing),
            "commission" => Some(Self::Commission),
            "channel" => Some(Self::Channel),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Pricing => "pricing",
            Self::Commission => "commission",
            Self::Channel => "channel",
        }
    }
}

/// Resource limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Fuel: roughly one unit per WebAssembly instruction executed.
    pub fuel: u64,
    pub memory_bytes: u64,
    /// Wall time of a call, host HTTP requests included.
    pub timeout_ms: u64,
    pub input_bytes: usize,
    pub output_bytes: usize,
    /// Channel plugins: requests per call, bytes per request/response body, time per request.
    pub http_requests: u32,
    pub http_bytes: usize,
    pub http_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 50_000_000,
            memory_bytes: 32 << 20,
            timeout_ms: 2_000,
            input_bytes: 128 << 10,
            output_bytes: 20 << 10,
            http_requests: 3,
            http_bytes: 256 << 10,
            http_timeout_ms: 5_000,
        }
    }
}

impl Limits {
    /// The platform's maxima: a manifest may ask for less or more than the defaults, never
    /// more than this.
    pub fn platform_max() -> Self {
        Self {
            fuel: 2_000_000_000,
            memory_bytes: 256 << 20,
            timeout_ms: 30_000,
            input_bytes: 4 << 20,
            output_bytes: 1 << 20,
            http_requests: 10,
            http_bytes: 4 << 20,
            http_timeout_ms: 15_000,
        }
    }

    /// Errors name the field (`limits.fuel`) and the maximum.
    pub fn check(&self, max: &Self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        let mut over = |field: &str, v: u64, m: u64| {
            if v == 0 {
                errs.push((format!("limits.{field}"), "must be greater than 0".into()));
            } else if v > m {
                errs.push((
                    format!("limits.{field}"),
                    format!("{v} exceeds the platform maximum {m}"),
                ));
            }
        };
        over("fuel", self.fuel, max.fuel);
        over("memory_bytes", self.memory_bytes, max.memory_bytes);
        over("timeout_ms", self.timeout_ms, max.timeout_ms);
        over(
            "input_bytes",
            self.input_bytes as u64,
            max.input_bytes as u64,
        );
        over(
            "output_bytes",
            self.output_bytes as u64,
            max.output_bytes as u64,
        );
        over(
            "http_requests",
            u64::from(self.http_requests),
            u64::from(max.http_requests),
        );
        over("http_bytes", self.http_bytes as u64, max.http_bytes as u64);
        over("http_timeout_ms", self.http_timeout_ms, max.http_timeout_ms);
        errs
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Manifest {
    pub limits: Limits,
    /// Settings passed to the plugin in its input (`config`).
    pub config: BTreeMap<String, String>,
    /// Passed like config, never logged, redacted from samples and shown to nobody.
    #[serde(skip_serializing)]
    pub secrets: BTreeMap<String, String>,
    /// Channel plugins: hosts (`chat.example.com` or `chat.example.com:8443`) the HTTP
    /// import may reach. Empty: no outbound requests.
    pub allowed_hosts: Vec<String>,
}

impl Manifest {
    pub fn validate(&self, world: World, max: &Limits) -> Vec<(String, String)> {
        let mut errs = self.limits.check(max);
        for k in self.config.keys().chain(self.secrets.keys()) {
            if k.is_empty()
                || k.len() > 64
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                errs.push((
                    "config".into(),
                    format!("key {k:?}: 1–64 letters, digits, '_' or '-'"),
                ));
            }
        }
        if let Some(k) = self.config.keys().find(|k| self.secrets.contains_key(*k)) {
            errs.push((
                "secrets".into(),
                format!("{k:?} is both a config value and a secret"),
            ));
        }
        if world != World::Channel && !self.allowed_hosts.is_empty() {
            errs.push((
                "allowed_hosts".into(),
                format!(
                    "only channel plugins make requests; the {} world has no HTTP import",
                    world.name()
                ),
            ));
        }
        for h in &self.allowed_hosts {
            if !valid_host(h) {
                errs.push((
                    "allowed_hosts".into(),
                    format!("{h:?} is not a host name or host:port"),
                ));
            }
        }
        errs
    }

    /// Config and secrets as the plugin receives them.
    pub fn settings(&self) -> Vec<crate::bindings::Setting> {
        self.config
            .iter()
            .chain(self.secrets.iter())
            .map(|(k, v)| crate::bindings::Setting {
                key: k.clone(),
                value: v.clone(),
            })
            .collect()
    }
}

fn valid_host(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (h, None),
    };
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_against_the_platform_maxima_by_field() {
        let mut m = Manifest::default();
        m.limits.fuel = u64::MAX;
        m.limits.output_bytes = 0;
        let errs = m.validate(World::Pricing, &Limits::platform_max());
        assert!(
            errs.iter()
                .any(|(f, why)| f == "limits.fuel" && why.contains("maximum"))
        );
        assert!(errs.iter().any(|(f, _)| f == "limits.output_bytes"));
    }

    #[test]
    fn only_channel_plugins_get_hosts() {
        let m = Manifest {
            allowed_hosts: vec!["chat.example.com".into()],
            ..Manifest::default()
        };
        assert!(
            m.validate(World::Channel, &Limits::platform_max())
                .is_empty()
        );
        assert_eq!(
            m.validate(World::Pricing, &Limits::platform_max())[0].0,
            "allowed_hosts"
        );
        let bad = Manifest {
            allowed_hosts: vec!["http://x/".into(), "h:0".into()],
            ..Manifest::default()
        };
        assert_eq!(
            bad.validate(World::Channel, &Limits::platform_max()).len(),
            2
        );
    }

    #[test]
    fn secrets_are_not_serialised() {
        let mut m = Manifest::default();
        m.secrets.insert("token".into(), "s3cret".into());
        assert!(!serde_json::to_string(&m).expect("json").contains("s3cret"));
    }
}
