//! Request body limits: GraphQL documents (JSON) up to [`MAX_BODY_BYTES`]; multipart
//! requests (the GraphQL multipart request spec, used to upload plugin components as
//! `input.wasm`) up to [`MAX_MULTIPART_BYTES`]. A body announced larger is refused at once
//! with 413 and a GraphQL-shaped error saying the limit and what to do; a chunked body is
//! cut off at the limit (the request then fails as unreadable, 400). Multipart requests
//! need a bearer token: the files are held in memory while parsed.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tsunagi_plugin_host::MAX_COMPONENT_BYTES;

/// The largest JSON request body: a GraphQL document with its variables.
pub const MAX_BODY_BYTES: usize = 8 << 20;

/// The largest multipart request: a plugin component of the largest size with its form.
pub const MAX_MULTIPART_BYTES: usize = MAX_COMPONENT_BYTES + (1 << 20);

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

fn refuse(status: StatusCode, code: &str, message: String, limit: Option<usize>) -> Response {
    let body = json!({ "errors": [{
        "message": message,
        "extensions": { "code": code, "limitBytes": limit },
    }]});
    (status, axum::Json(body)).into_response()
}

pub async fn body_limit(req: Request, next: Next) -> Response {
    let multipart = is_multipart(&req);
    // Files are for signed-in callers only (uploads are held in memory while parsed).
    if multipart && !req.headers().contains_key(header::AUTHORIZATION) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "multipart requests (file uploads) need a bearer token".into(),
            None,
        );
    }
    let limit = if multipart {
        MAX_MULTIPART_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = announced
        && n > limit as u64
    {
        let hint = if multipart {
            format!("plugin components are at most {MAX_COMPONENT_BYTES} bytes")
        } else {
            "upload plugin components as a multipart request (GraphQL multipart request \
             spec, pluginUpload's input.wasm) rather than base64 in JSON"
                .to_owned()
        };
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the request body of {n} bytes exceeds the {limit}-byte limit: {hint}"),
            Some(limit),
        );
    }
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    next.run(req).await
}
