//! Authentication: sign-in with e-mail and password (argon2id, same answer whether the user
//! exists or not, per-account back-off), short-lived JWT access tokens, rotating refresh
//! tokens with reuse detection (a replayed refresh token revokes its whole session), API keys,
//! and turning a bearer credential into a `Principal` on every request — refusing a suspended
//! tenant or a disabled user at once, not at token expiry.

pub mod cache;
pub mod jwt;
pub mod password;
pub mod tokens;

mod authenticate;
mod login;

pub use authenticate::{authenticate, token_expires_at};
pub use login::{TokenPair, login, logout, refresh};
