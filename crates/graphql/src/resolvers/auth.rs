//! Sign-in, refresh, sign-out and `viewer`.

use crate::error::{GqlResult, to_gql};
use crate::types::auth::{AuthPayload, LoginInput, LogoutPayload, RefreshInput, Viewer};
use crate::types::tenant::TenantKind;
use crate::{RequestCtx, app_ctx};
use async_graphql::{Context, ID, Object};
use tsunagi_app::App;
use tsunagi_core::{Error, TenantKind as CoreKind};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// Who is asking: tenant, roles, and the user record for signed-in users.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::viewer::viewer_check(app, &c).await.gql()?;
        let p = &c.principal;
        Ok(Viewer {
            tenant_id: ID(p.tenant_id.to_string()),
            tenant_slug: p.tenant_slug.clone(),
            tenant_kind: match p.tenant_kind {
                CoreKind::Platform => TenantKind::Platform,
                CoreKind::Mvno => TenantKind::Mvno,
                CoreKind::Reseller => TenantKind::Reseller,
            },
            actor_type: p.actor.kind().into(),
            actor_id: ID(p.actor.id()),
            actor_label: p.actor.label(),
            roles: p.roles.clone(),
            self_service: p.is_customer(),
        })
    }
}

#[derive(Default)]
pub struct AuthMutation;

fn request_id(ctx: &Context<'_>) -> Option<String> {
    ctx.data_opt::<RequestCtx>().map(|r| r.request_id.clone())
}

#[Object]
impl AuthMutation {
    /// Signs in with e-mail and password. Every failure answers the same UNAUTHENTICATED.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let app = ctx.data_unchecked::<App>();
        tsunagi_app::auth::login(
            app,
            &input.tenant,
            &input.email,
            &input.password,
            request_id(ctx).as_deref(),
        )
        .await
        .gql()
        .map(Into::into)
    }

    /// Exchanges a refresh token for a new pair; the old refresh token is spent.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshInput,
    ) -> async_graphql::Result<AuthPayload> {
        let app = ctx.data_unchecked::<App>();
        tsunagi_app::auth::refresh(app, &input.refresh_token, request_id(ctx).as_deref())
            .await
            .gql()
            .map(Into::into)
    }

    /// Ends the current session: its access and refresh tokens stop working now.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<LogoutPayload> {
        let (app, c) = app_ctx(ctx)?;
        if c.principal.user_id().is_none() {
            return Err(to_gql(Error::bad_request(
                "only a signed-in user has a session to end",
            )));
        }
        tsunagi_app::auth::logout(app, &c)
            .await
            .gql()
            .map(|revoked| LogoutPayload { revoked })
    }
}
