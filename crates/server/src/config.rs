//! Layered configuration: embedded defaults (default.toml) < an optional file < `TSUNAGI_`
//! environment variables (`__` between levels). Validated at start with messages that name
//! the setting; secrets are wrapped so they never reach a log.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use tsunagi_app::{AppConfig, AuthConfig, RateLimitConfig};

const DEFAULTS: &str = include_str!("default.toml");

/// A string that prints as `[redacted]`.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub mode: Mode,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub auth: AuthSection,
    pub secrets: SecretsConfig,
    pub rate_limit: RateLimitConfig,
    pub graphql: GraphqlConfig,
    pub idempotency: IdempotencyConfig,
    pub telemetry: TelemetryConfig,
    pub hub: tsunagi_hub::HubConfig,
    pub plugins: PluginsConfig,
    pub carrier: tsunagi_app::carrier::CarrierConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Precompiled components kept across restarts; empty: compile in memory at each start.
    pub cache_dir: String,
    pub max_concurrent: u32,
    pub sample_size: u32,
    pub max_loaded: usize,
}

impl PluginsConfig {
    fn registry(&self) -> tsunagi_registry::RegistryConfig {
        tsunagi_registry::RegistryConfig {
            cache_dir: (!self.cache_dir.is_empty()).then(|| self.cache_dir.clone().into()),
            max_concurrent: self.max_concurrent.clamp(1, 1024),
            sample_size: self.sample_size.min(10_000),
            max_loaded: self.max_loaded.max(1),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: String,
    /// The built console (`console/dist`), served at `/`; missing: `/` says how to build it.
    pub console_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub admin_url: Secret,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    pub url: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    pub jwt_secret: Secret,
    pub jwt_previous_secrets: Secret,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub lockout_threshold: i32,
    pub lockout_base_secs: u64,
    pub lockout_max_secs: u64,
    pub state_cache_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    pub data_key: Secret,
}

impl SecretsConfig {
    /// The 32-byte data key, or (development only) a fixed, public one.
    fn key_bytes(&self) -> std::result::Result<Vec<u8>, String> {
        use base64::Engine;
        if self.data_key.0.is_empty() {
            return Ok(b"tsunagi-development-only-data-k!".to_vec());
        }
        let b = base64::engine::general_purpose::STANDARD
            .decode(self.data_key.0.trim())
            .map_err(|_| {
                "secrets.data_key: must be base64 (e.g. `openssl rand -base64 32`)".to_owned()
            })?;
        if b.len() != 32 {
            return Err(format!(
                "secrets.data_key: must decode to 32 bytes, got {}",
                b.len()
            ));
        }
        Ok(b)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlConfig {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub introspection: bool,
    /// Customer logins may run only the console's persisted operations.
    pub customer_persisted_only: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencyConfig {
    pub ttl_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    pub otlp_endpoint: String,
    pub service_name: String,
    pub log_format: String,
    pub log_level: String,
}

/// Parses an environment value as a TOML value (number, bool), else takes it as a string.
fn env_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (toml::Value::Integer(_)
                | toml::Value::Boolean(_)
                | toml::Value::Float(_)
                | toml::Value::Array(_)),
            ) => v,
            _ => toml::Value::String(raw.to_owned()),
        },
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl Config {
    /// Loads from the layers. `env` is the process environment (passed in for tests).
    pub fn load(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut table: toml::Table = DEFAULTS.parse().context("embedded defaults")?;
        let env: Vec<(String, String)> = env.into_iter().collect();
        let file = file.map(str::to_owned).or_else(|| {
            env.iter()
                .find(|(k, _)| k == "TSUNAGI_CONFIG")
                .map(|(_, v)| v.clone())
        });
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading config file {path}"))?;
            let over: toml::Table = text
                .parse()
                .with_context(|| format!("parsing config file {path}"))?;
            merge(&mut table, over);
        }
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("TSUNAGI_") else {
                continue;
            };
            if rest == "CONFIG" {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            let known = match path.as_slice() {
                [top] => table.get(top).is_some_and(|v| !v.is_table()),
                [sec, key] => table
                    .get(sec)
                    .and_then(|s| s.as_table())
                    .is_some_and(|s| s.contains_key(key)),
                _ => false,
            };
            if !known {
                eprintln!(
                    "warning: ignoring unknown setting {k} (no such key {})",
                    path.join(".")
                );
                continue;
            }
            let value = env_value(&v);
            match path.as_slice() {
                [top] => {
                    table.insert(top.clone(), value);
                }
                [sec, key] => {
                    if let Some(toml::Value::Table(s)) = table.get_mut(sec) {
                        s.insert(key.clone(), value);
                    }
                }
                _ => {}
            }
        }
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("invalid configuration: {e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn from_env(file: Option<&str>) -> Result<Self> {
        Self::load(file, std::env::vars())
    }

    fn validate(&self) -> Result<()> {
        let mut errs = Vec::new();
        self.hub.validate(&mut errs);
        errs.extend(self.carrier.problems());
        if self.server.listen.parse::<SocketAddr>().is_err() {
            errs.push(format!(
                "server.listen: '{}' is not an address like 0.0.0.0:8080",
                self.server.listen
            ));
        }
        if self.database.url.0.is_empty() {
            errs.push("database.url: must be set (TSUNAGI_DATABASE__URL)".into());
        }
        if self.database.max_connections == 0 {
            errs.push("database.max_connections: must be at least 1".into());
        }
        if !(30..=900).contains(&self.auth.access_ttl_secs) {
            errs.push(
                "auth.access_ttl_secs: must be between 30 and 900 (access tokens are short-lived)"
                    .into(),
            );
        }
        if self.auth.refresh_ttl_secs <= self.auth.access_ttl_secs {
            errs.push("auth.refresh_ttl_secs: must be longer than auth.access_ttl_secs".into());
        }
        if self.auth.lockout_threshold < 1 {
            errs.push("auth.lockout_threshold: must be at least 1".into());
        }
        let secret_len = self.auth.jwt_secret.0.len();
        if secret_len > 0 && secret_len < 32 {
            errs.push("auth.jwt_secret: must be at least 32 bytes".into());
        }
        if let Err(e) = self.secrets.key_bytes() {
            errs.push(e);
        }
        if self.idempotency.ttl_hours < 24 {
            errs.push("idempotency.ttl_hours: must be at least 24".into());
        }
        if !matches!(self.telemetry.log_format.as_str(), "pretty" | "json") {
            errs.push("telemetry.log_format: must be pretty or json".into());
        }
        let r = &self.rate_limit;
        if r.enabled
            && [
                r.tenant_per_second,
                r.tenant_burst,
                r.api_key_per_second,
                r.api_key_burst,
                r.anonymous_per_second,
                r.anonymous_burst,
            ]
            .contains(&0)
        {
            errs.push("rate_limit: every rate and burst must be at least 1 (or set rate_limit.enabled = false)".into());
        }
        if errs.is_empty() {
            Ok(())
        } else {
            bail!("invalid configuration:\n  {}", errs.join("\n  "))
        }
    }

    /// What serving (API, worker, CLI acting on data) needs beyond `load`: a real signing key
    /// in production. `migrate` does not need it.
    pub fn validate_for_serving(&self) -> Result<()> {
        let mut errs = Vec::new();
        if self.mode == Mode::Production {
            if self.auth.jwt_secret.0.is_empty() {
                errs.push("auth.jwt_secret: required in production (TSUNAGI_AUTH__JWT_SECRET, at least 32 bytes)");
            }
            if self.secrets.data_key.0.is_empty() {
                errs.push("secrets.data_key: required in production (TSUNAGI_SECRETS__DATA_KEY, 32 bytes base64)");
            }
            // Links in e-mail reach recipients on the internet: the shipped development
            // addresses would send them to their own machine or to example.com.
            if !public_https(&self.hub.unsubscribe_url) {
                errs.push("hub.unsubscribe_url: in production, the public https address of the unsubscribe page (TSUNAGI_HUB__UNSUBSCRIBE_URL)");
            }
            if !public_https(&self.hub.portal_url) {
                errs.push("hub.portal_url: in production, the public https address of the customer portal (TSUNAGI_HUB__PORTAL_URL)");
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            bail!("invalid configuration:\n  {}", errs.join("\n  "))
        }
    }

    /// The settings the application services read; a development start without a JWT
    /// secret gets a random one (tokens then die with the process).
    pub fn app_config(&self) -> AppConfig {
        let mut keys = Vec::new();
        if self.auth.jwt_secret.0.is_empty() {
            keys.push(tsunagi_app::auth::tokens::secret().into_bytes());
        } else {
            keys.push(self.auth.jwt_secret.0.as_bytes().to_vec());
        }
        keys.extend(
            self.auth
                .jwt_previous_secrets
                .0
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.as_bytes().to_vec()),
        );
        let a = &self.auth;
        AppConfig {
            auth: AuthConfig {
                jwt_secrets: keys,
                access_ttl_secs: a.access_ttl_secs,
                refresh_ttl_secs: a.refresh_ttl_secs,
                lockout_threshold: a.lockout_threshold,
                lockout_base_secs: a.lockout_base_secs,
                lockout_max_secs: a.lockout_max_secs,
                state_cache_secs: a.state_cache_secs,
            },
            rate_limit: self.rate_limit.clone(),
            webhook_allow_private: self.hub.allow_private.clone(),
            portal_url: self.hub.portal_url.clone(),
            plugins: self.plugins.registry(),
            carrier: self.carrier.clone(),
            data_key: self
                .secrets
                .key_bytes()
                .ok()
                .and_then(|k| tsunagi_app::crypto::DataKey::new(&k).ok()),
        }
    }
}

/// An https URL whose host is a public name or address: not an internal address (the SSRF
/// guard's rule), `localhost` or a reserved `.example`/`.test`/`.invalid`/`.local` name.
fn public_https(raw: &str) -> bool {
    use tsunagi_hub::ssrf::is_internal;
    let Ok(u) = url::Url::parse(raw.trim()) else {
        return false;
    };
    if u.scheme() != "https" {
        return false;
    }
    match u.host() {
        Some(url::Host::Ipv4(a)) => !is_internal(a.into()),
        Some(url::Host::Ipv6(a)) => !is_internal(a.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            let reserved = ["localhost", "example", "test", "invalid", "local"];
            !d.is_empty()
                && !reserved
                    .iter()
                    .any(|r| d == *r || d.ends_with(&format!(".{r}")))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load_and_env_overrides() {
        let c = Config::load(
            None,
            env(&[
                ("TSUNAGI_SERVER__LISTEN", "0.0.0.0:9000"),
                ("TSUNAGI_RATE_LIMIT__TENANT_BURST", "7"),
            ]),
        )
        .expect("load");
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.rate_limit.tenant_burst, 7);
        assert_eq!(c.auth.access_ttl_secs, 900);
    }

    #[test]
    fn errors_name_the_setting() {
        let e = Config::load(None, env(&[("TSUNAGI_AUTH__ACCESS_TTL_SECS", "3600")]))
            .expect_err("too long");
        assert!(e.to_string().contains("auth.access_ttl_secs"), "{e}");
        let prod = Config::load(None, env(&[("TSUNAGI_MODE", "production")]))
            .expect("migrate needs no secret");
        let e = prod.validate_for_serving().expect_err("serving does");
        assert!(e.to_string().contains("auth.jwt_secret"), "{e}");
        // The development addresses of e-mail links are refused in production.
        assert!(e.to_string().contains("hub.unsubscribe_url"), "{e}");
        assert!(e.to_string().contains("hub.portal_url"), "{e}");
        let ok = Config::load(
            None,
            env(&[
                ("TSUNAGI_MODE", "production"),
                (
                    "TSUNAGI_AUTH__JWT_SECRET",
                    "0123456789abcdef0123456789abcdef-x",
                ),
                (
                    "TSUNAGI_SECRETS__DATA_KEY",
                    "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                ),
                (
                    "TSUNAGI_HUB__UNSUBSCRIBE_URL",
                    "https://api.sakura-mobile.jp/notifications/unsubscribe",
                ),
                ("TSUNAGI_HUB__PORTAL_URL", "https://my.sakura-mobile.jp"),
            ]),
        )
        .expect("load");
        ok.validate_for_serving()
            .expect("a production configuration");
        let e = Config::load(None, env(&[("TSUNAGI_RATE_LIMIT__TENANT_BURST", "lots")]))
            .expect_err("not a number");
        assert!(e.to_string().contains("tenant_burst"), "{e}");
    }

    #[test]
    fn public_addresses_only() {
        for bad in [
            "http://api.sakura-mobile.jp/u",
            "https://[::1]/u",
            "https://127.1/u",
            "https://0.0.0.0/u",
            "https://u@LOCALHOST/u",
            "https://X.EXAMPLE./u",
            "https://10.2.3.4/u",
            "https://[fd00::1]/u",
            "https://[::ffff:192.168.1.1]/u",
            "https://portal.test",
            "not a url",
        ] {
            assert!(!public_https(bad), "{bad}");
        }
        for good in [
            "https://api.sakura-mobile.jp/notifications/unsubscribe",
            "https://203.0.113.9/u",
        ] {
            assert!(public_https(good), "{good}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config::load(
            None,
            env(&[(
                "TSUNAGI_AUTH__JWT_SECRET",
                "0123456789abcdef0123456789abcdef-very-secret",
            )]),
        )
        .expect("load");
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
