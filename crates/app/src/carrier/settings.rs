//! A tenant's carrier: its API endpoint (checked by the SSRF guard when set and at every
//! connection), its API key and our callback secret (sealed; the key is never shown again,
//! the secret once), whether new carrier steps go to it, and the gateway built from them
//! (cached per tenant and version, so a change takes effect at the next call). Beside the
//! carrier, optionally, the tenant's SM-DP+ for eSIM profiles (endpoint and sealed key).

use crate::record::record;
use crate::{App, Ctx};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tsunagi_carrier::{HttpCarrier, HttpSmdp};
use tsunagi_core::{Error, Result, TenantId, Validator, signing};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::carrier::{self as repo, CarrierRow};

const API_KEY_PURPOSE: &str = "carrier.api_key";
const CALLBACK_PURPOSE: &str = "carrier.callback_secret";
const SMDP_KEY_PURPOSE: &str = "carrier.smdp_api_key";

/// What a tenant admin sets.
#[derive(Debug, Clone)]
pub struct CarrierSettingsInput {
    pub endpoint: String,
    /// Required the first time; None keeps the current key.
    pub api_key: Option<String>,
    pub enabled: bool,
    pub timeout_ms: i32,
    /// The current version (None the first time).
    pub version: Option<i32>,
    /// Makes a new callback secret (always made the first time).
    pub rotate_callback_secret: bool,
    /// Hours the previous secret keeps verifying callbacks after a rotation (0–168).
    pub overlap_hours: i32,
    /// The SM-DP+'s ES2+ endpoint (None: no SM-DP+; eSIM profiles are prepared by hand).
    pub smdp_endpoint: Option<String>,
    /// Required when an SM-DP+ is first set; None keeps the current key.
    pub smdp_api_key: Option<String>,
}

fn guard(app: &App) -> tsunagi_hub::ssrf::Guard {
    tsunagi_hub::ssrf::Guard::new(&app.config.carrier.allow_private)
}

pub async fn get(app: &App, ctx: &Ctx) -> Result<Option<CarrierRow>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::settings(&mut tx).await?;
    tx.commit().await?;
    Ok(r)
}

/// Sets the tenant's carrier; returns the settings and, when one was made, the callback
/// secret (shown this once).
pub async fn set(
    app: &App,
    ctx: &Ctx,
    input: CarrierSettingsInput,
) -> Result<(CarrierRow, Option<String>)> {
    app.authz
        .check(&ctx.principal, "carrier_settings", "update")
        .await?;
    let mut v = Validator::new();
    if let Err(e) = guard(app).check_url(input.endpoint.trim()) {
        v.push("input.endpoint", e);
    }
    v.check(
        input.endpoint.len() <= 500,
        "input.endpoint",
        "at most 500 characters",
    );
    if let Some(k) = &input.api_key {
        v.check(
            (8..=500).contains(&k.trim().len()),
            "input.apiKey",
            "8 to 500 characters",
        );
    }
    if let Some(e) = &input.smdp_endpoint {
        if let Err(e) = guard(app).check_url(e.trim()) {
            v.push("input.smdpEndpoint", e);
        }
        v.check(
            e.len() <= 500,
            "input.smdpEndpoint",
            "at most 500 characters",
        );
    }
    if let Some(k) = &input.smdp_api_key {
        v.check(
            (8..=500).contains(&k.trim().len()),
            "input.smdpApiKey",
            "8 to 500 characters",
        );
    }
    v.check(
        (100..=60_000).contains(&input.timeout_ms),
        "input.timeoutMs",
        "100 to 60000 milliseconds",
    );
    v.check(
        (0..=168).contains(&input.overlap_hours),
        "input.overlapHours",
        "0 to 168 hours",
    );
    v.finish()?;
    let key = crate::crypto::data_key(app)?;
    let tenant = ctx.principal.tenant_id;
    let mut tx = app.tx(ctx).await?;
    let current = repo::settings(&mut tx).await?;
    let api_key_enc = match (&input.api_key, &current) {
        (Some(k), _) => key.seal(tenant, API_KEY_PURPOSE, k.trim())?,
        (None, Some(c)) => c.api_key_enc.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "input.apiKey",
                "required when the carrier is set for the first time",
            ));
        }
    };
    let smdp_api_key_enc = match (&input.smdp_endpoint, &input.smdp_api_key, &current) {
        (None, _, _) => None,
        (Some(_), Some(k), _) => Some(key.seal(tenant, SMDP_KEY_PURPOSE, k.trim())?),
        (Some(_), None, Some(c)) if c.smdp_api_key_enc.is_some() => c.smdp_api_key_enc.clone(),
        (Some(_), None, _) => {
            return Err(Error::invalid(
                "input.smdpApiKey",
                "required when the SM-DP+ is set for the first time",
            ));
        }
    };
    let (secret, secret_enc) = match &current {
        Some(c) if !input.rotate_callback_secret => (None, c.callback_secret_enc.clone()),
        _ => {
            let s = signing::new_secret();
            let sealed = key.seal(tenant, CALLBACK_PURPOSE, &s)?;
            (Some(s), sealed)
        }
    };
    // A rotation keeps the old secret verifying for the overlap; otherwise as it was.
    let (previous_secret_enc, previous_secret_until) = match &current {
        Some(c) if secret.is_some() => (
            Some(c.callback_secret_enc.clone()),
            Some(chrono::Utc::now() + chrono::Duration::hours(i64::from(input.overlap_hours))),
        ),
        Some(c) => (c.previous_secret_enc.clone(), c.previous_secret_until),
        None => (None, None),
    };
    let row = CarrierRow {
        tenant_id: tenant.as_uuid(),
        endpoint: input.endpoint.trim().to_owned(),
        api_key_enc,
        callback_secret_enc: secret_enc,
        enabled: input.enabled,
        timeout_ms: input.timeout_ms,
        version: 0,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        previous_secret_enc,
        previous_secret_until,
        smdp_endpoint: input.smdp_endpoint.as_deref().map(|e| e.trim().to_owned()),
        smdp_api_key_enc,
    };
    let row = repo::settings_put(&mut tx, &row, input.version).await?;
    let entry = AuditEntry::new(
        "carrier_settings.update",
        "carrier_settings",
        tenant.as_uuid(),
    )
    .before(current.as_ref().map(shown))
    .after(json!({
        "endpoint": tsunagi_core::disclosure::url_shown(&row.endpoint),
        "enabled": row.enabled,
        "timeoutMs": row.timeout_ms,
        "apiKeyChanged": input.api_key.is_some(),
        "callbackSecretRotated": secret.is_some(),
        "smdpEndpoint": row.smdp_endpoint.as_deref().map(tsunagi_core::disclosure::url_shown),
        "smdpApiKeyChanged": input.smdp_api_key.is_some(),
    }));
    record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    app.settings.invalidate();
    Ok((row, secret))
}

fn shown(r: &CarrierRow) -> serde_json::Value {
    json!({
        "endpoint": tsunagi_core::disclosure::url_shown(&r.endpoint),
        "enabled": r.enabled,
        "timeoutMs": r.timeout_ms,
        "smdpEndpoint": r.smdp_endpoint.as_deref().map(tsunagi_core::disclosure::url_shown),
    })
}

/// The key bytes of a tenant's callback secrets in force (empty: no carrier set).
pub async fn callback_keys(app: &App, tenant: TenantId) -> Result<Vec<Vec<u8>>> {
    let mut keys = Vec::new();
    for sealed in repo::callback_secrets(&app.db, tenant.as_uuid()).await? {
        let secret = crate::crypto::data_key(app)?.open(tenant, CALLBACK_PURPOSE, &sealed)?;
        keys.extend(signing::key_bytes(&secret));
    }
    Ok(keys)
}

/// A tenant's gateway with the settings version it was built from.
type Built = (i32, Arc<HttpCarrier>);
/// A tenant's SM-DP+ with the settings version it was built from.
type BuiltSmdp = (i32, Arc<HttpSmdp>);

/// Gateways per tenant, built once per settings version; one guarded HTTP client for all.
#[derive(Clone, Default)]
pub struct Gateways {
    inner: Arc<Mutex<HashMap<uuid::Uuid, Built>>>,
    smdp: Arc<Mutex<HashMap<uuid::Uuid, BuiltSmdp>>>,
    client: Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl std::fmt::Debug for Gateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gateways")
    }
}

impl Gateways {
    fn client(&self, app: &App) -> Result<reqwest::Client> {
        if let Some(c) = self.client.get() {
            return Ok(c.clone());
        }
        let c = tsunagi_hub::ssrf::guarded_client(
            Arc::new(guard(app)),
            Duration::from_secs(60),
            "tsunagi-carrier/1",
        )
        .map_err(|e| Error::unavailable(format!("carrier HTTP client: {e}")))?;
        Ok(self.client.get_or_init(|| c).clone())
    }

    /// The tenant's gateway in `tx`'s tenant; None when no carrier is set (or it is
    /// switched off and `even_disabled` is false).
    pub async fn of(
        &self,
        app: &App,
        tx: &mut TenantTx,
        even_disabled: bool,
    ) -> Result<Option<Arc<HttpCarrier>>> {
        let Some(row) = repo::settings(tx).await? else {
            return Ok(None);
        };
        if !row.enabled && !even_disabled {
            return Ok(None);
        }
        if let Ok(map) = self.inner.lock()
            && let Some((v, g)) = map.get(&row.tenant_id)
            && *v == row.version
        {
            return Ok(Some(g.clone()));
        }
        guard(app)
            .check_literal(&row.endpoint)
            .map_err(|e| Error::unavailable(format!("the carrier endpoint is refused: {e}")))?;
        let tenant = TenantId(row.tenant_id);
        let api_key =
            crate::crypto::data_key(app)?.open(tenant, API_KEY_PURPOSE, &row.api_key_enc)?;
        let g = Arc::new(HttpCarrier::with_client(
            &row.endpoint,
            &api_key,
            Duration::from_millis(row.timeout_ms as u64),
            self.client(app)?,
        ));
        if let Ok(mut map) = self.inner.lock() {
            map.insert(row.tenant_id, (row.version, g.clone()));
        }
        Ok(Some(g))
    }

    /// The tenant's SM-DP+ in `tx`'s tenant; None when none is set.
    pub async fn smdp_of(&self, app: &App, tx: &mut TenantTx) -> Result<Option<Arc<HttpSmdp>>> {
        let Some(row) = repo::settings(tx).await? else {
            return Ok(None);
        };
        let (Some(endpoint), Some(sealed)) = (&row.smdp_endpoint, &row.smdp_api_key_enc) else {
            return Ok(None);
        };
        if let Ok(map) = self.smdp.lock()
            && let Some((v, g)) = map.get(&row.tenant_id)
            && *v == row.version
        {
            return Ok(Some(g.clone()));
        }
        guard(app)
            .check_literal(endpoint)
            .map_err(|e| Error::unavailable(format!("the SM-DP+ endpoint is refused: {e}")))?;
        let tenant = TenantId(row.tenant_id);
        let api_key = crate::crypto::data_key(app)?.open(tenant, SMDP_KEY_PURPOSE, sealed)?;
        let g = Arc::new(HttpSmdp::with_client(
            endpoint,
            &api_key,
            &format!("tsunagi:{}", row.tenant_id),
            Duration::from_millis(row.timeout_ms as u64),
            self.client(app)?,
        ));
        if let Ok(mut map) = self.smdp.lock() {
            map.insert(row.tenant_id, (row.version, g.clone()));
        }
        Ok(Some(g))
    }
}
