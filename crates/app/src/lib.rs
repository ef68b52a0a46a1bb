//! tsunagi-app: the application services, one module per domain. Each use case takes the
//! `App` and the caller's `Ctx`, asks the authorizer first, then does its work in one
//! `TenantTx`: the change, its audit record and its outbox event commit together. The app
//! does not know it is behind GraphQL: the CLI and the workers call the same functions.

pub mod api_keys;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod carrier;
pub mod catalog;
pub mod config;
pub mod contacts;
pub mod crypto;
pub mod customers;
pub mod history;
pub mod inventory;
pub mod inventory_secrets;
pub mod lines;
pub mod notifications;
pub mod orders;
pub mod payloads;
pub mod plugins;
pub mod policies;
pub mod ratelimit;
pub mod record;
pub mod search;
pub mod settings_cache;
pub mod tenants;
pub mod usage;
pub mod users;
pub mod viewer;
pub mod views;

pub use config::{AppConfig, AuthConfig, RateLimitConfig};
use std::sync::Arc;
use tsunagi_authz::Authz;
use tsunagi_core::{Principal, Result};
/// Work a request hands to another task (a batch loader), counted against the request's
/// SQL statements.
pub use tsunagi_db::stats::inherit as in_request;
use tsunagi_db::{Db, Scope, TenantTx};

/// Everything a use case needs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    pub db: Db,
    pub authz: Authz,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub config: Arc<AppConfig>,
    pub auth_cache: auth::cache::AuthCache,
    /// Each tenant's settings in force and carrier switch, for the hot paths.
    pub settings: settings_cache::SettingsCache,
    /// Tenant plugins: which version runs where, and the sandbox that runs them.
    pub plugins: tsunagi_registry::Registry,
    /// Who runs each kind of command an approval holds.
    pub approvals: approvals::Registry,
    /// Each tenant's carrier gateway, built from its settings.
    pub carriers: carrier::settings::Gateways,
}

/// Every module's approval executors, registered once.
fn approval_executors() -> approvals::Registry {
    use approvals::ApprovalCommand;
    let mut r = approvals::Registry::default();
    r.register(orders::LineOperation::KIND, orders::LineOperationExecutor);
    r.register(
        orders::review::LineReviewResolve::KIND,
        orders::review::LineReviewExecutor,
    );
    r.register(customers::KycVerify::KIND, customers::KycVerifyExecutor);
    r.register(
        plugins::activation::PluginActivate::KIND,
        plugins::activation::PluginActivateExecutor,
    );
    r
}

impl App {
    pub fn new(db: Db, redis: Option<redis::aio::ConnectionManager>, config: AppConfig) -> Self {
        let authz = Authz::new(db.clone());
        let plugins = tsunagi_registry::Registry::new(
            db.clone(),
            config.data_key.clone(),
            config.plugins.clone(),
        );
        Self {
            db,
            authz,
            redis,
            config: Arc::new(config),
            auth_cache: auth::cache::AuthCache::default(),
            settings: settings_cache::SettingsCache::default(),
            plugins,
            approvals: approval_executors(),
            carriers: carrier::settings::Gateways::default(),
        }
    }

    /// A transaction in the caller's tenant context.
    pub async fn tx(&self, ctx: &Ctx) -> Result<TenantTx> {
        TenantTx::begin(&self.db, Scope::of(&ctx.principal)).await
    }

    /// A read-only transaction in the caller's tenant context, ended with `end()` (one round
    /// trip fewer than a commit; PostgreSQL refuses writes in it).
    pub async fn read(&self, ctx: &Ctx) -> Result<TenantTx> {
        TenantTx::begin_read(&self.db, Scope::of(&ctx.principal)).await
    }
}

/// The caller of a use case: who, and under which request (for audit and tracing).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub principal: Principal,
    pub request_id: Option<String>,
}

impl Ctx {
    pub fn new(principal: Principal, request_id: Option<String>) -> Self {
        Self {
            principal,
            request_id,
        }
    }

    /// A background job acting inside `tenant` as `label` (e.g. `system:approval-expiry`);
    /// `None` when the tenant is gone or suspended.
    pub async fn system(
        app: &App,
        tenant: tsunagi_core::TenantId,
        label: &str,
    ) -> tsunagi_core::Result<Option<Self>> {
        let Some(t) = tsunagi_db::repo::tenants::auth_tenant(&app.db, tenant).await? else {
            return Ok(None);
        };
        Ok(Some(Self::new(
            Principal {
                tenant_id: t.id,
                tenant_slug: t.slug,
                tenant_kind: t.kind,
                visible_tenants: t.visible,
                actor: tsunagi_core::Actor::System {
                    label: label.into(),
                },
                roles: vec![],
                customer: None,
            },
            None,
        )))
    }
}
