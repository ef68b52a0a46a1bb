//! `POST /carrier/callbacks/{tenant}`: the carrier's signed callbacks (Standard Webhooks
//! headers, the tenant's callback secret), and under it
//! `…/es2plus/handleDownloadProgressInfo`, the SM-DP+'s download notices, signed the same way. Answers 200 with what the callback did, or a
//! clear refusal that changed nothing: 401 (signature, timestamp), 400 (not a callback),
//! 404 (no such tenant receiver, or a line not in this tenant).

use super::HttpState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tsunagi_app::carrier::callbacks::{self, Signed};
use tsunagi_app::carrier::notices;
use tsunagi_core::Error;

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub async fn callback(
    State(s): State<HttpState>,
    Path(tenant): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let Ok(tenant) = uuid::Uuid::parse_str(&tenant) else {
        return refuse(&Error::not_found("carrier callback receiver"));
    };
    answer(callbacks::receive(&s.app, tenant, &signed(&h), &body).await)
}

pub async fn download_progress(
    State(s): State<HttpState>,
    Path(tenant): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let Ok(tenant) = uuid::Uuid::parse_str(&tenant) else {
        return refuse(&Error::not_found("carrier callback receiver"));
    };
    answer(notices::receive(&s.app, tenant, &signed(&h), &body).await)
}

fn signed(h: &HeaderMap) -> Signed {
    Signed {
        id: header(h, "webhook-id"),
        timestamp: header(h, "webhook-timestamp"),
        signature: header(h, "webhook-signature"),
    }
}

fn answer(r: tsunagi_core::Result<String>) -> (StatusCode, Json<Value>) {
    match r {
        Ok(outcome) => (StatusCode::OK, Json(json!({ "outcome": outcome }))),
        Err(e) => refuse(&e),
    }
}

fn refuse(e: &Error) -> (StatusCode, Json<Value>) {
    let status = match e {
        Error::Forbidden { .. } | Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Validation(_) | Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if !e.is_client_error() {
        tracing::warn!(error = %e.detail(), "carrier callback failed");
    }
    let message = match e {
        Error::Forbidden { reason } => reason.clone(),
        other => other.public_message(),
    };
    (
        status,
        Json(json!({ "code": e.code(), "message": message })),
    )
}
