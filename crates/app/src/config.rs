//! The settings the application services read. Loaded and validated by the server's config.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC keys for access tokens; the first signs, all verify (rotation). ≥ 32 bytes each.
    #[serde(skip)]
    pub jwt_secrets: Vec<Vec<u8>>,
    /// Access-token lifetime; at most 900 s.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime.
    pub refresh_ttl_secs: u64,
    /// Failed sign-ins before the account backs off.
    pub lockout_threshold: i32,
    /// First back-off; doubles with each further failure.
    pub lockout_base_secs: u64,
    /// Longest back-off.
    pub lockout_max_secs: u64,
    /// How long a principal's checked state is reused without asking PostgreSQL again.
    /// Changes (suspension, disabling, revocation) invalidate it at once via NOTIFY; this is
    /// only the bound if a notification is lost.
    pub state_cache_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secrets: Vec::new(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 30 * 24 * 3600,
            lockout_threshold: 5,
            lockout_base_secs: 30,
            lockout_max_secs: 3600,
            state_cache_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Sustained requests per second per tenant, and the burst above it.
    pub tenant_per_second: u32,
    pub tenant_burst: u32,
    /// Per API key (in addition to its tenant's limit).
    pub api_key_per_second: u32,
    pub api_key_burst: u32,
    /// Unauthenticated requests (sign-in, refresh) per client address.
    pub anonymous_per_second: u32,
    pub anonymous_burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            tenant_per_second: 500,
            tenant_burst: 1000,
            api_key_per_second: 100,
            api_key_burst: 200,
            anonymous_per_second: 20,
            anonymous_burst: 60,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    /// Encrypts SIM PIN/PUK and eSIM activation codes at rest.
    pub data_key: Option<crate::crypto::DataKey>,
    /// Private webhook destinations the platform allows (`hub.allow_private`).
    pub webhook_allow_private: Vec<String>,
    /// The customer portal, for links in notification previews (`hub.portal_url`).
    pub portal_url: String,
    /// The plugin registry and sandbox (`plugins.*`).
    pub plugins: tsunagi_registry::RegistryConfig,
    /// The carrier workers and endpoints (`carrier.*`).
    pub carrier: crate::carrier::CarrierConfig,
}
