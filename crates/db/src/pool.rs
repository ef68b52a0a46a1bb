//! The connection pool (as the unprivileged application role) and migrations (as the owner).

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Duration;
use tsunagi_core::{Error, Result};

/// Embedded, numbered, forward-only migrations from /migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_WHEN_IDLE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct DbConfig {
    /// The application role's URL: owns nothing, cannot bypass RLS.
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// The application's handle on PostgreSQL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    announcer: crate::announce::Announcer,
}

impl Db {
    pub async fn connect(cfg: &DbConfig) -> Result<Self> {
        let opts = PgConnectOptions::from_str(&cfg.url)
            .map_err(|e| {
                Error::bad_request(format!("database.url is not a valid PostgreSQL URL: {e}"))
            })?
            .application_name("tsunagi")
            // JIT compiles a plan whose estimated cost is high, which for this platform's
            // short statements costs more than it saves: 74 ms of a 357 ms usage chunk
            // (EXPLAIN ANALYZE, docs/benchmarks.md). Off for every connection.
            .options([("jit", "off")])
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = PgPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.acquire_timeout)
            // sqlx pings every connection it hands out: one more round trip per transaction
            // (a quarter of a read's). Only a connection idle for a while can have been cut
            // without us noticing; a busy one proves itself with every statement.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| Error::unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps a pool (and starts its announcer: needs a Tokio runtime).
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            announcer: crate::announce::Announcer::start(pool.clone()),
            pool,
        }
    }

    /// Where commits announce what they wrote (`announce`).
    pub fn announcer(&self) -> &crate::announce::Announcer {
        &self.announcer
    }

    /// The raw pool, for `TenantTx`, LISTEN and health checks only.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A round trip to the server (for /readyz).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| Error::unavailable(e.to_string()))
    }
}

/// Runs pending migrations with the owner's URL. Safe to run concurrently from several
/// replicas: sqlx takes an advisory lock.
pub async fn migrate(admin_url: &str) -> Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await
        .map_err(|e| {
            Error::unavailable(format!(
                "cannot connect to PostgreSQL as the migration role: {e}"
            ))
        })?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| Error::internal(format!("migration failed: {e}")))?;
    pool.close().await;
    Ok(())
}
