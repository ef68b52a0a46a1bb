//! One call: a fresh store with the manifest's limits, instantiate from the pre-instance,
//! call the export under the time limit, classify any failure, measure what was used.

use crate::bindings::channel::tsunagi::plugins::channel_types::{Delivery, Notification};
use crate::bindings::commission::tsunagi::plugins::commission_types::{
    CommissionInput, CommissionLine,
};
use crate::bindings::pricing::tsunagi::plugins::pricing_types::{
    Adjustment, AdjustmentKind, PricingInput,
};
use crate::engine::{Host, Plugin, Pre};
use crate::error::{Failure, PluginError};
use crate::http::{Egress, HttpPolicy};
use crate::manifest::Manifest;
use crate::state::{LogLine, State};
use serde::Serialize;
use std::time::{Duration, Instant};
use wasmtime::{Store, Trap};

/// What a call used, against its limits.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    pub fuel: u64,
    pub fuel_limit: u64,
    pub peak_memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub input_bytes: usize,
    pub output_bytes: usize,
    pub duration_us: u64,
    pub http_requests: u32,
}

#[derive(Debug)]
pub struct Outcome<T> {
    pub result: Result<T, PluginError>,
    pub usage: Usage,
    pub logs: Vec<LogLine>,
    pub logs_dropped: usize,
}

fn classify(e: &wasmtime::Error, store: &Store<State>, m: &Manifest) -> Failure {
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Failure::Fuel {
            limit: m.limits.fuel,
        },
        Some(Trap::StackOverflow) => Failure::StackOverflow,
        _ if store.data().limiter.memory_refused => Failure::Memory {
            limit_bytes: m.limits.memory_bytes,
        },
        Some(t) => Failure::Trap {
            message: t.to_string(),
            stderr: store.data().stderr_text(),
        },
        // Not a trap: lifting the guest's answer failed (invalid UTF-8, a bad discriminant,
        // a list too long for memory), or instantiation did.
        None => Failure::Malformed {
            reason: format!("{e:#}"),
        },
    }
}

impl Host {
    fn store(&self, m: &Manifest, http: Option<HttpPolicy>) -> Store<State> {
        let mut store = Store::new(self.engine(), State::new(&m.limits, http));
        store.limiter(|s| &mut s.limiter);
        // Fuel is enabled on the engine, so these cannot fail.
        let _ = store.set_fuel(m.limits.fuel);
        let _ = store.fuel_async_yield_interval(Some(self.config().yield_every));
        store
    }

    /// Runs `call` on a fresh instance under the limits; returns the raw result and the store.
    async fn run<I: Serialize, O: Serialize>(
        &self,
        p: &Plugin,
        m: &Manifest,
        input: &I,
        http: Option<HttpPolicy>,
        call: impl AsyncFnOnce(&mut Store<State>) -> wasmtime::Result<O>,
    ) -> Outcome<O> {
        let started = Instant::now();
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
            return Outcome {
                result: Err(p.fail(f)),
                usage,
                logs: Vec::new(),
                logs_dropped: 0,
            };
        }
        let _slot = self.slots().acquire().await;
        let mut store = self.store(m, http);
        let r = tokio::time::timeout(Duration::from_millis(m.limits.timeout_ms), call(&mut store))
            .await;
        usage.fuel = m.limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        usage.peak_memory_bytes = store.data().limiter.peak_memory as u64;
        usage.http_requests = store.data().http.as_ref().map_or(0, |h| h.made);
        let result = match r {
            Err(_) => Err(p.fail(Failure::Timeout {
                limit_ms: m.limits.timeout_ms,
            })),
            Ok(Err(e)) => Err(p.fail(classify(&e, &store, m))),
            Ok(Ok(out)) => {
                usage.output_bytes = serde_json::to_vec(&out).map_or(usize::MAX, |v| v.len());
                if usage.output_bytes > m.limits.output_bytes {
                    Err(p.fail(Failure::OutputTooLarge {
                        size: usage.output_bytes,
                        limit: m.limits.output_bytes,
                    }))
                } else {
                    Ok(out)
                }
            }
        };
        usage.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let st = store.into_data();
        Outcome {
            result,
            usage,
            logs: st.logs,
            logs_dropped: st.logs_dropped,
        }
    }

    /// A pricing rule's adjustments for one contract's draft invoice.
    pub async fn price(
        &self,
        p: &Plugin,
        m: &Manifest,
        mut input: PricingInput,
    ) -> Outcome<Vec<Adjustment>> {
        input.config = m.settings();
        let Pre::Pricing(pre) = &p.pre else {
            return wrong_world(p, "pricing");
        };
        let out = self
            .run(p, m, &input, None, async |store| {
                let inst = pre.instantiate_async(&mut *store).await?;
                inst.call_price(&mut *store, &input).await
            })
            .await;
        then(p, out, |adj| {
            for (i, a) in adj.iter().enumerate() {
                check_line(&a.code, &a.reason, i)?;
                match a.kind {
                    AdjustmentKind::Discount if a.amount > 0 => {
                        return Err(format!(
                            "adjustment {i} ({}): a discount must not be positive",
                            a.code
                        ));
                    }
                    AdjustmentKind::Surcharge if a.amount < 0 => {
                        return Err(format!(
                            "adjustment {i} ({}): a surcharge must not be negative",
                            a.code
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        })
    }

    /// A partner's commission lines for a period.
    pub async fn commission(
        &self,
        p: &Plugin,
        m: &Manifest,
        mut input: CommissionInput,
    ) -> Outcome<Vec<CommissionLine>> {
        input.config = m.settings();
        let Pre::Commission(pre) = &p.pre else {
            return wrong_world(p, "commission");
        };
        let out = self
            .run(p, m, &input, None, async |store| {
                let inst = pre.instantiate_async(&mut *store).await?;
                inst.call_commission(&mut *store, &input).await
            })
            .await;
        then(p, out, |lines| {
            lines
                .iter()
                .enumerate()
                .try_for_each(|(i, l)| check_line(&l.code, &l.reason, i))
        })
    }

    /// Delivers a rendered notification through a channel plugin.
    pub async fn deliver(
        &self,
        p: &Plugin,
        m: &Manifest,
        egress: Egress,
        mut n: Notification,
    ) -> Outcome<Delivery> {
        n.config = m.settings();
        let Pre::Channel(pre) = &p.pre else {
            return wrong_world(p, "channel");
        };
        let http = HttpPolicy {
            egress,
            allowed_hosts: m.allowed_hosts.clone(),
            max_requests: m.limits.http_requests,
            max_bytes: m.limits.http_bytes,
            timeout: Duration::from_millis(m.limits.http_timeout_ms),
            made: 0,
        };
        self.run(p, m, &n, Some(http), async |store| {
            let inst = pre.instantiate_async(&mut *store).await?;
            inst.call_deliver(&mut *store, &n).await
        })
        .await
    }
}

fn wrong_world<T>(p: &Plugin, want: &str) -> Outcome<T> {
    let f = Failure::Invalid {
        reason: format!("implements the {} world, not {want}", p.world.name()),
    };
    Outcome {
        result: Err(p.fail(f)),
        usage: Usage::default(),
        logs: Vec::new(),
        logs_dropped: 0,
    }
}

/// The guest's own `Err(message)` becomes [`Failure::Plugin`]; a returned value is checked.
fn then<T>(
    p: &Plugin,
    out: Outcome<Result<T, String>>,
    check: impl FnOnce(&T) -> Result<(), String>,
) -> Outcome<T> {
    let result = match out.result {
        Err(e) => Err(e),
        Ok(Err(message)) => Err(p.fail(Failure::Plugin { message })),
        Ok(Ok(v)) => match check(&v) {
            Ok(()) => Ok(v),
            Err(reason) => Err(p.fail(Failure::Malformed { reason })),
        },
    };
    Outcome {
        result,
        usage: out.usage,
        logs: out.logs,
        logs_dropped: out.logs_dropped,
    }
}

fn check_line(code: &str, reason: &str, i: usize) -> Result<(), String> {
    if code.is_empty() || code.len() > 64 {
        return Err(format!("line {i}: code must be 1–64 characters"));
    }
    if reason.trim().is_empty() || reason.chars().count() > 200 {
        return Err(format!(
            "line {i} ({code}): reason must be 1–200 characters (it is printed on the invoice)"
        ));
    }
    Ok(())
}
