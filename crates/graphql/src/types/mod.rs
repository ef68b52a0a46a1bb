//! GraphQL object, input and enum types. Objects wrap the records the services return.

pub mod audit;
pub mod auth;
pub mod carrier;
pub mod ledger;
pub mod ledger_lines;
pub mod ledger_objects;
pub mod notifications;
pub mod plugins;
pub mod rating;
pub mod tenant;
pub mod usage;
pub mod user;
