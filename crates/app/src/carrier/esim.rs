//! eSIM profiles at the tenant's SM-DP+ (ES2+). A line's activation (or port-in) first
//! orders and confirms its profile there — `DownloadOrder`, then `ConfirmOrder` with the
//! release flag — under call identifiers derived from the step's idempotency key, so a try
//! after a lost answer repeats the same calls and the SM-DP+ applies each once; the
//! SM-DP+'s activation code replaces the stock one and the profile is `confirmed`. A line
//! that ends before its profile was downloaded cancels the order (`CancelOrder`, the
//! profile unavailable). A profile whose download failed is released again by a person
//! (`ReleaseProfile`). The customer (or staff allowed to read secrets) reads the
//! activation code of a confirmed profile; every reading is audited.

use crate::record::{record, record_event};
use crate::{App, Ctx};
use serde_json::json;
use std::time::Instant;
use tsunagi_carrier::{Es2Plus, FinalProfileStatus, GatewayError};
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::states::{EsimState, StateMachine};
use tsunagi_core::{Error, Result};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::carrier as carrier_repo;
use tsunagi_db::repo::contracts::Line;
use tsunagi_db::repo::esim as repo;
use tsunagi_db::repo::inventory::{self, Esim};
use tsunagi_db::repo::orders::ProvisioningJob;
use uuid::Uuid;

const CODE_PURPOSE: &str = "esim.activation_code";

/// What the SM-DP+ must do before a step's carrier command.
pub(crate) enum Prep {
    Nothing,
    /// Order and confirm the profile of a line being activated.
    Order(Esim),
    /// Cancel the order of a profile never downloaded, for a line that ends.
    Cancel(Esim),
}

/// The SM-DP+ work a step needs first, from its line's profile.
pub(crate) async fn prep_of(tx: &mut TenantTx, job: &ProvisioningJob, line: &Line) -> Result<Prep> {
    let Some(id) = line.esim_id else {
        return Ok(Prep::Nothing);
    };
    let e = inventory::esim_get(tx, id).await?;
    let state = EsimState::from_db(&e.status)?;
    Ok(match (job.action.as_str(), state) {
        ("activate" | "port_in", EsimState::Allocated) => Prep::Order(e),
        ("terminate", EsimState::Confirmed | EsimState::Failed) => Prep::Cancel(e),
        _ => Prep::Nothing,
    })
}

/// An SM-DP+ call that did not go through: refused for good, or to be tried again.
pub(crate) struct Unsettled {
    pub refused: bool,
    pub why: String,
    pub request: serde_json::Value,
    pub ms: i32,
}

fn call(job: &ProvisioningJob, function: &str) -> String {
    format!("{}:{function}", job.idempotency_key)
}

fn unsettled(e: GatewayError, request: serde_json::Value, started: Instant) -> Unsettled {
    Unsettled {
        refused: matches!(e, GatewayError::Rejected { .. }),
        why: format!("SM-DP+: {e}"),
        request,
        ms: elapsed(started),
    }
}

fn elapsed(started: Instant) -> i32 {
    started.elapsed().as_millis().min(i32::MAX as u128) as i32
}

/// Does what `prep` asks at the SM-DP+ (outside any transaction) and records it; an
/// `Unsettled` for the worker to settle as the step's attempt.
pub(crate) async fn run(
    app: &App,
    ctx: &Ctx,
    smdp: &dyn Es2Plus,
    job: &ProvisioningJob,
    prep: Prep,
) -> Result<std::result::Result<(), Unsettled>> {
    let started = Instant::now();
    match prep {
        Prep::Nothing => Ok(Ok(())),
        Prep::Order(e) => {
            let (download, confirm) = (call(job, "download"), call(job, "confirm"));
            let request = json!({
                "functions": ["DownloadOrder", "ConfirmOrder"],
                "functionCallIdentifiers": [download, confirm],
                "iccid": e.iccid,
                "releaseFlag": true,
            });
            if let Err(err) = smdp.download_order(&download, &e.iccid, None).await {
                return Ok(Err(unsettled(err, request, started)));
            }
            let confirmed = match smdp.confirm_order(&confirm, &e.iccid, true).await {
                Ok(c) => c,
                Err(err) => return Ok(Err(unsettled(err, request, started))),
            };
            let sealed = crate::crypto::data_key(app)?.seal(
                ctx.principal.tenant_id,
                CODE_PURPOSE,
                &confirmed.activation_code(),
            )?;
            let mut tx = app.tx(ctx).await?;
            let now = inventory::esim_lock(&mut tx, e.id).await?;
            if now.status == EsimState::Allocated.as_str() {
                repo::esim_confirmed(&mut tx, e.id, EsimState::Confirmed.as_str(), &sealed).await?;
                profile_moved(
                    &mut tx,
                    ctx,
                    &now,
                    EsimState::Confirmed,
                    "esim.confirmed",
                    json!({ "smdpAddress": confirmed.smdp_address }),
                )
                .await?;
            }
            let answer = format!(
                "the SM-DP+ {} reserved and confirmed the profile; released for download",
                confirmed.smdp_address
            );
            carrier_repo::attempt_insert(
                &mut tx,
                job.id,
                "es2plus",
                &request,
                "applied",
                &answer,
                elapsed(started),
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
        Prep::Cancel(e) => {
            let cancel = call(job, "cancel");
            let request = json!({
                "functions": ["CancelOrder"],
                "functionCallIdentifiers": [cancel],
                "iccid": e.iccid,
                "finalProfileStatusIndicator": "Unavailable",
            });
            let (outcome, answer) = match smdp
                .cancel_order(&cancel, &e.iccid, FinalProfileStatus::Unavailable)
                .await
            {
                Ok(()) => ("applied", "the SM-DP+ cancelled the order".to_owned()),
                // Downloaded meanwhile: the carrier's termination ends the service anyway.
                Err(GatewayError::Rejected { code, message }) => {
                    ("refused", format!("SM-DP+ ({code}): {message}"))
                }
                Err(err) => return Ok(Err(unsettled(err, request, started))),
            };
            let mut tx = app.tx(ctx).await?;
            carrier_repo::attempt_insert(
                &mut tx,
                job.id,
                "es2plus",
                &request,
                outcome,
                &answer,
                elapsed(started),
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
    }
}

/// A profile moved from its current state to `to` (checked), audited, with its event.
pub(crate) async fn profile_moved(
    tx: &mut TenantTx,
    ctx: &Ctx,
    e: &Esim,
    to: EsimState,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let from = EsimState::from_db(&e.status)?;
    from.transition(to)?;
    let entry = AuditEntry::new(action, "esim", e.id)
        .before(json!({ "status": from.as_str() }))
        .after(json!({ "status": to.as_str(), "detail": detail }));
    let line_id = inventory::line_of_esim(tx, e.id).await?;
    let event = Event::EsimStatusChanged(ev::EsimStatusChanged {
        esim_profile_id: e.id,
        from: from.as_str().into(),
        to: to.as_str().into(),
        line_id,
    });
    record_event(tx, ctx, entry, event).await
}

/// A person releases a profile whose download failed, so the customer can try again with
/// the same activation code: `ReleaseProfile` at the SM-DP+, then `confirmed`.
pub async fn release(app: &App, ctx: &Ctx, id: Uuid) -> Result<Esim> {
    app.authz
        .check(&ctx.principal, "inventory", "update")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let e = inventory::esim_get(&mut tx, id).await?;
    if EsimState::from_db(&e.status)? != EsimState::Failed {
        return Err(Error::conflict(format!(
            "the profile is {}: only a profile whose download failed is released again",
            e.status
        )));
    }
    let Some(smdp) = app.carriers.smdp_of(app, &mut tx).await? else {
        return Err(Error::conflict(
            "no SM-DP+ is set for this tenant (carrierSettingsSet smdpEndpoint)",
        ));
    };
    tx.commit().await?;
    let call = format!("release:{}:{}", e.id, e.version);
    smdp.release_profile(&call, &e.iccid)
        .await
        .map_err(|err| match err {
            GatewayError::Rejected { code, message } => {
                Error::conflict(format!("the SM-DP+ refused ({code}): {message}"))
            }
            other => Error::unavailable(format!("SM-DP+: {other}")),
        })?;
    let mut tx = app.tx(ctx).await?;
    let now = inventory::esim_lock(&mut tx, id).await?;
    if now.status == EsimState::Failed.as_str() {
        repo::esim_released(&mut tx, id, EsimState::Confirmed.as_str()).await?;
        profile_moved(
            &mut tx,
            ctx,
            &now,
            EsimState::Confirmed,
            "esim.release",
            json!({ "failure": now.failure }),
        )
        .await?;
    }
    let e = inventory::esim_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(e)
}

/// How a customer installs a line's eSIM: the activation code (also the QR payload).
#[derive(Debug, Clone)]
pub struct Activation {
    pub activation_code: String,
    pub status: String,
    pub confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The activation code of a line's eSIM profile once the SM-DP+ confirmed it: for the
/// line's own customer (self-service) or staff who may read stock secrets; audited.
pub async fn activation(app: &App, ctx: &Ctx, line_id: Uuid) -> Result<Activation> {
    // Scoped: a customer sees its own lines only.
    let line = crate::lines::line_get(app, ctx, line_id).await?;
    if !ctx.principal.is_customer() {
        app.authz
            .check(&ctx.principal, "inventory_secret", "read")
            .await?;
    }
    let Some(esim) = line.esim_id else {
        return Err(Error::conflict("this line has a physical SIM, not an eSIM"));
    };
    let mut tx = app.tx(ctx).await?;
    let e = inventory::esim_get(&mut tx, esim).await?;
    let state = EsimState::from_db(&e.status)?;
    if e.confirmed_at.is_none()
        || !matches!(
            state,
            EsimState::Confirmed | EsimState::Downloaded | EsimState::Installed | EsimState::Failed
        )
    {
        return Err(Error::conflict(format!(
            "the eSIM profile is {}: its activation code is shown once the SM-DP+ confirmed it",
            e.status
        )));
    }
    let code = crate::crypto::data_key(app)?.open(
        tsunagi_core::TenantId(e.tenant_id),
        CODE_PURPOSE,
        &e.activation_code_enc,
    )?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("esim.activation_code_read", "esim", e.id)
            .after(json!({ "lineId": line_id })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(Activation {
        activation_code: code,
        status: e.status,
        confirmed_at: e.confirmed_at,
    })
}
