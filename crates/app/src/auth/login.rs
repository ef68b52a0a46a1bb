//! Sign-in, token refresh (rotation with reuse detection) and sign-out.

use super::{cache, jwt, password, tokens};
use crate::record::record;
use crate::{App, Ctx};
use chrono::{Duration, Utc};
use serde::Serialize;
use tsunagi_core::{Actor, Error, Principal, Result, SessionId, TenantId, UserId};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::{sessions, tenants, users};
use tsunagi_db::{Scope, TenantTx};

#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Runs argon2 off the async workers.
async fn verify_blocking(pw: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => password::verify(&pw, &h),
        None => {
            password::verify_dummy(&pw);
            false
        }
    })
    .await
    .map_err(|e| Error::internal(format!("password verification task: {e}")))
}

/// The system principal that signs in on a user's behalf (for audit records of sign-in).
fn sign_in_ctx(
    tenant: &tenants::AuthTenant,
    user: &users::User,
    session: SessionId,
    request_id: Option<&str>,
) -> Ctx {
    Ctx::new(
        Principal {
            tenant_id: tenant.id,
            tenant_slug: tenant.slug.clone(),
            tenant_kind: tenant.kind,
            visible_tenants: tenant.visible.clone(),
            actor: Actor::User {
                id: UserId(user.id),
                email: user.email.clone(),
                session,
            },
            roles: user.roles.clone(),
            customer: None,
        },
        request_id.map(str::to_owned),
    )
}

pub async fn login(
    app: &App,
    tenant_slug: &str,
    email: &str,
    pw: &str,
    request_id: Option<&str>,
) -> Result<TokenPair> {
    let email = email.trim().to_lowercase();
    let tenant = match tenants::auth_tenant_by_slug(&app.db, tenant_slug.trim()).await? {
        Some(t) if t.active => t,
        _ => {
            verify_blocking(pw.to_owned(), None).await?;
            return Err(Error::Unauthenticated);
        }
    };
    let mut tx = TenantTx::begin(&app.db, Scope::single(tenant.id)).await?;
    let user = users::user_find_by_email(&mut tx, tenant.id, &email).await?;
    let now = Utc::now();
    let usable = user
        .as_ref()
        .is_some_and(|u| u.status == "active" && u.locked_until.is_none_or(|t| t <= now));
    let hash = if usable {
        user.as_ref().and_then(|u| u.password_hash.clone())
    } else {
        None
    };
    let ok = verify_blocking(pw.to_owned(), hash).await?;
    let Some(user) = user else {
        tx.rollback().await?;
        return Err(Error::Unauthenticated);
    };
    let uid = UserId(user.id);
    if !ok {
        if usable {
            let a = &app.config.auth;
            let failures = user.failed_logins + 1;
            let lock = (failures >= a.lockout_threshold).then(|| {
                let exp = (failures - a.lockout_threshold).min(16) as u32;
                let secs = a
                    .lockout_base_secs
                    .saturating_mul(1u64 << exp)
                    .min(a.lockout_max_secs);
                now + Duration::seconds(secs as i64)
            });
            users::user_record_failure(&mut tx, uid, lock).await?;
            if let Some(until) = lock {
                let ctx = sign_in_ctx(&tenant, &user, SessionId::new(), request_id);
                let entry = AuditEntry::new("user.locked", "user", user.id)
                    .after(serde_json::json!({ "failed_logins": failures, "locked_until": until }));
                record(&mut tx, &ctx, entry, None).await?;
            }
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        return Err(Error::Unauthenticated);
    }
    users::user_reset_failures(&mut tx, uid).await?;
    let session = SessionId::new();
    sessions::session_create(&mut tx, session, uid).await?;
    let refresh = issue_refresh(app, &mut tx, tenant.id, session).await?;
    let ctx = sign_in_ctx(&tenant, &user, session, request_id);
    record(
        &mut tx,
        &ctx,
        AuditEntry::new("session.create", "session", session),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token: access_token(app, tenant.id, uid, session),
        refresh_token: refresh,
        expires_in: app.config.auth.access_ttl_secs,
    })
}

async fn issue_refresh(
    app: &App,
    tx: &mut TenantTx,
    tenant: TenantId,
    session: SessionId,
) -> Result<String> {
    let token = tokens::refresh_token(tenant);
    let expires = Utc::now() + Duration::seconds(app.config.auth.refresh_ttl_secs as i64);
    sessions::refresh_insert(tx, session, &tokens::digest(&token), expires).await?;
    Ok(token)
}

pub fn access_token(app: &App, tenant: TenantId, user: UserId, session: SessionId) -> String {
    let now = Utc::now().timestamp();
    let claims = jwt::Claims {
        sub: user.to_string(),
        tid: tenant.to_string(),
        sid: session.to_string(),
        iat: now,
        exp: now + app.config.auth.access_ttl_secs as i64,
        iss: jwt::ISSUER.into(),
    };
    let key = app
        .config
        .auth
        .jwt_secrets
        .first()
        .map(Vec::as_slice)
        .unwrap_or_default();
    jwt::sign(&claims, key)
}

/// Exchanges a refresh token for a new pair. A token already used once revokes its session:
/// whoever holds either copy must sign in again.
pub async fn refresh(
    app: &App,
    refresh_token: &str,
    request_id: Option<&str>,
) -> Result<TokenPair> {
    let tenant_id = tokens::parse_refresh(refresh_token).ok_or(Error::Unauthenticated)?;
    let tenant = match tenants::auth_tenant(&app.db, tenant_id).await? {
        Some(t) if t.active => t,
        _ => return Err(Error::Unauthenticated),
    };
    let mut tx = TenantTx::begin(&app.db, Scope::single(tenant.id)).await?;
    match sessions::refresh_use(&mut tx, &tokens::digest(refresh_token)).await? {
        sessions::RefreshUse::Fresh { session, user } => {
            let u = users::user_get(&mut tx, user).await?;
            if u.status != "active" {
                tx.rollback().await?;
                return Err(Error::Unauthenticated);
            }
            let new_refresh = issue_refresh(app, &mut tx, tenant.id, session).await?;
            tx.commit().await?;
            Ok(TokenPair {
                access_token: access_token(app, tenant.id, user, session),
                refresh_token: new_refresh,
                expires_in: app.config.auth.access_ttl_secs,
            })
        }
        sessions::RefreshUse::Reused { session } => {
            if sessions::session_revoke(&mut tx, session, "refresh token reused").await? {
                let system = Ctx::new(
                    Principal {
                        tenant_id: tenant.id,
                        tenant_slug: tenant.slug.clone(),
                        tenant_kind: tenant.kind,
                        visible_tenants: tenant.visible.clone(),
                        actor: Actor::System {
                            label: "system:token-reuse-detector".into(),
                        },
                        roles: vec![],
                        customer: None,
                    },
                    request_id.map(str::to_owned),
                );
                let entry = AuditEntry::new("session.revoke", "session", session)
                    .after(serde_json::json!({ "reason": "refresh token reused" }));
                record(&mut tx, &system, entry, None).await?;
                cache::notify(&mut tx, &format!("session:{session}")).await?;
            }
            tx.commit().await?;
            app.auth_cache.invalidate(&format!("session:{session}"));
            tracing::warn!(tenant_id = %tenant.id, session_id = %session, "refresh token reuse: session revoked");
            Err(Error::Unauthenticated)
        }
        sessions::RefreshUse::Invalid => {
            tx.rollback().await?;
            Err(Error::Unauthenticated)
        }
    }
}

/// Ends the caller's session: its refresh token and every access token die now.
pub async fn logout(app: &App, ctx: &Ctx) -> Result<bool> {
    let Actor::User { session, .. } = &ctx.principal.actor else {
        return Err(Error::bad_request(
            "only a signed-in user has a session to end",
        ));
    };
    let mut tx = app.tx(ctx).await?;
    let revoked = sessions::session_revoke(&mut tx, *session, "signed out").await?;
    if revoked {
        record(
            &mut tx,
            ctx,
            AuditEntry::new("session.revoke", "session", session),
            None,
        )
        .await?;
        cache::notify(&mut tx, &format!("session:{session}")).await?;
    }
    tx.commit().await?;
    app.auth_cache.invalidate(&format!("session:{session}"));
    Ok(revoked)
}
