//! Following a NOTIFY channel for as long as the process runs: the one loop behind every
//! replica-local cache that another replica's change must empty (principals, authorization
//! rules, tenant settings). On a lost connection the follower is told (a notification may
//! have been missed meanwhile) and the loop reconnects a second later.

use crate::Db;
use std::time::Duration;

/// What the follower of a channel hears.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// LISTEN is in place (again): anything cached before may be stale.
    Connected,
    /// A notification's payload.
    Message(&'a str),
    /// The connection is gone; nothing is heard until `Connected`.
    Lost,
}

/// Spawns the loop that listens on `channel` and hands every notice to `on`; `what` names
/// the follower in the warning logged when the connection is lost.
pub fn follow(
    db: Db,
    channel: &'static str,
    what: &'static str,
    on: impl Fn(Notice<'_>) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let error = match sqlx::postgres::PgListener::connect_with(db.pool()).await {
                Ok(mut l) => match l.listen(channel).await {
                    Ok(()) => {
                        on(Notice::Connected);
                        loop {
                            match l.recv().await {
                                Ok(n) => on(Notice::Message(n.payload())),
                                Err(e) => break e,
                            }
                        }
                    }
                    Err(e) => e,
                },
                Err(e) => e,
            };
            tracing::warn!(channel, %error, "{what}: change listener disconnected; reconnecting");
            on(Notice::Lost);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}
