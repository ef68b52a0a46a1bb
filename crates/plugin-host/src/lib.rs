//! Tenant plugins in WebAssembly: the sandbox. One wasmtime engine per process; components
//! compiled once per digest (kept in memory and, when configured, as precompiled artefacts on
//! disk that survive restarts) and pre-instantiated; calls run on an instance of a
//! [`Session`] (one per batch of one tenant; a one-off call is a session of one call) with
//! a memory cap, and per call fuel, a time limit and input/output size limits. Calls
//! are async (fuel yields to the runtime periodically) and failures are typed
//! ([`PluginError`]) naming the plugin, its version and the limit hit.
//!
//! This crate knows nothing of tenants or storage: the registry (tsunagi-app) decides which
//! plugin runs for whom; the hub uses channel plugins through it.

pub mod bindings;
mod call;
mod engine;
pub mod error;
pub mod guests;
pub mod http;
pub mod manifest;
mod session;
pub mod state;
mod stderr;

pub use call::{Outcome, Usage};
pub use engine::{Host, HostConfig, MAX_COMPONENT_BYTES, Plugin};
pub use error::{Failure, PluginError};
pub use http::Egress;
pub use manifest::{Limits, Manifest, SUPPORTED_VERSIONS, World};
pub use session::Session;
pub use state::LogLine;

/// An error and its causes on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
