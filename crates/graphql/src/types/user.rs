//! Users, roles and API keys.

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::ApiKey as KeyRow;
use tsunagi_app::views::User as Row;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

pub struct User(pub Row);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn tenant_id(&self) -> ID {
        ID(self.0.tenant_id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn roles(&self) -> &[String] {
        &self.0.roles
    }
    async fn status(&self) -> UserStatus {
        if self.0.status == "active" {
            UserStatus::Active
        } else {
            UserStatus::Disabled
        }
    }
    /// The language of the user's messages (`ja`, `en`); null: the tenant's.
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ApiKey(pub KeyRow);

#[Object]
impl ApiKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn roles(&self) -> &[String] {
        &self.0.roles
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A default role and what it is for.
#[derive(SimpleObject)]
pub struct Role {
    pub name: String,
    pub purpose: String,
    pub platform_only: bool,
}

/// A tenant's own authorization rule.
#[derive(SimpleObject)]
pub struct Policy {
    pub id: ID,
    /// `p` = rule, `g` = role inheritance (subject inherits object).
    pub ptype: String,
    pub subject: String,
    pub object: String,
    pub action: String,
    pub effect: String,
    pub created_at: DateTime<Utc>,
}

impl From<tsunagi_app::views::PolicyRule> for Policy {
    fn from(r: tsunagi_app::views::PolicyRule) -> Self {
        Self {
            id: ID(r.id.to_string()),
            ptype: r.ptype,
            subject: r.subject,
            object: r.object,
            action: r.action,
            effect: r.effect,
            created_at: r.created_at,
        }
    }
}
