//! Signatures on messages sent to a peer (webhooks; carrier callbacks the other way).
//!
//! Standard Webhooks signatures (https://www.standardwebhooks.com): a secret `whsec_` +
//! base64 of 32 random bytes; `webhook-signature` carries `v1,` + base64(HMAC-SHA256(secret,
//! "{webhook-id}.{webhook-timestamp}.{body}")), space-separated when several secrets are in
//! force (rotation: the new and the previous secret during the overlap).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const PREFIX: &str = "whsec_";

/// A fresh secret, shown to the integrator once.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    format!("{PREFIX}{}", STANDARD.encode(b))
}

/// The key bytes of a `whsec_` secret.
pub fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// One `v1,` signature.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(key, msg_id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Whether one of the `v1,` signatures of a `webhook-signature` header is `key`'s for this
/// message (compared in constant time).
pub fn verify(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b| STANDARD.decode(b).ok())
        .any(|sig| mac(key, msg_id, timestamp, body).verify_slice(&sig).is_ok())
}

/// The `webhook-signature` header value for every secret in force.
pub fn signature_header(keys: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| sign(k, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference test suite.
    #[test]
    fn matches_the_specification_example() {
        let key = key_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let body = br#"{"test": 2432232314}"#;
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        assert!(verify(
            &key,
            id,
            1614265330,
            body,
            &format!("v1,bm9wZQ== {sig}")
        ));
        assert!(!verify(&key, id, 1614265331, body, &sig));
        assert!(!verify(&key, id, 1614265330, b"{}", &sig));
        assert!(!verify(&key, id, 1614265330, body, "v1,not base64"));
    }

    #[test]
    fn secrets_round_trip_and_rotation_signs_twice() {
        let a = key_bytes(&new_secret()).expect("a");
        let b = key_bytes(&new_secret()).expect("b");
        assert_eq!(a.len(), 32);
        let h = signature_header(&[a, b], "id", 1, b"{}");
        assert_eq!(h.split(' ').count(), 2);
        assert!(key_bytes("nope").is_none());
    }
}
