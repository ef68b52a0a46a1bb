//! The SM-DP+'s download notices (ES2+ `HandleDownloadProgressInfo`), signed like carrier
//! callbacks with the tenant's callback secret. A notice is checked before anything
//! changes, taken once per notice id, and judged by its time: one older than the last
//! notice applied to the profile changes nothing (an "installed" that overtook its
//! "downloaded" stays installed). A successful download moves the profile to
//! `downloaded`, a successful installation to `installed`; a failure at any point to
//! `failed` with the SM-DP+'s reason, where a person releases it again.

use super::callbacks::{Signed, verify};
use super::esim::profile_moved;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_carrier::DownloadProgress;
use tsunagi_carrier::es2plus::point;
use tsunagi_core::states::{EsimState, StateMachine};
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::repo::esim as repo;
use uuid::Uuid;

/// Where a tenant's SM-DP+ sends download notices, under the API's address.
pub fn path(tenant: Uuid) -> String {
    format!(
        "{}/es2plus/handleDownloadProgressInfo",
        super::callbacks::path(tenant)
    )
}

/// The state a notice asks for; None: nothing to change (a success at another point).
fn target(n: &DownloadProgress) -> Option<EsimState> {
    if !n.notification_point_status.is_success() {
        return Some(EsimState::Failed);
    }
    match n.notification_point_id {
        point::BPP_DOWNLOAD => Some(EsimState::Downloaded),
        point::BPP_INSTALLATION => Some(EsimState::Installed),
        _ => None,
    }
}

fn failure(n: &DownloadProgress) -> String {
    let what = match n.notification_point_id {
        point::ELIGIBILITY => "the eligibility check",
        point::CONFIRMATION_FAILURE => "the confirmation code",
        point::BPP_DOWNLOAD => "the download",
        point::BPP_INSTALLATION => "the installation",
        _ => "a step",
    };
    let code = n
        .notification_point_status
        .status_code_data
        .as_ref()
        .map(|d| {
            format!(
                " ({}/{}{})",
                d.subject_code,
                d.reason_code,
                d.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!("{what} failed at the SM-DP+{code}")
}

/// Checks and applies one notice; returns what it did.
pub async fn receive(app: &App, tenant: Uuid, h: &Signed, body: &[u8]) -> Result<String> {
    let tenant = TenantId(tenant);
    verify(app, tenant, h, body).await?;
    let n: DownloadProgress = serde_json::from_slice(body).map_err(|e| {
        Error::bad_request(format!(
            "the body is not an ES2+ download progress notice: {e}"
        ))
    })?;
    if n.header.function_call_identifier != h.id {
        return Err(Error::bad_request(
            "header.functionCallIdentifier differs from webhook-id",
        ));
    }
    let Some(ctx) = Ctx::system(app, tenant, "system:smdp-notice").await? else {
        return Err(Error::not_found("carrier callback receiver"));
    };
    apply(app, &ctx, &n, body).await
}

async fn apply(app: &App, ctx: &Ctx, n: &DownloadProgress, body: &[u8]) -> Result<String> {
    let id = &n.header.function_call_identifier;
    let mut tx = app.tx(ctx).await?;
    let Some(e) = repo::esim_lock_by_iccid(&mut tx, &n.iccid).await? else {
        return Err(Error::not_found(
            "eSIM profile with this ICCID in this tenant",
        ));
    };
    if repo::notice_seen(&mut tx, id).await? {
        return Ok("duplicate".into());
    }
    let from = EsimState::from_db(&e.status)?;
    let outcome = match target(n) {
        _ if e.notice_at.is_some_and(|at| at >= n.timestamp) => format!(
            "stale: sent {}, a newer notice was applied",
            n.timestamp.to_rfc3339()
        ),
        None => format!("noted: point {} succeeded", n.notification_point_id),
        Some(to) if to == from => "in sync".into(),
        Some(to) if from.can_become(to) => {
            let why = (to == EsimState::Failed).then(|| failure(n));
            repo::esim_noticed(
                &mut tx,
                e.id,
                to.as_str(),
                n.timestamp,
                n.eid.as_deref(),
                why.as_deref(),
            )
            .await?;
            let detail = json!({ "point": n.notification_point_id, "failure": why });
            profile_moved(&mut tx, ctx, &e, to, "esim.download_progress", detail).await?;
            to.as_str().to_owned()
        }
        Some(to) => format!(
            "ignored: a {} profile cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    };
    let body: serde_json::Value = serde_json::from_slice(body)?;
    repo::notice_insert(
        &mut tx,
        id,
        &n.iccid,
        i16::from(n.notification_point_id),
        n.notification_point_status.is_success(),
        &body,
        &outcome,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}
