//! The per-call store data: a deny-all, deterministic WASI context (no files, sockets,
//! environment or arguments; the clock reads the Unix epoch and randomness is seeded), the
//! memory/instance limiter that also records peak memory, captured log lines and stderr, and
//! the HTTP policy of channel plugins.

use crate::bindings::Level;
use crate::bindings::pricing::tsunagi::plugins::log;
use crate::engine::PER_INSTANCE;
use crate::http::HttpPolicy;
use crate::manifest::Limits;
use crate::stderr::CappedPipe;
use serde::Serialize;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

const MAX_LOG_LINES: usize = 100;
const MAX_LOG_LINE: usize = 1024;
const STDERR_BYTES: usize = 16 << 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

struct Epoch;
impl HostWallClock for Epoch {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}
impl HostMonotonicClock for Epoch {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Memory and instance limits; remembers the peak and whether a limit refused a request.
/// The memory limit is for all of an instance's linear memories together (a component may
/// hold several), counted from their creation (wasmtime asks this limiter then too).
pub struct Limiter {
    pub memory_limit: usize,
    /// All linear memories of the store, now.
    pub memory_total: usize,
    pub peak_memory: usize,
    pub memory_refused: bool,
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_total - current.min(self.memory_total) + desired;
        if total > self.memory_limit {
            self.memory_refused = true;
            return Ok(false);
        }
        self.memory_total = total;
        self.peak_memory = self.peak_memory.max(total);
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
    fn instances(&self) -> usize {
        PER_INSTANCE.core_instances as usize
    }
    fn tables(&self) -> usize {
        PER_INSTANCE.tables as usize
    }
    fn memories(&self) -> usize {
        PER_INSTANCE.memories as usize
    }
}

pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: Limiter,
    pub logs: Vec<LogLine>,
    pub logs_dropped: usize,
    pub stderr: CappedPipe,
    pub http: Option<HttpPolicy>,
}

/// The deny-all, deterministic WASI context; made afresh for every call, so on a reused
/// instance too WASI's seeded randomness starts over at each call.
fn wasi(stderr: &CappedPipe) -> WasiCtx {
    wasmtime_wasi::WasiCtxBuilder::new()
        .stderr(stderr.clone())
        .wall_clock(Epoch)
        .monotonic_clock(Epoch)
        .secure_random(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
            0x7375_6e61_6769,
        ))
        .insecure_random_seed(0x7375_6e61_6769)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl State {
    pub fn new(limits: &Limits, http: Option<HttpPolicy>) -> Self {
        let stderr = CappedPipe::new(STDERR_BYTES);
        Self {
            wasi: wasi(&stderr),
            table: ResourceTable::new(),
            limiter: Limiter {
                memory_limit: usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX),
                memory_total: 0,
                peak_memory: 0,
                memory_refused: false,
            },
            logs: Vec::new(),
            logs_dropped: 0,
            stderr,
            http,
        }
    }

    /// This call's stderr (cleared when a call begins).
    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// A call begins on this store: its logs, stderr and memory refusal are its own.
    pub(crate) fn begin_call(&mut self) {
        self.wasi = wasi(&self.stderr);
        self.logs.clear();
        self.logs_dropped = 0;
        self.stderr.clear();
        self.limiter.memory_refused = false;
        if let Some(h) = &mut self.http {
            h.made = 0;
        }
    }

    pub(crate) fn take_logs(&mut self) -> (Vec<LogLine>, usize) {
        (
            std::mem::take(&mut self.logs),
            std::mem::take(&mut self.logs_dropped),
        )
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for State {
    fn log(&mut self, level: Level, message: String) {
        if self.logs.len() >= MAX_LOG_LINES {
            self.logs_dropped += 1;
            return;
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let level = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.logs.push(LogLine { level, message });
    }
}

impl crate::bindings::pricing::tsunagi::plugins::types::Host for State {}
impl crate::bindings::pricing::tsunagi::plugins::pricing_types::Host for State {}
impl crate::bindings::commission::tsunagi::plugins::commission_types::Host for State {}
impl crate::bindings::channel::tsunagi::plugins::channel_types::Host for State {}
