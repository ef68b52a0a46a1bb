//! tsunagi-graphql: the GraphQL schema — types, thin resolvers that call the application
//! services, the error mapping to `extensions.code`, query limits, and the SDL export. It
//! holds no policy and no SQL: every resolver calls one `tsunagi_app` use case.

pub mod error;
pub mod limits;
pub mod loaders;
pub mod masking;
pub mod pagination;
pub mod resolvers;
pub mod types;

use async_graphql::{Context, Schema};
use tokio::sync::broadcast;
use tsunagi_app::{App, Ctx};
use tsunagi_core::{Error, Principal, TenantId};

pub use error::{GqlResult, to_gql};
pub use resolvers::alerts::AlertFeed;
pub use resolvers::{Mutation, Query, Subscription};

pub type TsunagiSchema = Schema<Query, Mutation, Subscription>;

/// What a request brings: who (if anyone) and its request id.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub principal: Option<Principal>,
    pub request_id: String,
}

/// New audit records as (tenant, first seq, last seq) of one commit, fed by the server's
/// LISTEN on `tsunagi_audit` (tsunagi_db::announce).
#[derive(Debug, Clone)]
pub struct AuditFeed(pub broadcast::Sender<(TenantId, i64, i64)>);

/// Limits applied to every operation.
#[derive(Debug, Clone)]
pub struct SchemaLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub introspection: bool,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 2000,
            max_aliases: 30,
            introspection: true,
        }
    }
}

pub fn build_schema(
    app: App,
    feed: AuditFeed,
    alerts: AlertFeed,
    limits: &SchemaLimits,
) -> TsunagiSchema {
    let mut b = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(app)
    .data(feed)
    .data(alerts)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .extension(limits::AliasLimit(limits.max_aliases))
    .extension(masking::Masking);
    if !limits.introspection {
        b = b.disable_introspection();
    }
    b.finish()
}

/// The schema in SDL, as checked in at graphql/schema.graphql.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}

/// The application and the signed-in caller, or UNAUTHENTICATED.
pub(crate) fn app_ctx<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a App, Ctx)> {
    let app = ctx.data_unchecked::<App>();
    let r = ctx.data_unchecked::<RequestCtx>();
    match &r.principal {
        Some(p) => Ok((app, Ctx::new(p.clone(), Some(r.request_id.clone())))),
        None => Err(to_gql(Error::Unauthenticated)),
    }
}
