//! `/healthz`: the process answers. `/readyz`: PostgreSQL and Redis answer (503 otherwise).

use super::HttpState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(s): State<HttpState>) -> (StatusCode, Json<Value>) {
    let pg = tokio::time::timeout(Duration::from_secs(2), s.app.db.ping()).await;
    let pg_ok = matches!(pg, Ok(Ok(())));
    let redis_ok = match &s.app.redis {
        Some(r) => {
            let mut c = r.clone();
            let cmd = redis::cmd("PING");
            let ping = cmd.query_async::<String>(&mut c);
            matches!(
                tokio::time::timeout(Duration::from_secs(2), ping).await,
                Ok(Ok(_))
            )
        }
        None => false,
    };
    let status = if pg_ok && redis_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(
            json!({ "postgres": if pg_ok { "ok" } else { "unreachable" }, "redis": if redis_ok { "ok" } else { "unreachable" } }),
        ),
    )
}
