//! `tsunagi demo`: a running platform with demo tenants — the platform, MVNOs sakura-mobile
//! and fuji-telecom, reseller kansai-connect under sakura-mobile — and one user per default
//! role in each, all with the printed password. Seeding is idempotent.

use crate::cli::{migrate, system_ctx, tenant::bootstrap};
use crate::config::Config;
use anyhow::Result;
use tsunagi_app::App;
use tsunagi_app::tenants::{self, InitialAdmin, TenantCreate};
use tsunagi_app::users::{self, UserCreate};
use tsunagi_authz::DEFAULT_ROLES;
use tsunagi_core::tenant::TenantSettingsOverride;
use tsunagi_core::{Error, TenantKind};
use tsunagi_db::repo::Page;

pub const DEMO_PASSWORD: &str = "tsunagi-demo-2026";

/// The e-mail local part for a role: `admin@…` for tenant_admin, `operator@…` for the
/// platform operator, the role name otherwise.
pub fn local_part(role: &str) -> String {
    match role {
        "tenant_admin" => "admin".into(),
        "platform_operator" => "operator".into(),
        r => r.replace('_', "-"),
    }
}

fn ops(e: Error) -> anyhow::Error {
    anyhow::anyhow!("{}", e.detail())
}

async fn ensure_tenant(
    app: &App,
    parent: &str,
    slug: &str,
    name: &str,
    settings: TenantSettingsOverride,
) -> Result<()> {
    let ctx = system_ctx(app, parent, None).await?;
    if tenants::tenant_get_by_slug(app, &ctx, slug).await.is_ok() {
        return Ok(());
    }
    let admin = Some(InitialAdmin {
        email: format!("admin@{slug}.example"),
        display_name: format!("{name} admin"),
        password: DEMO_PASSWORD.into(),
    });
    tenants::tenant_create(
        app,
        &ctx,
        TenantCreate {
            slug: slug.into(),
            name: name.into(),
            settings,
            admin,
        },
    )
    .await
    .map_err(ops)?;
    Ok(())
}

pub async fn ensure_role_users(app: &App, slug: &str) -> Result<()> {
    let ctx = system_ctx(app, slug, None).await?;
    let existing: Vec<String> = users::user_list(
        app,
        &ctx,
        None,
        Page {
            after: None,
            limit: 200,
        },
    )
    .await
    .map_err(ops)?
    .into_iter()
    .map(|u| u.email)
    .collect();
    for role in DEFAULT_ROLES {
        if role.platform_only != (ctx.principal.tenant_kind == TenantKind::Platform)
            && role.platform_only
        {
            continue;
        }
        let email = format!("{}@{slug}.example", local_part(role.name));
        if existing.contains(&email) {
            continue;
        }
        let input = UserCreate {
            email,
            display_name: format!("Demo {}", role.name),
            password: DEMO_PASSWORD.into(),
            roles: vec![role.name.into()],
            customer: None,
            locale: None,
        };
        users::user_create(app, &ctx, input).await.map_err(ops)?;
    }
    Ok(())
}

/// Seeds the demo data into a migrated database.
pub async fn seed(cfg: &Config, app: &App) -> Result<()> {
    bootstrap(
        cfg,
        app,
        "platform",
        "Tsunagi Platform",
        "operator@platform.example",
        DEMO_PASSWORD,
    )
    .await?;
    let jp = TenantSettingsOverride::default();
    ensure_tenant(
        app,
        "platform",
        "sakura-mobile",
        "Sakura Mobile",
        jp.clone(),
    )
    .await?;
    let en = TenantSettingsOverride {
        locale: Some("en".into()),
        ..Default::default()
    };
    ensure_tenant(app, "platform", "fuji-telecom", "Fuji Telecom", en).await?;
    ensure_tenant(app, "sakura-mobile", "kansai-connect", "Kansai Connect", jp).await?;
    for slug in [
        "platform",
        "sakura-mobile",
        "fuji-telecom",
        "kansai-connect",
    ] {
        ensure_role_users(app, slug).await?;
    }
    Ok(())
}

/// The demo's seed plus ledger data (catalog, stock, customers, lines, approvals).
pub async fn seed_with_ledger(cfg: &Config, app: &App) -> Result<()> {
    seed(cfg, app).await?;
    crate::demo_ledger::seed(app).await
}

pub async fn run(cfg: &Config) -> Result<()> {
    // The demo's carrier simulator listens on loopback.
    let mut cfg = cfg.clone();
    cfg.carrier.allow_private.push("127.0.0.1/32".into());
    let cfg = &cfg;
    migrate(cfg).await?;
    let app = crate::connect(cfg).await?;
    seed_with_ledger(cfg, &app).await?;
    let running = crate::start(cfg).await?;
    let url = format!("http://{}", running.addr);
    let (carrier, _sim) = crate::demo_carrier::start(&running.app, running.addr).await?;
    println!();
    println!("Tsunagi demo is running: {url}/graphql (GraphiQL)");
    println!(
        "Tenants: platform, sakura-mobile, fuji-telecom, kansai-connect (reseller of sakura-mobile)"
    );
    println!("Sign in as <role>@<tenant>.example with password {DEMO_PASSWORD}, e.g.");
    println!(
        "  mutation {{ login(input: {{tenant: \"sakura-mobile\", email: \"admin@sakura-mobile.example\", password: \"{DEMO_PASSWORD}\"}}) {{ accessToken refreshToken }} }}"
    );
    let roles: Vec<String> = DEFAULT_ROLES
        .iter()
        .map(|r| format!("{} ({})", local_part(r.name), r.name))
        .collect();
    println!("Users per tenant: {}", roles.join(", "));
    println!(
        "Then send header  Authorization: Bearer <accessToken>  and ask  {{ viewer {{ tenantSlug roles }} }}"
    );
    println!(
        "sakura-mobile has a ledger: plans, stock, customers with lines, a held order, a pending approval."
    );
    println!(
        "Its carrier is the simulator at {carrier} (API key {}): carrier steps go there; try {{ carrierJobs {{ edges {{ node {{ action status }} }} }} }} or mutation {{ carrierReconcile {{ id }} }}.",
        crate::demo_carrier::DEMO_CARRIER_KEY
    );
    println!(
        "  Try {{ search(query: \"tanaka\") {{ kind label status }} }} as support@sakura-mobile.example, or"
    );
    println!(
        "  {{ approvalRequests {{ edges {{ node {{ id summary }} }} }} }} as approver@sakura-mobile.example."
    );
    println!(
        "  Self-service: boss@osaka-trading.example (customer admin), hanako@tanaka.example (customer user)."
    );
    println!("Press Ctrl-C to stop.");
    let worker = tokio::spawn(crate::worker::run(running.app.clone()));
    let hub = crate::start_hub(cfg, &running.app)?;
    running.handle.await?;
    worker.abort();
    hub.iter().for_each(|h| h.abort());
    Ok(())
}
