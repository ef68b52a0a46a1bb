//! `tsunagi tenant …` and `tsunagi audit verify`.

use super::system_ctx;
use crate::config::Config;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tsunagi_app::tenants::{self, InitialAdmin, TenantCreate};
use tsunagi_app::{App, audit};
use tsunagi_core::{TenantId, UserId};
use tsunagi_db::repo::Page;

#[derive(Subcommand, Debug)]
pub enum TenantCmd {
    /// Create the platform tenant and its first platform operator (once per installation).
    Bootstrap {
        #[arg(long, default_value = "platform")]
        slug: String,
        #[arg(long, default_value = "Tsunagi Platform")]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// Or set TSUNAGI_BOOTSTRAP_PASSWORD.
        #[arg(long, env = "TSUNAGI_BOOTSTRAP_PASSWORD", hide_env_values = true)]
        admin_password: String,
    },
    /// Create a tenant under --parent (an MVNO under the platform, a reseller under an MVNO).
    Create {
        #[arg(long, default_value = "platform")]
        parent: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: Option<String>,
        #[arg(long, default_value = "Administrator")]
        admin_name: String,
        #[arg(long, env = "TSUNAGI_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// List the tenants visible from --as (default: the platform, i.e. all).
    List {
        #[arg(long = "as", default_value = "platform")]
        as_tenant: String,
    },
    /// Suspend a tenant: its users are refused from their next request.
    Suspend {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "as", default_value = "platform")]
        as_tenant: String,
    },
    /// Resume a suspended tenant.
    Resume {
        #[arg(long)]
        slug: String,
        #[arg(long = "as", default_value = "platform")]
        as_tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Recompute a tenant's audit hash chain; exits 1 and names the first broken record.
    Verify {
        #[arg(long)]
        tenant: String,
    },
}

fn ops(e: tsunagi_core::Error) -> anyhow::Error {
    anyhow::anyhow!("{}", e.detail())
}

/// Creates the platform tenant (owner connection: it has no parent to create it) and, through
/// the normal service, its first operator. Idempotent.
pub async fn bootstrap(
    cfg: &Config,
    app: &App,
    slug: &str,
    name: &str,
    email: &str,
    password: &str,
) -> Result<TenantId> {
    let owner = sqlx::PgPool::connect(&cfg.database.admin_url.0)
        .await
        .context("database.admin_url")?;
    let existing: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM tenants WHERE kind = 'platform'")
            .fetch_optional(&owner)
            .await?;
    let id = match existing {
        Some(id) => TenantId(id),
        None => {
            let id = TenantId::new();
            tsunagi_db::repo::tenants::platform_insert(&owner, id, slug, name)
                .await
                .map_err(ops)?;
            id
        }
    };
    owner.close().await;
    let ctx = system_ctx(app, slug, Some("platform_operator")).await?;
    let exists = tsunagi_app::users::user_list(
        app,
        &ctx,
        None,
        Page {
            after: None,
            limit: 1000,
        },
    )
    .await
    .map_err(ops)?
    .iter()
    .any(|u| u.email == email.to_lowercase());
    if !exists {
        let input = tsunagi_app::users::UserCreate {
            email: email.into(),
            display_name: "Platform operator".into(),
            password: password.into(),
            roles: vec!["platform_operator".into()],
            customer: None,
            locale: None,
        };
        let _: UserId = UserId(
            tsunagi_app::users::user_create(app, &ctx, input)
                .await
                .map_err(ops)?
                .id,
        );
    }
    Ok(id)
}

pub async fn run_tenant(cfg: &Config, cmd: TenantCmd) -> Result<()> {
    let app = crate::connect(cfg).await?;
    match cmd {
        TenantCmd::Bootstrap {
            slug,
            name,
            admin_email,
            admin_password,
        } => {
            let id = bootstrap(cfg, &app, &slug, &name, &admin_email, &admin_password).await?;
            println!("platform tenant {slug} ({id}) ready; operator {admin_email}");
        }
        TenantCmd::Create {
            parent,
            slug,
            name,
            admin_email,
            admin_name,
            admin_password,
        } => {
            let ctx = system_ctx(&app, &parent, None).await?;
            let admin = match (admin_email, admin_password) {
                (Some(email), Some(password)) => Some(InitialAdmin {
                    email,
                    display_name: admin_name,
                    password,
                }),
                (None, None) => None,
                _ => bail!("--admin-email and --admin-password go together"),
            };
            let input = TenantCreate {
                slug,
                name,
                settings: Default::default(),
                admin,
            };
            let (t, admin) = tenants::tenant_create(&app, &ctx, input)
                .await
                .map_err(ops)?;
            println!("created {} {} ({}) under {parent}", t.kind, t.slug, t.id);
            if let Some(a) = admin {
                println!("tenant admin: {}", a.email);
            }
        }
        TenantCmd::List { as_tenant } => {
            let ctx = system_ctx(&app, &as_tenant, None).await?;
            let mut after = None;
            println!(
                "{:<24} {:<9} {:<10} {:<36} name",
                "slug", "kind", "status", "id"
            );
            loop {
                let page = tenants::tenant_list(&app, &ctx, None, Page { after, limit: 200 })
                    .await
                    .map_err(ops)?;
                for t in &page {
                    println!(
                        "{:<24} {:<9} {:<10} {:<36} {}",
                        t.slug, t.kind, t.status, t.id, t.name
                    );
                }
                match page.last() {
                    Some(t) if page.len() == 200 => after = Some(t.id),
                    _ => break,
                }
            }
        }
        TenantCmd::Suspend {
            slug,
            reason,
            as_tenant,
        } => set_status(&app, &as_tenant, &slug, true, &reason).await?,
        TenantCmd::Resume { slug, as_tenant } => {
            set_status(&app, &as_tenant, &slug, false, "").await?
        }
    }
    Ok(())
}

async fn set_status(
    app: &App,
    as_tenant: &str,
    slug: &str,
    suspend: bool,
    reason: &str,
) -> Result<()> {
    let ctx = system_ctx(app, as_tenant, None).await?;
    let t = tenants::tenant_get_by_slug(app, &ctx, slug)
        .await
        .map_err(ops)?;
    let t = tenants::tenant_set_status(app, &ctx, TenantId(t.id), suspend, t.version, reason)
        .await
        .map_err(ops)?;
    println!("{} is now {}", t.slug, t.status);
    Ok(())
}

pub async fn run_audit(cfg: &Config, cmd: AuditCmd) -> Result<()> {
    let app = crate::connect(cfg).await?;
    match cmd {
        AuditCmd::Verify { tenant } => {
            let ctx = system_ctx(&app, &tenant, Some("auditor")).await?;
            let r = audit::audit_verify(&app, &ctx, None).await.map_err(ops)?;
            if !r.ok {
                bail!(
                    "audit chain of {tenant} is BROKEN at record seq {} (id {}): {}",
                    r.first_broken_seq.unwrap_or_default(),
                    r.first_broken_id.map(|i| i.to_string()).unwrap_or_default(),
                    r.reason.unwrap_or_default()
                );
            }
            println!(
                "audit chain of {tenant} is intact: {} records verified",
                r.records_checked
            );
        }
    }
    Ok(())
}
