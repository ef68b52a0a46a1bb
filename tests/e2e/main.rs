//! End-to-end tests: the real server on a random port, a fresh database per test, GraphQL
//! over HTTP like a client — including attacks across tenants and roles.

mod audit;
mod auth;
mod batch_scope;
mod carrier;
mod carrier_callbacks;
mod carrier_esim;
mod carrier_faults;
mod carrier_gateway;
mod carrier_mnp;
mod console;
mod console_http;
mod customer_contacts;
mod event_tour;
mod idempotency;
mod isolation;
mod isolation_matrix;
mod ledger;
mod ledger_functions;
mod ledger_reads;
mod masking;
mod notifications;
mod notifications_delivery;
mod notifications_faults;
mod notifications_mail;
mod order_statements;
mod plugin_channels;
mod plugins;
mod plugins_javascript;
mod policies;
mod ratelimit;
mod rls;
mod schema;
mod search_japanese;
mod subscriptions;
mod tenants;
