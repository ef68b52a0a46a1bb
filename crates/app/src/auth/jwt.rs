//! Access tokens: compact JWS with HS256. Several keys verify (rotation); the first signs.
//! Only `alg: HS256` is accepted — the header cannot choose the algorithm.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The tenant id.
    pub tid: String,
    /// The session (refresh-token family) id.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

pub const ISSUER: &str = "tsunagi";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

pub fn sign(claims: &Claims, key: &[u8]) -> String {
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let mut token = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
    let mut m = mac(key);
    m.update(token.as_bytes());
    let sig = m.finalize().into_bytes();
    token.push('.');
    token.push_str(&B64.encode(sig));
    token
}

/// Verifies signature (with any key), header, issuer and expiry. `None` for anything wrong.
pub fn verify(token: &str, keys: &[Vec<u8>], now: i64) -> Option<Claims> {
    let mut parts = token.splitn(3, '.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let sig = B64.decode(s).ok()?;
    let signed = &token[..h.len() + 1 + p.len()];
    let ok = keys.iter().any(|k| {
        let mut m = mac(k);
        m.update(signed.as_bytes());
        m.verify_slice(&sig).is_ok()
    });
    if !ok {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&B64.decode(p).ok()?).ok()?;
    (claims.iss == ISSUER && claims.exp > now).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u".into(),
            tid: "t".into(),
            sid: "s".into(),
            iat: 0,
            exp,
            iss: ISSUER.into(),
        }
    }

    #[test]
    fn round_trip_and_rotation() {
        let old = b"old-key-old-key-old-key-old-key-".to_vec();
        let new = b"new-key-new-key-new-key-new-key-".to_vec();
        let t = sign(&claims(100), &old);
        assert_eq!(
            verify(&t, &[new.clone(), old.clone()], 50),
            Some(claims(100))
        );
        assert_eq!(verify(&t, &[new], 50), None, "unknown key");
        assert_eq!(verify(&t, &[old], 100), None, "expired");
    }

    #[test]
    fn tampering_is_refused() {
        let k = vec![7u8; 32];
        let t = sign(&claims(100), &k);
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = B64.encode(
            serde_json::to_vec(&Claims {
                tid: "other".into(),
                ..claims(100)
            })
            .unwrap_or_default(),
        );
        parts[1] = &forged;
        assert_eq!(verify(&parts.join("."), std::slice::from_ref(&k), 0), None);
        let none_alg = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(verify(&none_alg, &[k], 0), None);
    }
}
