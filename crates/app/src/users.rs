//! Staff and customer users of a tenant: a tenant admin creates them, gives them roles,
//! disables and re-enables them. Disabling refuses the user's next request.

use crate::auth::{cache, password};
use crate::payloads;
use crate::record::record;
use crate::tenants::valid_email;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_authz::roles::{is_default_role, valid_role_name};
use tsunagi_core::events::{DomainEvent, Event};
use tsunagi_core::tenant::check_message_locale;
use tsunagi_core::{Error, Result, TenantId, TenantKind, UserId, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::users::{self, NewUser, User};
use tsunagi_db::repo::{Page, policies};

#[derive(Debug, Clone)]
pub struct UserCreate {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub roles: Vec<String>,
    /// Required for customer roles: the customer (and for customer_user, the line).
    pub customer: Option<tsunagi_core::CustomerScope>,
    /// `ja` or `en`; None: the tenant's language.
    pub locale: Option<String>,
}

/// Checks that every role exists for this tenant (a default role, or one the tenant's own
/// rules define) and that platform-only roles stay in the platform tenant.
pub async fn validate_roles(
    tx: &mut TenantTx,
    kind: TenantKind,
    field: &str,
    roles: &[String],
) -> Result<()> {
    let tenant = tx.tenant_id();
    let custom: Vec<String> = policies::policy_list(tx, tenant)
        .await?
        .into_iter()
        .map(|r| r.subject)
        .collect();
    let mut v = Validator::new();
    v.check(!roles.is_empty(), field, "must name at least one role");
    v.check(roles.len() <= 20, field, "must name at most 20 roles");
    for (i, r) in roles.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if !valid_role_name(r) {
            v.push(&f, "is not a valid role name");
        } else if !is_default_role(r) && !custom.contains(r) {
            v.push(
                &f,
                format!("unknown role '{r}': use a default role or define it with a policy first"),
            );
        } else if r == "platform_operator" && kind != TenantKind::Platform {
            v.push(&f, "platform_operator exists only in the platform tenant");
        }
    }
    v.finish()
}

/// Customer roles and a customer link go together: a customer admin names the customer, a
/// customer user also the one line (of that customer) they may see.
async fn validate_customer_link(tx: &mut TenantTx, input: &UserCreate) -> Result<()> {
    let customer_roles = input
        .roles
        .iter()
        .filter(|r| *r == "customer_admin" || *r == "customer_user")
        .count();
    let mut v = Validator::new();
    if customer_roles > 0 && customer_roles < input.roles.len() {
        v.push(
            "input.roles",
            "customer roles cannot be combined with staff roles",
        );
    }
    match (customer_roles > 0, input.customer) {
        // Not linked yet: such a login sees nothing until it is.
        (true, None) => {}
        (false, Some(_)) => v.push(
            "input.customerId",
            "only customer roles belong to a customer",
        ),
        (true, Some(scope)) => {
            let own = tx.tenant_id().as_uuid();
            match tsunagi_db::repo::customers::customer_get(tx, scope.customer_id).await {
                Ok(c) if c.tenant_id == own => {}
                _ => v.push("input.customerId", "no such customer in your tenant"),
            }
            let is_user = input.roles.iter().any(|r| r == "customer_user");
            match (is_user, scope.line_id) {
                (true, None) => v.push(
                    "input.lineId",
                    "a customer user needs the line they may see",
                ),
                (true, Some(l)) => match tsunagi_db::repo::contracts::line_get(tx, l).await {
                    Ok(line) if line.customer_id == scope.customer_id => {}
                    _ => v.push("input.lineId", "no such line of this customer"),
                },
                _ => {}
            }
        }
        (false, None) => {}
    }
    v.finish()
}

pub async fn user_create(app: &App, ctx: &Ctx, input: UserCreate) -> Result<User> {
    app.authz.check(&ctx.principal, "user", "create").await?;
    let email = input.email.trim().to_lowercase();
    let mut v = Validator::new();
    v.check(
        valid_email(&email),
        "input.email",
        "is not a valid e-mail address",
    );
    v.check(
        !input.display_name.trim().is_empty() && input.display_name.len() <= 200,
        "input.displayName",
        "must be 1-200 characters",
    );
    password::validate("input.password", &input.password, &mut v);
    check_message_locale(&mut v, "input.locale", input.locale.as_deref());
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    validate_roles(
        &mut tx,
        ctx.principal.tenant_kind,
        "input.roles",
        &input.roles,
    )
    .await?;
    validate_customer_link(&mut tx, &input).await?;
    let pw = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    let user = users::user_insert(
        &mut tx,
        NewUser {
            id: UserId::new(),
            email: &email,
            display_name: input.display_name.trim(),
            password_hash: Some(&hash),
            roles: &input.roles,
            customer: input.customer,
            locale: input.locale.as_deref(),
        },
    )
    .await?;
    let ev = DomainEvent::new(tx.tenant_id(), Event::UserCreated(payloads::user(&user)));
    record(
        &mut tx,
        ctx,
        AuditEntry::new("user.create", "user", user.id).after(&user),
        Some(ev),
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn user_get(app: &App, ctx: &Ctx, id: UserId) -> Result<User> {
    app.authz.check(&ctx.principal, "user", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let u = users::user_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(u)
}

pub async fn user_list(
    app: &App,
    ctx: &Ctx,
    tenant: Option<TenantId>,
    page: Page,
) -> Result<Vec<User>> {
    app.authz.check(&ctx.principal, "user", "read").await?;
    let tenant = tenant.unwrap_or(ctx.principal.tenant_id);
    if !ctx.principal.can_see(tenant) {
        return Err(Error::not_found("tenant"));
    }
    let mut tx = app.tx(ctx).await?;
    let u = users::user_list(&mut tx, tenant, page).await?;
    tx.commit().await?;
    Ok(u)
}

#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub roles: Option<Vec<String>>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// `ja` or `en`; None: unchanged.
    pub locale: Option<String>,
}

/// Changes roles and/or status, with optimistic concurrency on `version`.
pub async fn user_update(
    app: &App,
    ctx: &Ctx,
    id: UserId,
    input: UserUpdate,
    version: i32,
) -> Result<User> {
    app.authz.check(&ctx.principal, "user", "update").await?;
    let mut v = Validator::new();
    check_message_locale(&mut v, "input.locale", input.locale.as_deref());
    v.finish()?;
    if let Some(s) = &input.status {
        let mut v = Validator::new();
        v.check(
            s == "active" || s == "disabled",
            "input.status",
            "must be active or disabled",
        );
        v.finish()?;
        if s == "disabled" && ctx.principal.user_id() == Some(id) {
            return Err(Error::forbidden("you cannot disable yourself"));
        }
    }
    let mut tx = app.tx(ctx).await?;
    if let Some(r) = &input.roles {
        validate_roles(&mut tx, ctx.principal.tenant_kind, "input.roles", r).await?;
    }
    let before = users::user_lock(&mut tx, id).await?;
    if let Some(r) = &input.roles {
        let customer = r
            .iter()
            .filter(|x| *x == "customer_admin" || *x == "customer_user")
            .count();
        let mut v = Validator::new();
        v.check(
            customer == 0 || customer == r.len(),
            "input.roles",
            "customer roles cannot be combined with staff roles",
        );
        v.check(
            before.customer_id.is_none() || customer == r.len(),
            "input.roles",
            "this login belongs to a customer; it can only hold customer roles",
        );
        v.finish()?;
    }
    let roles = input.roles.clone().unwrap_or_else(|| before.roles.clone());
    let status = input
        .status
        .clone()
        .unwrap_or_else(|| before.status.clone());
    let locale = input.locale.clone().or_else(|| before.locale.clone());
    let after =
        users::user_update(&mut tx, id, &roles, &status, locale.as_deref(), version).await?;
    let ev = DomainEvent::new(tx.tenant_id(), Event::UserUpdated(payloads::user(&after)));
    let entry = AuditEntry::new("user.update", "user", id)
        .before(json!({ "roles": before.roles, "status": before.status, "locale": before.locale }))
        .after(json!({ "roles": after.roles, "status": after.status, "locale": after.locale }));
    record(&mut tx, ctx, entry, Some(ev)).await?;
    cache::notify(&mut tx, &format!("user:{id}")).await?;
    tx.commit().await?;
    app.auth_cache.invalidate(&format!("user:{id}"));
    Ok(after)
}

/// The caller chooses the language of their own messages (`ja`, `en`, or None for the
/// tenant's): staff and self-service users alike, as a notification preference.
/// Every signed-in user may choose the language of their own messages, auditors and platform
/// operators included (no policy gates it: it changes nothing but the caller's own record).
pub async fn my_locale_set(app: &App, ctx: &Ctx, locale: Option<String>) -> Result<User> {
    let id = ctx
        .principal
        .user_id()
        .ok_or_else(|| Error::forbidden("a language belongs to a signed-in user"))?;
    let mut v = Validator::new();
    check_message_locale(&mut v, "input.locale", locale.as_deref());
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let before = users::user_lock(&mut tx, id).await?;
    let after = users::user_set_locale(&mut tx, id, locale.as_deref()).await?;
    let ev = DomainEvent::new(tx.tenant_id(), Event::UserUpdated(payloads::user(&after)));
    let entry = AuditEntry::new("user.locale_set", "user", id)
        .before(json!({ "locale": before.locale }))
        .after(json!({ "locale": after.locale }));
    record(&mut tx, ctx, entry, Some(ev)).await?;
    tx.commit().await?;
    Ok(after)
}
