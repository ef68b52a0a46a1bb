//! Batches and a second language: a session serves many calls on one instance and starts a
//! fresh one after any failure; the JavaScript example (componentize-js, built by `cargo
//! xtask plugins`) loads on a one-slot host like the CLI's, prices exactly as the Rust
//! example does, and its default build is refused with the fix in the error.

use tsunagi_plugin_host::bindings::pricing::tsunagi::plugins::pricing_types::PricingInput;
use tsunagi_plugin_host::{Failure, Host, HostConfig, Manifest, World, guests};

fn wasm(name: &str) -> Vec<u8> {
    guests::component(name).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture() -> PricingInput {
    guests::fixture("volume-discount").unwrap_or_else(|e| panic!("{e}"))
}

fn manifest(pairs: &[(&str, &str)]) -> Manifest {
    let mut m = Manifest::default();
    for (k, v) in pairs {
        m.config.insert((*k).into(), (*v).into());
    }
    m
}

/// One slot, as `tsunagi plugin test` runs; compiled artefacts shared by this run's tests.
fn one_slot_host() -> Host {
    Host::new(HostConfig {
        cache_dir: Some(guests::cache_dir()),
        max_concurrent: 1,
        ..HostConfig::default()
    })
    .expect("host")
}

#[tokio::test]
async fn a_session_reuses_its_instance_and_starts_afresh_after_a_failure() {
    let h = one_slot_host();
    let p = h
        .load("hostile", "1", World::Pricing, &wasm("hostile"))
        .expect("load");
    let m = manifest(&[("mode", "count")]);
    let call = |id: &str| {
        let mut i = fixture();
        i.contract.id = id.into();
        i
    };
    let mut s = h.session(&p, &m).await;
    let mut reasons = Vec::new();
    for id in ["a", "b", "panic", "c", "d"] {
        let o = s.price(call(id)).await;
        match o.result {
            Ok(adj) => {
                reasons.push(adj[0].reason.clone());
                // Logs are the call's own.
                assert_eq!(o.logs.len(), 1, "{:?}", o.logs);
            }
            Err(e) => {
                let Failure::Trap { stderr, .. } = &e.failure else {
                    panic!("{e}")
                };
                // Stderr is this call's alone.
                assert!(stderr.contains("asked to fall over on call 3"), "{stderr}");
                assert_eq!(stderr.matches("fall over").count(), 1, "{stderr}");
                reasons.push("trap".into());
            }
        }
    }
    assert_eq!(
        reasons,
        [
            "call 1 on this instance",
            "call 2 on this instance",
            "trap",
            "call 1 on this instance",
            "call 2 on this instance",
        ]
    );
    assert_eq!(s.instances, 2);
    drop(s);
    // An answer the host refuses ends the instance too.
    let bad = manifest(&[("mode", "bad")]);
    let mut s = h.session(&p, &bad).await;
    for _ in 0..2 {
        let e = s.price(call("x")).await.result.expect_err("malformed");
        assert!(matches!(e.failure, Failure::Malformed { .. }), "{e}");
    }
    assert_eq!(s.instances, 2);
    drop(s);
    // One-off calls never share an instance.
    for _ in 0..2 {
        let adj = h.price(&p, &m, call("x")).await.result.expect("ok");
        assert_eq!(adj[0].reason, "call 1 on this instance");
    }
}

#[tokio::test]
async fn fuel_and_time_limits_hold_per_call_in_a_session() {
    let h = one_slot_host();
    let p = h
        .load("vd", "1", World::Pricing, &wasm("volume_discount"))
        .expect("load");
    let mut m = Manifest::default();
    m.limits.fuel = 2_000_000;
    let mut s = h.session(&p, &m).await;
    // Each call has the whole allowance: many calls whose total is far above it all pass.
    let mut total = 0;
    for _ in 0..200 {
        let o = s.price(fixture()).await;
        assert!(o.result.is_ok());
        assert!(o.usage.fuel < m.limits.fuel);
        total += o.usage.fuel;
    }
    assert!(total > m.limits.fuel, "{total}");
    assert_eq!(s.instances, 1);
}

/// Deterministic inputs across the rule's branches: line counts around both thresholds,
/// both customer kinds, amounts from zero to large.
fn cases() -> Vec<PricingInput> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let counts = [0, 1, 4, 5, 6, 12, 49, 50, 51, 500, 100_000];
    let mut out = Vec::new();
    for (i, n) in counts.iter().cycle().take(120).enumerate() {
        let mut c = fixture();
        c.contract.line_count = *n;
        c.contract.customer_kind = if i % 3 == 0 { "individual" } else { "business" }.into();
        for l in &mut c.lines {
            l.amount = i64::try_from(next(5_000_000)).expect("small");
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn javascript_prices_exactly_like_rust_on_the_clis_one_slot_host() {
    let h = one_slot_host();
    let js = h
        .load("vd-js", "1", World::Pricing, &wasm("volume_discount_js"))
        .expect("the JavaScript component loads on a one-slot host");
    let rust = h
        .load("vd", "1", World::Pricing, &wasm("volume_discount"))
        .expect("load");
    let configs: [&[(&str, &str)]; 4] = [
        &[],
        &[("percent", "7"), ("individuals", "true")],
        &[
            ("min_lines", "+2"),
            ("tier2_lines", "10"),
            ("tier2_percent", "100"),
        ],
        &[("percent", "lots")],
    ];
    for config in configs {
        let m = manifest(config);
        let mut answers = Vec::new();
        for p in [&js, &rust] {
            let mut s = h.session(p, &m).await;
            let mut out = Vec::new();
            for c in cases() {
                let o = s.price(c).await;
                assert!(o.usage.peak_memory_bytes <= o.usage.memory_limit_bytes);
                out.push(o.result.map_err(|e| match e.failure {
                    Failure::Plugin { message } => message,
                    other => panic!("{} {other:?}", p.name),
                }));
            }
            // A plugin error is an answer, not a failure: the instance serves on.
            assert_eq!(s.instances, 1, "{}", p.name);
            answers.push(out);
        }
        assert_eq!(answers[0], answers[1], "config {config:?}");
        if config.is_empty() {
            let discounted = answers[0]
                .iter()
                .filter(|a| matches!(a, Ok(v) if !v.is_empty()));
            assert!(discounted.count() > 30);
        }
    }
    let e = h
        .price(&js, &manifest(&[("percent", "lots")]), fixture())
        .await
        .result
        .expect_err("bad config");
    assert_eq!(
        e.to_string(),
        "plugin vd-js version 1 returned an error: config `percent`: \"lots\" is not a non-negative integer"
    );
}

#[tokio::test]
async fn the_default_javascript_build_is_refused_with_the_fix() {
    let h = one_slot_host();
    let e = h
        .load(
            "vd-js",
            "1",
            World::Pricing,
            &wasm("volume_discount_js_default"),
        )
        .err()
        .expect("refused: it imports wasi:http");
    let Failure::Invalid { reason } = &e.failure else {
        panic!("{e}")
    };
    assert!(reason.contains("wasi:http/types"), "{reason}");
    assert!(
        reason.contains("disableFeatures: ['http', 'fetch-event']"),
        "{reason}"
    );
    assert!(reason.contains("docs/plugin-authoring.md"), "{reason}");
}
