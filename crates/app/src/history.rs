//! The timeline of any entity, read from the audit log: who, when, from which state to
//! which, why, and under which approval.

use crate::{App, Ctx};
use tsunagi_core::Result;
use tsunagi_db::audit::{self as chain, AuditFilter, AuditRecord};

pub async fn history(
    app: &App,
    ctx: &Ctx,
    target_type: &str,
    target_id: &str,
    limit: i64,
) -> Result<Vec<AuditRecord>> {
    app.authz.check(&ctx.principal, "history", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let f = AuditFilter {
        target_type: Some(target_type.into()),
        target_id: Some(target_id.into()),
        ..Default::default()
    };
    // The newest `limit` records, then turned to read forward like a timeline.
    let mut r = chain::audit_list(&mut tx, &f, None, None, limit.clamp(1, 500), false).await?;
    r.reverse();
    tx.commit().await?;
    Ok(r)
}
