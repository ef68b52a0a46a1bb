//! Live console alerts: who may follow them, and which of the hub's announcements (`NOTIFY
//! tsunagi_alert` on any replica) reach one follower — its tenant's, routed to one of its
//! roles (a tenant admin sees every role's) or to the follower as a person (a fallback).

use crate::{App, Ctx};
use serde_json::Value;
use tsunagi_core::{Principal, Result};

/// One console alert as a follower receives it.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub delivery_id: String,
    pub event_id: String,
    pub topic: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub critical: bool,
}

/// What one follower may see.
#[derive(Debug, Clone)]
pub struct AlertScope {
    principal: Principal,
    tenant: String,
    user: Option<String>,
}

/// Starts following: `alert:read`.
pub async fn follow(app: &App, ctx: &Ctx) -> Result<AlertScope> {
    app.authz.check(&ctx.principal, "alert", "read").await?;
    let p = ctx.principal.clone();
    Ok(AlertScope {
        tenant: p.tenant_id.to_string(),
        user: p.user_id().map(|u| format!("user:{u}")),
        principal: p,
    })
}

impl AlertScope {
    /// The alert, if this follower may see the announcement.
    pub fn admits(&self, v: &Value) -> Option<AlertView> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        if s("tenant_id") != self.tenant {
            return None;
        }
        let r = s("recipient");
        let mine = r.strip_prefix("role:").is_some_and(|role| {
            self.principal.has_role(role) || self.principal.has_role("tenant_admin")
        }) || self.user.as_deref() == Some(r.as_str());
        mine.then(|| AlertView {
            delivery_id: s("delivery_id"),
            event_id: s("event_id"),
            topic: s("topic"),
            recipient: r,
            subject: s("subject"),
            body: s("body"),
            critical: v.get("critical").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}
