//! The one place where `tsunagi_core::Error` becomes a GraphQL error: a fixed
//! `extensions.code`, the field paths of invalid input, a retry hint; internal detail is
//! logged here (inside the request span) and never sent.

use async_graphql::ErrorExtensions;
use tsunagi_core::Error;

/// Every code a client can see. Errors raised by the GraphQL engine itself (parse, unknown
/// field, limits) get BAD_REQUEST from the server.
pub const CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "VALIDATION",
    "CONFLICT",
    "APPROVAL_REQUIRED",
    "RATE_LIMITED",
    "BAD_REQUEST",
    "UNAVAILABLE",
    "INTERNAL",
];

pub fn to_gql(e: Error) -> async_graphql::Error {
    match &e {
        Error::Internal { detail } => tracing::error!(detail = %detail, "internal error"),
        Error::Unavailable { message } => {
            tracing::warn!(detail = %message, "dependency unavailable")
        }
        _ => {}
    }
    let code = e.code();
    async_graphql::Error::new(e.public_message()).extend_with(|_, ext| {
        ext.set("code", code);
        match &e {
            Error::Validation(fields) => {
                if let Some(first) = fields.first() {
                    ext.set("field", first.field.clone());
                }
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(f.field.clone()),
                        );
                        m.insert(
                            async_graphql::Name::new("reason"),
                            async_graphql::Value::from(f.reason.clone()),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                ext.set("fields", async_graphql::Value::List(list));
            }
            Error::RateLimited { retry_after_ms } => ext.set("retryAfterMs", *retry_after_ms),
            Error::ApprovalRequired { request_id } => {
                ext.set("approvalRequestId", request_id.clone())
            }
            _ => {}
        }
    })
}

pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

/// Parses an `ID` argument into a typed id; a malformed one is a VALIDATION error on `field`.
pub fn parse_id<T: From<uuid::Uuid>>(
    id: &async_graphql::ID,
    field: &str,
) -> async_graphql::Result<T> {
    uuid::Uuid::try_parse(id.as_str())
        .map(T::from)
        .map_err(|_| to_gql(Error::invalid(field, "is not a valid id")))
}
