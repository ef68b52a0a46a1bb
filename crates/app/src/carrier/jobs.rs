//! Carrier steps as people see them: the open ones (in flight with the workers, parked
//! after their tries, or waiting for a person) with what each waits for and since when,
//! every call made for a step, and a person's "retry now".

use crate::record::record;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::{Error, Result};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::carrier::{self as repo, Attempt};
use tsunagi_db::repo::orders::{self as orders, ProvisioningJob};
use uuid::Uuid;

/// Open steps, oldest first.
pub async fn open(
    app: &App,
    ctx: &Ctx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ProvisioningJob>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::jobs_open(&mut tx, after, limit).await?;
    tx.commit().await?;
    Ok(r)
}

/// Every call made for a step (command sent or status asked), oldest first.
pub async fn attempts(app: &App, ctx: &Ctx, job: Uuid) -> Result<Vec<Attempt>> {
    app.authz.check(&ctx.principal, "carrier", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::attempts_of_job(&mut tx, job).await?;
    tx.commit().await?;
    Ok(r)
}

/// "Retry now": a step that parked after its tries (or waits for a person because the
/// carrier was off) gets a fresh round at the carrier. Its line stays in review until the
/// carrier answers; a success then settles it.
pub async fn retry(app: &App, ctx: &Ctx, job_id: Uuid) -> Result<ProvisioningJob> {
    app.authz
        .check(&ctx.principal, "line", "carrier_retry")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let job = orders::job_lock(&mut tx, job_id).await?;
    if !matches!(job.status.as_str(), "queued" | "running") {
        return Err(Error::conflict(format!(
            "this step is {} already; nothing to retry",
            job.status
        )));
    }
    if job.next_attempt_at.is_some() {
        return Err(Error::conflict(format!(
            "the workers already have this step: next {} at {}",
            job.waiting_for.as_deref().unwrap_or("send"),
            job.next_attempt_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default()
        )));
    }
    if !repo::connected(&mut tx).await? {
        return Err(Error::conflict(
            "no carrier is connected (carrierSettingsSet): report the carrier's answer (carrierReport) or resolve the line instead",
        ));
    }
    let job = repo::job_retry(&mut tx, job.id).await?;
    let entry = AuditEntry::new("provisioning_job.retry", "provisioning_job", job.id)
        .after(json!({ "action": job.action, "lineId": job.line_id }));
    record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    Ok(job)
}
