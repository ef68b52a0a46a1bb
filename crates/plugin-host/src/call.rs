//! The calls of each world (on a [`Session`]; one-off calls are sessions of one call), the
//! checks of what a guest answers, the classification of failures and what a call used.

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
use crate::session::{Instance, Instantiating, Session};
use crate::state::{LogLine, State};
use serde::Serialize;
use std::time::Duration;
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

pub(crate) fn classify(e: &wasmtime::Error, store: &Store<State>, m: &Manifest) -> Failure {
    let instantiating = e.downcast_ref::<Instantiating>().is_some();
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
        // Not a trap while instantiating: the component needs more than a plugin instance
        // may hold (memories, tables, core instances), or an import failed to link.
        None if instantiating => Failure::Instantiate {
            reason: format!("{e:#}"),
        },
        // Not a trap: lifting the guest's answer failed (invalid UTF-8, a bad discriminant,
        // a list too long for memory).
        None => Failure::Malformed {
            reason: format!("{e:#}"),
        },
    }
}

impl Session<'_> {
    /// A pricing rule's adjustments for one contract's draft invoice.
    pub async fn price(&mut self, mut input: PricingInput) -> Outcome<Vec<Adjustment>> {
        input.config = self.manifest().settings();
        if !matches!(self.plugin().pre, Pre::Pricing(_)) {
            return wrong_world(self.plugin(), "pricing");
        }
        let out = self
            .call(&input, async |store, inst| match inst {
                Instance::Pricing(i) => i.call_price(&mut *store, &input).await,
                _ => unreachable!("checked above"),
            })
            .await;
        self.checked(out, |a| check_adjustments(a))
    }

    /// A partner's commission lines for a period.
    pub async fn commission(&mut self, mut input: CommissionInput) -> Outcome<Vec<CommissionLine>> {
        input.config = self.manifest().settings();
        if !matches!(self.plugin().pre, Pre::Commission(_)) {
            return wrong_world(self.plugin(), "commission");
        }
        let out = self
            .call(&input, async |store, inst| match inst {
                Instance::Commission(i) => i.call_commission(&mut *store, &input).await,
                _ => unreachable!("checked above"),
            })
            .await;
        self.checked(out, |lines| {
            lines
                .iter()
                .enumerate()
                .try_for_each(|(i, l)| check_line(&l.code, &l.reason, i))
        })
    }
}

impl Host {
    /// A pricing rule's adjustments for one contract's draft invoice, on a fresh instance
    /// (for many contracts of one tenant, use a [`Session`]).
    pub async fn price(
        &self,
        p: &Plugin,
        m: &Manifest,
        input: PricingInput,
    ) -> Outcome<Vec<Adjustment>> {
        self.session_with(p, m, None).await.price(input).await
    }

    /// A partner's commission lines for a period, on a fresh instance.
    pub async fn commission(
        &self,
        p: &Plugin,
        m: &Manifest,
        input: CommissionInput,
    ) -> Outcome<Vec<CommissionLine>> {
        self.session_with(p, m, None).await.commission(input).await
    }

    /// Delivers a rendered notification through a channel plugin, on a fresh instance
    /// (channel calls reach the outside world: never batched).
    pub async fn deliver(
        &self,
        p: &Plugin,
        m: &Manifest,
        egress: Egress,
        mut n: Notification,
    ) -> Outcome<Delivery> {
        n.config = m.settings();
        if !matches!(p.pre, Pre::Channel(_)) {
            return wrong_world(p, "channel");
        }
        let http = HttpPolicy {
            egress,
            allowed_hosts: m.allowed_hosts.clone(),
            max_requests: m.limits.http_requests,
            max_bytes: m.limits.http_bytes,
            timeout: Duration::from_millis(m.limits.http_timeout_ms),
            made: 0,
        };
        let mut s = self.session_with(p, m, Some(http)).await;
        s.call(&n, async |store, inst| match inst {
            Instance::Channel(i) => i.call_deliver(&mut *store, &n).await,
            _ => unreachable!("checked above"),
        })
        .await
    }
}

fn check_adjustments(adj: &[Adjustment]) -> Result<(), String> {
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
}

fn wrong_world<T>(p: &Plugin, want: &str) -> Outcome<T> {
    let f = Failure::Invalid {
        reason: format!("implements the {} world, not {want}", p.world.name()),
    };
    Outcome::failed(p.fail(f), Usage::default())
}

/// The guest's own `Err(message)` becomes [`Failure::Plugin`]; a returned value is checked.
pub(crate) fn then<T>(
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
