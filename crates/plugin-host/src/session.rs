//! Calls on one instance: a [`Session`] holds a pool slot, a store and (once the first call
//! has made it) an instance of one plugin version under one manifest, and runs calls on it
//! one after another. Every call gets its own fuel, time limit, input/output checks, logs
//! and stderr, and WASI's seeded randomness starts over; memory is the instance's. A call
//! that fails (trap, limit, timeout, malformed answer) drops the instance, so the next call
//! starts from a fresh one; the plugin's own error message is an answer and keeps it.
//!
//! Isolation: a session is for the calls of one batch of one tenant (a replay today, the
//! bill run later), never shared across tenants, versions or manifests. What a guest keeps in
//! globals between the calls of a batch is the tenant's own data; plugins must still answer
//! each call from its input alone (docs/plugin-authoring.md says so). One-off calls
//! ([`Host::price`] …) are sessions of one call.

use crate::bindings::channel::Channel;
use crate::bindings::commission::Commission;
use crate::bindings::pricing::Pricing;
use crate::call::{Outcome, Usage, classify};
use crate::engine::{Host, Plugin, Pre};
use crate::error::{Failure, PluginError};
use crate::http::HttpPolicy;
use crate::manifest::Manifest;
use crate::state::State;
use serde::Serialize;
use std::time::{Duration, Instant};
use wasmtime::Store;

pub(crate) enum Instance {
    Pricing(Pricing),
    Commission(Commission),
    Channel(Channel),
}

/// Instantiation failed (as opposed to the call): the error says so.
#[derive(Debug)]
pub(crate) struct Instantiating;

impl std::fmt::Display for Instantiating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("instantiating the component")
    }
}

/// Calls of one batch on one instance (see the module documentation).
pub struct Session<'h> {
    host: &'h Host,
    plugin: &'h Plugin,
    manifest: &'h Manifest,
    http: Option<HttpPolicy>,
    live: Option<(Store<State>, Instance)>,
    _slot: tokio::sync::SemaphorePermit<'h>,
    _batch: Option<tokio::sync::SemaphorePermit<'h>>,
    /// Instances made so far (1 when every call succeeded).
    pub instances: u32,
}

impl Host {
    /// A session for the calls of one batch of one tenant on `plugin` under `manifest`;
    /// waits for a free batch place (half the pool at most) and a pool slot, which it holds
    /// until dropped.
    pub async fn session<'h>(&'h self, plugin: &'h Plugin, manifest: &'h Manifest) -> Session<'h> {
        let batch = self
            .batch_slots()
            .acquire()
            .await
            .expect("the batch semaphore is never closed");
        self.open(plugin, manifest, None, Some(batch)).await
    }

    /// A session for one call (no batch place).
    pub(crate) async fn session_with<'h>(
        &'h self,
        plugin: &'h Plugin,
        manifest: &'h Manifest,
        http: Option<HttpPolicy>,
    ) -> Session<'h> {
        self.open(plugin, manifest, http, None).await
    }

    async fn open<'h>(
        &'h self,
        plugin: &'h Plugin,
        manifest: &'h Manifest,
        http: Option<HttpPolicy>,
        batch: Option<tokio::sync::SemaphorePermit<'h>>,
    ) -> Session<'h> {
        let slot = self
            .slots()
            .acquire()
            .await
            .expect("the slot semaphore is never closed");
        Session {
            host: self,
            plugin,
            manifest,
            http,
            live: None,
            _slot: slot,
            _batch: batch,
            instances: 0,
        }
    }
}

impl Session<'_> {
    pub fn plugin(&self) -> &Plugin {
        self.plugin
    }

    pub fn manifest(&self) -> &Manifest {
        self.manifest
    }

    /// Checks a guest's answer (`then`). An answer the host refuses (a positive discount,
    /// an empty reason …) ends the instance too: whatever led the guest there is not to be
    /// trusted with the next input. The plugin's own error (`Err(message)`) is an answer,
    /// and keeps it.
    pub(crate) fn checked<T>(
        &mut self,
        out: Outcome<Result<T, String>>,
        check: impl FnOnce(&T) -> Result<(), String>,
    ) -> Outcome<T> {
        let out = crate::call::then(self.plugin, out, check);
        if let Err(e) = &out.result
            && matches!(e.failure, Failure::Malformed { .. })
        {
            self.live = None;
        }
        out
    }

    fn store(&self) -> Store<State> {
        let m = self.manifest;
        let mut store = Store::new(self.host.engine(), State::new(&m.limits, self.http.clone()));
        store.limiter(|s| &mut s.limiter);
        let _ = store.fuel_async_yield_interval(Some(self.host.config().yield_every));
        store
    }

    async fn instantiate(plugin: &Plugin, store: &mut Store<State>) -> wasmtime::Result<Instance> {
        let i = match &plugin.pre {
            Pre::Pricing(pre) => Instance::Pricing(pre.instantiate_async(&mut *store).await?),
            Pre::Commission(pre) => Instance::Commission(pre.instantiate_async(&mut *store).await?),
            Pre::Channel(pre) => Instance::Channel(pre.instantiate_async(&mut *store).await?),
        };
        Ok(i)
    }

    /// Runs one call: `call` gets the store and the instance (made first if there is none).
    pub(crate) async fn call<I: Serialize, O: Serialize>(
        &mut self,
        input: &I,
        call: impl AsyncFnOnce(&mut Store<State>, &Instance) -> wasmtime::Result<O>,
    ) -> Outcome<O> {
        let started = Instant::now();
        let m = self.manifest;
        let input_bytes = serde_json::to_vec(input).map_or(usize::MAX, |v| v.len());
        let mut usage = Usage {
            fuel_limit: m.limits.fuel,
            memory_limit_bytes: m.limits.memory_bytes,
            input_bytes,
            ..Usage::default()
        };
        if input_bytes > m.limits.input_bytes {
            let f = Failure::InputTooLarge {
                size: input_bytes,
                limit: m.limits.input_bytes,
            };
            return Outcome::failed(self.plugin.fail(f), usage);
        }
        let (mut store, existing) = match self.live.take() {
            Some((s, i)) => (s, Some(i)),
            None => (self.store(), None),
        };
        {
            let d = store.data_mut();
            d.begin_call();
        }
        // Fuel is enabled on the engine, so this cannot fail.
        let _ = store.set_fuel(m.limits.fuel);
        let fresh = existing.is_none();
        // Nothing of `self` is held across an await (a store is not `Sync`).
        let plugin = self.plugin;
        let r = tokio::time::timeout(Duration::from_millis(m.limits.timeout_ms), async {
            let inst = match existing {
                Some(i) => i,
                None => Self::instantiate(plugin, &mut store)
                    .await
                    .map_err(|e| e.context(Instantiating))?,
            };
            let out = call(&mut store, &inst).await;
            Ok::<_, wasmtime::Error>((inst, out))
        })
        .await;
        self.instances += u32::from(fresh);
        usage.fuel = m.limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        usage.peak_memory_bytes = store.data().limiter.peak_memory as u64;
        usage.http_requests = store.data().http.as_ref().map_or(0, |h| h.made);
        let mut keep = None;
        let result = match r {
            Err(_) => Err(self.plugin.fail(Failure::Timeout {
                limit_ms: m.limits.timeout_ms,
            })),
            Ok(Err(e)) | Ok(Ok((_, Err(e)))) => Err(self.plugin.fail(classify(&e, &store, m))),
            Ok(Ok((inst, Ok(out)))) => {
                usage.output_bytes = serde_json::to_vec(&out).map_or(usize::MAX, |v| v.len());
                if usage.output_bytes > m.limits.output_bytes {
                    Err(self.plugin.fail(Failure::OutputTooLarge {
                        size: usage.output_bytes,
                        limit: m.limits.output_bytes,
                    }))
                } else {
                    keep = Some(inst);
                    Ok(out)
                }
            }
        };
        usage.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (logs, logs_dropped) = store.data_mut().take_logs();
        // Only an instance whose call succeeded is entered again: after a trap or a timeout
        // its state is not to be trusted (and wasmtime refuses to re-enter a trapped one).
        self.live = keep.map(|i| (store, i));
        Outcome {
            result,
            usage,
            logs,
            logs_dropped,
        }
    }
}

impl<T> Outcome<T> {
    pub(crate) fn failed(e: PluginError, usage: Usage) -> Self {
        Self {
            result: Err(e),
            usage,
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }
}
