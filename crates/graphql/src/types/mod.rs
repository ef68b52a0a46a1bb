//! GraphQL object, input and enum types. Objects wrap the records the services return.

pub mod audit;
pub mod auth;
pub mod tenant;
pub mod user;
