//! Sign-in payloads and the viewer.

use crate::types::tenant::TenantKind;
use crate::types::user::User;
use crate::{GqlResult, app_ctx};
use async_graphql::{ComplexObject, Context, ID, InputObject, SimpleObject};

#[derive(InputObject)]
pub struct LoginInput {
    /// The tenant's slug, e.g. `sakura-mobile`.
    pub tenant: String,
    pub email: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct RefreshInput {
    pub refresh_token: String,
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`; valid for `expiresIn` seconds.
    pub access_token: String,
    /// Use once with `refreshToken`; a second use revokes the session.
    pub refresh_token: String,
    pub expires_in: i64,
    pub token_type: String,
}

impl From<tsunagi_app::auth::TokenPair> for AuthPayload {
    fn from(t: tsunagi_app::auth::TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_in: t.expires_in as i64,
            token_type: "Bearer".into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct LogoutPayload {
    pub revoked: bool,
}

/// Who is asking.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Viewer {
    pub tenant_id: ID,
    pub tenant_slug: String,
    pub tenant_kind: TenantKind,
    /// `user`, `api_key` or `system`.
    pub actor_type: String,
    pub actor_id: ID,
    pub actor_label: String,
    pub roles: Vec<String>,
    /// A customer login (customer roles only): its reads are narrowed to its customer (and
    /// line), and the console shows self-service.
    pub self_service: bool,
}

/// How the caller's tenant shows dates and money.
#[derive(SimpleObject)]
pub struct ViewerFormats {
    pub time_zone: String,
    pub currency: String,
    /// The tenant's language (BCP 47, e.g. `ja-JP`): a user who chose none reads in it.
    pub locale: String,
}

#[ComplexObject]
impl Viewer {
    /// The user record when signed in as a user (read only when asked for).
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::viewer::viewer_user(app, &c)
            .await
            .gql()
            .map(|u| u.map(User))
    }

    /// The caller's tenant's formats: its time zone (IANA, e.g. `Asia/Tokyo`), currency
    /// (ISO 4217) and language, inheritance resolved — what a console shows dates and money
    /// in.
    async fn formats(&self, ctx: &Context<'_>) -> async_graphql::Result<ViewerFormats> {
        let (app, c) = app_ctx(ctx)?;
        let s = tsunagi_app::viewer::viewer_settings(app, &c).await.gql()?;
        Ok(ViewerFormats {
            time_zone: s.time_zone,
            currency: s.currency,
            locale: s.locale,
        })
    }

    /// Which of these `object:action` pairs (at most 100, e.g. `line:suspend`,
    /// `self_service:request`) the caller's roles allow under the tenant's policy: a
    /// console shows its user what they may do from this, not from a copy of the policy.
    async fn allowed(
        &self,
        ctx: &Context<'_>,
        actions: Vec<String>,
    ) -> async_graphql::Result<Vec<String>> {
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::viewer::viewer_allowed(app, &c, &actions)
            .await
            .gql()
    }
}
