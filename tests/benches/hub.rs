//! The notification hub end to end on loopback: events committed to the outbox at a fixed
//! rate travel relay → Redis stream → consumer group → planning → signed webhook POST to a
//! receiver in this process. Measured per phase:
//!
//! - the writer's achieved rate (one transaction every 2 ms carrying the events due);
//! - deliveries per second received, lost and duplicated events (both must be 0);
//! - latency from each event's commit to its arrival at the receiver: p50, p99, max.
//!
//! The ceiling, measured in the same run against the same Redis: `redis-benchmark` XADD,
//! plain (50 clients, one command per round trip) and pipelined 16 deep (as the relay sends).
//!
//! Run: `cargo xtask bench --bench hub` (BENCH_SECS lengthens each phase; BENCH_RATES sets
//! the arrival rates, default `1000,2500,5000`).

// The process hosts the hub as the server binary does, with the same allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tsunagi_tests::TestEnv;
use tsunagi_tests::load::{phase, quantile};

/// Commit and arrival instants per event index.
#[derive(Default)]
struct Book {
    committed: Vec<Option<Instant>>,
    arrived: Vec<Vec<Instant>>,
}

type Shared = Arc<Mutex<Book>>;

async fn receive(State(book): State<Shared>, body: Bytes) -> &'static str {
    let at = Instant::now();
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(i) = v["event"]["inventoryBatch"]["count"].as_u64() {
        let mut b = book.lock().expect("lock");
        if let Some(slot) = b.arrived.get_mut(i as usize) {
            slot.push(at);
        }
    }
    ""
}

fn redis_benchmark(redis_url: &str, pipeline: u32) -> anyhow::Result<f64> {
    let hostport = redis_url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let (host, port) = hostport.rsplit_once(':').unwrap_or((&hostport, "6379"));
    let out = std::process::Command::new("redis-benchmark")
        .args(["-h", host, "-p", port, "-n", "300000", "-c", "50", "--csv"])
        .args(["-P", &pipeline.to_string()])
        .args([
            "XADD",
            "tsunagi:bench:ceiling",
            "MAXLEN",
            "~",
            "100000",
            "*",
        ])
        .args([
            "data",
            r#"{"eventId":"0190f8b2-0000-7000-8000-000000000000","i":1}"#,
        ])
        .output()
        .map_err(|e| anyhow::anyhow!("redis-benchmark (Debian package redis-tools): {e}"))?;
    anyhow::ensure!(
        out.status.success(),
        "redis-benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let rps = last
        .rsplit(',')
        .nth(6) // name (may hold commas), rps, then six latency columns
        .map(|s| s.trim_matches('"'))
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("unexpected redis-benchmark output: {text}"))?;
    Ok(rps)
}

async fn write_at(
    env: &TestEnv,
    tenant: &str,
    book: &Shared,
    from: usize,
    rate: f64,
    d: Duration,
) -> f64 {
    let n = (rate * d.as_secs_f64()) as usize;
    let start = Instant::now();
    let mut written = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    while written < n {
        tick.tick().await;
        let due = ((start.elapsed().as_secs_f64() * rate) as usize).min(n);
        if due <= written {
            continue;
        }
        let (a, b) = (from + written, from + due - 1);
        sqlx::query(tsunagi_tests::hub::LOAD_EVENTS_SQL)
            .bind(tenant)
            .bind(i32::try_from(a).expect("i32"))
            .bind(i32::try_from(b).expect("i32"))
            .execute(&env.admin)
            .await
            .expect("emit");
        let now = Instant::now();
        let mut bk = book.lock().expect("lock");
        for i in a..=b {
            bk.committed[i] = Some(now);
        }
        written = due;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

struct Outcome {
    delivered: usize,
    lost: usize,
    duplicated: usize,
    rate: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn settle(book: &Shared, range: std::ops::Range<usize>) -> Outcome {
    let b = book.lock().expect("lock");
    let mut lat = Vec::with_capacity(range.len());
    let (mut lost, mut duplicated) = (0, 0);
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    for i in range {
        let (Some(c), Some(a)) = (b.committed[i], b.arrived[i].first().copied()) else {
            lost += 1;
            continue;
        };
        duplicated += b.arrived[i].len() - 1;
        lat.push(a.saturating_duration_since(c));
        first = Some(first.map_or(c, |f| f.min(c)));
        last = Some(last.map_or(a, |l| l.max(a)));
    }
    lat.sort();
    let q = |p: f64| quantile(&lat, p);
    let span = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
        _ => 0.0,
    };
    Outcome {
        delivered: lat.len(),
        lost,
        duplicated,
        rate: if span > 0.0 {
            lat.len() as f64 / span
        } else {
            0.0
        },
        p50: q(0.5),
        p99: q(0.99),
        max: lat.last().copied().unwrap_or_default(),
    }
}

/// Waits until every event of `range` arrived (or `within` passed), then a little more for
/// duplicates to show.
async fn wait_all(book: &Shared, range: std::ops::Range<usize>, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let done = book.lock().expect("lock").arrived[range.clone()]
            .iter()
            .all(|a| !a.is_empty());
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Events per second during the warm-up, whatever the measured rates.
const WARM_RATE: f64 = 1000.0;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("hub: bench");
        return Ok(());
    }
    let d = phase();
    let rates: Vec<f64> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| {
            if tsunagi_tests::load::quick() {
                "5000"
            } else {
                "1000,2500,5000"
            }
            .into()
        })
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let redis_url = tsunagi_tests::redis_url();
    println!("== ceiling: redis-benchmark XADD against {redis_url}");
    let plain = redis_benchmark(&redis_url, 1)?;
    let piped = redis_benchmark(&redis_url, 16)?;
    println!(
        "redis-benchmark XADD: {plain:.0}/s plain (50 clients), {piped:.0}/s pipelined 16 deep"
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let cfg = [
            ("TSUNAGI_RATE_LIMIT__ENABLED", "false"),
            ("TSUNAGI_TELEMETRY__LOG_LEVEL", "error"),
            ("TSUNAGI_DATABASE__MAX_CONNECTIONS", "24"),
            ("TSUNAGI_HUB__ALLOW_PRIVATE", "[\"127.0.0.1/32\"]"),
            ("TSUNAGI_HUB__CONCURRENCY", "128"),
            ("TSUNAGI_HUB__RELAY_BATCH", "1000"),
            ("TSUNAGI_HUB__CONSUMER_BATCH", "500"),
            ("TSUNAGI_HUB__CONSUMERS", "2"),
            ("TSUNAGI_HUB__STREAM_MAXLEN", "1000000"),
        ];
        let env = TestEnv::start_with(&cfg).await?;
        let s = env.seed().await?;
        let tenant = s.tenant("sakura-mobile").to_owned();
        let total: usize = (WARM_RATE * 5.0) as usize + rates.iter().map(|r| (r * d.as_secs_f64()) as usize).sum::<usize>();
        let book: Shared = Arc::new(Mutex::new(Book {
            committed: vec![None; total],
            arrived: vec![Vec::new(); total],
        }));
        let app = axum::Router::new()
            .route("/load", axum::routing::post(receive))
            .with_state(book.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", l.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        let admin = s.as_role("sakura-mobile", "tenant_admin").await;
        admin
            .ok(
                "mutation($u: String!, $t: String!) { webhookEndpointCreate(input: {url: $u, topics: [$t]}) { endpoint { id } } }",
                json!({"u": format!("{base}/load"), "t": tsunagi_tests::hub::LOAD_FILTER}),
            )
            .await;
        let _hub = env.start_hub()?;
        tokio::time::sleep(Duration::from_secs(1)).await;

        // Warm-up, then statistics: this machine's PostgreSQL runs with autovacuum off, and
        // on never-analysed tables the planner takes the hub's tables for empty. Production
        // servers analyse as autovacuum does; the warm-up stands for a system already running.
        let mut from = (WARM_RATE * 5.0) as usize;
        write_at(&env, &tenant, &book, 0, WARM_RATE, Duration::from_secs(5)).await;
        wait_all(&book, 0..from, Duration::from_secs(60)).await;
        sqlx::query("ANALYZE outbox, hub_deliveries, hub_due, hub_attempts")
            .execute(&env.admin)
            .await?;
        let w = settle(&book, 0..from);
        println!("warm-up: {} events delivered, then ANALYZE", w.delivered);

        for rate in &rates {
            let n = (rate * d.as_secs_f64()) as usize;
            println!("== {rate:.0} events/s for {} s ({n} events)", d.as_secs());
            let wrote = write_at(&env, &tenant, &book, from, *rate, d).await;
            wait_all(&book, from..from + n, Duration::from_secs(60)).await;
            let o = settle(&book, from..from + n);
            println!(
                "writer {wrote:.0}/s; delivered {} of {n}, lost {}, duplicated {}; {:.0} deliveries/s; \
                 commit→receiver p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.3} of the plain XADD ceiling",
                o.delivered, o.lost, o.duplicated, o.rate, ms(o.p50), ms(o.p99), ms(o.max), o.rate / plain
            );
            from += n;
        }
        anyhow::Ok(())
    })
}
