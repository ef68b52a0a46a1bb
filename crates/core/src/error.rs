//! The one transport-agnostic error. Each variant is something a client can branch on; reuse
//! a variant rather than add one. The GraphQL layer maps each to exactly one
//! `extensions.code`. `Internal` keeps its detail for the logs only.
//!
//! `Error` deliberately does not implement `Display`: converting it to a transport error must
//! go through the mapping, never through a generic "to string".

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid field: its path in the input (`input.email`) and why, in words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub enum Error {
    /// No credentials, bad credentials, expired or revoked token. Same answer whatever the cause.
    Unauthenticated,
    /// The principal sees the object but may not do this with it.
    Forbidden { reason: String },
    /// The object does not exist *for this principal* (including objects of other tenants).
    NotFound { resource: &'static str },
    /// The input is wrong; every bad field is named.
    Validation(Vec<FieldError>),
    /// The request collides with current state: duplicate, stale version, reused key.
    Conflict { message: String },
    /// The command is critical; an approval request was created instead.
    ApprovalRequired { request_id: String },
    /// Too many requests; retry after the hint.
    RateLimited { retry_after_ms: u64 },
    /// The request itself is malformed (not a field of the input).
    BadRequest { message: String },
    /// A dependency (database, Redis, carrier) is down; retrying later may work.
    Unavailable { message: String },
    /// A bug or an unexpected failure. The detail is logged, never sent.
    Internal { detail: String },
}

impl Error {
    pub fn not_found(resource: &'static str) -> Self {
        Self::NotFound { resource }
    }
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden {
            reason: reason.into(),
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
        }
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal {
            detail: detail.into(),
        }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
        }
    }
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }

    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden { .. } => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Validation(_) => "VALIDATION",
            Self::Conflict { .. } => "CONFLICT",
            Self::ApprovalRequired { .. } => "APPROVAL_REQUIRED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::BadRequest { .. } => "BAD_REQUEST",
            Self::Unavailable { .. } => "UNAVAILABLE",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    /// The message safe to show a client.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated => "not signed in, or the credentials are invalid".into(),
            Self::Forbidden { reason } => format!("forbidden: {reason}"),
            Self::NotFound { resource } => format!("{resource} not found"),
            Self::Validation(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.reason))
                    .collect();
                format!("invalid input: {}", parts.join("; "))
            }
            Self::Conflict { message } => message.clone(),
            Self::ApprovalRequired { request_id } => {
                format!("this action needs a second person's approval (request {request_id})")
            }
            Self::RateLimited { retry_after_ms } => {
                format!("rate limit exceeded; retry after {retry_after_ms} ms")
            }
            Self::BadRequest { message } => message.clone(),
            Self::Unavailable { .. } => "a dependency is unavailable; retry later".into(),
            Self::Internal { .. } => "internal error".into(),
        }
    }

    /// Everything known, for logs and operators — never for clients.
    pub fn detail(&self) -> String {
        match self {
            Self::Internal { detail } => detail.clone(),
            Self::Unavailable { message } => message.clone(),
            other => other.public_message(),
        }
    }

    /// Whether this error is the caller's (4xx-like) rather than ours.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Unavailable { .. } | Self::Internal { .. })
    }
}

/// Any library error that reaches `?` unmapped is, by definition, unexpected: Internal.
/// Errors with client meaning (unique violations, not-found) are mapped explicitly before.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(e: E) -> Self {
        Self::Internal {
            detail: format!("{e:#}"),
        }
    }
}

/// Collects field errors, so a client learns every bad field at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn check(&mut self, ok: bool, field: &str, reason: impl Into<String>) -> &mut Self {
        if !ok {
            self.0.push(FieldError {
                field: field.into(),
                reason: reason.into(),
            });
        }
        self
    }
    pub fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_is_never_public() {
        let e = Error::internal("password=hunter2 at db.rs:12");
        assert_eq!(e.code(), "INTERNAL");
        assert!(!e.public_message().contains("hunter2"));
    }

    #[test]
    fn validator_names_every_field() {
        let mut v = Validator::new();
        v.check(false, "input.email", "must contain @");
        v.check(true, "input.name", "unused");
        v.check(false, "input.slug", "too short");
        match v.finish() {
            Err(Error::Validation(f)) => {
                assert_eq!(f.len(), 2);
                assert_eq!(f[0].field, "input.email");
                assert_eq!(f[1].field, "input.slug");
            }
            other => panic!("expected validation, got {other:?}"),
        }
    }
}
