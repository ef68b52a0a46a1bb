//! API keys for machine clients: created with roles (shown once), listed, revoked.

use crate::auth::{cache, tokens};
use crate::payloads;
use crate::record::record_event;
use crate::users::validate_roles;
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use serde_json::json;
use tsunagi_core::events::Event;
use tsunagi_core::{ApiKeyId, Result, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::api_keys::{self, ApiKey, NewApiKey};

/// Returns the key and its secret token; the token is never retrievable again.
pub async fn api_key_create(
    app: &App,
    ctx: &Ctx,
    name: &str,
    roles: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(ApiKey, String)> {
    app.authz.check(&ctx.principal, "api_key", "create").await?;
    let mut v = Validator::new();
    v.check(
        !name.trim().is_empty() && name.len() <= 100,
        "input.name",
        "must be 1-100 characters",
    );
    v.check(
        expires_at.is_none_or(|e| e > Utc::now()),
        "input.expiresAt",
        "must be in the future",
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    validate_roles(&mut tx, ctx.principal.tenant_kind, "input.roles", &roles).await?;
    let id = ApiKeyId::new();
    let token = tokens::api_key(tx.tenant_id(), id);
    let key = api_keys::api_key_insert(
        &mut tx,
        NewApiKey {
            id,
            name: name.trim(),
            secret_hash: &tokens::digest(&token),
            roles: &roles,
            created_by: &ctx.principal.actor.label(),
            expires_at,
        },
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("api_key.create", "api_key", id).after(&key),
        Event::ApiKeyCreated(payloads::api_key(&key)),
    )
    .await?;
    tx.commit().await?;
    Ok((key, token))
}

pub async fn api_key_list(app: &App, ctx: &Ctx, page: Page) -> Result<Vec<ApiKey>> {
    app.authz.check(&ctx.principal, "api_key", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let k = api_keys::api_key_list(&mut tx, page).await?;
    tx.commit().await?;
    Ok(k)
}

pub async fn api_key_revoke(app: &App, ctx: &Ctx, id: ApiKeyId, version: i32) -> Result<ApiKey> {
    app.authz.check(&ctx.principal, "api_key", "revoke").await?;
    let mut tx = app.tx(ctx).await?;
    let key = api_keys::api_key_revoke(&mut tx, id, version).await?;
    let entry = AuditEntry::new("api_key.revoke", "api_key", id)
        .after(json!({ "revoked_at": key.revoked_at }));
    record_event(
        &mut tx,
        ctx,
        entry,
        Event::ApiKeyRevoked(payloads::api_key(&key)),
    )
    .await?;
    cache::notify(&mut tx, &format!("api_key:{id}")).await?;
    tx.commit().await?;
    app.auth_cache.invalidate(&format!("api_key:{id}"));
    Ok(key)
}
