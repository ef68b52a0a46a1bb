//! tsunagi-server: the `tsunagi` binary's library — configuration, telemetry, the axum
//! router (GraphQL over HTTP and WebSocket, health), the worker loop and the CLI commands.
//! Tests build the same server with `start` on port 0.

pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_carrier;
pub mod demo_ledger;
pub mod http;
pub mod telemetry;
pub mod worker;

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::time::Duration;
use tsunagi_app::App;
use tsunagi_db::{Db, DbConfig};

pub use config::Config;

/// Connects to PostgreSQL (as the app role) and Redis.
pub async fn connect(cfg: &Config) -> Result<App> {
    let db = Db::connect(&DbConfig {
        url: cfg.database.url.0.clone(),
        max_connections: cfg.database.max_connections,
        acquire_timeout: Duration::from_secs(cfg.database.acquire_timeout_secs),
    })
    .await
    .map_err(|e| anyhow::anyhow!("database.url: {}", e.detail()))?;
    let redis = match redis::Client::open(cfg.redis.url.0.as_str()) {
        Ok(client) => match tokio::time::timeout(
            Duration::from_secs(3),
            redis::aio::ConnectionManager::new(client),
        )
        .await
        {
            Ok(Ok(m)) => Some(m),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "redis.url: cannot connect; rate limiting is off until restart");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "redis.url: connection timed out; rate limiting is off until restart"
                );
                None
            }
        },
        Err(e) => anyhow::bail!("redis.url: {e}"),
    };
    let app = App::new(db, redis, cfg.app_config());
    app.auth_cache
        .set_ttl(Duration::from_secs(cfg.auth.state_cache_secs));
    Ok(app)
}

/// Starts the tasks `tsunagi worker` runs beside its activations: the carrier workers, and
/// the notification hub (relay, consumers, dispatcher, digests) when `hub.enabled`. The
/// tasks run until aborted.
pub fn start_hub(cfg: &Config, app: &App) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let carrier = tokio::spawn(worker::carrier_loop(app.clone()));
    let feed = tokio::spawn(worker::usage_feed_loop(app.clone()));
    if !cfg.hub.enabled {
        return Ok(vec![carrier, feed]);
    }
    let key = app
        .config
        .data_key
        .clone()
        .context("secrets.data_key: the notification hub needs it to sign webhooks")?;
    let client = redis::Client::open(cfg.redis.url.0.as_str()).context("redis.url")?;
    let hub = tsunagi_hub::Hub::new(
        app.db.clone(),
        client,
        cfg.hub.clone(),
        key,
        Some(app.plugins.clone()),
    )?;
    tracing::info!("notification hub and carrier workers started");
    let mut tasks = hub.spawn();
    tasks.push(carrier);
    tasks.push(feed);
    Ok(tasks)
}

/// A running HTTP server.
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    pub handle: tokio::task::JoinHandle<()>,
}

/// Builds the app and serves it on `cfg.server.listen` (port 0 picks a free port).
pub async fn start(cfg: &Config) -> Result<Running> {
    let app = connect(cfg).await?;
    app.authz.spawn_reload_listener();
    app.auth_cache.spawn_listener(app.db.clone());
    app.settings.spawn_listener(app.db.clone());
    let router = http::router(app.clone(), cfg);
    let listener = tokio::net::TcpListener::bind(&cfg.server.listen)
        .await
        .with_context(|| format!("server.listen: cannot bind {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let svc = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, svc)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    tracing::info!(%addr, "tsunagi listening");
    Ok(Running { addr, app, handle })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
