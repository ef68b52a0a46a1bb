//! Persisted operations: the console's GraphQL operations, hashed (SHA-256) at build time
//! by GraphQL Code Generator and shipped beside the console as
//! `<console_dir>/.persisted-operations.json` (hash → text). A request that names one by
//! hash (`extensions.persistedQuery.sha256Hash`, the Apollo/urql format) runs its text; an
//! unknown hash is refused as `PERSISTED_QUERY_NOT_FOUND`. Customer principals may run only
//! these operations (`graphql.customer_persisted_only`): a customer login is the console's,
//! and an arbitrary query from it is someone probing the API. Each entry's hash is checked
//! against its text when loading, so the file cannot map a hash to another operation.
//! Each operation is parsed once, at load: a request naming it by hash carries the parsed
//! document, so the engine validates and runs it without parsing the text again.

use async_graphql::Value;
use async_graphql::parser::types::ExecutableDocument;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use tsunagi_core::Error;

/// One persisted operation: its text and, when it parses, its document.
#[derive(Debug)]
struct Op {
    text: String,
    doc: Option<ExecutableDocument>,
}

#[derive(Debug, Default)]
pub struct Persisted(HashMap<String, Op>);

impl Persisted {
    /// The operations given as texts, each keyed by its SHA-256 and parsed once.
    pub fn from_texts(texts: impl IntoIterator<Item = String>) -> Self {
        Self(
            texts
                .into_iter()
                .map(|text| {
                    let hash = hex::encode(Sha256::digest(text.as_bytes()));
                    let doc = async_graphql::parser::parse_query(&text).ok();
                    (hash, Op { text, doc })
                })
                .collect(),
        )
    }

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
        let ok = Self::from_texts(
            map.into_iter()
                .filter(|(hash, op)| hex::encode(Sha256::digest(op.as_bytes())) == *hash)
                .map(|(_, op)| op),
        );
        tracing::info!(count = ok.0.len(), "persisted operations loaded");
        ok
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
        let Some(op) = self.0.get(hash.as_str()) else {
            return Err(Error::bad_request(
                "PERSISTED_QUERY_NOT_FOUND: this server does not know the operation (is the console up to date?)",
            ));
        };
        if !req.query.is_empty() && req.query != op.text {
            return Err(Error::bad_request(
                "the query differs from the persisted operation it names",
            ));
        }
        req.query = op.text.clone();
        if let Some(doc) = &op.doc {
            req.set_parsed_query(doc.clone());
        }
        Ok(true)
    }
}

/// What became of one client message on `/graphql/ws`.
pub enum WsInput {
    /// Pass it on (a persisted operation's text filled in where it named one).
    Forward(Vec<u8>),
    /// Refuse this subscription: `(id, code, message)`; the socket stays open. The code is
    /// the one `POST /graphql` answers the same request with: FORBIDDEN for a customer's
    /// operation that is not the console's, BAD_REQUEST for a malformed or unknown one.
    Refuse(String, &'static str, String),
}

impl Persisted {
    /// A `subscribe` (graphql-transport-ws) or `start` (graphql-ws) message that names a
    /// persisted operation gets its text, as on `POST /graphql`. For a customer principal
    /// (`persisted_only`) the rule is strict, so no other shape of message can slip a query
    /// past it: the message must be a JSON object with a string `type`; a subscription must
    /// name a known hash in an object payload; and what is passed on is the object as checked,
    /// serialised again (so the protocol's parser reads exactly what was checked: no array
    /// forms, no duplicate keys). Anything else from a customer is refused. Staff messages
    /// without a hash pass as they are.
    pub fn resolve_ws(&self, msg: Vec<u8>, persisted_only: bool) -> WsInput {
        let refuse =
            |id: &str, m: &str| WsInput::Refuse(id.to_owned(), "BAD_REQUEST", m.to_owned());
        let forbid = |id: &str, m: &str| WsInput::Refuse(id.to_owned(), "FORBIDDEN", m.to_owned());
        let v = match serde_json::from_slice::<serde_json::Value>(&msg) {
            Ok(serde_json::Value::Object(o)) if o.get("type").is_some_and(|t| t.is_string()) => o,
            _ if persisted_only => {
                return refuse("", "a message must be a JSON object with a `type`");
            }
            _ => return WsInput::Forward(msg),
        };
        let mut v = v;
        let kind = v["type"].as_str().unwrap_or_default().to_owned();
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .unwrap_or_default()
            .to_owned();
        if !matches!(kind.as_str(), "subscribe" | "start") {
            return if persisted_only {
                WsInput::Forward(serde_json::to_vec(&v).unwrap_or_default())
            } else {
                WsInput::Forward(msg)
            };
        }
        let only = "a customer login may run only the console's operations (persisted by hash)";
        let Some(payload) = v.get_mut("payload").and_then(|p| p.as_object_mut()) else {
            return if persisted_only {
                forbid(&id, only)
            } else {
                WsInput::Forward(msg)
            };
        };
        let pq = payload
            .get("extensions")
            .and_then(|e| e.get("persistedQuery"));
        let hash = pq
            .and_then(|p| p.get("sha256Hash"))
            .and_then(|h| h.as_str())
            .map(str::to_owned);
        let Some(hash) = hash else {
            if pq.is_some() {
                return refuse(
                    &id,
                    "extensions.persistedQuery.sha256Hash: a hex SHA-256 is required",
                );
            }
            return if persisted_only {
                forbid(&id, only)
            } else {
                WsInput::Forward(msg)
            };
        };
        let Some(Op { text, .. }) = self.0.get(&hash) else {
            return refuse(
                &id,
                "PERSISTED_QUERY_NOT_FOUND: this server does not know the operation (is the console up to date?)",
            );
        };
        let sent = payload.get("query").and_then(|q| q.as_str()).unwrap_or("");
        if !sent.is_empty() && sent != *text {
            return refuse(
                &id,
                "the query differs from the persisted operation it names",
            );
        }
        payload.insert("query".into(), serde_json::Value::String(text.clone()));
        WsInput::Forward(serde_json::to_vec(&v).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(op: &str) -> Persisted {
        Persisted::from_texts([op.to_owned()])
    }

    #[test]
    fn a_request_named_by_hash_carries_the_document_parsed_at_load() {
        let op = "query V { viewer { tenantSlug } }";
        let p = with(op);
        let hash = hex::encode(Sha256::digest(op.as_bytes()));
        let mut req = async_graphql::Request::new("");
        req.extensions.insert(
            "persistedQuery".into(),
            Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash})).unwrap(),
        );
        assert!(p.resolve(&mut req).unwrap());
        assert_eq!(req.query, op);
        let doc = req.parsed_query().unwrap();
        assert!(matches!(
            &doc.operations,
            async_graphql::parser::types::DocumentOperations::Multiple(m) if m.contains_key("V")
        ));
        let mut other = async_graphql::Request::new("{ viewer { roles } }");
        other.extensions = req.extensions.clone();
        assert!(
            p.resolve(&mut other).is_err(),
            "a different text under the hash"
        );
    }

    #[test]
    fn a_subscription_named_by_hash_gets_its_text_and_others_are_refused_for_customers() {
        let op = "subscription Alerts { alerts { topic } }";
        let p = with(op);
        let hash = hex::encode(Sha256::digest(op.as_bytes()));
        let msg = serde_json::json!({"id": "1", "type": "subscribe", "payload": {"query": "", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}}});
        let WsInput::Forward(out) = p.resolve_ws(serde_json::to_vec(&msg).unwrap(), true) else {
            panic!("refused")
        };
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(out["payload"]["query"], op);
        let plain = serde_json::json!({"id": "2", "type": "subscribe", "payload": {"query": op}});
        let bytes = serde_json::to_vec(&plain).unwrap();
        assert!(
            matches!(p.resolve_ws(bytes.clone(), true), WsInput::Refuse(id, "FORBIDDEN", _) if id == "2")
        );
        assert!(matches!(p.resolve_ws(bytes, false), WsInput::Forward(_)));
        let unknown = serde_json::json!({"id": "3", "type": "start", "payload": {"extensions": {"persistedQuery": {"sha256Hash": "00"}}}});
        assert!(matches!(
            p.resolve_ws(serde_json::to_vec(&unknown).unwrap(), false),
            WsInput::Refuse(_, "BAD_REQUEST", m) if m.starts_with("PERSISTED_QUERY_NOT_FOUND")
        ));
        let init = br#"{"type":"connection_init","payload":{}}"#.to_vec();
        assert!(matches!(p.resolve_ws(init, true), WsInput::Forward(_)));
        // Shapes the protocol's parser would also read as a subscription: refused for a
        // customer, never passed on.
        let array = format!(r#"["subscribe","x",{{"query":"{op}"}}]"#).into_bytes();
        assert!(matches!(p.resolve_ws(array, true), WsInput::Refuse(..)));
        let seq = format!(r#"{{"type":"subscribe","id":"y","payload":["{op}"]}}"#).into_bytes();
        assert!(matches!(p.resolve_ws(seq, true), WsInput::Refuse(id, _, _) if id == "y"));
        let dup = format!(
            r#"{{"type":"subscribe","id":"z","payload":{{"query":"{op}"}},"payload":{{"extensions":{{"persistedQuery":{{"sha256Hash":"{hash}"}}}}}}}}"#
        )
        .into_bytes();
        // The last duplicate is what was checked, and it is all that is passed on.
        let WsInput::Forward(out) = p.resolve_ws(dup, true) else {
            panic!("refused")
        };
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("payload").count(), 1, "{text}");
    }
}
