//! Live console alerts: what the hub delivered on the console channel (`NOTIFY
//! tsunagi_alert`, on any replica), streamed to the staff of the tenant it was routed to.

use crate::app_ctx;
use crate::error::GqlResult;
use crate::types::notifications::Alert;
use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast;

/// Alerts as the hub announces them (`NOTIFY tsunagi_alert`), fed by the server.
#[derive(Debug, Clone)]
pub struct AlertFeed(pub broadcast::Sender<serde_json::Value>);

#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// Live console alerts of the caller's tenant for the caller's roles.
    async fn alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Alert>> {
        let (app, c) = app_ctx(ctx)?;
        app.authz.check(&c.principal, "alert", "read").await.gql()?;
        let rx = ctx.data_unchecked::<AlertFeed>().0.subscribe();
        let tenant = c.principal.tenant_id.to_string();
        let p = c.principal.clone();
        let user = p.user_id().map(|u| format!("user:{u}"));
        Ok(futures_util::stream::unfold(rx, move |mut rx| {
            let (tenant, p, user) = (tenant.clone(), p.clone(), user.clone());
            async move {
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            let s = |k: &str| {
                                v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned()
                            };
                            if s("tenant_id") != tenant {
                                continue;
                            }
                            let r = s("recipient");
                            let mine = r
                                .strip_prefix("role:")
                                .is_some_and(|role| p.has_role(role) || p.has_role("tenant_admin"))
                                || user.as_deref() == Some(r.as_str());
                            if !mine {
                                continue;
                            }
                            let a = Alert {
                                delivery_id: ID(s("delivery_id")),
                                event_id: ID(s("event_id")),
                                topic: s("topic"),
                                recipient: r,
                                subject: s("subject"),
                                body: s("body"),
                                critical: v
                                    .get("critical")
                                    .and_then(|x| x.as_bool())
                                    .unwrap_or(false),
                            };
                            return Some((a, rx));
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}
