//! Reading the audit log and verifying a tenant's hash chain.

use crate::{App, Ctx};
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::audit::{self as chain, AuditFilter, AuditRecord, VerifyReport};

pub struct AuditPage {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    /// Take the page from the oldest end (Relay `last`).
    pub from_end: bool,
}

/// Starts following the caller's audit log live: `audit:read`.
pub async fn audit_follow(app: &App, ctx: &Ctx) -> Result<()> {
    app.authz.check(&ctx.principal, "audit", "read").await
}

pub async fn audit_list(
    app: &App,
    ctx: &Ctx,
    filter: AuditFilter,
    page: AuditPage,
) -> Result<Vec<AuditRecord>> {
    app.authz.check(&ctx.principal, "audit", "read").await?;
    if let Some(t) = filter.tenant_id
        && !ctx.principal.can_see(t)
    {
        return Err(Error::not_found("tenant"));
    }
    let mut tx = app.tx(ctx).await?;
    let r = chain::audit_list(
        &mut tx,
        &filter,
        page.after,
        page.before,
        page.limit,
        page.from_end,
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn audit_verify(app: &App, ctx: &Ctx, tenant: Option<TenantId>) -> Result<VerifyReport> {
    app.authz.check(&ctx.principal, "audit", "verify").await?;
    let mut tx = app.tx(ctx).await?;
    let r = chain::audit_verify(&mut tx, tenant.unwrap_or(ctx.principal.tenant_id)).await?;
    tx.commit().await?;
    if !r.ok {
        tracing::error!(tenant_id = %r.tenant_id, seq = ?r.first_broken_seq, reason = ?r.reason, "audit chain broken");
    }
    Ok(r)
}
