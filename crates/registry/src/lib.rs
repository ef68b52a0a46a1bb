//! tsunagi-registry: tenant plugins at run time. Decides which stored version runs for a
//! tenant at a hook (its own, or its MVNO's unless the MVNO lets resellers replace it),
//! loads it into the sandbox (tsunagi-plugin-host) once per (version, manifest revision),
//! calls it, counts its failures against the version, records a bounded sample of real
//! inputs, and replays a candidate version against the active one. The admin use cases
//! (upload, activation through approvals, rollback) are in tsunagi-app; the hub calls
//! channel plugins through here.

pub mod hook;
mod replay;
mod runtime;
pub mod samples;
pub mod store;

pub use hook::Hook;
pub use replay::{ReplayInput, ReplayItem, ReplayReport, diff_lines, normalize_input};
pub use runtime::{Loaded, Run, Source};
pub use tsunagi_plugin_host as host;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use tsunagi_core::crypto::DataKey;
use tsunagi_core::{Error, Result};
use tsunagi_db::Db;
use tsunagi_plugin_host::{Host, HostConfig};
use uuid::Uuid;

/// Purpose binding sealed plugin secrets (see `tsunagi_core::crypto`).
pub const SECRETS_PURPOSE: &str = "plugin.secrets";

#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Precompiled components kept across restarts (None: compiled in memory only).
    pub cache_dir: Option<PathBuf>,
    /// Plugin calls running at once in this process.
    pub max_concurrent: u32,
    /// Samples kept per tenant and hook for replay.
    pub sample_size: u32,
    /// Loaded versions kept in memory.
    pub max_loaded: usize,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_concurrent: 64,
            sample_size: 200,
            max_loaded: 256,
        }
    }
}

/// The plugin registry of a process. Cheap to clone; the sandbox engine is created on first
/// use (a process that never runs a plugin never reserves its memory pool).
#[derive(Clone)]
pub struct Registry(Arc<Inner>);

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("cfg", &self.0.cfg)
            .finish_non_exhaustive()
    }
}

struct Inner {
    db: Db,
    key: Option<DataKey>,
    cfg: RegistryConfig,
    host: OnceCell<Host>,
    loaded: Mutex<HashMap<(Uuid, i32), Arc<Loaded>>>,
    reservoir: samples::Reservoir,
}

impl Registry {
    pub fn new(db: Db, key: Option<DataKey>, cfg: RegistryConfig) -> Self {
        Self(Arc::new(Inner {
            db,
            key,
            cfg,
            host: OnceCell::new(),
            loaded: Mutex::new(HashMap::new()),
            reservoir: samples::Reservoir::default(),
        }))
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.0.cfg
    }

    pub fn key(&self) -> Option<&DataKey> {
        self.0.key.as_ref()
    }

    /// The sandbox (created on first use).
    pub async fn host(&self) -> Result<&Host> {
        self.0
            .host
            .get_or_try_init(|| async {
                Host::new(HostConfig {
                    cache_dir: self.0.cfg.cache_dir.clone(),
                    max_concurrent: self.0.cfg.max_concurrent,
                    ..HostConfig::default()
                })
                .map_err(|e| Error::internal(format!("plugin sandbox: {e:#}")))
            })
            .await
    }
}
