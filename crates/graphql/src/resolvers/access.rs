//! Users, API keys, roles and tenant policies.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::user::{ApiKey, Policy, Role, User, UserStatus};
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::policies::PolicyAdd;
use tsunagi_app::users::{UserCreate, UserUpdate};
use tsunagi_app::views::DEFAULT_ROLES;
use tsunagi_app::{api_keys, policies, users};
use tsunagi_core::{ApiKeyId, PolicyId, TenantId, UserId};

#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let (app, c) = app_ctx(ctx)?;
        let id: UserId = parse_id(&id, "id")?;
        users::user_get(app, &c, id).await.gql().map(User)
    }

    /// Users of the caller's tenant, or of a visible descendant.
    async fn users(
        &self,
        ctx: &Context<'_>,
        tenant_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, User, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let tenant = tenant_id
            .as_ref()
            .map(|t| parse_id::<TenantId>(t, "tenantId"))
            .transpose()?;
        let page = forward_page(first, after)?;
        let rows = users::user_list(app, &c, tenant, page).await.gql()?;
        Ok(forward_connection(rows, page, |u| u.id, User))
    }

    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, ApiKey, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = api_keys::api_key_list(app, &c, page).await.gql()?;
        Ok(forward_connection(rows, page, |k| k.id, ApiKey))
    }

    /// The default roles and their purpose.
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        app_ctx(ctx)?;
        Ok(DEFAULT_ROLES
            .iter()
            .map(|r| Role {
                name: r.name.into(),
                purpose: r.purpose.into(),
                platform_only: r.platform_only,
            })
            .collect())
    }

    /// The tenant's own rules, added to the defaults.
    async fn policies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Policy>> {
        let (app, c) = app_ctx(ctx)?;
        policies::policy_list(app, &c)
            .await
            .gql()
            .map(|r| r.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject)]
pub struct UserCreateInput {
    pub email: String,
    pub display_name: String,
    /// At least 12 characters.
    pub password: String,
    pub roles: Vec<String>,
    /// For customer_admin / customer_user: the customer they belong to.
    pub customer_id: Option<ID>,
    /// For customer_user: the one line they may see.
    pub line_id: Option<ID>,
    /// The language of the user's messages: `ja` or `en` (default: the tenant's).
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct UserUpdateInput {
    pub id: ID,
    pub version: i32,
    pub roles: Option<Vec<String>>,
    pub status: Option<UserStatus>,
    /// `ja` or `en`.
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct LocaleInput {
    /// `ja`, `en`, or null for the tenant's language.
    pub locale: Option<String>,
}

#[derive(SimpleObject)]
pub struct UserPayload {
    pub user: User,
}

#[derive(InputObject)]
pub struct ApiKeyCreateInput {
    pub name: String,
    pub roles: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct ApiKeyCreatePayload {
    pub api_key: ApiKey,
    /// The key itself, shown this once. Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(InputObject)]
pub struct ApiKeyRevokeInput {
    pub id: ID,
    pub version: i32,
}

#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub api_key: ApiKey,
}

#[derive(InputObject)]
pub struct PolicyAddInput {
    /// `p` (rule) or `g` (role inheritance: subject inherits object).
    pub ptype: String,
    pub subject: String,
    pub object: String,
    #[graphql(default)]
    pub action: String,
    #[graphql(default_with = "String::from(\"allow\")")]
    pub effect: String,
}

#[derive(InputObject)]
pub struct PolicyRemoveInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct PolicyPayload {
    pub policy: Policy,
}

#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    async fn user_create(
        &self,
        ctx: &Context<'_>,
        input: UserCreateInput,
    ) -> async_graphql::Result<UserPayload> {
        let (app, c) = app_ctx(ctx)?;
        let customer = match &input.customer_id {
            Some(cid) => Some(tsunagi_core::CustomerScope {
                customer_id: parse_id(cid, "input.customerId")?,
                line_id: input
                    .line_id
                    .as_ref()
                    .map(|l| parse_id(l, "input.lineId"))
                    .transpose()?,
            }),
            None => None,
        };
        let input = UserCreate {
            email: input.email,
            display_name: input.display_name,
            password: input.password,
            roles: input.roles,
            customer,
            locale: input.locale,
        };
        users::user_create(app, &c, input)
            .await
            .gql()
            .map(|u| UserPayload { user: User(u) })
    }

    /// Changes roles or status (disabling refuses the user's next request).
    async fn user_update(
        &self,
        ctx: &Context<'_>,
        input: UserUpdateInput,
    ) -> async_graphql::Result<UserPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: UserId = parse_id(&input.id, "input.id")?;
        let upd = UserUpdate {
            roles: input.roles,
            status: input.status.map(|s| s.as_str().to_owned()),
            locale: input.locale,
        };
        users::user_update(app, &c, id, upd, input.version)
            .await
            .gql()
            .map(|u| UserPayload { user: User(u) })
    }

    /// The language of the caller's own messages: `ja`, `en`, or null for the tenant's.
    async fn viewer_locale_set(
        &self,
        ctx: &Context<'_>,
        input: LocaleInput,
    ) -> async_graphql::Result<UserPayload> {
        let (app, c) = app_ctx(ctx)?;
        users::my_locale_set(app, &c, input.locale)
            .await
            .gql()
            .map(|u| UserPayload { user: User(u) })
    }

    async fn api_key_create(
        &self,
        ctx: &Context<'_>,
        input: ApiKeyCreateInput,
    ) -> async_graphql::Result<ApiKeyCreatePayload> {
        let (app, c) = app_ctx(ctx)?;
        let (key, secret) =
            api_keys::api_key_create(app, &c, &input.name, input.roles, input.expires_at)
                .await
                .gql()?;
        Ok(ApiKeyCreatePayload {
            api_key: ApiKey(key),
            secret,
        })
    }

    async fn api_key_revoke(
        &self,
        ctx: &Context<'_>,
        input: ApiKeyRevokeInput,
    ) -> async_graphql::Result<ApiKeyPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: ApiKeyId = parse_id(&input.id, "input.id")?;
        api_keys::api_key_revoke(app, &c, id, input.version)
            .await
            .gql()
            .map(|k| ApiKeyPayload { api_key: ApiKey(k) })
    }

    async fn policy_add(
        &self,
        ctx: &Context<'_>,
        input: PolicyAddInput,
    ) -> async_graphql::Result<PolicyPayload> {
        let (app, c) = app_ctx(ctx)?;
        let p = PolicyAdd {
            ptype: input.ptype,
            subject: input.subject,
            object: input.object,
            action: input.action,
            effect: input.effect,
        };
        policies::policy_add(app, &c, p)
            .await
            .gql()
            .map(|r| PolicyPayload { policy: r.into() })
    }

    async fn policy_remove(
        &self,
        ctx: &Context<'_>,
        input: PolicyRemoveInput,
    ) -> async_graphql::Result<PolicyPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id: PolicyId = parse_id(&input.id, "input.id")?;
        policies::policy_remove(app, &c, id)
            .await
            .gql()
            .map(|r| PolicyPayload { policy: r.into() })
    }
}
