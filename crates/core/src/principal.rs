//! Who a request acts as: a user, an API key or the system (CLI, workers), in which tenant,
//! with which roles, and which tenants' rows it may read.

use crate::ids::{ApiKeyId, SessionId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Platform,
    Mvno,
    Reseller,
}

impl TenantKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Mvno => "mvno",
            Self::Reseller => "reseller",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "platform" => Some(Self::Platform),
            "mvno" => Some(Self::Mvno),
            "reseller" => Some(Self::Reseller),
            _ => None,
        }
    }
    /// The kind of tenant this kind may create under itself, if any.
    pub fn child_kind(&self) -> Option<Self> {
        match self {
            Self::Platform => Some(Self::Mvno),
            Self::Mvno => Some(Self::Reseller),
            Self::Reseller => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User {
        id: UserId,
        email: String,
        session: SessionId,
    },
    ApiKey {
        id: ApiKeyId,
        name: String,
    },
    /// The CLI or a background job, named for the audit log.
    System {
        label: String,
    },
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User { .. } => "user",
            Self::ApiKey { .. } => "api_key",
            Self::System { .. } => "system",
        }
    }
    /// A stable id for audit and idempotency scoping.
    pub fn id(&self) -> String {
        match self {
            Self::User { id, .. } => id.to_string(),
            Self::ApiKey { id, .. } => id.to_string(),
            Self::System { label } => label.clone(),
        }
    }
    /// A human label for the audit log.
    pub fn label(&self) -> String {
        match self {
            Self::User { email, .. } => email.clone(),
            Self::ApiKey { name, .. } => format!("api key {name}"),
            Self::System { label } => label.clone(),
        }
    }
}

/// An authenticated principal. Built only by authentication (or by the CLI for the system);
/// every service takes it and asks the enforcer before anything else.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub tenant_slug: String,
    pub tenant_kind: TenantKind,
    /// The tenant itself and its descendants: the rows it may read.
    pub visible_tenants: Arc<[TenantId]>,
    pub actor: Actor,
    pub roles: Vec<String>,
    /// For customer principals: the customer they belong to, and for a customer user the one
    /// line they may see.
    pub customer: Option<CustomerScope>,
}

/// What a self-service principal is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerScope {
    pub customer_id: uuid::Uuid,
    pub line_id: Option<uuid::Uuid>,
}

impl Principal {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
    /// Customer principals (self-service) get a narrower API: no introspection, own data only.
    pub fn is_customer(&self) -> bool {
        !self.roles.is_empty()
            && self
                .roles
                .iter()
                .all(|r| r == "customer_admin" || r == "customer_user")
    }
    pub fn can_see(&self, tenant: TenantId) -> bool {
        self.visible_tenants.contains(&tenant)
    }
    pub fn user_id(&self) -> Option<UserId> {
        match &self.actor {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }
}
