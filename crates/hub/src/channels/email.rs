//! E-mail by SMTP (lettre), with provider failover: the tenant's own providers in their
//! order, then the platform's (`hub.smtp_urls`); a connection or temporary failure moves on
//! to the next, a permanent rejection (5xx, e.g. unknown mailbox) ends the attempt. The
//! sender and the DKIM key are the tenant's when it configured them (read through
//! `tsunagi_db::repo::mail`, cached `tenant_mail_ttl_secs`), else the platform's sender and
//! no signature. Messages are composed in `mail`.

use super::Outcome;
use super::mail;
use crate::HubConfig;
use crate::store::Delivery;
use crate::unsubscribe::{self, Unsubscribe};
use lettre::message::Mailbox;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tsunagi_core::crypto::DataKey;
use tsunagi_core::{Result, TenantId};
use tsunagi_db::repo::mail as repo;
use tsunagi_db::{Db, Scope, TenantTx};
use uuid::Uuid;

/// Purposes binding a tenant's sealed mail secrets.
pub const SMTP_URL_PURPOSE: &str = "notification.smtp_url";
pub const DKIM_KEY_PURPOSE: &str = "notification.dkim_key";

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// A DKIM key as stored (sealed): `rsa:<PKCS#1 PEM>` or `ed25519:<base64 seed>`.
#[derive(Debug, Clone)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    pub algorithm: DkimSigningAlgorithm,
    pub key: String,
}

impl DkimKey {
    /// Reads the stored form, checking that lettre accepts the key.
    pub fn parse(domain: &str, selector: &str, stored: &str) -> std::result::Result<Self, String> {
        let (alg, key) = stored
            .split_once(':')
            .ok_or("expected rsa:<PEM> or ed25519:<base64 seed>")?;
        let algorithm = match alg {
            "rsa" => DkimSigningAlgorithm::Rsa,
            "ed25519" => DkimSigningAlgorithm::Ed25519,
            _ => return Err("the algorithm is rsa or ed25519".into()),
        };
        DkimSigningKey::new(key, algorithm).map_err(|e| format!("not a usable key: {e:?}"))?;
        Ok(Self {
            domain: domain.into(),
            selector: selector.into(),
            algorithm,
            key: key.into(),
        })
    }

    /// Signs relaxed/relaxed (simple header canonicalization breaks in lettre 0.11), over
    /// the headers a provider checks; never Content-Type, which a multipart message keeps
    /// outside the signed headers.
    fn sign(&self, msg: &mut Message) {
        let Ok(key) = DkimSigningKey::new(&self.key, self.algorithm) else {
            return;
        };
        let mut headers: Vec<HeaderName> = [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
        ]
        .iter()
        .map(|h| HeaderName::new_from_ascii_str(h))
        .collect();
        for h in ["List-Unsubscribe", "List-Unsubscribe-Post"] {
            if msg.headers().get_raw(h).is_some() {
                headers.push(HeaderName::new_from_ascii_str(h));
            }
        }
        let relaxed = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        let cfg = DkimConfig::new(
            self.selector.clone(),
            self.domain.clone(),
            key,
            headers,
            relaxed,
        );
        msg.sign(&cfg);
    }
}

/// What a tenant configured for its own mail.
#[derive(Debug, Default)]
struct TenantMail {
    from: Option<Mailbox>,
    dkim: Option<DkimKey>,
    providers: Vec<(String, Transport)>,
}

pub struct EmailChannel {
    from: Mailbox,
    providers: Vec<(String, Transport)>,
    timeout: Duration,
    key: DataKey,
    db: Db,
    unsubscribe_url: String,
    ttl: Duration,
    guard: Arc<crate::ssrf::Guard>,
    tenants: Mutex<HashMap<Uuid, (Instant, Arc<TenantMail>)>>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.providers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("EmailChannel")
            .field("providers", &names)
            .finish_non_exhaustive()
    }
}

/// A transport for an SMTP URL, and the name recorded on deliveries (host:port).
pub fn transport(url: &str, timeout: Duration) -> std::result::Result<(String, Transport), String> {
    let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("invalid SMTP URL: {e}"))?
        .timeout(Some(timeout))
        .build();
    let name = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| "smtp".into());
    Ok((name, t))
}

/// Whether a sender address is usable (`Name <addr@domain>` or `addr@domain`).
pub fn valid_from(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

/// The domain of a sender address, lowercase (None when it is not an address).
pub fn from_domain(s: &str) -> Option<String> {
    s.parse::<Mailbox>()
        .ok()
        .map(|m| m.email.domain().to_ascii_lowercase())
}

/// The host and port an SMTP URL connects to (as lettre reads it: `smtp://` 25, with
/// `tls=` 587, `smtps://` 465), or why lettre refuses it.
pub fn smtp_host(url: &str) -> std::result::Result<(String, u16), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "smtp" | "smtps") {
        return Err("must be an smtp:// or smtps:// URL".into());
    }
    transport(url, Duration::from_secs(1))?;
    super::smtp_pin::target(url)
        .filter(|(h, _)| !h.is_empty())
        .ok_or_else(|| "has no host".into())
}

impl EmailChannel {
    pub fn new(
        cfg: &HubConfig,
        key: DataKey,
        db: Db,
        guard: Arc<crate::ssrf::Guard>,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = cfg
            .email_from
            .parse()
            .map_err(|e| anyhow::anyhow!("hub.email_from: {e}"))?;
        let timeout = Duration::from_secs(cfg.smtp_timeout_secs);
        let mut providers = Vec::new();
        for url in cfg
            .smtp_urls
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            providers
                .push(transport(url, timeout).map_err(|e| anyhow::anyhow!("hub.smtp_urls: {e}"))?);
        }
        Ok(Self {
            from,
            providers,
            timeout,
            key,
            db,
            unsubscribe_url: cfg.unsubscribe_url.trim_end_matches('/').to_owned(),
            ttl: Duration::from_secs(cfg.tenant_mail_ttl_secs),
            guard,
            tenants: Mutex::new(HashMap::new()),
        })
    }

    async fn load(&self, tenant: Uuid) -> Result<TenantMail> {
        let id = TenantId::from(tenant);
        let mut tx = TenantTx::begin(&self.db, Scope::single(id)).await?;
        let s = repo::settings(&mut tx).await?;
        let rows = repo::providers(&mut tx).await?;
        tx.commit().await?;
        let mut providers = Vec::new();
        for p in rows {
            let url = self.key.open(id, SMTP_URL_PURPOSE, &p.url_enc)?;
            // A tenant's provider is a destination it chose: the SSRF guard applies, and the
            // connection goes to the address it checked (no second resolution to rebind).
            let refused = || {
                tracing::warn!(tenant_id = %tenant, provider = %p.name, "tenant SMTP provider refused by the SSRF guard or not resolvable");
            };
            let Some((host, port)) = super::smtp_pin::target(&url) else {
                refused();
                continue;
            };
            let checked: Vec<std::net::IpAddr> = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(|a| a.map(|s| s.ip()).collect())
                .unwrap_or_default();
            let Some(ip) = checked.first().copied() else {
                refused();
                continue;
            };
            if !checked.iter().all(|ip| self.guard.permits(*ip)) {
                refused();
                continue;
            }
            let name = format!("{host}:{port}");
            match super::smtp_pin::pinned(&url, ip, self.timeout) {
                Ok(t) => providers.push((format!("{} ({name})", p.name), t)),
                Err(e) => {
                    tracing::warn!(tenant_id = %tenant, provider = %p.name, error = %e, "tenant SMTP provider skipped")
                }
            }
        }
        let dkim = match (&s.dkim_domain, &s.dkim_selector, &s.dkim_key_enc) {
            (Some(d), Some(sel), Some(enc)) => {
                let stored = self.key.open(id, DKIM_KEY_PURPOSE, enc)?;
                DkimKey::parse(d, sel, &stored).ok()
            }
            _ => None,
        };
        Ok(TenantMail {
            from: s.from_address.as_deref().and_then(|f| f.parse().ok()),
            dkim,
            providers,
        })
    }

    async fn tenant(&self, tenant: Uuid) -> Result<Arc<TenantMail>> {
        if let Ok(m) = self.tenants.lock()
            && let Some((at, t)) = m.get(&tenant)
            && at.elapsed() < self.ttl
        {
            return Ok(t.clone());
        }
        let t = Arc::new(self.load(tenant).await?);
        if let Ok(mut m) = self.tenants.lock() {
            m.insert(tenant, (Instant::now(), t.clone()));
        }
        Ok(t)
    }

    /// The one-click link of a non-critical alert to a person.
    fn unsubscribe_link(&self, d: &Delivery) -> Option<String> {
        if d.critical {
            return None;
        }
        let u = Unsubscribe {
            tenant_id: d.tenant_id,
            user_id: d.user_id,
            address: d.recipient.clone(),
            topic: d.topic.clone(),
        };
        let token = unsubscribe::token(&self.key, &u).ok()?;
        Some(format!("{}/{token}", self.unsubscribe_url))
    }

    pub async fn send(&self, d: &Delivery) -> Outcome {
        let tm = match self.tenant(d.tenant_id).await {
            Ok(t) => t,
            Err(e) => {
                return Outcome::Retry {
                    error: format!("tenant mail settings: {}", e.detail()),
                    code: None,
                    retry_after: None,
                };
            }
        };
        if tm.providers.is_empty() && self.providers.is_empty() {
            return Outcome::Retry {
                error: "no SMTP provider configured (hub.smtp_urls or the tenant's)".into(),
                code: None,
                retry_after: None,
            };
        }
        let from = tm.from.as_ref().unwrap_or(&self.from);
        let mut msg = match mail::compose(from, d, self.unsubscribe_link(d).as_deref()) {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Permanent {
                    error: e,
                    code: None,
                    gone: false,
                };
            }
        };
        if let Some(k) = &tm.dkim {
            k.sign(&mut msg);
        }
        let mut errors = Vec::new();
        for (name, t) in tm.providers.iter().chain(self.providers.iter()) {
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
