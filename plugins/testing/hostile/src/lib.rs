//! An adversarial pricing plugin for the sandbox tests. Config `mode`:
//! `spin` loops forever, `memory` allocates without end, `recurse` recurses without end,
//! `huge` returns megabytes of adjustments, `panic` panics, `bad` returns a positive
//! discount, `noisy` logs 500 lines, `clock` reports the time and a random number it sees,
//! `noop` returns nothing at once (the call-overhead benchmark), `count` says how many calls
//! this instance has served (and panics, with a line on stderr, on a contract named `panic`).

use std::hint::black_box;
use tsunagi_plugin_sdk::pricing::{Adjustment, AdjustmentKind, Guest, PricingInput, info, setting};

struct Hostile;

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(n: u64, acc: &mut [u64; 32]) -> u64 {
    acc[(n % 32) as usize] = n;
    black_box(recurse(n + 1, acc)) + acc[0]
}

fn adj(code: &str, reason: String, amount: i64) -> Adjustment {
    Adjustment {
        kind: AdjustmentKind::Discount,
        code: code.into(),
        reason,
        amount,
    }
}

impl Guest for Hostile {
    fn price(input: PricingInput) -> Result<Vec<Adjustment>, String> {
        match setting(&input.config, "mode").unwrap_or("noop") {
            "spin" => {
                let mut x = 0u64;
                loop {
                    x = black_box(x.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "recurse" => {
                let mut acc = [0u64; 32];
                let n = recurse(0, &mut acc);
                Ok(vec![adj("never", format!("{n}"), 0)])
            }
            "huge" => Ok((0..50)
                .map(|i| adj("huge", format!("{i}{}", "x".repeat(20_000)), -1))
                .collect()),
            "panic" => panic!(
                "the pricing rule fell over on contract {}",
                input.contract.id
            ),
            "bad" => Ok(vec![adj("bad", "a discount that charges".into(), 500)]),
            "noisy" => {
                for i in 0..500 {
                    info(&format!("line {i}"));
                }
                Ok(Vec::new())
            }
            "clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let mut buf = [0u8; 8];
                let r = std::collections::hash_map::RandomState::new();
                use std::hash::BuildHasher;
                let h = r.hash_one(42u8);
                buf.copy_from_slice(&h.to_le_bytes());
                Ok(vec![adj(
                    "clock",
                    format!("now={now} hash={}", u64::from_le_bytes(buf)),
                    0,
                )])
            }
            "noop" => Ok(Vec::new()),
            "count" => {
                static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if input.contract.id == "panic" {
                    panic!("asked to fall over on call {n}");
                }
                info(&format!("call {n}"));
                Ok(vec![adj("count", format!("call {n} on this instance"), 0)])
            }
            other => Err(format!("config `mode`: unknown mode {other:?}")),
        }
    }
}

tsunagi_plugin_sdk::pricing::export_pricing!(Hostile);
