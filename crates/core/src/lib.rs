//! tsunagi-core: the vocabulary every other crate shares — typed ids, the one error enum,
//! the principal a request acts as, tenant settings, and domain events. Pure: no I/O.

pub mod crypto;
pub mod disclosure;
pub mod error;
pub mod events;
pub mod identifiers;
pub mod ids;
pub mod pricing;
pub mod principal;
pub mod rating;
pub mod signing;
pub mod states;
pub mod tenant;
pub mod usage;

pub use error::{Error, FieldError, Result, Validator};
pub use ids::*;
pub use principal::{Actor, CustomerScope, Principal, TenantKind};
