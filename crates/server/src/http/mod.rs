//! The axum router: GraphQL over HTTP (`POST /graphql`), GraphiQL (`GET /graphql`),
//! subscriptions over WebSocket (`/graphql/ws`, graphql-transport-ws), the carrier's
//! callbacks (`/carrier/callbacks/{tenant}`, the SM-DP+'s notices under it), bulk usage
//! (`POST /usage/records`, streamed: `usage`), `/healthz` and `/readyz`,
//! the web console's files at `/` and its cookie sessions under `/auth` (`console`); a request id and a tracing span around every request.

mod carrier;
mod console;
mod graphql;
mod health;
mod limits;
mod persisted;
mod unsubscribe;
mod usage;
mod ws;

use crate::config::Config;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;
use tokio::sync::broadcast;
use tsunagi_app::App;
use tsunagi_core::TenantId;
use tsunagi_graphql::{AlertFeed, AuditFeed, SchemaLimits, TsunagiSchema, build_schema};

#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub schema: TsunagiSchema,
    pub idempotency_ttl: chrono::Duration,
    /// The built web console, served at `/`.
    pub console_dir: Arc<std::path::Path>,
    /// How long the console's refresh cookie lives.
    pub refresh_ttl_secs: u64,
    /// The console's operations, accepted by hash.
    pub persisted: Arc<persisted::Persisted>,
    /// Customer principals may run persisted operations only.
    pub customer_persisted_only: bool,
}

/// The request id: the caller's `X-Request-Id` when it is sane, else a new UUID.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut()
        .insert(RequestId(Arc::from(id.as_str())));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path(), tenant_id = tracing::field::Empty, status = tracing::field::Empty);
    let mut res = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    span.record("status", res.status().as_u16());
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

pub use limits::{MAX_BODY_BYTES, MAX_MULTIPART_BYTES};

pub fn router(app: App, cfg: &Config) -> Router {
    let limits = SchemaLimits {
        max_depth: cfg.graphql.max_depth,
        max_complexity: cfg.graphql.max_complexity,
        max_aliases: cfg.graphql.max_aliases,
        introspection: cfg.graphql.introspection,
    };
    let (tx, _) = broadcast::channel(1024);
    spawn_audit_feed(app.clone(), tx.clone());
    let (alerts, _) = broadcast::channel(1024);
    spawn_alert_feed(app.clone(), alerts.clone());
    let schema = build_schema(app.clone(), AuditFeed(tx), AlertFeed(alerts), &limits);
    let state = HttpState {
        app,
        schema,
        idempotency_ttl: chrono::Duration::hours(cfg.idempotency.ttl_hours),
        console_dir: Arc::from(std::path::Path::new(&cfg.server.console_dir)),
        refresh_ttl_secs: cfg.auth.refresh_ttl_secs,
        persisted: Arc::new(persisted::Persisted::load(std::path::Path::new(
            &cfg.server.console_dir,
        ))),
        customer_persisted_only: cfg.graphql.customer_persisted_only,
    };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::graphql))
        .route("/graphql/ws", get(ws::subscriptions))
        .route(
            "/notifications/unsubscribe/{token}",
            get(unsubscribe::show).post(unsubscribe::apply),
        )
        .route(
            "/carrier/callbacks/{tenant}",
            axum::routing::post(carrier::callback),
        )
        .route(
            "/carrier/callbacks/{tenant}/es2plus/handleDownloadProgressInfo",
            axum::routing::post(carrier::download_progress),
        )
        .route("/auth/session", axum::routing::post(console::session))
        .route("/auth/refresh", axum::routing::post(console::refresh))
        .route("/auth/logout", axum::routing::post(console::logout))
        .route("/healthz", get(health::healthz))
        .fallback(get(console::file))
        .route("/readyz", get(health::readyz))
        .layer(middleware::from_fn(limits::body_limit))
        // Streamed, committed in chunks: no body limit.
        .route("/usage/records", axum::routing::post(usage::records))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Follows `NOTIFY tsunagi_alert` (console alerts the hub delivered, on any replica).
fn spawn_alert_feed(app: App, tx: broadcast::Sender<serde_json::Value>) {
    tokio::spawn(async move {
        loop {
            if let Ok(mut l) = sqlx::postgres::PgListener::connect_with(app.db.pool()).await
                && l.listen("tsunagi_alert").await.is_ok()
            {
                while let Ok(n) = l.recv().await {
                    if let Ok(v) = serde_json::from_str(n.payload()) {
                        let _ = tx.send(v);
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

/// Follows `NOTIFY tsunagi_audit` so subscriptions see new records from every replica.
fn spawn_audit_feed(app: App, tx: broadcast::Sender<(TenantId, i64, i64)>) {
    tokio::spawn(async move {
        loop {
            if let Ok(mut l) = sqlx::postgres::PgListener::connect_with(app.db.pool()).await
                && l.listen("tsunagi_audit").await.is_ok()
            {
                while let Ok(n) = l.recv().await {
                    if let Some(range) = tsunagi_db::announce::parse_audit_payload(n.payload()) {
                        let _ = tx.send(range);
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
