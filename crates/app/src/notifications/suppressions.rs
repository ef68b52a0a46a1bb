//! Addresses that unsubscribed from a topic with a one-click link and are no user (a user's
//! link sets the user's own preference instead): listed for support ("why did this customer
//! stop getting invoices?") and lifted when the address asks to receive the topic again.
//! Lifting is audited; critical topics are never suppressed in the first place.

use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::{Error, Result};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::mail as repo;
pub use tsunagi_db::repo::mail::Suppression;

/// The tenant's suppressions, newest first; `address` filters by substring.
pub async fn list(
    app: &App,
    ctx: &Ctx,
    address: Option<&str>,
    first: i64,
) -> Result<Vec<Suppression>> {
    app.authz
        .check(&ctx.principal, "notification", "read")
        .await?;
    if !(1..=500).contains(&first) {
        return Err(Error::invalid("first", "between 1 and 500"));
    }
    let mut tx = app.tx(ctx).await?;
    let out = repo::suppressions(&mut tx, address.filter(|a| !a.is_empty()), first).await?;
    tx.commit().await?;
    Ok(out)
}

/// Lets `address` receive `topic` by e-mail again.
pub async fn lift(
    app: &App,
    ctx: &Ctx,
    address: &str,
    topic: &str,
    reason: &str,
) -> Result<Suppression> {
    app.authz
        .check(&ctx.principal, "notification", "update")
        .await?;
    if reason.trim().is_empty() {
        return Err(Error::invalid(
            "input.reason",
            "say why (it is kept in the audit log)",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    let s = repo::unsuppress(&mut tx, address, topic).await?;
    let entry = AuditEntry::new(
        "notification.suppression_lift",
        "notification_recipient",
        address,
    )
    .before(json!({ "topic": s.topic, "since": s.created_at }))
    .after(json!({ "topic": s.topic, "lifted": true, "reason": reason }));
    crate::record::record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    Ok(s)
}
