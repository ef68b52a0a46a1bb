//! Repositories, one module per table family. Each function takes the `TenantTx` first.

pub mod api_keys;
pub mod approvals;
pub mod carrier;
pub mod catalog;
pub mod contracts;
pub mod customers;
pub mod esim;
pub mod inventory;
pub mod limits;
pub mod mail;
pub mod notifications;
pub mod orders;
pub mod policies;
pub mod rating;
pub mod reconcile;
pub mod rerate_runs;
pub mod search;
pub mod sessions;
pub mod tenants;
pub mod usage;
pub mod usage_feed;
pub mod usage_periods;
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

/// The rows of one table with these ids, as the transaction may see them (one statement,
/// for lists that load related rows in batches).
pub async fn rows_by_ids<T>(
    tx: &mut crate::TenantTx,
    table: Table,
    ids: &[uuid::Uuid],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let sql = match table {
        Table::Contracts => "SELECT * FROM contracts WHERE id = ANY($1)",
        Table::Customers => "SELECT * FROM customers WHERE id = ANY($1)",
        Table::Plans => "SELECT * FROM plans WHERE id = ANY($1)",
        Table::Sims => "SELECT * FROM sims WHERE id = ANY($1)",
        Table::Devices => "SELECT * FROM devices WHERE id = ANY($1)",
        Table::Lines => "SELECT * FROM lines WHERE id = ANY($1)",
    };
    Ok(sqlx::query_as(sql).bind(ids).fetch_all(tx.conn()).await?)
}

/// Tables whose rows are read in batches by id.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Contracts,
    Customers,
    Plans,
    Sims,
    Devices,
    Lines,
}

pub(crate) fn ok_or_not_found<T>(v: Option<T>, resource: &'static str) -> Result<T> {
    v.ok_or(Error::not_found(resource))
}
