//! A tenant's own e-mail: its sender address, its DKIM key (sealed, never readable again)
//! and its SMTP providers (URLs with credentials, sealed; tried in order before the
//! platform's), and one-click unsubscribe (RFC 8058) from the links in non-critical e-mail.

use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{Criticality, Event, NotificationPreferenceChanged, Topic};
use tsunagi_core::{Error, Result, TenantId, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::mail::{self as repo, MailSettings, SmtpProvider};
use tsunagi_hub::channels::email::{DKIM_KEY_PURPOSE, DkimKey, SMTP_URL_PURPOSE};
use tsunagi_hub::unsubscribe;
use uuid::Uuid;

/// The settings as shown: the key itself never leaves.
#[derive(Debug, Clone)]
pub struct MailSettingsView {
    pub from_address: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_selector: Option<String>,
    pub dkim_configured: bool,
    pub version: i32,
    pub providers: Vec<SmtpProviderView>,
}

/// A provider as shown: its URL and credentials never leave.
#[derive(Debug, Clone)]
pub struct SmtpProviderView {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<SmtpProvider> for SmtpProviderView {
    fn from(p: SmtpProvider) -> Self {
        Self {
            id: p.id,
            name: p.name,
            position: p.position,
            created_at: p.created_at,
        }
    }
}

fn views(ps: Vec<SmtpProvider>) -> Vec<SmtpProviderView> {
    ps.into_iter().map(Into::into).collect()
}

pub async fn settings(app: &App, ctx: &Ctx) -> Result<MailSettingsView> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let s = repo::settings(&mut tx).await?;
    let providers = repo::providers(&mut tx).await?;
    tx.commit().await?;
    Ok(MailSettingsView {
        from_address: s.from_address,
        dkim_domain: s.dkim_domain,
        dkim_selector: s.dkim_selector,
        dkim_configured: s.dkim_key_enc.is_some(),
        version: s.version,
        providers: views(providers),
    })
}

#[derive(Debug, Clone)]
pub struct MailSettingsInput {
    pub version: i32,
    pub from_address: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_selector: Option<String>,
    /// `rsa:<PKCS#1 PEM>` or `ed25519:<base64 of the 32-byte seed>`; None keeps the stored
    /// key while domain and selector are given.
    pub dkim_private_key: Option<String>,
}

fn label(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Sets the sender and the DKIM key (all three DKIM fields null: no signing).
pub async fn settings_set(
    app: &App,
    ctx: &Ctx,
    input: MailSettingsInput,
) -> Result<MailSettingsView> {
    app.authz
        .check(&ctx.principal, "notification", "update")
        .await?;
    let mut v = Validator::new();
    if let Some(f) = &input.from_address {
        v.check(
            tsunagi_hub::channels::email::valid_from(f),
            "input.fromAddress",
            "an address, optionally with a name: Sakura Mobile <noreply@sakura.example>",
        );
    }
    let (domain, selector) = (input.dkim_domain.as_deref(), input.dkim_selector.as_deref());
    v.check(
        domain.is_some() == selector.is_some(),
        "input.dkimSelector",
        "DKIM needs both a domain and a selector",
    );
    v.check(
        domain.is_none_or(label),
        "input.dkimDomain",
        "a domain name",
    );
    v.check(
        selector.is_none_or(label),
        "input.dkimSelector",
        "a DNS label",
    );
    v.check(
        input.dkim_private_key.is_none() || domain.is_some(),
        "input.dkimDomain",
        "a DKIM key needs its domain and selector",
    );
    if let (Some(d), Some(s), Some(k)) = (domain, selector, &input.dkim_private_key)
        && let Err(e) = DkimKey::parse(d, s, k)
    {
        v.push("input.dkimPrivateKey", e);
    }
    if let Some(d) = domain {
        match input
            .from_address
            .as_deref()
            .and_then(tsunagi_hub::channels::email::from_domain)
        {
            None => v.push(
                "input.fromAddress",
                format!("DKIM signs your own sender: give a From address on {d}"),
            ),
            Some(f) if !aligned(&f, d) => v.push(
                "input.dkimDomain",
                format!(
                    "{d} does not align with the From domain {f} (DMARC relaxed alignment): \
                     sign with a domain of the same organization as {f}"
                ),
            ),
            Some(_) => {}
        }
    }
    v.finish()?;
    let key = crate::crypto::data_key(app)?;
    let mut tx = app.tx(ctx).await?;
    let before = repo::settings(&mut tx).await?;
    let dkim_key_enc = match (&input.dkim_private_key, domain) {
        (Some(k), _) => Some(key.seal(ctx.principal.tenant_id, DKIM_KEY_PURPOSE, k)?),
        (None, Some(_)) => Some(before.dkim_key_enc.clone().ok_or_else(|| {
            Error::invalid("input.dkimPrivateKey", "no key is stored yet: give one")
        })?),
        (None, None) => None,
    };
    let after = repo::settings_put(
        &mut tx,
        &MailSettings {
            from_address: input.from_address.clone(),
            dkim_domain: input.dkim_domain.clone(),
            dkim_selector: input.dkim_selector.clone(),
            dkim_key_enc,
            version: input.version,
        },
    )
    .await?;
    let entry = AuditEntry::new(
        "notification_mail.settings_set",
        "notification_mail",
        "settings",
    )
    .before(&before)
    .after(json!({ "settings": &after, "dkimKeyReplaced": input.dkim_private_key.is_some() }));
    crate::record::record(&mut tx, ctx, entry, None).await?;
    let providers = repo::providers(&mut tx).await?;
    tx.commit().await?;
    Ok(MailSettingsView {
        dkim_configured: after.dkim_key_enc.is_some(),
        from_address: after.from_address,
        dkim_domain: after.dkim_domain,
        dkim_selector: after.dkim_selector,
        version: after.version,
        providers: views(providers),
    })
}

/// Adds an SMTP provider after the tenant's others (`smtp://`, `smtps://`, with
/// credentials if any). Its host passes the same SSRF guard as webhooks.
pub async fn provider_add(app: &App, ctx: &Ctx, name: &str, url: &str) -> Result<SmtpProviderView> {
    app.authz
        .check(&ctx.principal, "notification", "update")
        .await?;
    let mut v = Validator::new();
    v.check(
        (1..=100).contains(&name.trim().chars().count()),
        "input.name",
        "1 to 100 characters",
    );
    match tsunagi_hub::channels::email::smtp_host(url) {
        Err(e) => v.push("input.url", e),
        Ok((host, port)) => {
            let guard = tsunagi_hub::ssrf::Guard::new(&app.config.webhook_allow_private);
            if let Err(e) = guard.check_host(&host, port) {
                v.push("input.url", e);
            }
        }
    }
    v.finish()?;
    let key = crate::crypto::data_key(app)?;
    let sealed = key.seal(ctx.principal.tenant_id, SMTP_URL_PURPOSE, url)?;
    let mut tx = app.tx(ctx).await?;
    let p = repo::provider_add(&mut tx, name.trim(), &sealed).await?;
    let entry = AuditEntry::new("notification_mail.provider_add", "smtp_provider", p.id)
        .after(json!({ "name": p.name, "position": p.position }));
    crate::record::record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    Ok(p.into())
}

pub async fn provider_remove(app: &App, ctx: &Ctx, id: Uuid) -> Result<SmtpProviderView> {
    app.authz
        .check(&ctx.principal, "notification", "update")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let p = repo::provider_remove(&mut tx, id).await?;
    let entry = AuditEntry::new("notification_mail.provider_remove", "smtp_provider", p.id)
        .before(json!({ "name": p.name, "position": p.position }));
    crate::record::record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    Ok(p.into())
}

/// What a one-click link did.
#[derive(Debug, Clone)]
pub struct Unsubscribed {
    pub address: String,
    pub topic: String,
}

/// What a link will do, without doing it (the page a `GET` shows).
pub fn unsubscribe_preview(app: &App, token: &str) -> Result<Unsubscribed> {
    let key = crate::crypto::data_key(app)?;
    let u = unsubscribe::read(key, token)?;
    Ok(Unsubscribed {
        address: u.address,
        topic: u.topic,
    })
}

/// Applies a one-click link: the user's e-mail preference for the topic, or for an
/// address that is no user, a suppression. Idempotent; audited as the link's recipient.
pub async fn unsubscribe(app: &App, token: &str) -> Result<Unsubscribed> {
    let key = crate::crypto::data_key(app)?;
    let u = unsubscribe::read(key, token)?;
    if Topic::parse(&u.topic).is_some_and(|t| t.criticality() == Criticality::Always) {
        return Err(Error::invalid(
            "token",
            "critical alerts cannot be unsubscribed",
        ));
    }
    let ctx = Ctx::system(app, TenantId::from(u.tenant_id), "unsubscribe link")
        .await?
        .ok_or_else(|| Error::not_found("tenant"))?;
    let mut tx = app.tx(&ctx).await?;
    let entry = AuditEntry::new(
        "notification.unsubscribe",
        "notification_recipient",
        &u.address,
    )
    .after(json!({ "topic": u.topic, "channel": "email", "userId": u.user_id }));
    match u.user_id {
        Some(user) => {
            tsunagi_db::repo::notifications::set_preference(&mut tx, user, &u.topic, "email", true)
                .await?;
            let event = Event::NotificationPreferenceChanged(NotificationPreferenceChanged {
                user_id: user,
                topic: u.topic.clone(),
                channel: "email".into(),
                opted_out: true,
            });
            crate::record::record_event(&mut tx, &ctx, entry, event).await?;
        }
        None => {
            repo::suppress(&mut tx, &u.address, &u.topic).await?;
            crate::record::record(&mut tx, &ctx, entry, None).await?;
        }
    }
    tx.commit().await?;
    Ok(Unsubscribed {
        address: u.address,
        topic: u.topic,
    })
}

/// DMARC relaxed alignment: the From and DKIM domains have the same organizational domain.
/// Without the public suffix list, that is approximated as the last two labels, or three
/// under a two-letter country code whose second level is a short generic label (`co.jp`,
/// `ne.jp`, `co.uk`, `com.au`): `mail.sakura.example` and `news.sakura.example` align,
/// `sakura.co.jp` and `ume.co.jp` do not.
fn aligned(from: &str, dkim: &str) -> bool {
    fn org(d: &str) -> String {
        let d = d.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = d.split('.').collect();
        let n = labels.len();
        let keep = if n >= 3 && labels[n - 1].len() == 2 && labels[n - 2].len() <= 3 {
            3
        } else {
            2
        };
        labels[n.saturating_sub(keep)..].join(".")
    }
    org(from) == org(dkim)
}

#[cfg(test)]
mod tests {
    use super::aligned;
    use tsunagi_hub::channels::email::from_domain;

    #[test]
    fn dkim_alignment_is_relaxed() {
        let from = from_domain("Sakura <noreply@mail.sakura-mobile.example>").expect("domain");
        assert_eq!(from, "mail.sakura-mobile.example");
        assert!(aligned(&from, "sakura-mobile.example"));
        assert!(aligned(&from, "news.sakura-mobile.example"));
        assert!(!aligned(&from, "other.example"));
        assert!(aligned("info.sakura.co.jp", "sakura.co.jp"));
        assert!(!aligned("sakura.co.jp", "ume.co.jp"));
        assert!(!aligned("sakura.co.jp", "co.jp"));
    }
}
