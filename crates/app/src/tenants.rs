//! Tenants: the platform creates MVNOs, an MVNO creates its resellers, a parent suspends or
//! resumes a descendant, and a tenant edits its own settings (which its resellers inherit).

use crate::auth::{cache, password};
use crate::payloads;
use crate::record::{record, record_event};
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::tenant::{TenantSettings, TenantSettingsOverride};
use tsunagi_core::{Error, Result, TenantId, UserId, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::tenants::{self, NewTenant, Tenant};
use tsunagi_db::repo::users::{self, NewUser, User};

/// The first administrator of a new tenant.
#[derive(Debug, Clone)]
pub struct InitialAdmin {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct TenantCreate {
    pub slug: String,
    pub name: String,
    pub settings: TenantSettingsOverride,
    pub admin: Option<InitialAdmin>,
}

pub fn valid_slug(s: &str) -> bool {
    (2..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// Creates a child of the caller's tenant: an MVNO under the platform, a reseller under an
/// MVNO. With an initial admin, the child starts with one `tenant_admin`.
pub async fn tenant_create(
    app: &App,
    ctx: &Ctx,
    input: TenantCreate,
) -> Result<(Tenant, Option<User>)> {
    app.authz.check(&ctx.principal, "tenant", "create").await?;
    let kind = ctx
        .principal
        .tenant_kind
        .child_kind()
        .ok_or_else(|| Error::forbidden("a reseller cannot have sub-tenants"))?;
    let mut v = Validator::new();
    v.check(
        valid_slug(&input.slug),
        "input.slug",
        "must be 2-63 characters of a-z, 0-9 and '-', not starting with '-'",
    );
    v.check(
        !input.name.trim().is_empty() && input.name.len() <= 200,
        "input.name",
        "must be 1-200 characters",
    );
    if let Some(a) = &input.admin {
        v.check(
            valid_email(&a.email.trim().to_lowercase()),
            "input.admin.email",
            "is not a valid e-mail address",
        );
        v.check(
            !a.display_name.trim().is_empty(),
            "input.admin.displayName",
            "must not be empty",
        );
        password::validate("input.admin.password", &a.password, &mut v);
    }
    v.finish()?;
    input.settings.validate("input.settings")?;
    let admin_hash = match &input.admin {
        Some(a) => {
            let pw = a.password.clone();
            Some(
                tokio::task::spawn_blocking(move || password::hash(&pw))
                    .await
                    .map_err(|e| Error::internal(e.to_string()))??,
            )
        }
        None => None,
    };

    let mut tx = app.tx(ctx).await?;
    let id = TenantId::new();
    let settings = serde_json::to_value(&input.settings)?;
    let tenant = tenants::tenant_insert(
        &mut tx,
        NewTenant {
            id,
            slug: &input.slug,
            name: input.name.trim(),
            kind,
            settings: &settings,
        },
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("tenant.create", "tenant", id).after(&tenant),
        Event::TenantCreated(payloads::tenant_created(&tenant)),
    )
    .await?;

    // The child's own chain starts with its creation, written by the creator.
    tx.enter_child(id).await?;
    let child_ctx = Ctx::new(
        tsunagi_core::Principal {
            tenant_id: id,
            tenant_slug: tenant.slug.clone(),
            tenant_kind: kind,
            visible_tenants: std::sync::Arc::from(vec![id]),
            actor: ctx.principal.actor.clone(),
            roles: ctx.principal.roles.clone(),
            customer: None,
        },
        ctx.request_id.clone(),
    );
    record(
        &mut tx,
        &child_ctx,
        AuditEntry::new("tenant.create", "tenant", id).after(&tenant),
        None,
    )
    .await?;
    let admin = match (&input.admin, admin_hash) {
        (Some(a), Some(hash)) => {
            let roles = vec!["tenant_admin".to_owned()];
            let user = users::user_insert(
                &mut tx,
                NewUser {
                    id: UserId::new(),
                    email: &a.email.trim().to_lowercase(),
                    display_name: a.display_name.trim(),
                    password_hash: Some(&hash),
                    roles: &roles,
                    customer: None,
                    locale: None,
                },
            )
            .await?;
            record(
                &mut tx,
                &child_ctx,
                AuditEntry::new("user.create", "user", user.id).after(&user),
                None,
            )
            .await?;
            Some(user)
        }
        _ => None,
    };
    // Principals of this tenant and its ancestors must learn the new visible set.
    cache::notify(&mut tx, &format!("tenant:{id}")).await?;
    tx.commit().await?;
    app.auth_cache.invalidate(&format!("tenant:{id}"));
    Ok((tenant, admin))
}

pub async fn tenant_get(app: &App, ctx: &Ctx, id: TenantId) -> Result<Tenant> {
    app.authz.check(&ctx.principal, "tenant", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let t = tenants::tenant_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(t)
}

pub async fn tenant_get_by_slug(app: &App, ctx: &Ctx, slug: &str) -> Result<Tenant> {
    app.authz.check(&ctx.principal, "tenant", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let t = tenants::tenant_get_by_slug(&mut tx, slug).await?;
    tx.commit().await?;
    Ok(t)
}

/// The caller's tenant and its descendants (or only the children of `parent`).
pub async fn tenant_list(
    app: &App,
    ctx: &Ctx,
    parent: Option<TenantId>,
    page: Page,
) -> Result<Vec<Tenant>> {
    app.authz.check(&ctx.principal, "tenant", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let t = tenants::tenant_list(&mut tx, parent, page).await?;
    tx.commit().await?;
    Ok(t)
}

/// The settings in force for a visible tenant, with inheritance resolved.
pub async fn tenant_settings(app: &App, ctx: &Ctx, id: TenantId) -> Result<TenantSettings> {
    app.authz.check(&ctx.principal, "tenant", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let s = effective_settings(&mut tx, id).await?;
    tx.commit().await?;
    Ok(s)
}

pub use tsunagi_db::repo::tenants::effective_settings;

/// Suspends (or resumes) a descendant. Its users are refused from the next request on.
pub async fn tenant_set_status(
    app: &App,
    ctx: &Ctx,
    id: TenantId,
    suspend: bool,
    version: i32,
    reason: &str,
) -> Result<Tenant> {
    let act = if suspend { "suspend" } else { "resume" };
    app.authz.check(&ctx.principal, "tenant", act).await?;
    if id == ctx.principal.tenant_id {
        return Err(Error::forbidden(format!("a tenant cannot {act} itself")));
    }
    let mut v = Validator::new();
    v.check(
        !suspend || !reason.trim().is_empty(),
        "input.reason",
        "must say why the tenant is suspended",
    );
    v.check(
        reason.len() <= 500,
        "input.reason",
        "must be at most 500 characters",
    );
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let before = tenants::tenant_get(&mut tx, id).await?;
    let status = if suspend { "suspended" } else { "active" };
    if before.status == status {
        return Err(Error::conflict(format!("the tenant is already {status}")));
    }
    let after = tenants::tenant_set_status(&mut tx, id, status, version).await?;
    let payload = ev::TenantStatusChanged {
        tenant_id: after.id,
        slug: after.slug.clone(),
        name: after.name.clone(),
        status: after.status.clone(),
        reason: reason.to_owned(),
    };
    let event = if suspend {
        Event::TenantSuspended(payload)
    } else {
        Event::TenantResumed(payload)
    };
    let entry = AuditEntry::new(&format!("tenant.{act}"), "tenant", id)
        .before(json!({ "status": before.status }))
        .after(json!({ "status": after.status, "reason": reason }));
    record_event(&mut tx, ctx, entry, event).await?;
    cache::notify(&mut tx, &format!("tenant:{id}")).await?;
    tx.commit().await?;
    app.auth_cache.invalidate(&format!("tenant:{id}"));
    Ok(after)
}

#[derive(Debug, Clone, Default)]
pub struct TenantUpdate {
    pub name: Option<String>,
    /// Replaces the stored overrides (fields left out inherit).
    pub settings: Option<TenantSettingsOverride>,
}

pub async fn tenant_update(
    app: &App,
    ctx: &Ctx,
    id: TenantId,
    input: TenantUpdate,
    version: i32,
) -> Result<Tenant> {
    app.authz.check(&ctx.principal, "tenant", "update").await?;
    if let Some(n) = &input.name {
        let mut v = Validator::new();
        v.check(
            !n.trim().is_empty() && n.len() <= 200,
            "input.name",
            "must be 1-200 characters",
        );
        v.finish()?;
    }
    if let Some(s) = &input.settings {
        s.validate("input.settings")?;
    }
    let mut tx = app.tx(ctx).await?;
    let before = tenants::tenant_get(&mut tx, id).await?;
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.name)
        .to_owned();
    let settings = match &input.settings {
        Some(s) => serde_json::to_value(s)?,
        None => before.settings.clone(),
    };
    let after = tenants::tenant_update(&mut tx, id, &name, &settings, version).await?;
    let overrides = |v: &serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let (old, new) = (overrides(&before.settings), overrides(&after.settings));
    let mut changed: Vec<String> = old
        .keys()
        .chain(new.keys())
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    changed.sort();
    changed.dedup();
    let event = Event::TenantUpdated(ev::TenantUpdated {
        tenant_id: after.id,
        slug: after.slug.clone(),
        name: after.name.clone(),
        settings: new,
        changed_settings: changed,
    });
    let entry = AuditEntry::new("tenant.update", "tenant", id)
        .before(json!({ "name": before.name, "settings": before.settings }))
        .after(json!({ "name": after.name, "settings": after.settings }));
    record_event(&mut tx, ctx, entry, event).await?;
    tx.commit().await?;
    app.settings.invalidate();
    Ok(after)
}
