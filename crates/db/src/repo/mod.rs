//! Repositories, one module per table family. Each function takes the `TenantTx` first.

pub mod api_keys;
pub mod approvals;
pub mod catalog;
pub mod contracts;
pub mod customers;
pub mod inventory;
pub mod mail;
pub mod orders;
pub mod policies;
pub mod search;
pub mod sessions;
pub mod tenants;
pub mod users;

use tsunagi_core::{Error, Result};

/// Turns "zero rows updated" of a versioned update into the right error: CONFLICT when the
/// row exists at another version, NOT_FOUND when the principal cannot see it at all.
pub(crate) fn stale_or_missing(
    current: Option<i32>,
    resource: &'static str,
    expected: i32,
) -> Error {
    match current {
        Some(v) => Error::conflict(format!(
            "{resource} was changed by someone else: you sent version {expected}, the current version is {v}; reload and retry"
        )),
        None => Error::not_found(resource),
    }
}

/// Keyset pagination request: up to `limit` rows strictly after the cursor id.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: Option<uuid::Uuid>,
    pub limit: i64,
}

pub(crate) fn ok_or_not_found<T>(v: Option<T>, resource: &'static str) -> Result<T> {
    v.ok_or(Error::not_found(resource))
}
