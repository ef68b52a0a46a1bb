//! The engine, the linkers of the three worlds and the compiled-component cache.

use crate::bindings::{channel, commission, pricing};
use crate::error::{Failure, PluginError};
use crate::manifest::{Limits, World};
use crate::state::State;
use sha2::Digest;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Components larger than this are refused at load.
pub const MAX_COMPONENT_BYTES: usize = 16 << 20;

#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where precompiled artefacts are kept across restarts (None: memory only).
    pub cache_dir: Option<PathBuf>,
    /// Calls running at once in this process (pool slots); more wait their turn.
    pub max_concurrent: u32,
    /// The platform's maxima for manifests.
    pub max_limits: Limits,
    /// Fuel between yields to the async runtime.
    pub yield_every: u64,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_concurrent: 64,
            max_limits: Limits::platform_max(),
            yield_every: 200_000,
        }
    }
}

pub(crate) enum Pre {
    Pricing(pricing::PricingPre<State>),
    Commission(commission::CommissionPre<State>),
    Channel(channel::ChannelPre<State>),
}

/// A loaded plugin version: compiled, type-checked against its world, pre-instantiated.
pub struct Plugin {
    pub name: String,
    pub version: String,
    pub world: World,
    /// SHA-256 of the component bytes, hex.
    pub digest: String,
    pub(crate) pre: Pre,
}

impl Plugin {
    pub(crate) fn fail(&self, failure: Failure) -> PluginError {
        PluginError {
            plugin: self.name.clone(),
            version: self.version.clone(),
            failure,
        }
    }
}

struct Inner {
    engine: Engine,
    pricing: Linker<State>,
    commission: Linker<State>,
    channel: Linker<State>,
    compiled: Mutex<HashMap<String, Component>>,
    pub(crate) slots: tokio::sync::Semaphore,
    cfg: HostConfig,
    compat: String,
}

/// The plugin host: cheap to clone, one per process.
#[derive(Clone)]
pub struct Host(Arc<Inner>);

fn linker(engine: &Engine, world: World) -> wasmtime::Result<Linker<State>> {
    let mut l = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut l)?;
    match world {
        World::Pricing => pricing::Pricing::add_to_linker::<State, HasSelf<State>>(&mut l, |s| s)?,
        World::Commission => {
            commission::Commission::add_to_linker::<State, HasSelf<State>>(&mut l, |s| s)?
        }
        World::Channel => channel::Channel::add_to_linker::<State, HasSelf<State>>(&mut l, |s| s)?,
    }
    Ok(l)
}

impl Host {
    pub fn new(cfg: HostConfig) -> anyhow::Result<Self> {
        let mut c = Config::new();
        c.wasm_component_model(true);
        c.consume_fuel(true);
        c.max_wasm_stack(512 << 10);
        let n = cfg.max_concurrent.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .total_stacks(n)
            .max_memory_size(usize::try_from(cfg.max_limits.memory_bytes).unwrap_or(usize::MAX))
            // Reset the first 2 MiB of a slot's memory (and its tables) with memset rather than
            // madvise: a typical plugin touches about 1 MiB, and the syscalls cost more.
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(64 << 10);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&c)?;
        let compat = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut h);
            format!("{:016x}", h.finish())
        };
        if let Some(d) = &cfg.cache_dir {
            std::fs::create_dir_all(d)?;
        }
        Ok(Self(Arc::new(Inner {
            pricing: linker(&engine, World::Pricing)?,
            commission: linker(&engine, World::Commission)?,
            channel: linker(&engine, World::Channel)?,
            engine,
            compiled: Mutex::new(HashMap::new()),
            slots: tokio::sync::Semaphore::new(n as usize),
            cfg,
            compat,
        })))
    }

    pub fn config(&self) -> &HostConfig {
        &self.0.cfg
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub(crate) fn slots(&self) -> &tokio::sync::Semaphore {
        &self.0.slots
    }

    pub fn digest(bytes: &[u8]) -> String {
        hex::encode(sha2::Sha256::digest(bytes))
    }

    /// Compiles (or finds compiled) a component: memory first, then the disk cache.
    #[allow(unsafe_code)]
    fn component(&self, digest: &str, bytes: &[u8]) -> wasmtime::Result<Component> {
        if let Some(c) = self.0.compiled.lock().expect("lock").get(digest) {
            return Ok(c.clone());
        }
        let c = match &self.0.cfg.cache_dir {
            Some(dir) => {
                let path = dir.join(format!("{digest}-{}.cwasm", self.0.compat));
                if !path.exists() {
                    let art = self.0.engine.precompile_component(bytes)?;
                    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
                    std::fs::write(&tmp, art)?;
                    std::fs::rename(&tmp, &path)?;
                }
                // SAFETY: the artefact was produced by `precompile_component` of an engine
                // with the same compatibility hash (part of the file name), in a directory
                // only this service writes.
                unsafe { Component::deserialize_file(&self.0.engine, &path)? }
            }
            None => Component::new(&self.0.engine, bytes)?,
        };
        self.0
            .compiled
            .lock()
            .expect("lock")
            .insert(digest.to_owned(), c.clone());
        Ok(c)
    }

    /// Loads a plugin version: size check, compile (cached by digest), type-check against
    /// the world (a missing export or an import the world does not grant is refused).
    pub fn load(
        &self,
        name: &str,
        version: &str,
        world: World,
        bytes: &[u8],
    ) -> Result<Plugin, PluginError> {
        let fail = |reason: String| PluginError {
            plugin: name.to_owned(),
            version: version.to_owned(),
            failure: Failure::Invalid { reason },
        };
        if bytes.len() > MAX_COMPONENT_BYTES {
            return Err(fail(format!(
                "{} bytes exceeds the {MAX_COMPONENT_BYTES}-byte limit",
                bytes.len()
            )));
        }
        if !is_component(bytes) {
            return Err(fail(
                "not a WebAssembly component (build with --target wasm32-wasip2)".into(),
            ));
        }
        let digest = Self::digest(bytes);
        let component = self
            .component(&digest, bytes)
            .map_err(|e| fail(format!("does not compile: {e:#}")))?;
        let world_err = |e: wasmtime::Error| {
            fail(format!(
                "does not implement the {} world of tsunagi:plugins (supported: {}): {e:#}",
                world.name(),
                crate::SUPPORTED_VERSIONS.join(", ")
            ))
        };
        let pre = match world {
            World::Pricing => Pre::Pricing(
                pricing::PricingPre::new(
                    self.0
                        .pricing
                        .instantiate_pre(&component)
                        .map_err(world_err)?,
                )
                .map_err(world_err)?,
            ),
            World::Commission => Pre::Commission(
                commission::CommissionPre::new(
                    self.0
                        .commission
                        .instantiate_pre(&component)
                        .map_err(world_err)?,
                )
                .map_err(world_err)?,
            ),
            World::Channel => Pre::Channel(
                channel::ChannelPre::new(
                    self.0
                        .channel
                        .instantiate_pre(&component)
                        .map_err(world_err)?,
                )
                .map_err(world_err)?,
            ),
        };
        Ok(Plugin {
            name: name.to_owned(),
            version: version.to_owned(),
            world,
            digest,
            pre,
        })
    }
}

/// A component's preamble: `\0asm`, then a version/layer word whose layer is 1.
fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..4] == b"\0asm" && bytes[6..8] == [1, 0]
}
