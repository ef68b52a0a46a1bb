//! The simulated SM-DP+ over HTTP: the four ES2+ functions (`POST
//! /gsma/rsp2/es2plus/{downloadOrder,confirmOrder,cancelOrder,releaseProfile}`, under the
//! same faults as carrier commands), the device's side (`POST /admin/esim/{iccid}/download`,
//! or by itself after `autoDownloadMs`), inspection (`GET /admin/esim/{iccid}`, `GET
//! /admin/esim-journal`), and the `HandleDownloadProgressInfo` notices each download step
//! sends through the callback sender.

use super::smdp::{Es2Call, Fail, Profile, ProfileState, Refusal, Step};
use super::{Shared, current_faults, problem};
use crate::es2plus::{ADMIN_PROTOCOL, DownloadProgress, RequestHeader};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Who the simulator's notices say they come from.
pub const NOTICE_REQUESTER: &str = "carrier-sim-smdp";

/// The SM-DP+'s routes, beside the carrier's.
pub(super) fn routes(r: Router<Shared>) -> Router<Shared> {
    r.route("/gsma/rsp2/es2plus/{function}", post(es2plus))
        .route("/admin/esim/{iccid}", get(profile))
        .route("/admin/esim/{iccid}/download", post(download))
        .route("/admin/esim-journal", get(journal))
}

/// Reads an ES2+ request: its header and the call it makes.
fn parse(function: &str, body: &[u8]) -> Result<(RequestHeader, Es2Call), Refusal> {
    if !matches!(
        function,
        "downloadOrder" | "confirmOrder" | "cancelOrder" | "releaseProfile"
    ) {
        let m = format!("no ES2+ function {function:?} here");
        return Err(Refusal::new(404, "not_found", m));
    }
    let bad = |m: String| Refusal::new(400, "bad_request", m);
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let Some(obj) = v.as_object_mut() else {
        return Err(bad("the body is not a JSON object".into()));
    };
    let header: RequestHeader = obj
        .remove("header")
        .ok_or_else(|| bad("header: required".into()))
        .and_then(|h| serde_json::from_value(h).map_err(|e| bad(format!("header: {e}"))))?;
    if !(1..=255).contains(&header.function_call_identifier.len()) {
        return Err(bad(
            "header.functionCallIdentifier: 1–255 characters required".into(),
        ));
    }
    obj.insert("function".into(), Value::String(function.into()));
    let call = serde_json::from_value(v).map_err(|e| bad(format!("{function}: {e}")))?;
    Ok((header, call))
}

async fn es2plus(
    State(sim): State<Shared>,
    Path(function): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let protocol = h.get("x-admin-protocol").and_then(|v| v.to_str().ok());
    if !protocol.is_some_and(|p| p.starts_with("gsma/rsp/v2.")) {
        return problem(
            400,
            "bad_request",
            &format!("X-Admin-Protocol: {ADMIN_PROTOCOL} (gsma/rsp/v2.x.y) required"),
        );
    }
    let (header, call) = match parse(&function, &body) {
        Ok(p) => p,
        Err(r) => return problem(r.status, r.code, &r.message),
    };
    let f = current_faults(&sim);
    tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    if f.error_rate > 0.0 && rand::random::<f64>() < f.error_rate {
        return problem(503, "unavailable", "injected error: nothing applied");
    }
    let applied = sim
        .smdp
        .lock()
        .await
        .apply(&header.function_call_identifier, &call);
    let (answer, changed) = match applied {
        Ok(a) => a,
        Err(e) => return problem(500, "journal", &e.to_string()),
    };
    if let Some(p) = changed.filter(|p| p.state == ProfileState::Released) {
        auto_download(&sim, p.iccid);
    }
    if f.timeout_rate > 0.0 && rand::random::<f64>() < f.timeout_rate {
        tokio::time::sleep(Duration::from_millis(f.hold_ms.max(1))).await;
    }
    ([("x-admin-protocol", ADMIN_PROTOCOL)], Json(answer)).into_response()
}

/// With `autoDownloadMs` set, the device downloads a profile just released by itself after
/// that delay, failing at the download with the `downloadFailureRate` of that moment; a
/// profile no longer released by then is left alone.
fn auto_download(sim: &Shared, iccid: String) {
    let delay = current_faults(sim).auto_download_ms;
    if delay == 0 {
        return;
    }
    let sim = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let rate = current_faults(&sim).download_failure_rate;
        let fail = (rand::random::<f64>() < rate).then_some(Fail::Download);
        if let Err(r) = run_download(&sim, &iccid, None, fail).await {
            tracing::debug!(
                "carrier-sim: no automatic download of {iccid}: {}",
                r.message
            );
        }
    });
}

/// Runs a download and sends the notice of each step; the profile after it.
async fn run_download(
    sim: &Shared,
    iccid: &str,
    eid: Option<&str>,
    fail: Option<Fail>,
) -> Result<Profile, Refusal> {
    let steps = sim.smdp.lock().await.download(iccid, eid, fail)?;
    for s in &steps {
        sim.callbacks.push_notice(&notice(s));
    }
    let last = steps.into_iter().last();
    last.map(|s| s.profile)
        .ok_or_else(|| Refusal::new(500, "journal", "a download without steps".into()))
}

/// The `HandleDownloadProgressInfo` of one step, under a fresh functionCallIdentifier.
fn notice(s: &Step) -> DownloadProgress {
    DownloadProgress {
        header: RequestHeader {
            function_requester_identifier: NOTICE_REQUESTER.into(),
            function_call_identifier: format!("ntf_{:032x}", rand::random::<u128>()),
        },
        eid: s.profile.eid.clone(),
        iccid: s.profile.iccid.clone(),
        profile_type: None,
        timestamp: s.profile.updated_at,
        notification_point_id: s.point,
        notification_point_status: s.status.clone(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DownloadRequest {
    eid: Option<String>,
    fail: Option<Fail>,
}

/// The customer's device downloads a released profile (`fail`: where it goes wrong).
async fn download(State(sim): State<Shared>, Path(iccid): Path<String>, body: Bytes) -> Response {
    let req: DownloadRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DownloadRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                let m =
                    format!("the body is not {{\"eid\", \"fail\": null|download|install}}: {e}");
                return problem(400, "bad_request", &m);
            }
        }
    };
    match run_download(&sim, &iccid, req.eid.as_deref(), req.fail).await {
        Ok(p) => Json(p).into_response(),
        Err(r) => problem(r.status, r.code, &r.message),
    }
}

async fn profile(State(sim): State<Shared>, Path(iccid): Path<String>) -> Response {
    match sim.smdp.lock().await.profiles.get(&iccid) {
        Some(p) => Json(p.clone()).into_response(),
        None => problem(404, "not_found", &format!("no profile {iccid}")),
    }
}

async fn journal(State(sim): State<Shared>) -> Response {
    Json(sim.smdp.lock().await.journal.clone()).into_response()
}
