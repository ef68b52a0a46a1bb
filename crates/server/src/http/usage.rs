//! `POST /usage/records?source=<source>`: bulk usage, streamed. The body is NDJSON
//! (`Content-Type: application/x-ndjson`) or CSV with a header row (`text/csv`), of any size
//! (no body limit here: records are read as they arrive and committed in chunks, so memory
//! stays flat). Needs a bearer with `usage:create` (an API key with the `usage_feed` role).
//! The answer is the batch's summary: received, accepted, duplicates, rejected, and its first
//! rejections with their position, field and reason. Errors have the GraphQL error shape.

use super::HttpState;
use super::graphql::bearer;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tsunagi_app::usage::Ingest;
use tsunagi_app::usage::formats::{Csv, Item, Ndjson};
use tsunagi_app::{Ctx, auth, ratelimit};
use tsunagi_core::Error;

#[derive(Deserialize)]
pub struct Params {
    source: Option<String>,
}

enum Decoder {
    Ndjson(Ndjson),
    Csv(Box<Csv>),
}

impl Decoder {
    fn of(headers: &HeaderMap) -> Result<Self, Error> {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mime = ct.split(';').next().unwrap_or_default().trim();
        match mime.to_ascii_lowercase().as_str() {
            "application/x-ndjson" | "application/jsonl" | "application/ndjson" => {
                Ok(Self::Ndjson(Ndjson::default()))
            }
            "text/csv" => Ok(Self::Csv(Box::default())),
            _ => Err(Error::invalid(
                "Content-Type",
                "must be application/x-ndjson (one JSON record per line) or text/csv (with a header row)",
            )),
        }
    }

    fn format(&self) -> &'static str {
        match self {
            Self::Ndjson(_) => "ndjson",
            Self::Csv(_) => "csv",
        }
    }

    /// Reads what `bytes` completes (empty: the end of the body).
    fn feed(&mut self, bytes: &[u8], items: &mut Vec<(i64, Item)>) -> Result<(), Error> {
        let mut push = |p: i64, i: Item| items.push((p, i));
        match self {
            Self::Ndjson(d) if bytes.is_empty() => d.finish(&mut push),
            Self::Ndjson(d) => d.feed(bytes, &mut push),
            Self::Csv(d) if bytes.is_empty() => d.finish(&mut push)?,
            Self::Csv(d) => d.feed(bytes, &mut push)?,
        }
        Ok(())
    }
}

fn refuse(e: Error) -> Response {
    let status = match &e {
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden { .. } => StatusCode::FORBIDDEN,
        Error::Validation(_) | Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if !e.is_client_error() {
        tracing::error!(error = %e.detail(), "usage submission failed");
    }
    let err = tsunagi_graphql::to_gql(e).into_server_error(async_graphql::Pos::default());
    (status, axum::Json(json!({ "errors": [err] }))).into_response()
}

async fn push_all(ingest: &mut Ingest, items: Vec<(i64, Item)>) -> tsunagi_core::Result<()> {
    for (position, item) in items {
        match item {
            Item::Record(s) => ingest.push(position, &s).await?,
            Item::Unreadable { raw, why } => ingest.push_unreadable(position, &raw, &why).await?,
        }
    }
    Ok(())
}

pub async fn records(
    State(s): State<HttpState>,
    axum::Extension(rid): axum::Extension<super::RequestId>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return refuse(Error::Unauthenticated);
    };
    let principal = match auth::authenticate(&s.app, token).await {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    tracing::Span::current().record("tenant_id", tracing::field::display(principal.tenant_id));
    if let Err(e) = ratelimit::check_principal(&s.app, &principal).await {
        return refuse(e);
    }
    let mut decoder = match Decoder::of(&headers) {
        Ok(d) => d,
        Err(e) => return refuse(e),
    };
    let Some(source) = q.source.filter(|s| !s.is_empty()) else {
        return refuse(Error::invalid(
            "source",
            "name the source of the records: ?source=carrier",
        ));
    };
    let ctx = Ctx::new(principal, Some(rid.0.to_string()));
    let mut ingest = match Ingest::start(&s.app, &ctx, &source, decoder.format()).await {
        Ok(i) => i,
        Err(e) => return refuse(e),
    };
    let mut stream = body.into_data_stream();
    let mut items = Vec::new();
    let failure = loop {
        let chunk = match stream.next().await {
            Some(Ok(c)) if c.is_empty() => continue,
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                break Some(Error::bad_request(format!(
                    "the request body could not be read to its end ({e}); what was read before is kept, send the rest (or all of it: records taken already count as duplicates)"
                )));
            }
            None => axum::body::Bytes::new(),
        };
        let end = chunk.is_empty();
        if let Err(e) = decoder.feed(&chunk, &mut items) {
            break Some(e);
        }
        if let Err(e) = push_all(&mut ingest, std::mem::take(&mut items)).await {
            break Some(e);
        }
        if end {
            break None;
        }
    };
    let summary = match failure {
        None => ingest.finish().await,
        Some(e) => {
            let batch = ingest.batch_id();
            if let Err(closing) = ingest.fail(&e.public_message()).await {
                tracing::error!(error = %closing.detail(), %batch, "usage batch could not be closed");
            }
            return refuse(e);
        }
    };
    match summary {
        Ok(sum) => (StatusCode::OK, axum::Json(sum)).into_response(),
        Err(e) => refuse(e),
    }
}
