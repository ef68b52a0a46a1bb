//! One-click unsubscribe links (RFC 8058) for non-critical e-mail: an opaque token naming
//! the tenant, the recipient (a user, or an address that is no user) and the topic, sealed
//! with the data key so it can be neither read nor forged. The link works without signing
//! in: `GET` shows what it will do, `POST` (`List-Unsubscribe=One-Click`) does it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use tsunagi_core::crypto::DataKey;
use tsunagi_core::{Error, Result, TenantId};
use uuid::Uuid;

const PURPOSE: &str = "notification.unsubscribe";

/// Who stops receiving which topic by e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    #[serde(skip)]
    pub tenant_id: Uuid,
    /// The user whose preference changes, or None for an address that is no user.
    pub user_id: Option<Uuid>,
    pub address: String,
    pub topic: String,
}

/// The token of a link: `<tenant>.<sealed>`.
pub fn token(key: &DataKey, u: &Unsubscribe) -> Result<String> {
    let sealed = key.seal(
        TenantId::from(u.tenant_id),
        PURPOSE,
        &serde_json::to_string(u)?,
    )?;
    Ok(format!(
        "{}.{}",
        u.tenant_id.simple(),
        URL_SAFE_NO_PAD.encode(sealed)
    ))
}

/// Reads a token; anything altered, from another key or another tenant is refused.
pub fn read(key: &DataKey, token: &str) -> Result<Unsubscribe> {
    let bad = || Error::invalid("token", "not a valid unsubscribe link");
    let (tenant, sealed) = token.split_once('.').ok_or_else(bad)?;
    let tenant = Uuid::try_parse(tenant).map_err(|_| bad())?;
    let sealed = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| bad())?;
    let plain = key
        .open(TenantId::from(tenant), PURPOSE, &sealed)
        .map_err(|_| bad())?;
    let mut u: Unsubscribe = serde_json::from_str(&plain).map_err(|_| bad())?;
    u.tenant_id = tenant;
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let key = DataKey::new(&[7u8; 32]).expect("key");
        let u = Unsubscribe {
            tenant_id: Uuid::now_v7(),
            user_id: None,
            address: "keiri@osaka-shoji.example".into(),
            topic: "invoice.issued".into(),
        };
        let t = token(&key, &u).expect("token");
        assert_eq!(read(&key, &t).expect("read"), u);
        let other = DataKey::new(&[8u8; 32]).expect("key");
        assert!(read(&other, &t).is_err(), "another key");
        let moved = format!(
            "{}.{}",
            Uuid::now_v7().simple(),
            t.split_once('.').expect("dot").1
        );
        assert!(read(&key, &moved).is_err(), "another tenant");
        let mut bytes = t.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(
            read(&key, &String::from_utf8(bytes).expect("utf8")).is_err(),
            "altered"
        );
    }
}
