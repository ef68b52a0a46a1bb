//! The end-to-end harness: a fresh database per test (copied from a migrated template), the
//! real server on a random loopback port, and a small GraphQL-over-HTTP client. Tests talk
//! to the server as a client would; the database superuser is used only to set up and to
//! play the attacker who tampers with rows.

pub mod carrier;
pub mod client;
pub mod hub;
pub mod ledger;
pub mod load;
pub mod plugins;
pub mod scale;
pub mod seed;
pub mod tour;
pub mod usage_load;
pub mod walk;
pub mod ws;

use anyhow::{Context, Result};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::time::{SystemTime, UNIX_EPOCH};
use tsunagi_server::{Config, Running};

pub use client::{Client, code, codes};
pub use seed::Seeded;

/// The superuser URL of the test PostgreSQL (set by `cargo xtask test`).
pub fn admin_base_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{db}{query}")
}

fn with_user(url: &str, user: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    format!("{scheme}://{user}@{host}")
}

fn template_name() -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for m in tsunagi_db::pool::MIGRATOR.iter() {
        for b in m.checksum.iter() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
    }
    format!("tsunagi_tpl_{h:016x}")
}

/// Creates (once, under an advisory lock shared by every test process) the migrated
/// template, and drops test databases left over from runs more than an hour old.
async fn ensure_template() -> Result<String> {
    let name = template_name();
    let mut c = PgConnection::connect(&admin_base_url())
        .await
        .context("DATABASE_URL: cannot connect to PostgreSQL (run `cargo xtask test`)")?;
    c.execute("SELECT pg_advisory_lock(727274)").await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut c)
            .await?;
    if !exists {
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        tsunagi_db::pool::migrate(&with_db(&admin_base_url(), &name))
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let old: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'tsunagi_test_%' OR (datname LIKE 'tsunagi_tpl_%' AND datname <> $1)")
            .bind(&name)
            .fetch_all(&mut c)
            .await?;
        for db in old {
            let ts = db
                .strip_prefix("tsunagi_test_")
                .and_then(|r| r.split('_').next())
                .and_then(|t| t.parse::<u64>().ok());
            if ts.is_none_or(|t| now.saturating_sub(t) > 3600) {
                let _ = c
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                    )))
                    .await;
            }
        }
    }
    c.execute("SELECT pg_advisory_unlock(727274)").await?;
    Ok(name)
}

/// A fresh database and a running server.
pub struct TestEnv {
    pub base: String,
    pub db_name: String,
    pub running: Running,
    pub config: Config,
    /// Superuser pool on the test database (setup and tampering only).
    pub admin: PgPool,
}

impl TestEnv {
    pub async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    /// Starts with extra `TSUNAGI_…` settings.
    pub async fn start_with(extra: &[(&str, &str)]) -> Result<Self> {
        let tpl = ensure_template().await?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let db_name = format!("tsunagi_test_{now}_{}", uuid::Uuid::new_v4().simple());
        let mut c = PgConnection::connect(&admin_base_url()).await?;
        c.execute(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {db_name} TEMPLATE {tpl}"
        )))
        .await?;
        c.close().await?;
        let admin_url = with_db(&admin_base_url(), &db_name);
        let app_url = with_user(&admin_url, "tsunagi_app");
        let mut env: Vec<(String, String)> = vec![
            ("TSUNAGI_DATABASE__URL".into(), app_url),
            ("TSUNAGI_DATABASE__ADMIN_URL".into(), admin_url.clone()),
            ("TSUNAGI_DATABASE__MAX_CONNECTIONS".into(), "10".into()),
            ("TSUNAGI_REDIS__URL".into(), redis_url()),
            ("TSUNAGI_SERVER__LISTEN".into(), "127.0.0.1:0".into()),
            (
                "TSUNAGI_AUTH__JWT_SECRET".into(),
                format!("test-secret-{}", uuid::Uuid::new_v4().simple()),
            ),
            ("TSUNAGI_TELEMETRY__LOG_LEVEL".into(), "warn".into()),
            // The GraphQL suites speak as customers with their own queries; the console
            // suite and `persisted_operations` test the production rule.
            (
                "TSUNAGI_GRAPHQL__CUSTOMER_PERSISTED_ONLY".into(),
                "false".into(),
            ),
            // The built console (cargo xtask console), served at / like in production.
            (
                "TSUNAGI_SERVER__CONSOLE_DIR".into(),
                console_dir().display().to_string(),
            ),
            // Compiled plugin components are shared by every test's server, as by replicas.
            (
                "TSUNAGI_PLUGINS__CACHE_DIR".into(),
                tsunagi_plugin_host::guests::cache_dir()
                    .display()
                    .to_string(),
            ),
            // Each test's hub has its own stream on the shared Redis.
            (
                "TSUNAGI_HUB__STREAM".into(),
                format!("tsunagi:test:{db_name}"),
            ),
            // Every test signs in from 127.0.0.1; the anonymous limit is tested on its own.
            (
                "TSUNAGI_RATE_LIMIT__ANONYMOUS_PER_SECOND".into(),
                "100000".into(),
            ),
            (
                "TSUNAGI_RATE_LIMIT__ANONYMOUS_BURST".into(),
                "100000".into(),
            ),
        ];
        // `{admin_url}` in a value stands for this test database's superuser URL (to run the
        // server as a role that bypasses RLS, for comparison).
        env.extend(
            extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.replace("{admin_url}", &admin_url))),
        );
        let config = Config::load(None, env)?;
        let _ = tsunagi_server::telemetry::init(&config);
        let running = tsunagi_server::start(&config).await?;
        let admin = PgPool::connect(&admin_url).await?;
        Ok(Self {
            base: format!("http://{}", running.addr),
            db_name,
            running,
            config,
            admin,
        })
    }

    /// Runs the notification hub of this environment (as `tsunagi worker` would).
    pub fn start_hub(&self) -> Result<Vec<tokio::task::JoinHandle<()>>> {
        tsunagi_server::start_hub(&self.config, &self.running.app)
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base, None)
    }

    /// Seeds the demo tenants (plus a second reseller, osaka-link) with one user per role.
    pub async fn seed(&self) -> Result<Seeded> {
        seed::seed(self).await
    }
}

/// The built web console of this checkout (`console/dist`).
pub fn console_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("console").join("dist"))
        .unwrap_or_default()
}
