//! The `tsunagi` command line: serve, worker, migrate, demo, tenant …, audit verify, plugin
//! test. Tenant
//! and audit commands call the same application services as the API, as a system principal
//! named `cli` in the tenant they act in.

pub mod plugin;
pub mod tenant;

use crate::config::Config;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sqlx::migrate::MigrateDatabase;
use std::sync::Arc;
use tsunagi_app::{App, Ctx};
use tsunagi_core::{Actor, Principal, TenantKind};
use tsunagi_db::repo::tenants::auth_tenant_by_slug;

pub use tenant::{AuditCmd, TenantCmd};

#[derive(Parser, Debug)]
#[command(
    name = "tsunagi",
    version,
    about = "Service management for MVNOs and their resellers"
)]
pub struct Cli {
    /// A TOML config file layered over the defaults (also TSUNAGI_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API.
    Serve,
    /// Run the background jobs.
    Worker,
    /// Create the database if missing and apply pending migrations (owner URL).
    Migrate,
    /// Migrate, seed demo tenants and users, then serve and run the worker.
    Demo,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        cmd: TenantCmd,
    },
    /// Print the GraphQL schema (SDL); with `--out <repo>`, write every generated contract
    /// file instead: graphql/schema.graphql, docs/events.md and docs/events/*.json.
    Schema {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Plugin authors' tools (no server or database needed).
    Plugin {
        #[command(subcommand)]
        cmd: plugin::PluginCmd,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// A carrier simulator: the carrier API of docs/carrier-api.md as a real HTTP server
    /// with its own durable journal and injected faults (no platform database needed).
    CarrierSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: String,
        /// The simulator's journal (its durable books), created when missing.
        #[arg(long, default_value = "carrier-sim.jsonl")]
        journal: std::path::PathBuf,
        /// The bearer API key callers must present.
        #[arg(long, env = "TSUNAGI_CARRIER_SIM_KEY")]
        api_key: String,
        /// Share of commands answered 503 without being applied (0–1).
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// Share of commands applied whose answer is held for --hold-ms (0–1).
        #[arg(long, default_value_t = 0.0)]
        timeout_rate: f64,
        #[arg(long, default_value_t = 30_000)]
        hold_ms: u64,
        /// Added to every request.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Where callbacks go (or set later with POST /admin/callback).
        #[arg(long)]
        callback_url: Option<String>,
        /// The whsec_ secret callbacks are signed with (the platform shows it when the
        /// tenant's carrier is set).
        #[arg(long, env = "TSUNAGI_CARRIER_SIM_CALLBACK_SECRET")]
        callback_secret: Option<String>,
        /// Share of callbacks sent twice (0–1).
        #[arg(long, default_value_t = 0.0)]
        duplicate_rate: f64,
        /// Each callback is held a random 0..N ms, so later ones overtake it.
        #[arg(long, default_value_t = 0)]
        reorder_ms: u64,
        /// SM-DP+: share of downloads the simulated devices fail (0–1).
        #[arg(long, default_value_t = 0.0)]
        download_failure_rate: f64,
        /// SM-DP+: a released profile is downloaded by itself after N ms (0: only through
        /// POST /admin/esim/{iccid}/download).
        #[arg(long, default_value_t = 0)]
        auto_download_ms: u64,
        /// Every N ms each active line makes a data session that joins the usage feed
        /// (GET /v1/usage; 0: only records added by POST /admin/usage).
        #[arg(long, default_value_t = 0)]
        traffic_ms: u64,
    },
}

/// Creates the database if missing, then migrates.
pub async fn migrate(cfg: &Config) -> Result<()> {
    let url = &cfg.database.admin_url.0;
    if !sqlx::Postgres::database_exists(url)
        .await
        .context("database.admin_url: cannot reach PostgreSQL")?
    {
        sqlx::Postgres::create_database(url)
            .await
            .context("database.admin_url: cannot create the database")?;
        tracing::info!("database created");
    }
    tsunagi_db::pool::migrate(url)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    tracing::info!("migrations applied");
    Ok(())
}

/// A system principal acting in the tenant `slug`, with the role that tenant's kind needs
/// to manage its children.
pub async fn system_ctx(app: &App, slug: &str, role: Option<&str>) -> Result<Ctx> {
    let t = auth_tenant_by_slug(&app.db, slug)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?
        .with_context(|| format!("no tenant with slug '{slug}'"))?;
    let role = role.unwrap_or(if t.kind == TenantKind::Platform {
        "platform_operator"
    } else {
        "tenant_admin"
    });
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Ok(Ctx::new(
        Principal {
            tenant_id: t.id,
            tenant_slug: t.slug,
            tenant_kind: t.kind,
            visible_tenants: Arc::clone(&t.visible),
            actor: Actor::System {
                label: format!("cli:{who}"),
            },
            roles: vec![role.to_owned()],
            customer: None,
        },
        Some(uuid::Uuid::now_v7().to_string()),
    ))
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Schema { out } => return write_schema(out.as_deref()),
        Command::Plugin { cmd } => return plugin::run(cmd).await,
        Command::CarrierSim {
            listen,
            journal,
            api_key,
            error_rate,
            timeout_rate,
            hold_ms,
            latency_ms,
            callback_url,
            callback_secret,
            duplicate_rate,
            reorder_ms,
            download_failure_rate,
            auto_download_ms,
            traffic_ms,
        } => {
            let cfg = tsunagi_carrier::sim::SimConfig {
                journal,
                api_key,
                faults: tsunagi_carrier::sim::Faults {
                    error_rate,
                    timeout_rate,
                    hold_ms,
                    latency_ms,
                    duplicate_rate,
                    reorder_ms,
                    download_failure_rate,
                    auto_download_ms,
                    traffic_ms,
                },
                callback: match (callback_url, callback_secret) {
                    (Some(url), Some(secret)) => {
                        Some(tsunagi_carrier::sim::CallbackTarget { url, secret })
                    }
                    (None, None) => None,
                    _ => anyhow::bail!("--callback-url and --callback-secret go together"),
                },
            };
            anyhow::ensure!(
                (0.0..=1.0).contains(&error_rate) && (0.0..=1.0).contains(&timeout_rate),
                "--error-rate and --timeout-rate are between 0 and 1"
            );
            anyhow::ensure!(!cfg.api_key.is_empty(), "--api-key: required");
            let (addr, task) = tsunagi_carrier::sim::serve(&cfg, &listen)
                .await
                .with_context(|| format!("carrier-sim: cannot serve on {listen}"))?;
            eprintln!(
                "carrier-sim: listening on http://{addr} (journal {})",
                cfg.journal.display()
            );
            tokio::select! {
                _ = task => {},
                _ = tokio::signal::ctrl_c() => {},
            }
            return Ok(());
        }
        _ => {}
    }
    let cfg = Config::from_env(cli.config.as_deref())?;
    let _telemetry = crate::telemetry::init(&cfg)?;
    execute(&cfg, cli.command).await
}

/// The contract files generated from the types (the GraphQL SDL and the event contract).
fn write_schema(out: Option<&std::path::Path>) -> Result<()> {
    let Some(root) = out else {
        print!("{}", tsunagi_graphql::sdl());
        return Ok(());
    };
    let mut files = tsunagi_core::events::schema::files();
    files.push(("graphql/schema.graphql".into(), tsunagi_graphql::sdl()));
    for (path, text) in files {
        let p = root.join(&path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&p, text)?;
        println!("wrote {path}");
    }
    Ok(())
}

/// The `tsunagi` binary's body: parses the command line, runs it, reports an error.
pub async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs one command with a loaded configuration.
pub async fn execute(cfg: &Config, command: Command) -> Result<()> {
    let cfg = cfg.clone();
    if !matches!(command, Command::Migrate | Command::Schema { .. }) {
        cfg.validate_for_serving()?;
    }
    match command {
        Command::Migrate => migrate(&cfg).await,
        Command::Serve => {
            let running = crate::start(&cfg).await?;
            running.handle.await.context("server task")?;
            Ok(())
        }
        Command::Worker => {
            let app = crate::connect(&cfg).await?;
            let _hub = crate::start_hub(&cfg, &app)?;
            tokio::select! {
                _ = crate::worker::run(app) => {},
                _ = tokio::signal::ctrl_c() => tracing::info!("worker stopping"),
            }
            Ok(())
        }
        Command::Demo => crate::demo::run(&cfg).await,
        Command::Tenant { cmd } => tenant::run_tenant(&cfg, cmd).await,
        Command::Audit { cmd } => tenant::run_audit(&cfg, cmd).await,
        Command::Schema { .. } => Ok(()),
        Command::Plugin { cmd } => plugin::run(cmd).await,
        Command::CarrierSim { .. } => Ok(()),
    }
}
