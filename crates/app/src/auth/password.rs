//! argon2id password hashing with the crate's recommended parameters (19 MiB, t=2, p=1).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;
use tsunagi_core::{Error, Result, Validator};

pub fn hash(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2: {e}")))
}

pub fn verify(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Spends the same time as a real verification, for unknown users and locked accounts, so
/// timing does not tell whether an account exists.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let h = DUMMY.get_or_init(|| hash("dummy-password-for-timing").unwrap_or_default());
    let _ = verify(password, h);
}

/// The password policy: 12–256 characters, not all one character class of digits.
pub fn validate(field: &str, password: &str, v: &mut Validator) {
    let n = password.chars().count();
    v.check(n >= 12, field, "must be at least 12 characters");
    v.check(n <= 256, field, "must be at most 256 characters");
    v.check(
        !password.chars().all(|c| c.is_ascii_digit()),
        field,
        "must not be only digits",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("x", "not a hash"));
    }
}
