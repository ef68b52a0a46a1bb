//! Plugin call costs (criterion, plus percentile and volume figures printed after the
//! criterion groups). Run: `cargo xtask bench --bench plugins` (xtask builds the guests).
//!
//! - instantiate-and-call of the volume-discount pricing example from a warm cache (a fresh
//!   store and instance per call, as in production): mean (criterion) and p50/p99 over
//!   20,000 calls;
//! - the same for a plugin that returns at once (the per-call overhead of the sandbox);
//! - the rule as native Rust on the same input, and the ratio;
//! - 100,000 contracts priced through the plugin, concurrently on the runtime;
//! - 100,000 instantiate/drop cycles with resident memory sampled along the way;
//! - Rust and JavaScript (the componentize-js example) side by side: per-call p50/p99 on a
//!   fresh instance and in a session (one instance for a batch), and 100,000 contracts in
//!   sessions of 1,000 by 2 tasks.

use criterion::Criterion;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tsunagi_plugin_host::bindings::pricing::tsunagi::plugins::pricing_types::{
    Adjustment, AdjustmentKind, PricingInput,
};
use tsunagi_plugin_host::{Host, HostConfig, Manifest, Plugin, World, guests};

fn guest(name: &str) -> Vec<u8> {
    guests::component(name).unwrap_or_else(|e| panic!("{e}"))
}

fn input() -> PricingInput {
    guests::fixture("volume-discount").unwrap_or_else(|e| panic!("{e}"))
}

/// The volume-discount rule written natively, for the comparison.
fn native(input: &PricingInput) -> Vec<Adjustment> {
    let lines = i64::from(input.contract.line_count);
    if lines < 5 || input.contract.customer_kind != "business" {
        return Vec::new();
    }
    let rate = if lines >= 50 { 10 } else { 5 };
    let fees: i64 = input
        .lines
        .iter()
        .filter(|l| l.code.starts_with("plan:") || l.code.starts_with("option:"))
        .map(|l| l.amount)
        .sum();
    vec![Adjustment {
        kind: AdjustmentKind::Discount,
        code: "volume-discount".into(),
        reason: format!("Volume discount {rate}% ({lines} lines)"),
        amount: -(fees * rate / 100),
    }]
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn percentiles(
    rt: &tokio::runtime::Runtime,
    host: &Host,
    p: &Plugin,
    m: &Manifest,
    n: usize,
) -> (Duration, Duration) {
    let inp = input();
    let mut lat = Vec::with_capacity(n);
    rt.block_on(async {
        for _ in 0..n {
            let t = Instant::now();
            let o = host.price(p, m, inp.clone()).await;
            lat.push(t.elapsed());
            assert!(o.result.is_ok());
        }
    });
    lat.sort();
    (lat[n / 2], lat[n * 99 / 100])
}

/// `BENCH_QUICK=1` (`cargo xtask bench --quick`, tests/src/load.rs).
fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// A tenth of every count under `--quick`.
fn scale(n: u32) -> u32 {
    if quick() { n / 10 } else { n }
}

fn main() {
    let quick = quick();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(if quick { 1 } else { 3 }))
        .measurement_time(Duration::from_secs(if quick { 2 } else { 5 }))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let host = Host::new(HostConfig {
        max_concurrent: 16,
        ..HostConfig::default()
    })
    .expect("host");
    let vd = host
        .load(
            "volume-discount",
            "1",
            World::Pricing,
            &guest("volume_discount"),
        )
        .expect("load");
    let noop = host
        .load("hostile", "1", World::Pricing, &guest("hostile"))
        .expect("load");
    let m = Manifest::default();
    let mut noop_m = Manifest::default();
    noop_m.config.insert("mode".into(), "noop".into());
    let inp = input();

    let mut g = c.benchmark_group("plugins");
    g.bench_function("volume-discount: instantiate + call (plugin)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(
                        host.price(&vd, &m, inp.clone()).await.result.expect("ok"),
                    );
                }
                t.elapsed()
            })
        });
    });
    g.bench_function("noop plugin: instantiate + call (sandbox overhead)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(
                        host.price(&noop, &noop_m, inp.clone())
                            .await
                            .result
                            .expect("ok"),
                    );
                }
                t.elapsed()
            })
        });
    });
    g.bench_function("volume-discount: native Rust", |b| {
        b.iter(|| std::hint::black_box(native(std::hint::black_box(&inp))))
    });
    g.finish();
    c.final_summary();

    let (p50, p99) = percentiles(&rt, &host, &vd, &m, scale(20_000) as usize);
    println!(
        "volume-discount plugin, warm cache, fresh instance per call: p50 {:.1} µs, p99 {:.1} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    let (n50, n99) = percentiles(&rt, &host, &noop, &noop_m, scale(20_000) as usize);
    println!(
        "noop plugin (sandbox overhead): p50 {:.1} µs, p99 {:.1} µs",
        n50.as_secs_f64() * 1e6,
        n99.as_secs_f64() * 1e6
    );
    let t = Instant::now();
    for _ in 0..100_000 {
        std::hint::black_box(native(std::hint::black_box(&inp)));
    }
    let native_each = t.elapsed() / 100_000;
    println!(
        "native rule: {:.3} µs per contract; plugin/native ratio at p50: {:.0}×",
        native_each.as_secs_f64() * 1e6,
        p50.as_secs_f64() / native_each.as_secs_f64().max(1e-9)
    );

    let vd = Arc::new(vd);
    for workers in [1u32, 2] {
        volume(&rt, &host, &vd, &inp, workers);
    }

    leak_check(&rt, &host, &noop, &noop_m, &inp);

    let bytes = guest("volume_discount_js");
    let t = Instant::now();
    let js = Arc::new(
        host.load("volume-discount-js", "1", World::Pricing, &bytes)
            .expect("load"),
    );
    println!(
        "JavaScript component ({:.1} MB): compiled and pre-instantiated in {:.1} s (no cache)",
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    for (lang, p, fresh_n) in [
        ("Rust", &vd, scale(20_000)),
        ("JavaScript", &js, scale(2_000)),
    ] {
        side_by_side(&rt, &host, lang, p, fresh_n);
    }
}

/// One language's figures: fresh instance per call, a session per batch, 100,000 contracts.
fn side_by_side(
    rt: &tokio::runtime::Runtime,
    host: &Host,
    lang: &str,
    p: &Arc<Plugin>,
    fresh_n: u32,
) {
    let m = Manifest::default();
    let (f50, f99) = percentiles(rt, host, p, &m, fresh_n as usize);
    let inp = input();
    let calls = scale(20_000);
    let (mut lat, mut peak) = (Vec::with_capacity(calls as usize), 0);
    rt.block_on(async {
        let mut s = host.session(p, &m).await;
        for _ in 0..calls {
            let t = Instant::now();
            let o = s.price(inp.clone()).await;
            lat.push(t.elapsed());
            peak = peak.max(o.usage.peak_memory_bytes);
            assert!(o.result.is_ok());
        }
        assert_eq!(s.instances, 1);
    });
    lat.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{lang}: fresh instance per call p50 {:.1} µs, p99 {:.1} µs ({fresh_n} calls); \
         in a session p50 {:.1} µs, p99 {:.1} µs ({calls} calls); instance memory {:.1} MiB",
        us(f50),
        us(f99),
        us(lat[lat.len() / 2]),
        us(lat[lat.len() * 99 / 100]),
        peak as f64 / (1 << 20) as f64
    );
    let n = scale(100_000);
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..2u32 {
            let (h, p, inp) = (host.clone(), p.clone(), inp.clone());
            tasks.push(tokio::spawn(async move {
                let m = Manifest::default();
                let mut i = w;
                while i < n {
                    let mut s = h.session(&p, &m).await;
                    for _ in 0..1_000 {
                        let mut x = inp.clone();
                        x.contract.line_count = 5 + i % 60;
                        assert!(s.price(x).await.result.is_ok());
                        i += 2;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
    });
    let all = t.elapsed();
    println!(
        "{lang}: {n} contracts in sessions of 1,000 by 2 tasks: {:.2} s ({:.0} contracts/s)",
        all.as_secs_f64(),
        f64::from(n) / all.as_secs_f64()
    );
}

/// 100,000 contracts through the plugin, spread over `workers` tasks.
fn volume(
    rt: &tokio::runtime::Runtime,
    host: &Host,
    vd: &Arc<Plugin>,
    inp: &PricingInput,
    workers: u32,
) {
    let n = scale(100_000);
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..workers {
            let (h, p, inp) = (host.clone(), vd.clone(), inp.clone());
            tasks.push(tokio::spawn(async move {
                let m = Manifest::default();
                let mut i = w;
                while i < n {
                    let mut x = inp.clone();
                    x.contract.line_count = 5 + i % 60;
                    assert!(h.price(&p, &m, x).await.result.is_ok());
                    i += workers;
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
    });
    let all = t.elapsed();
    println!(
        "{n} contracts priced through the plugin by {workers} task(s): {:.2} s ({:.0} contracts/s)",
        all.as_secs_f64(),
        f64::from(n) / all.as_secs_f64()
    );
}

/// Resident memory across 100,000 instantiate/drop cycles.
fn leak_check(
    rt: &tokio::runtime::Runtime,
    host: &Host,
    noop: &Plugin,
    noop_m: &Manifest,
    inp: &PricingInput,
) {
    let (n, step) = (scale(100_000), scale(20_000));
    let mut samples = Vec::new();
    rt.block_on(async {
        for i in 0..n {
            assert!(host.price(noop, noop_m, inp.clone()).await.result.is_ok());
            if i % step == 0 || i == n - 1 {
                samples.push((i + 1, rss_kib()));
            }
        }
    });
    let line: Vec<String> = samples
        .iter()
        .map(|(i, k)| format!("{i}: {:.1} MiB", *k as f64 / 1024.0))
        .collect();
    println!(
        "resident memory over {n} instantiate/drop cycles: {}",
        line.join(", ")
    );
}
