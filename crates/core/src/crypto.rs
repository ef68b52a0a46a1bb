//! Secrets at rest (SIM PIN/PUK, eSIM activation codes): AES-256-GCM with a key held
//! outside the database. Each ciphertext is bound (as associated data) to its tenant and
//! purpose, so a value copied to another tenant or into another kind of secret does not
//! decrypt.
//! Layout: version byte (1) ‖ 96-bit random nonce ‖ ciphertext ‖ tag.

use crate::{Error, Result, TenantId};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::sync::Arc;

const VERSION: u8 = 1;

#[derive(Clone)]
pub struct DataKey(Arc<LessSafeKey>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

impl DataKey {
    /// From 32 raw bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let k = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| Error::internal("the data key must be 32 bytes"))?;
        Ok(Self(Arc::new(LessSafeKey::new(k))))
    }

    fn aad(tenant: TenantId, purpose: &str) -> Vec<u8> {
        let mut a = tenant.as_uuid().as_bytes().to_vec();
        a.extend_from_slice(purpose.as_bytes());
        a
    }

    pub fn seal(&self, tenant: TenantId, purpose: &str, plaintext: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let mut buf = plaintext.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(tenant, purpose)),
                &mut buf,
            )
            .map_err(|_| Error::internal("encryption failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, tenant: TenantId, purpose: &str, sealed: &[u8]) -> Result<String> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(Error::internal("unknown ciphertext format"));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..=NONCE_LEN]);
        let mut buf = sealed[1 + NONCE_LEN..].to_vec();
        let plain = self
            .0
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(tenant, purpose)),
                &mut buf,
            )
            .map_err(|_| Error::internal("decryption failed: wrong key, tenant or purpose"))?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| Error::internal("decrypted secret is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let k = DataKey::new(&[7u8; 32]).expect("key");
        let t = TenantId::new();
        let sealed = k.seal(t, "sim.pin", "1234").expect("seal");
        assert!(!sealed.windows(4).any(|w| w == b"1234"));
        assert_eq!(k.open(t, "sim.pin", &sealed).expect("open"), "1234");
        assert!(
            k.open(TenantId::new(), "sim.pin", &sealed).is_err(),
            "bound to the tenant"
        );
        assert!(
            k.open(t, "sim.puk", &sealed).is_err(),
            "bound to the purpose"
        );
        assert!(
            DataKey::new(&[1u8; 32])
                .expect("key")
                .open(t, "sim.pin", &sealed)
                .is_err(),
            "another key"
        );
        assert_ne!(
            k.seal(t, "sim.pin", "1234").expect("seal"),
            sealed,
            "random nonce"
        );
    }
}
