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

/// Components larger than this are refused at load (a JavaScript component built with
/// componentize-js is about 12 MB).
pub const MAX_COMPONENT_BYTES: usize = 16 << 20;

/// What one plugin instance may hold, whatever the toolchain. The pool has room for
/// `max_concurrent` instances of this size, so a component that runs at all runs with any
/// `max_concurrent` (the CLI's one as the server's sixty-four), and the limiter of a store
/// grants the same.
pub(crate) struct PerInstance {
    pub core_instances: u32,
    pub memories: u32,
    pub tables: u32,
}

pub(crate) const PER_INSTANCE: PerInstance = PerInstance {
    core_instances: 32,
    memories: 4,
    tables: 16,
};

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
    /// Batches (sessions of many calls) hold a slot for long: at most half the slots, so
    /// one tenant's replays never starve the one-off calls (quotes, deliveries) of others.
    batch_slots: tokio::sync::Semaphore,
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
        let per = &PER_INSTANCE;
        pool.total_component_instances(n)
            .max_core_instances_per_component(per.core_instances)
            .total_core_instances(n * per.core_instances)
            .max_memories_per_component(per.memories)
            .max_memories_per_module(per.memories)
            .total_memories(n * per.memories)
            .max_tables_per_component(per.tables)
            .max_tables_per_module(per.tables)
            .total_tables(n * per.tables)
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
            batch_slots: tokio::sync::Semaphore::new((n as usize / 2).max(1)),
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

    pub(crate) fn batch_slots(&self) -> &tokio::sync::Semaphore {
        &self.0.batch_slots
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
        // Imports no world provides are refused before compiling (seconds for a 12 MB
        // JavaScript component), with what to change.
        let unknown = unprovided_imports(bytes);
        if !unknown.is_empty() {
            return Err(fail(unprovided_reason(world, &unknown)));
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
        let ip = self
            .linker(world)
            .instantiate_pre(&component)
            .map_err(world_err)?;
        let pre = match world {
            World::Pricing => Pre::Pricing(pricing::PricingPre::new(ip).map_err(world_err)?),
            World::Commission => {
                Pre::Commission(commission::CommissionPre::new(ip).map_err(world_err)?)
            }
            World::Channel => Pre::Channel(channel::ChannelPre::new(ip).map_err(world_err)?),
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

/// Interfaces the host provides to every world (WASI 0.2, deny-all) besides the world's own
/// `tsunagi:plugins` imports.
const PROVIDED_PREFIXES: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
    "tsunagi:plugins/",
];

impl Host {
    fn linker(&self, world: World) -> &Linker<State> {
        match world {
            World::Pricing => &self.0.pricing,
            World::Commission => &self.0.commission,
            World::Channel => &self.0.channel,
        }
    }
}

/// The component's own (top-level) imports that no world of this host provides.
fn unprovided_imports(bytes: &[u8]) -> Vec<String> {
    use wasmtime::wasmparser::{ComponentTypeRef, Parser, Payload};
    let mut depth = 0u32;
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            break; // compiling reports what is wrong with the bytes
        };
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(imports) if depth == 0 => {
                // Interfaces only: a world's imported types are named by their own names.
                for i in imports.into_iter().flatten() {
                    if !matches!(i.ty, ComponentTypeRef::Instance(_)) {
                        continue;
                    }
                    let name = i.name.name.to_owned();
                    if !PROVIDED_PREFIXES.iter().any(|p| name.starts_with(p)) {
                        out.push(name);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Why a component whose imports no world provides is refused, and what to change.
fn unprovided_reason(world: World, unknown: &[String]) -> String {
    let http = unknown.iter().any(|i| i.starts_with("wasi:http/"));
    format!(
        "does not implement the {} world of tsunagi:plugins; it imports {}, which plugins do \
         not get (the host provides WASI 0.2 cli, io, clocks, random, filesystem and sockets, \
         all deny-all, and the world's tsunagi:plugins interfaces; HTTP for channel plugins is \
         tsunagi:plugins/http). {}See docs/plugin-authoring.md",
        world.name(),
        unknown.join(", "),
        if http {
            "JavaScript built with componentize-js imports wasi:http by default: build with \
             `disableFeatures: ['http', 'fetch-event']` (plugins/examples/volume-discount-js/\
             build.mjs does). "
        } else {
            ""
        }
    )
}

/// A component's preamble: `\0asm`, then a version/layer word whose layer is 1.
fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..4] == b"\0asm" && bytes[6..8] == [1, 0]
}
