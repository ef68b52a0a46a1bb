//! Live console alerts: what the hub delivered on the console channel (`NOTIFY
//! tsunagi_alert`, on any replica), streamed to the staff of the tenant it was routed to.

use crate::app_ctx;
use crate::error::GqlResult;
use crate::types::notifications::Alert;
use async_graphql::{Context, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast;
use tsunagi_app::notifications::alerts;

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
        let scope = alerts::follow(app, &c).await.gql()?;
        let rx = ctx.data_unchecked::<AlertFeed>().0.subscribe();
        Ok(futures_util::stream::unfold(rx, move |mut rx| {
            let scope = scope.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            if let Some(a) = scope.admits(&v) {
                                return Some((Alert::from(a), rx));
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}
