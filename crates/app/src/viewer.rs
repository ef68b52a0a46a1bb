//! `viewer`: who the caller is, in which tenant, with which roles — from the authenticated
//! principal — and, only when asked, the caller's user record.

use crate::{App, Ctx};
use tsunagi_core::{Actor, Result};
use tsunagi_db::repo::users::{self, User};

/// May the caller ask who it is (every default role may).
pub async fn viewer_check(app: &App, ctx: &Ctx) -> Result<()> {
    app.authz.check(&ctx.principal, "viewer", "read").await
}

/// The caller's user record; `None` for API keys and the system.
pub async fn viewer_user(app: &App, ctx: &Ctx) -> Result<Option<User>> {
    app.authz.check(&ctx.principal, "viewer", "read").await?;
    match &ctx.principal.actor {
        Actor::User { id, .. } => {
            let mut tx = app.read(ctx).await?;
            let u = users::user_get(&mut tx, *id).await?;
            tx.end()?;
            Ok(Some(u))
        }
        _ => Ok(None),
    }
}

/// The settings of the caller's tenant a console formats with (time zone, currency,
/// language), inheritance resolved: every signed-in caller may read its own tenant's.
pub async fn viewer_settings(app: &App, ctx: &Ctx) -> Result<tsunagi_core::tenant::TenantSettings> {
    viewer_check(app, ctx).await?;
    let mut tx = app.tx(ctx).await?;
    let s = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    tx.commit().await?;
    Ok(s)
}

/// At most this many `object:action` pairs per question.
pub const ALLOWED_MAX: usize = 100;

/// Which of the asked `object:action` pairs the caller's roles allow — the tenant's own
/// policy included — so a console shows what its user may do from the one policy, never a
/// second copy of it. Customer principals get their `self_service` actions.
pub async fn viewer_allowed(app: &App, ctx: &Ctx, asked: &[String]) -> Result<Vec<String>> {
    viewer_check(app, ctx).await?;
    let mut v = tsunagi_core::Validator::new();
    v.check(
        asked.len() <= ALLOWED_MAX,
        "actions",
        "must name at most 100 pairs",
    );
    for (i, a) in asked.iter().enumerate() {
        v.check(
            a.split_once(':')
                .is_some_and(|(o, act)| !o.is_empty() && !act.is_empty() && !act.contains(':')),
            &format!("actions[{i}]"),
            "must be `object:action`, e.g. `line:suspend`",
        );
    }
    v.finish()?;
    let mut out = Vec::new();
    for a in asked {
        let (obj, act) = a.split_once(':').unwrap_or_default();
        if app.authz.allowed(&ctx.principal, obj, act).await? && !out.contains(a) {
            out.push(a.clone());
        }
    }
    Ok(out)
}
