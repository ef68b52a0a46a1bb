//! What the app shows its callers (the API, the CLI): the read models its use cases
//! return, so callers depend on the app alone and never on storage. Today these are the
//! repositories' rows, re-exported by resource; fields no caller may see (password and
//! secret hashes, sealed secrets) are never serialised, and the API selects every field
//! it shows explicitly (and masks identifiers at its edge).

pub use tsunagi_db::audit::{AuditFilter, AuditRecord, VerifyReport};
pub use tsunagi_db::repo::Page;
pub use tsunagi_db::repo::api_keys::ApiKey;
pub use tsunagi_db::repo::notifications::AttemptRow;
pub use tsunagi_db::repo::policies::PolicyRule;
pub use tsunagi_db::repo::tenants::Tenant;
pub use tsunagi_db::repo::users::User;

pub mod catalog {
    pub use tsunagi_db::repo::catalog::{CatalogOption, Plan, PlanPrice};
}
pub mod customers {
    pub use tsunagi_db::repo::customers::{BillingAccount, Contact, Customer};
}
pub mod contracts {
    pub use tsunagi_db::repo::contracts::{Contract, Line, LineFilter};
}
pub mod orders {
    pub use tsunagi_db::repo::orders::{Order, ProvisioningJob};
}
pub mod carrier {
    pub use tsunagi_db::repo::carrier::{Attempt, CarrierRow};
    pub use tsunagi_db::repo::reconcile::{Item, Run};
}
pub mod approvals {
    pub use tsunagi_db::repo::approvals::ApprovalRequest;
}
pub mod inventory {
    pub use tsunagi_db::repo::inventory::{Device, Esim, Number, Sim};
}
pub mod search {
    pub use tsunagi_db::repo::search::Hit;
}
pub mod plugins {
    pub use tsunagi_registry::store::{
        ActivationRow, FixtureSetRow, PolicyRow, SampleRow, VersionRow,
    };
    pub use tsunagi_registry::{ReplayItem, ReplayReport, Source};
}

/// The default roles every tenant has.
pub use tsunagi_authz::DEFAULT_ROLES;
