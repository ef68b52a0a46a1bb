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
            let mut tx = app.tx(ctx).await?;
            let u = users::user_get(&mut tx, *id).await?;
            tx.commit().await?;
            Ok(Some(u))
        }
        _ => Ok(None),
    }
}
