//! The signed-in `viewer` query over HTTP on loopback, against the PostgreSQL ceiling
//! measured in the same run:
//!
//! 1. `pgbench -S` (select-only, one row by primary key) — the single-row-read rate;
//! 2. `viewer` at saturation (closed loop), with the app role (RLS on) and with a role that
//!    bypasses RLS — the RLS overhead in percent;
//!    The same query sent as a persisted operation (by SHA-256 hash, as the console sends
//!    its operations; parsed once when the server starts) — what the parse cache is worth;
//! 3. `viewer` at a fixed arrival rate of a quarter of the pgbench rate (open loop, latency
//!    measured from the scheduled send time, so a slow server cannot hide its queue) —
//!    achieved throughput and p50/p99.
//!
//! Run: `cargo xtask bench --bench viewer` (set BENCH_SECS to lengthen each phase).

use std::sync::Arc;
use std::time::{Duration, Instant};
use tsunagi_tests::TestEnv;
use tsunagi_tests::load::{open_loop, phase};

const TEXT: &str = "{ viewer { tenantSlug roles user { email } } }";
const QUERY: &str = r#"{"query":"{ viewer { tenantSlug roles user { email } } }"}"#;

/// A console directory whose persisted operations hold `TEXT`; returns it and the request
/// body that names `TEXT` by hash.
fn persisted_dir() -> anyhow::Result<(std::path::PathBuf, String)> {
    use sha2::{Digest, Sha256};
    let hash = hex::encode(Sha256::digest(TEXT.as_bytes()));
    let dir = std::env::temp_dir().join(format!("tsunagi-bench-viewer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join(".persisted-operations.json"),
        serde_json::json!({ &hash: TEXT }).to_string(),
    )?;
    let body = serde_json::json!({
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}
    })
    .to_string();
    Ok((dir, body))
}

async fn sign_in(env: &TestEnv) -> anyhow::Result<String> {
    env.seed().await?;
    let body = tsunagi_tests::seed::login(
        &env.base,
        "sakura-mobile",
        "support@sakura-mobile.example",
        tsunagi_server::demo::DEMO_PASSWORD,
    )
    .await;
    Ok(body["data"]["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {body}"))?
        .to_owned())
}

async fn one(http: &reqwest::Client, url: &str, token: &str, body: &str) -> bool {
    match http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
    {
        Ok(r) => r
            .bytes()
            .await
            .is_ok_and(|b| !b.windows(6).any(|w| w == b"errors")),
        Err(_) => false,
    }
}

/// Closed loop: `workers` clients back to back for `d`. Returns requests per second.
async fn saturate(base: &str, token: &str, body: &str, workers: usize, d: Duration) -> f64 {
    let http = reqwest::Client::new();
    let url = format!("{base}/graphql");
    let end = Instant::now() + d;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, url, token, body) =
            (http.clone(), url.clone(), token.to_owned(), body.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                if one(&http, &url, &token, &body).await {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    total as f64 / d.as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("viewer: bench");
        return Ok(());
    }
    let d = phase();
    let admin_base = tsunagi_tests::admin_base_url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        println!("== pgbench -S (select-only, 16 clients, {} s)", d.as_secs());
        let pg = tsunagi_tests::load::pgbench(&admin_base, &["-S"], d.as_secs()).await?;
        println!("pgbench select-only: {pg:.0} tps");
        let quiet = [
            ("TSUNAGI_RATE_LIMIT__ENABLED", "false"),
            ("TSUNAGI_TELEMETRY__LOG_LEVEL", "error"),
            ("TSUNAGI_DATABASE__MAX_CONNECTIONS", "16"),
        ];
        let (ops_dir, by_hash) = persisted_dir()?;
        let ops_path = ops_dir.display().to_string();
        let mut rls_env: Vec<(&str, &str)> = quiet.to_vec();
        rls_env.push(("TSUNAGI_SERVER__CONSOLE_DIR", &ops_path));
        let rls = TestEnv::start_with(&rls_env).await?;
        let token = sign_in(&rls).await?;
        anyhow::ensure!(
            one(
                &reqwest::Client::new(),
                &format!("{}/graphql", rls.base),
                &token,
                &by_hash
            )
            .await,
            "the persisted viewer operation was not accepted"
        );
        saturate(&rls.base, &token, QUERY, 8, Duration::from_secs(2)).await; // warm-up
        let sat_rls = saturate(&rls.base, &token, QUERY, 32, d).await;
        println!("viewer at saturation, app role (RLS on): {sat_rls:.0} req/s");
        let sat_persisted = saturate(&rls.base, &token, &by_hash, 32, d).await;
        println!(
            "viewer at saturation, persisted operation (by hash, RLS on): {sat_persisted:.0} req/s"
        );

        // The same server, connected as a role that bypasses RLS (the superuser).
        let mut bypass_env: Vec<(&str, &str)> = quiet.to_vec();
        bypass_env.push(("TSUNAGI_DATABASE__URL", "{admin_url}"));
        let bypass = TestEnv::start_with(&bypass_env).await?;
        let btoken = sign_in(&bypass).await?;
        saturate(&bypass.base, &btoken, QUERY, 8, Duration::from_secs(2)).await;
        let sat_bypass = saturate(&bypass.base, &btoken, QUERY, 32, d).await;
        println!("viewer at saturation, bypass role (RLS off): {sat_bypass:.0} req/s");
        println!(
            "RLS overhead: {:.1}% (throughput)",
            (sat_bypass / sat_rls - 1.0) * 100.0
        );
        drop(bypass);

        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let url = Arc::new(format!("{}/graphql", rls.base));
        let token = Arc::new(token);
        let by_hash: Arc<str> = by_hash.into();
        let run = |rate: f64| {
            let (http, url, token, body) =
                (http.clone(), url.clone(), token.clone(), by_hash.clone());
            open_loop(rate, d, move |_| {
                let (http, url, token, body) =
                    (http.clone(), url.clone(), token.clone(), body.clone());
                async move { one(&http, &url, &token, &body).await }
            })
        };
        let half = (sat_persisted / 2.0).max(100.0);
        println!(
            "{}",
            run(half)
                .await
                .line("viewer, persisted (half of saturation)", half)
        );
        let quarter_pg = (pg / 4.0).max(100.0);
        println!(
            "{}",
            run(quarter_pg).await.line(
                "viewer, persisted (a quarter of pgbench, the target)",
                quarter_pg
            )
        );
        println!(
            "ratio viewer saturation / pgbench select-only: {:.2} (query text), {:.2} (persisted)",
            sat_rls / pg,
            sat_persisted / pg
        );
        let _ = std::fs::remove_dir_all(&ops_dir);
        anyhow::Ok(())
    })?;
    Ok(())
}
