//! A short-lived cache of authenticated principals, so a request does not re-read the user,
//! session and tenant chain every time. Correctness rests on invalidation, not on the TTL:
//! every change that can refuse a principal (tenant suspended, user disabled or re-roled,
//! session or key revoked) sends `NOTIFY tsunagi_auth` in its transaction, and every replica
//! drops matching entries. The cache is used only while the listener is connected; a lost
//! connection empties and disables it until the listener is back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tsunagi_core::{Principal, Result};
use tsunagi_db::listen::{self, Notice};
use tsunagi_db::{Db, TenantTx};

pub const CHANNEL: &str = "tsunagi_auth";
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone)]
pub struct CachedPrincipal {
    principal: Principal,
    tags: Vec<String>,
    at: Instant,
}

impl CachedPrincipal {
    pub fn new(principal: Principal, tags: Vec<String>) -> Self {
        Self {
            principal,
            tags,
            at: Instant::now(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: Mutex<HashMap<String, CachedPrincipal>>,
    ttl: Mutex<Duration>,
    live: AtomicBool,
    generation: AtomicU64,
    /// Every invalidation, for long-lived connections that must re-check their principal.
    changes: tokio::sync::broadcast::Sender<()>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::default(),
                ttl: Mutex::new(Duration::from_secs(5)),
                live: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                changes: tokio::sync::broadcast::channel(64).0,
            }),
        }
    }
}

impl AuthCache {
    pub fn set_ttl(&self, ttl: Duration) {
        if let Ok(mut t) = self.inner.ttl.lock() {
            *t = ttl;
        }
    }

    fn ttl(&self) -> Duration {
        self.inner.ttl.lock().map(|t| *t).unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<Principal> {
        if !self.inner.live.load(Ordering::Acquire) {
            return None;
        }
        let ttl = self.ttl();
        let entries = self.inner.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.at.elapsed() < ttl)
            .map(|e| e.principal.clone())
    }

    /// Read before loading state; `put` refuses to store if an invalidation happened since.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, key: String, mut entry: CachedPrincipal, generation: u64) {
        if !self.inner.live.load(Ordering::Acquire) {
            return;
        }
        entry
            .tags
            .push(format!("tenant:{}", entry.principal.tenant_id));
        if let Ok(mut entries) = self.inner.entries.lock() {
            if self.generation() != generation {
                return;
            }
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, entry);
        }
    }

    /// Signals each invalidation (a lagging receiver just re-checks): subscriptions over
    /// WebSocket re-authenticate on it and close when their session has ended.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.inner.changes.subscribe()
    }

    /// Drops entries for a tag: `session:<id>`, `user:<id>`, `api_key:<id>`; any
    /// `tenant:` tag drops everything (a suspension reaches the whole subtree).
    pub fn invalidate(&self, tag: &str) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        let _ = self.inner.changes.send(());
        if let Ok(mut entries) = self.inner.entries.lock() {
            if tag.starts_with("tenant:") {
                entries.clear();
            } else {
                entries.retain(|k, e| k != tag && !e.tags.iter().any(|t| t == tag));
            }
        }
    }

    fn set_live(&self, live: bool) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.inner.entries.lock() {
            entries.clear();
        }
        self.inner.live.store(live, Ordering::Release);
    }

    /// Follows change notifications from every replica until the process ends; the cache is
    /// disabled while the listener is not connected.
    pub fn spawn_listener(&self, db: Db) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        listen::follow(db, CHANNEL, "auth cache", move |n| match n {
            Notice::Connected => this.set_live(true),
            Notice::Message(tag) => this.invalidate(tag),
            Notice::Lost => this.set_live(false),
        })
    }
}

/// Announces (on commit) that principals tagged `tag` must be re-checked.
pub async fn notify(tx: &mut TenantTx, tag: &str) -> Result<()> {
    sqlx::query("SELECT pg_notify('tsunagi_auth', $1)")
        .bind(tag)
        .execute(tx.conn())
        .await?;
    Ok(())
}
