//! Turning database constraint violations into precise client errors, by constraint name,
//! so no handler matches on message strings.

use tsunagi_core::Error;

/// `.map_err(on_constraint("users_email_key", || Error::conflict("…")))`: the named
/// constraint becomes the given error; anything else stays Internal.
pub fn on_constraint(
    name: &'static str,
    f: impl FnOnce() -> Error,
) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| {
        let hit = e.as_database_error().and_then(|d| d.constraint()) == Some(name);
        if hit { f() } else { Error::from(e) }
    }
}

/// Whether the error is a serialization failure or deadlock (safe to retry the transaction).
pub fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(
        e.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("40001") | Some("40P01")
    )
}
