//! tsunagi-db: the only crate that speaks SQL. It owns the connection pool, the embedded
//! migrations, `TenantTx` (the transaction that carries the RLS tenant context), the
//! append-only audit chain and the outbox (written together), the idempotency-key store
//! and one repository module per table family. Every repository function takes the `TenantTx` first: there is no way
//! to query "everything".

pub mod announce;
pub mod audit;
mod audit_append;
pub mod canonical;
pub mod copy_text;
pub mod error;
pub mod idempotency;
pub mod listen;
pub mod pool;
pub mod repo;
pub mod stats;
pub mod tx;

pub use error::on_constraint;
pub use pool::{Db, DbConfig};
pub use tx::{Scope, TenantTx};
