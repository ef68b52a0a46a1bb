//! Rejected usage records: listed and filtered, re-processed (as they were, or corrected by
//! a person) through the same check and routing as new records, or discarded with a reason.
//! Nothing is deleted: a closed rejection keeps who closed it, when and how; both actions
//! are audited.

use super::formats::{Item, from_json_object};
use super::{Ingest, Summary};
use crate::record::record;
use crate::{App, Ctx};
use tsunagi_core::usage::Submitted;
use tsunagi_core::{Error, Result};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::usage::{self as repo, Rejection, RejectionFilter};
use uuid::Uuid;

pub async fn list(app: &App, ctx: &Ctx, f: RejectionFilter, page: Page) -> Result<Vec<Rejection>> {
    app.authz.check(&ctx.principal, "usage", "read").await?;
    let mut tx = app.read(ctx).await?;
    let rows = repo::rejections_list(&mut tx, &f, page).await?;
    tx.end()?;
    Ok(rows)
}

pub async fn get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Rejection> {
    app.authz.check(&ctx.principal, "usage", "read").await?;
    let mut tx = app.read(ctx).await?;
    let r = repo::rejection_get(&mut tx, id).await?;
    tx.end()?;
    Ok(r)
}

/// A rejection is resolved only while it is open.
fn still_open(r: &Rejection) -> Result<()> {
    if r.status == "open" {
        return Ok(());
    }
    Err(Error::conflict(format!(
        "this rejection is already {} ({})",
        r.status,
        r.resolution.as_deref().unwrap_or("no resolution recorded")
    )))
}

/// An open rejection of the caller's own tenant, read before re-processing it.
async fn open_one(app: &App, ctx: &Ctx, id: Uuid) -> Result<Rejection> {
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let r = get(app, ctx, id).await?;
    if r.tenant_id != ctx.principal.tenant_id.as_uuid() {
        // A parent tenant reads its resellers' rejections but does not resolve them.
        return Err(Error::not_found("usage rejection"));
    }
    still_open(&r)?;
    Ok(r)
}

/// Runs a rejected record again: as it was, or with `corrected` fields (the whole record, as
/// a person fixed it). The answer is the rejection as it stands afterwards (closed when the
/// record was taken; still open with the new reason when not) and what the run did.
pub async fn reprocess(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    corrected: Option<Submitted<'_>>,
) -> Result<(Rejection, Summary)> {
    let before = open_one(app, ctx, id).await?;
    let as_sent = before
        .fields
        .as_object()
        .filter(|o| !o.is_empty())
        .map(from_json_object);
    let submitted = match (corrected, as_sent) {
        (Some(c), _) => c,
        (None, Some(Item::Record(s))) => s,
        (None, _) => {
            return Err(Error::invalid(
                "input.record",
                "this record could not be read as sent; re-process it with corrected fields",
            ));
        }
    };
    let mut ingest = Ingest::start(app, ctx, &before.source, "reprocess").await?;
    ingest.push(before.position, &submitted).await?;
    let summary = ingest.finish().await?;

    let mut tx = app.tx(ctx).await?;
    let mut now = repo::rejection_lock(&mut tx, id).await?;
    if now.status == "open" && now.batch_id != summary.batch_id {
        // The run did not land on this rejection (the record id was corrected, or it had
        // none): it is replaced by what the run did.
        let how = if summary.accepted == 1 {
            "accepted after correction".to_owned()
        } else if let Some(r) = summary.rejections.first() {
            format!("replaced by rejection {}", r.id)
        } else {
            "a duplicate of a record already taken".to_owned()
        };
        now = repo::rejection_close(
            &mut tx,
            id,
            "reprocessed",
            &how,
            &ctx.principal.actor.label(),
        )
        .await?;
    }
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.rejection_reprocess", "usage_rejection", id)
            .before(&before)
            .after(&now),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((now, summary))
}

/// Closes a rejection without taking the record; `reason` says why, for the audit.
pub async fn discard(app: &App, ctx: &Ctx, id: Uuid, reason: &str) -> Result<Rejection> {
    app.authz.check(&ctx.principal, "usage", "update").await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "input.reason",
            "say why the record is discarded (1-500 characters)",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    // Locked in the caller's own tenant: a parent's view of a reseller's is NOT_FOUND here.
    let before = repo::rejection_lock(&mut tx, id).await?;
    still_open(&before)?;
    let after = repo::rejection_close(
        &mut tx,
        id,
        "discarded",
        reason,
        &ctx.principal.actor.label(),
    )
    .await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("usage.rejection_discard", "usage_rejection", id)
            .before(&before)
            .after(&after),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
