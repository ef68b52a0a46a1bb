//! `POST /graphql`: authenticate the bearer, apply rate limits, resolve a persisted
//! operation named by hash (`persisted`), honour `Idempotency-Key`,
//! execute, and make sure every error carries one of the fixed codes.

use super::{HttpState, RequestId};
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLRequest;
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use tsunagi_app::{auth, ratelimit};
use tsunagi_core::{Error, Principal};
use tsunagi_db::Scope;
use tsunagi_db::canonical::canonical;
use tsunagi_db::idempotency::{Claim, idem_claim, idem_complete, idem_release};
use tsunagi_graphql::{RequestCtx, to_gql};

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

/// A GraphQL-shaped error response (the operation never ran).
fn error_response(e: Error) -> Response {
    let retry = match &e {
        Error::RateLimited { retry_after_ms } => Some(retry_after_ms.div_ceil(1000).max(1)),
        _ => None,
    };
    let err = to_gql(e).into_server_error(async_graphql::Pos::default());
    let body = json!({ "errors": [err] });
    let mut res = (
        if retry.is_some() {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::OK
        },
        axum::Json(body),
    )
        .into_response();
    if let Some(secs) = retry
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert("retry-after", v);
    }
    res
}

/// Errors raised by the engine itself (syntax, unknown fields, limits) have no code: they
/// are the request's fault.
fn ensure_codes(body: &mut Value) {
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for e in errors {
            let Some(obj) = e.as_object_mut() else {
                continue;
            };
            let ext = obj.entry("extensions").or_insert_with(|| json!({}));
            if let Some(ext) = ext.as_object_mut() {
                ext.entry("code").or_insert_with(|| json!("BAD_REQUEST"));
            }
        }
    }
}

/// Whether a stored response would be wrong to replay (a transient failure).
fn transient(body: &Value) -> bool {
    body.get("errors")
        .and_then(Value::as_array)
        .is_some_and(|es| {
            es.iter().any(|e| {
                matches!(
                    e.pointer("/extensions/code").and_then(Value::as_str),
                    Some("INTERNAL" | "UNAVAILABLE" | "RATE_LIMITED")
                )
            })
        })
}

pub async fn graphql(
    State(s): State<HttpState>,
    Extension(rid): Extension<RequestId>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let principal: Option<Principal> = match bearer(&headers) {
        Some(token) => match auth::authenticate(&s.app, token).await {
            Ok(p) => Some(p),
            Err(e) => return error_response(e),
        },
        None => None,
    };
    let limited = match &principal {
        Some(p) => {
            tracing::Span::current().record("tenant_id", tracing::field::display(p.tenant_id));
            ratelimit::check_principal(&s.app, p).await
        }
        None => ratelimit::check_anonymous(&s.app, &peer.ip().to_string()).await,
    };
    if let Err(e) = limited {
        return error_response(e);
    }

    let mut request = req.into_inner();
    let persisted = match s.persisted.resolve(&mut request) {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    if !persisted
        && s.customer_persisted_only
        && principal.as_ref().is_some_and(Principal::is_customer)
    {
        return error_response(Error::forbidden(
            "a customer login may run only the console's operations (persisted by hash)",
        ));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let idem = match (&principal, key) {
        (Some(p), Some(key)) => {
            if key.is_empty() || key.len() > 255 {
                return error_response(Error::invalid(
                    "Idempotency-Key",
                    "must be 1-255 characters",
                ));
            }
            let shape = json!({
                "query": request.query,
                "operationName": request.operation_name,
                "variables": serde_json::to_value(&request.variables).unwrap_or(Value::Null),
                // Files of a multipart request stand in the variables as placeholders: their
                // digests make another file under the same key a mismatch, not a replay.
                "uploads": upload_digests(&request.uploads),
            });
            let hash = Sha256::digest(canonical(&shape).as_bytes()).to_vec();
            let who = p.actor.id();
            match idem_claim(
                &s.app.db,
                Scope::of(p),
                &who,
                &key,
                &hash,
                s.idempotency_ttl,
            )
            .await
            {
                Ok(Claim::New) => Some((Scope::of(p), who, key)),
                Ok(Claim::Replay(body)) => {
                    let mut res = axum::Json(body).into_response();
                    res.headers_mut()
                        .insert("idempotent-replayed", HeaderValue::from_static("true"));
                    return res;
                }
                Ok(Claim::Mismatch) => {
                    return error_response(Error::conflict(
                        "this Idempotency-Key was already used with a different request",
                    ));
                }
                Ok(Claim::InProgress) => {
                    return error_response(Error::conflict(
                        "a request with this Idempotency-Key is still in progress; retry later",
                    ));
                }
                Err(e) => return error_response(e),
            }
        }
        _ => None,
    };

    if principal.as_ref().is_some_and(Principal::is_customer) {
        request = request.disable_introspection();
    }
    if let Some(p) = &principal {
        let ctx = tsunagi_app::Ctx::new(p.clone(), Some(rid.0.to_string()));
        request = request.data(tsunagi_graphql::loaders::Loaders::new(&s.app, &ctx));
    }
    request = request.data(RequestCtx {
        principal,
        request_id: rid.0.to_string(),
    });
    let (response, statements) = tsunagi_db::stats::counting(s.schema.execute(request)).await;
    let statements = HeaderValue::from(statements);
    if response.errors.is_empty() && idem.is_none() {
        // The common case: nothing to rewrite or store, serialise once.
        let mut res = axum::Json(response).into_response();
        res.headers_mut().insert("x-sql-statements", statements);
        return res;
    }
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] }));
    ensure_codes(&mut body);

    if let Some((scope, who, key)) = idem {
        let stored = if transient(&body) {
            idem_release(&s.app.db, scope, &who, &key).await
        } else {
            idem_complete(&s.app.db, scope, &who, &key, &body).await
        };
        if let Err(e) = stored {
            tracing::error!(error = %e.detail(), "idempotency: could not store the response");
        }
    }
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert("x-sql-statements", statements);
    res
}

/// SHA-256 of each uploaded file, hex, in order.
fn upload_digests(uploads: &[async_graphql::UploadValue]) -> Vec<String> {
    use std::io::Read;
    uploads
        .iter()
        .map(|u| {
            let mut bytes = Vec::new();
            match u.try_clone().map(|c| c.into_read().read_to_end(&mut bytes)) {
                Ok(Ok(_)) => hex::encode(Sha256::digest(&bytes)),
                _ => "unreadable".to_owned(),
            }
        })
        .collect()
}
