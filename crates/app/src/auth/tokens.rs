//! Opaque credentials: refresh tokens and API keys. Each names its tenant in clear (so the
//! server can open the right tenant context) followed by 256 random bits; only a SHA-256 of
//! the whole token is stored.
//!
//! - refresh token: `tsr_<tenant>_<secret>`
//! - API key:       `tsk_<tenant>_<key id>_<secret>`

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use tsunagi_core::{ApiKeyId, TenantId};
use uuid::Uuid;

pub fn secret() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    B64.encode(b)
}

pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn refresh_token(tenant: TenantId) -> String {
    format!("tsr_{}_{}", tenant.as_uuid().simple(), secret())
}

pub fn parse_refresh(token: &str) -> Option<TenantId> {
    let rest = token.strip_prefix("tsr_")?;
    let (tenant, secret) = rest.split_once('_')?;
    (secret.len() == 43).then_some(())?;
    Uuid::try_parse(tenant).ok().map(TenantId)
}

pub fn api_key(tenant: TenantId, id: ApiKeyId) -> String {
    format!(
        "tsk_{}_{}_{}",
        tenant.as_uuid().simple(),
        id.as_uuid().simple(),
        secret()
    )
}

pub fn parse_api_key(token: &str) -> Option<(TenantId, ApiKeyId)> {
    let rest = token.strip_prefix("tsk_")?;
    let mut it = rest.splitn(3, '_');
    let (t, k, s) = (it.next()?, it.next()?, it.next()?);
    (s.len() == 43).then_some(())?;
    Some((
        TenantId(Uuid::try_parse(t).ok()?),
        ApiKeyId(Uuid::try_parse(k).ok()?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let t = TenantId::new();
        let k = ApiKeyId::new();
        assert_eq!(parse_refresh(&refresh_token(t)), Some(t));
        assert_eq!(parse_api_key(&api_key(t, k)), Some((t, k)));
        assert_eq!(parse_api_key(&refresh_token(t)), None);
        assert_eq!(parse_refresh("tsr_nothex_abc"), None);
        assert_ne!(secret(), secret());
    }
}
