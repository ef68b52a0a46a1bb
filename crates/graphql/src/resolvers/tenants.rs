//! Tenants: read, create, update, suspend, resume.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::tenant::{Tenant, TenantSettingsOverrides};
use crate::types::user::User;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::tenants::{self, InitialAdmin, TenantCreate, TenantUpdate};
use tsunagi_core::TenantId;

#[derive(Default)]
pub struct TenantQuery;

#[Object]
impl TenantQuery {
    /// A tenant the caller can see (itself or a descendant).
    async fn tenant(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Tenant> {
        let (app, c) = app_ctx(ctx)?;
        let id: TenantId = parse_id(&id, "id")?;
        tenants::tenant_get(app, &c, id).await.gql().map(Tenant)
    }

    /// The caller's tenant and its descendants, or only the children of `parentId`.
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Tenant, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let parent = parent_id
            .as_ref()
            .map(|p| parse_id::<TenantId>(p, "parentId"))
            .transpose()?;
        let page = forward_page(first, after)?;
        let rows = tenants::tenant_list(app, &c, parent, page).await.gql()?;
        Ok(forward_connection(rows, page, |t| t.id, Tenant))
    }
}

#[derive(InputObject)]
pub struct InitialAdminInput {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct TenantCreateInput {
    /// URL-safe unique name used to sign in, e.g. `sakura-mobile`.
    pub slug: String,
    pub name: String,
    /// Overrides of the inherited settings.
    #[graphql(default)]
    pub settings: TenantSettingsOverrides,
    /// The first tenant_admin, if any.
    pub admin: Option<InitialAdminInput>,
}

#[derive(SimpleObject)]
pub struct TenantCreatePayload {
    pub tenant: Tenant,
    pub admin: Option<User>,
}

#[derive(InputObject)]
pub struct TenantUpdateInput {
    pub id: ID,
    /// The version you read; a stale one is a CONFLICT.
    pub version: i32,
    pub name: Option<String>,
    /// Replaces the overrides (fields left null inherit).
    pub settings: Option<TenantSettingsOverrides>,
}

#[derive(InputObject)]
pub struct TenantSuspendInput {
    pub id: ID,
    pub version: i32,
    /// Why; shown in the audit log.
    pub reason: String,
}

#[derive(InputObject)]
pub struct TenantResumeInput {
    pub id: ID,
    pub version: i32,
}

#[derive(SimpleObject)]
pub struct TenantPayload {
    pub tenant: Tenant,
}

#[derive(Default)]
pub struct TenantMutation;

#[Object]
impl TenantMutation {
    /// Creates a child of the caller's tenant (platform → MVNO → reseller).
    async fn tenant_create(
        &self,
        ctx: &Context<'_>,
        input: TenantCreateInput,
    ) -> async_graphql::Result<TenantCreatePayload> {
        let (app, c) = app_ctx(ctx)?;
        let input = TenantCreate {
            slug: input.slug,
            name: input.name,
            settings: input.settings.into(),
            admin: input.admin.map(|a| InitialAdmin {
                email: a.email,
                display_name: a.display_name,
                password: a.password,
            }),
        };
        let (tenant, admin) = tenants::tenant_create(app, &c, input).await.gql()?;
        Ok(TenantCreatePayload {
            tenant: Tenant(tenant),
            admin: admin.map(User),
        })
    }

    async fn tenant_update(
        &self,
        ctx: &Context<'_>,
        input: TenantUpdateInput,
    ) -> async_graphql::Result<TenantPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: TenantId = parse_id(&input.id, "input.id")?;
        let upd = TenantUpdate {
            name: input.name,
            settings: input.settings.map(Into::into),
        };
        tenants::tenant_update(app, &c, id, upd, input.version)
            .await
            .gql()
            .map(|t| TenantPayload { tenant: Tenant(t) })
    }

    /// Suspends a descendant tenant: its users are refused from their next request.
    async fn tenant_suspend(
        &self,
        ctx: &Context<'_>,
        input: TenantSuspendInput,
    ) -> async_graphql::Result<TenantPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: TenantId = parse_id(&input.id, "input.id")?;
        tenants::tenant_set_status(app, &c, id, true, input.version, &input.reason)
            .await
            .gql()
            .map(|t| TenantPayload { tenant: Tenant(t) })
    }

    async fn tenant_resume(
        &self,
        ctx: &Context<'_>,
        input: TenantResumeInput,
    ) -> async_graphql::Result<TenantPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: TenantId = parse_id(&input.id, "input.id")?;
        tenants::tenant_set_status(app, &c, id, false, input.version, "")
            .await
            .gql()
            .map(|t| TenantPayload { tenant: Tenant(t) })
    }
}
