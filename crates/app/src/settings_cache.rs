//! What the hot paths need to know about a tenant and read on every order: its settings in
//! force (inheritance resolved) and whether a carrier is set and switched on — cached per
//! tenant, so an approval request or a carrier step does not re-read the tenant chain.
//!
//! Correctness rests on invalidation, as for principals (auth/cache.rs): a trigger announces
//! every change of a tenant's settings, parent or carrier (`NOTIFY tsunagi_settings`, sent at
//! commit; migrations/0016) and every replica empties the cache; the replica that made the
//! change empties it at once as well. A load that started before an invalidation is not
//! stored (generation check). The cache is used only while the listener is connected; a lost
//! connection empties and disables it until the listener is back. Entries also age out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tsunagi_core::tenant::TenantSettings;
use tsunagi_core::{Result, TenantId};
use tsunagi_db::listen::{self, Notice};
use tsunagi_db::{Db, TenantTx};

pub const CHANNEL: &str = "tsunagi_settings";
const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

/// A tenant's settings in force and its carrier switch (None: no carrier set).
#[derive(Debug, Clone)]
pub struct TenantRuntime {
    pub settings: TenantSettings,
    pub carrier_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsCache {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Mutex<HashMap<TenantId, (Arc<TenantRuntime>, Instant)>>,
    live: AtomicBool,
    generation: AtomicU64,
}

impl SettingsCache {
    /// The transaction tenant's settings and carrier switch, from the cache or (one statement)
    /// from the database.
    pub async fn of(&self, tx: &mut TenantTx) -> Result<Arc<TenantRuntime>> {
        let tenant = tx.tenant_id();
        if self.inner.live.load(Ordering::Acquire)
            && let Ok(entries) = self.inner.entries.lock()
            && let Some((r, at)) = entries.get(&tenant)
            && at.elapsed() < TTL
        {
            return Ok(r.clone());
        }
        let generation = self.inner.generation.load(Ordering::Acquire);
        let (settings, carrier_enabled) =
            tsunagi_db::repo::tenants::settings_and_carrier(tx).await?;
        let r = Arc::new(TenantRuntime {
            settings,
            carrier_enabled,
        });
        if self.inner.live.load(Ordering::Acquire)
            && let Ok(mut entries) = self.inner.entries.lock()
            && self.inner.generation.load(Ordering::Acquire) == generation
        {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(tenant, (r.clone(), Instant::now()));
        }
        Ok(r)
    }

    /// Drops everything (a parent's change reaches its whole subtree).
    pub fn invalidate(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.inner.entries.lock() {
            entries.clear();
        }
    }

    fn set_live(&self, live: bool) {
        self.invalidate();
        self.inner.live.store(live, Ordering::Release);
    }

    /// Follows change notifications from every replica until the process ends; the cache is
    /// disabled while the listener is not connected.
    pub fn spawn_listener(&self, db: Db) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        listen::follow(db, CHANNEL, "settings cache", move |n| match n {
            Notice::Connected => this.set_live(true),
            Notice::Message(_) => this.invalidate(),
            Notice::Lost => this.set_live(false),
        })
    }
}
