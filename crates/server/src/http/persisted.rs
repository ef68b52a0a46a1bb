//! Persisted operations: the console's GraphQL operations, hashed (SHA-256) at build time
//! by GraphQL Code Generator and shipped beside the console as
//! `<console_dir>/.persisted-operations.json` (hash → text). A request that names one by
//! hash (`extensions.persistedQuery.sha256Hash`, the Apollo/urql format) runs its text; an
//! unknown hash is refused as `PERSISTED_QUERY_NOT_FOUND`. Customer principals may run only
//! these operations (`graphql.customer_persisted_only`): a customer login is the console's,
//! and an arbitrary query from it is someone probing the API. Each entry's hash is checked
//! against its text when loading, so the file cannot map a hash to another operation.

use async_graphql::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use tsunagi_core::Error;

#[derive(Debug, Default)]
pub struct Persisted(HashMap<String, String>);

impl Persisted {
    /// The operations of the console built at `dir` (none when it is not built).
    pub fn load(dir: &Path) -> Self {
        let file = dir.join(".persisted-operations.json");
        let Ok(text) = std::fs::read_to_string(&file) else {
            return Self::default();
        };
        let map: HashMap<String, String> = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "persisted operations unreadable: none loaded");
                return Self::default();
            }
        };
        let ok: HashMap<String, String> = map
            .into_iter()
            .filter(|(hash, op)| hex::encode(Sha256::digest(op.as_bytes())) == *hash)
            .collect();
        tracing::info!(count = ok.len(), "persisted operations loaded");
        Self(ok)
    }

    /// Puts a persisted operation's text into `req`. Ok(true): it named one (and now holds
    /// its text); Ok(false): a plain query.
    pub fn resolve(&self, req: &mut async_graphql::Request) -> Result<bool, Error> {
        let Some(Value::Object(pq)) = req.extensions.get("persistedQuery") else {
            return Ok(false);
        };
        let Some(Value::String(hash)) = pq.get("sha256Hash") else {
            return Err(Error::bad_request(
                "extensions.persistedQuery.sha256Hash: a hex SHA-256 is required",
            ));
        };
        let Some(text) = self.0.get(hash.as_str()) else {
            return Err(Error::bad_request(
                "PERSISTED_QUERY_NOT_FOUND: this server does not know the operation (is the console up to date?)",
            ));
        };
        if !req.query.is_empty() && req.query != *text {
            return Err(Error::bad_request(
                "the query differs from the persisted operation it names",
            ));
        }
        req.query = text.clone();
        Ok(true)
    }
}
