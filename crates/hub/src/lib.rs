//! tsunagi-hub: the notification hub. The relay moves committed outbox events to a Redis
//! stream; consumers in a consumer group turn each event into one delivery row per
//! (event, channel, recipient) — routed by the tenant's rules and webhook subscriptions,
//! filtered by preferences, digested, rendered in the recipient's language — and the
//! dispatcher attempts them on the retry schedule until they are delivered, failed (dead
//! letter, replayable) or skipped. PostgreSQL stays the source of truth: events and
//! deliveries survive any loss of Redis, and every step is idempotent.

pub mod channels;
pub mod config;
pub mod consumer;
pub mod defaults;
pub mod digest;
pub mod dispatch;
pub mod labels;
pub mod message;
pub mod plan;
pub mod recipients;
pub mod record;
pub mod relay;
pub mod render;
pub use tsunagi_core::signing;
pub mod ssrf;
pub mod store;
pub mod topics;
pub mod unsubscribe;

pub use config::HubConfig;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tsunagi_core::crypto::DataKey;
use tsunagi_db::Db;
use uuid::Uuid;

/// An outbox event as it travels through the stream.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Envelope {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub seq: i64,
    pub topic: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub payload: serde_json::Value,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Envelope {
    /// An event as the hub would read it back from the outbox, for previews and tests.
    pub fn of(tenant_id: Uuid, event: &tsunagi_core::events::Event) -> Self {
        let topic = event.topic();
        Self {
            tenant_id,
            id: Uuid::nil(),
            seq: 0,
            topic: topic.as_str().into(),
            aggregate_type: topic.resource().into(),
            aggregate_id: event.facts().aggregate_id(),
            payload: event.to_payload(),
            request_id: None,
            created_at: chrono::Utc::now(),
        }
    }
}

/// Purpose string binding sealed webhook secrets (see `tsunagi_core::crypto`).
pub const SECRET_PURPOSE: &str = "webhook.secret";

/// Everything the hub's tasks share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Hub {
    pub db: Db,
    pub redis: redis::Client,
    pub cfg: Arc<HubConfig>,
    pub key: DataKey,
    pub guard: Arc<ssrf::Guard>,
    pub channels: Arc<channels::Channels>,
}

impl Hub {
    /// `plugins`: the process's plugin registry, for `plugin:<name>` channels (None: such
    /// deliveries wait for a worker that has one).
    pub fn new(
        db: Db,
        redis: redis::Client,
        cfg: HubConfig,
        key: DataKey,
        plugins: Option<tsunagi_registry::Registry>,
    ) -> anyhow::Result<Self> {
        let guard = Arc::new(ssrf::Guard::new(&cfg.allow_private));
        let channels = Arc::new(channels::Channels::new(
            &cfg,
            guard.clone(),
            plugins,
            key.clone(),
            db.clone(),
        )?);
        Ok(Self {
            db,
            redis,
            cfg: Arc::new(cfg),
            key,
            guard,
            channels,
        })
    }

    /// Runs the relay, the consumers, the dispatcher and the digest flusher until the
    /// returned handles are aborted (or the process ends).
    pub fn spawn(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let (sender, receiver) = dispatch::pipeline();
        let mut tasks = vec![
            tokio::spawn(relay::run(self.clone())),
            tokio::spawn(dispatch::run_attempts(self.clone(), receiver)),
            tokio::spawn(dispatch::run_due(self.clone(), sender.clone())),
            tokio::spawn(digest::run(self.clone(), sender.clone())),
        ];
        for i in 0..self.cfg.consumers {
            let name = format!("{}-{}-{i}", hostname(), std::process::id());
            tasks.push(tokio::spawn(consumer::run(
                self.clone(),
                name,
                sender.clone(),
            )));
        }
        tasks
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into())
}
