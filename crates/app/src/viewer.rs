//! `viewer`: who the caller is, in which tenant, with which roles.

use crate::{App, Ctx};
use tsunagi_core::{Actor, Result};
use tsunagi_db::repo::users::{self, User};

pub struct Viewer {
    /// The user record, for signed-in users (API keys and the system have none).
    pub user: Option<User>,
}

pub async fn viewer(app: &App, ctx: &Ctx) -> Result<Viewer> {
    app.authz.check(&ctx.principal, "viewer", "read").await?;
    let user = match &ctx.principal.actor {
        Actor::User { id, .. } => {
            let mut tx = app.tx(ctx).await?;
            let u = users::user_get(&mut tx, *id).await?;
            tx.commit().await?;
            Some(u)
        }
        _ => None,
    };
    Ok(Viewer { user })
}
