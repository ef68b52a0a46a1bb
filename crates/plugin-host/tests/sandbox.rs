//! The sandbox against real guests (plugins/examples and plugins/testing/hostile, built by
//! `cargo xtask test`): the three examples compute what their docs say; every attack ends
//! in its typed error and the host carries on; calls are deterministic; channel plugins
//! reach only allowlisted hosts; compiled artefacts survive a restart.

use std::time::{Duration, Instant};
use tsunagi_plugin_host::bindings::channel::tsunagi::plugins::channel_types::{
    Delivery, Notification,
};
use tsunagi_plugin_host::bindings::commission::tsunagi::plugins::commission_types::CommissionInput;
use tsunagi_plugin_host::bindings::pricing::tsunagi::plugins::pricing_types::{
    AdjustmentKind, PricingInput,
};
use tsunagi_plugin_host::{Failure, Host, HostConfig, Manifest, Plugin, World, guests};

pub fn wasm(name: &str) -> Vec<u8> {
    guests::component(name).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture<T: serde::de::DeserializeOwned>(example: &str) -> T {
    guests::fixture(example).unwrap_or_else(|e| panic!("{e}"))
}

fn host() -> Host {
    Host::new(HostConfig {
        max_concurrent: 8,
        ..HostConfig::default()
    })
    .expect("host")
}

fn manifest(pairs: &[(&str, &str)]) -> Manifest {
    let mut m = Manifest::default();
    for (k, v) in pairs {
        m.config.insert((*k).into(), (*v).into());
    }
    m
}

fn hostile(h: &Host) -> Plugin {
    h.load("hostile", "1", World::Pricing, &wasm("hostile"))
        .expect("load")
}

#[tokio::test]
async fn volume_discount_prices_the_fixture() {
    let h = host();
    let p = h
        .load(
            "volume-discount",
            "1",
            World::Pricing,
            &wasm("volume_discount"),
        )
        .expect("load");
    let input: PricingInput = fixture("volume-discount");
    let out = h.price(&p, &Manifest::default(), input.clone()).await;
    let adj = out.result.expect("priced");
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].kind, AdjustmentKind::Discount);
    // 5 % of the plan and option fees (35,760 + 13,200), usage not discounted.
    assert_eq!(adj[0].amount, -2448);
    assert_eq!(adj[0].reason, "Volume discount 5% (12 lines)");
    assert!(out.usage.fuel > 0 && out.usage.fuel < out.usage.fuel_limit);
    assert!(out.usage.peak_memory_bytes > 0);
    assert_eq!(out.logs[0].message, "12 lines: 5% off 48960");

    let tier2 = h
        .price(
            &p,
            &manifest(&[("tier2_lines", "10"), ("tier2_percent", "10")]),
            input.clone(),
        )
        .await;
    assert_eq!(tier2.result.expect("priced")[0].amount, -4896);
    let mut individual = input.clone();
    individual.contract.customer_kind = "individual".into();
    assert!(
        h.price(&p, &Manifest::default(), individual)
            .await
            .result
            .expect("priced")
            .is_empty()
    );
    let err = h
        .price(&p, &manifest(&[("percent", "lots")]), input)
        .await
        .result
        .expect_err("bad config");
    assert_eq!(
        err.failure,
        Failure::Plugin {
            message: "config `percent`: \"lots\" is not a non-negative integer".into()
        }
    );
    assert_eq!(err.plugin, "volume-discount");
}

#[tokio::test]
async fn tiered_commission_pays_on_paid_invoices() {
    let h = host();
    let p = h
        .load(
            "tiered-commission",
            "2",
            World::Commission,
            &wasm("tiered_commission"),
        )
        .expect("load");
    let input: CommissionInput = fixture("tiered-commission");
    let lines = h
        .commission(
            &p,
            &manifest(&[("tiers", "0:3,2:6"), ("activation_bonus", "1000")]),
            input,
        )
        .await
        .result
        .expect("ok");
    // Two sales → 6 % of the paid 10,000; the unpaid invoice earns nothing; one sale activated
    // in the period earns the bonus.
    let amounts: Vec<(String, i64)> = lines.iter().map(|l| (l.code.clone(), l.amount)).collect();
    assert_eq!(
        amounts,
        vec![("share".into(), 600), ("activation".into(), 1000)]
    );
    assert_eq!(lines[1].contract_id.as_deref(), Some("k-1"));
}

#[tokio::test]
async fn every_attack_ends_in_its_typed_error_and_the_host_carries_on() {
    let h = host();
    let p = hostile(&h);
    let input: PricingInput = fixture("volume-discount");
    let mut limits = Manifest::default().limits;
    limits.memory_bytes = 16 << 20;
    let run = |mode: &'static str| {
        let (h, input) = (h.clone(), input.clone());
        let mut m = manifest(&[("mode", mode)]);
        m.limits = limits;
        let p = &p;
        async move { h.price(p, &m, input).await }
    };
    let fail = |o: tsunagi_plugin_host::Outcome<_>| o.result.expect_err("must fail");
    assert_eq!(
        fail(run("spin").await).failure,
        Failure::Fuel { limit: limits.fuel }
    );
    assert_eq!(
        fail(run("memory").await).failure,
        Failure::Memory {
            limit_bytes: 16 << 20
        }
    );
    assert_eq!(fail(run("recurse").await).failure, Failure::StackOverflow);
    let huge = fail(run("huge").await);
    assert!(
        matches!(huge.failure, Failure::OutputTooLarge { limit, .. } if limit == 20 << 10),
        "{huge}"
    );
    let panic = fail(run("panic").await);
    let Failure::Trap { stderr, .. } = &panic.failure else {
        panic!("{panic}")
    };
    assert!(
        stderr.contains("the pricing rule fell over on contract"),
        "{stderr}"
    );
    let bad = fail(run("bad").await);
    assert!(
        matches!(&bad.failure, Failure::Malformed { reason } if reason.contains("discount must not be positive")),
        "{bad}"
    );
    assert!(
        bad.to_string()
            .starts_with("plugin hostile version 1 returned malformed data")
    );
    // Still serving.
    assert!(run("noop").await.result.expect("ok").is_empty());
    // Log lines are bounded.
    let noisy = run("noisy").await;
    assert_eq!((noisy.logs.len(), noisy.logs_dropped), (100, 400));
}

#[tokio::test]
async fn limits_on_input_and_time_are_typed() {
    let h = host();
    let p = hostile(&h);
    let mut input: PricingInput = fixture("volume-discount");
    input.lines[0].description = "x".repeat(200_000);
    let e = h
        .price(&p, &Manifest::default(), input)
        .await
        .result
        .expect_err("too large");
    assert!(matches!(e.failure, Failure::InputTooLarge { limit, .. } if limit == 128 << 10));
    let mut m = manifest(&[("mode", "spin")]);
    m.limits.fuel = u64::MAX / 4;
    m.limits.timeout_ms = 300;
    let t = Instant::now();
    let e = h
        .price(&p, &m, fixture("volume-discount"))
        .await
        .result
        .expect_err("timeout");
    assert_eq!(e.failure, Failure::Timeout { limit_ms: 300 });
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_plugin_does_not_block_other_calls() {
    let h = host();
    let p = std::sync::Arc::new(hostile(&h));
    let mut m = manifest(&[("mode", "spin")]);
    m.limits.fuel = u64::MAX / 4;
    m.limits.timeout_ms = 3_000;
    let spinners: Vec<_> = (0..4)
        .map(|_| {
            let (h, p, m) = (h.clone(), p.clone(), m.clone());
            tokio::spawn(async move { h.price(&p, &m, fixture("volume-discount")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Four spinners on two worker threads, yet a quick call completes long before they end.
    let t = Instant::now();
    let ok = h
        .price(
            &p,
            &manifest(&[("mode", "noop")]),
            fixture("volume-discount"),
        )
        .await;
    assert!(ok.result.is_ok());
    assert!(
        t.elapsed() < Duration::from_millis(1_500),
        "took {:?}",
        t.elapsed()
    );
    for s in spinners {
        assert!(matches!(
            s.await.expect("join").result.expect_err("timeout").failure,
            Failure::Timeout { .. }
        ));
    }
}

#[tokio::test]
async fn calls_are_deterministic_and_keep_no_state() {
    let h = host();
    let p = hostile(&h);
    let a = h
        .price(
            &p,
            &manifest(&[("mode", "clock")]),
            fixture("volume-discount"),
        )
        .await
        .result
        .expect("ok");
    let b = h
        .price(
            &p,
            &manifest(&[("mode", "clock")]),
            fixture("volume-discount"),
        )
        .await
        .result
        .expect("ok");
    assert_eq!(
        a, b,
        "same input, same answer: fixed clock, seeded randomness"
    );
    assert!(a[0].reason.starts_with("now=0 "), "{}", a[0].reason);
}

#[tokio::test]
async fn loading_checks_the_world_and_the_bytes() {
    let h = host();
    let e = h
        .load("x", "1", World::Pricing, b"not wasm")
        .err()
        .expect("refused");
    assert!(
        matches!(&e.failure, Failure::Invalid { reason } if reason.contains("not a WebAssembly component"))
    );
    let e = h
        .load("vd", "1", World::Channel, &wasm("volume_discount"))
        .err()
        .expect("refused");
    assert!(
        matches!(&e.failure, Failure::Invalid { reason } if reason.contains("channel world")),
        "{e}"
    );
    // A channel plugin cannot pose as a pricing rule: the pricing world grants no HTTP.
    assert!(
        h.load("cw", "1", World::Pricing, &wasm("chat_webhook"))
            .is_err()
    );
}

#[tokio::test]
async fn compiled_artefacts_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("tsunagi-plugin-cache-{}", std::process::id()));
    let cfg = HostConfig {
        cache_dir: Some(dir.clone()),
        max_concurrent: 2,
        ..HostConfig::default()
    };
    let bytes = wasm("volume_discount");
    let h1 = Host::new(cfg.clone()).expect("host");
    let t = Instant::now();
    h1.load("vd", "1", World::Pricing, &bytes).expect("load");
    let cold = t.elapsed();
    let files: Vec<_> = std::fs::read_dir(&dir).expect("dir").flatten().collect();
    assert_eq!(files.len(), 1);
    assert!(
        files[0]
            .file_name()
            .to_string_lossy()
            .starts_with(&Host::digest(&bytes))
    );
    let h2 = Host::new(cfg).expect("host");
    let t = Instant::now();
    let p = h2.load("vd", "1", World::Pricing, &bytes).expect("load");
    let warm = t.elapsed();
    assert!(
        warm < cold,
        "restart loads the artefact ({warm:?}) instead of compiling ({cold:?})"
    );
    assert!(
        h2.price(&p, &Manifest::default(), fixture("volume-discount"))
            .await
            .result
            .is_ok()
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn receiver(
    status: u16,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                g.lock()
                    .expect("lock")
                    .push(serde_json::from_slice(&body).unwrap_or_default());
                axum::http::StatusCode::from_u16(status).unwrap_or_default()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("127.0.0.1:{}", addr.port()), got)
}

#[tokio::test]
async fn the_chat_channel_reaches_only_allowed_hosts() {
    let h = host();
    let p = h
        .load("chat-webhook", "1", World::Channel, &wasm("chat_webhook"))
        .expect("load");
    let n: Notification = fixture("chat-webhook");
    let client = tsunagi_plugin_host::Egress {
        client: reqwest::Client::new(),
        check: None,
    };
    let (ok_host, got) = receiver(200).await;
    let mut m = manifest(&[("url", &format!("http://{ok_host}/hook"))]);
    m.allowed_hosts = vec![ok_host.clone()];
    let out = h.deliver(&p, &m, client.clone(), n.clone()).await;
    assert_eq!(out.result.expect("ran"), Delivery::Delivered(None));
    assert_eq!(out.usage.http_requests, 1);
    let body = got.lock().expect("lock")[0].clone();
    assert!(
        body["text"]
            .as_str()
            .expect("text")
            .contains("Outage: data service in Kansai")
    );
    assert_eq!(body["event"]["data"]["incidentId"], "inc-42");

    // The same URL without the allowlist entry: refused by the host, never sent.
    let (other, got2) = receiver(200).await;
    let mut denied = manifest(&[("url", &format!("http://{other}/hook"))]);
    denied.allowed_hosts = vec![ok_host.clone()];
    let out = h.deliver(&p, &denied, client.clone(), n.clone()).await;
    let Delivery::Permanent(why) = out.result.expect("ran") else {
        panic!("not permanent")
    };
    assert!(why.contains("not in the plugin's allowed_hosts"), "{why}");
    assert!(got2.lock().expect("lock").is_empty());
    assert_eq!(out.logs[0].level, "warn");

    let (busy, _) = receiver(503).await;
    let mut m = manifest(&[("url", &format!("http://{busy}/hook"))]);
    m.allowed_hosts = vec![busy];
    assert!(matches!(
        h.deliver(&p, &m, client, n).await.result.expect("ran"),
        Delivery::Retryable(_)
    ));
}
