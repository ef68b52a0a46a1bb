//! The deployment's data key as the services reach it; the cipher itself lives in
//! `tsunagi_core::crypto` (the hub seals webhook secrets with the same key).

pub use tsunagi_core::crypto::DataKey;
use tsunagi_core::{Error, Result};

/// The configured data key, or UNAVAILABLE when the deployment has none.
pub fn data_key(app: &crate::App) -> Result<&DataKey> {
    app.config
        .data_key
        .as_ref()
        .ok_or_else(|| Error::unavailable("secrets.data_key is not configured"))
}
