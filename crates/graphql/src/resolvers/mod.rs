//! Root types, merged from one resolver module per area.

mod access;
pub mod alerts;
mod approvals;
mod audit;
mod auth;
mod carrier;
mod carrier_gateway;
mod catalog;
mod customers;
mod inventory;
mod lines;
pub mod notification_mutations;
pub mod notifications;
mod notifications_deprecated;
mod plugins;
mod rating;
mod rerate_runs;
mod tenants;
mod usage;

use async_graphql::{MergedObject, MergedSubscription};

#[derive(MergedObject, Default)]
pub struct Query(
    auth::AuthQuery,
    tenants::TenantQuery,
    access::AccessQuery,
    audit::AuditQuery,
    catalog::CatalogQuery,
    customers::CustomerQuery,
    inventory::InventoryQuery,
    lines::LineQuery,
    approvals::ApprovalQuery,
    notifications::NotificationQuery,
    plugins::PluginQuery,
    carrier_gateway::CarrierQuery,
    usage::UsageQuery,
    rating::RatingQuery,
    rerate_runs::RerateRunQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    tenants::TenantMutation,
    access::AccessMutation,
    catalog::CatalogMutation,
    customers::CustomerMutation,
    inventory::InventoryMutation,
    lines::LineMutation,
    carrier::CarrierMutation,
    carrier_gateway::CarrierGatewayMutation,
    approvals::ApprovalMutation,
    notification_mutations::NotificationMutation,
    notifications_deprecated::NotificationMutationDeprecated,
    plugins::PluginMutation,
    usage::UsageMutation,
    rating::RatingMutation,
    rerate_runs::RerateRunMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(audit::AuditSubscription, alerts::AlertSubscription);
