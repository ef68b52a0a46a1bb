//! Bearer credential → `Principal`, on every request. The tenant chain must be active, the
//! user active and its session unrevoked (or the API key unrevoked and unexpired). The
//! result is reused for a few seconds unless a change notification drops it first.

use super::{cache::CachedPrincipal, jwt, tokens};
use crate::App;
use chrono::Utc;
use tsunagi_core::{
    Actor, ApiKeyId, CustomerScope, Error, Principal, Result, SessionId, TenantId, UserId,
};
use tsunagi_db::repo::{api_keys, sessions, tenants};
use tsunagi_db::{Scope, TenantTx};

/// When a bearer token stops being valid on its own (an access token's expiry), in Unix
/// seconds; None for API keys (they end by revocation or their stored expiry).
pub fn token_expires_at(app: &App, bearer: &str) -> Option<i64> {
    if bearer.starts_with("tsk_") {
        return None;
    }
    jwt::verify(bearer, &app.config.auth.jwt_secrets, Utc::now().timestamp()).map(|c| c.exp)
}

pub async fn authenticate(app: &App, bearer: &str) -> Result<Principal> {
    if bearer.starts_with("tsk_") {
        return authenticate_api_key(app, bearer).await;
    }
    let claims = jwt::verify(bearer, &app.config.auth.jwt_secrets, Utc::now().timestamp())
        .ok_or(Error::Unauthenticated)?;
    let (Some(tenant_id), Some(user), Some(session)) = (
        TenantId::parse(&claims.tid),
        UserId::parse(&claims.sub),
        SessionId::parse(&claims.sid),
    ) else {
        return Err(Error::Unauthenticated);
    };
    let key = format!("session:{session}");
    if let Some(p) = app.auth_cache.get(&key) {
        return Ok(p);
    }
    let generation = app.auth_cache.generation();
    let tenant = active_tenant(app, tenant_id).await?;
    let mut tx = TenantTx::begin(&app.db, Scope::single(tenant_id)).await?;
    let state = sessions::user_auth_state(&mut tx, user, session).await?;
    tx.commit().await?;
    let state = state.ok_or(Error::Unauthenticated)?;
    if state.status != "active" || state.session_revoked {
        return Err(Error::Unauthenticated);
    }
    let p = Principal {
        tenant_id,
        tenant_slug: tenant.slug,
        tenant_kind: tenant.kind,
        visible_tenants: tenant.visible,
        actor: Actor::User {
            id: user,
            email: state.email,
            session,
        },
        roles: state.roles,
        customer: state.customer_id.map(|c| CustomerScope {
            customer_id: c,
            line_id: state.line_id,
        }),
    };
    app.auth_cache.put(
        key,
        CachedPrincipal::new(p.clone(), vec![format!("user:{user}")]),
        generation,
    );
    Ok(p)
}

async fn active_tenant(app: &App, id: TenantId) -> Result<tenants::AuthTenant> {
    match tenants::auth_tenant(&app.db, id).await? {
        Some(t) if t.active => Ok(t),
        _ => Err(Error::Unauthenticated),
    }
}

async fn authenticate_api_key(app: &App, token: &str) -> Result<Principal> {
    let (tenant_id, key_id): (TenantId, ApiKeyId) =
        tokens::parse_api_key(token).ok_or(Error::Unauthenticated)?;
    let digest = tokens::digest(token);
    let cache_key = format!("api_key:{key_id}:{}", hex::encode(&digest));
    if let Some(p) = app.auth_cache.get(&cache_key) {
        return Ok(p);
    }
    let generation = app.auth_cache.generation();
    let tenant = active_tenant(app, tenant_id).await?;
    let mut tx = TenantTx::begin(&app.db, Scope::single(tenant_id)).await?;
    let key = api_keys::api_key_get(&mut tx, key_id).await;
    tx.commit().await?;
    let key = key.map_err(|_| Error::Unauthenticated)?;
    let live = key.revoked_at.is_none() && key.expires_at.is_none_or(|e| e > Utc::now());
    if !live || !constant_time_eq(&key.secret_hash, &digest) {
        return Err(Error::Unauthenticated);
    }
    let p = Principal {
        tenant_id,
        tenant_slug: tenant.slug,
        tenant_kind: tenant.kind,
        visible_tenants: tenant.visible,
        actor: Actor::ApiKey {
            id: key_id,
            name: key.name,
        },
        roles: key.roles,
        customer: None,
    };
    app.auth_cache.put(
        cache_key,
        CachedPrincipal::new(p.clone(), vec![format!("api_key:{key_id}")]),
        generation,
    );
    Ok(p)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
