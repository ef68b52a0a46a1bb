//! Root types, merged from one resolver module per area.

mod access;
mod audit;
mod auth;
mod tenants;

use async_graphql::{MergedObject, MergedSubscription};

#[derive(MergedObject, Default)]
pub struct Query(
    auth::AuthQuery,
    tenants::TenantQuery,
    access::AccessQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    tenants::TenantMutation,
    access::AccessMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(audit::AuditSubscription);
