//! The carrier at scale, against the carrier simulator on loopback:
//!
//! 1. provisioning throughput: N suspensions written as the order transaction writes them
//!    (line `suspending`, a job due now), then the platform's carrier workers (both cores)
//!    carry them out: jobs per second from the first claim to the last answer, with the
//!    simulator answering at once and with 50 ms added to every call; beside it, in the
//!    same run, the simulator alone (the same number of commands sent straight through the
//!    adapter at the workers' concurrency): the carrier side's own limit here (its journal
//!    is written and flushed before each answer);
//! 2. reconciliation of 100,000 lines (100 of them drifted): wall time and the process's
//!    peak memory growth.
//!
//! Run: `cargo xtask bench --bench carrier` (BENCH_JOBS changes N, default 3000).

use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};
use tsunagi_carrier::sim::Faults;
use tsunagi_carrier::{CarrierGateway, Command, HttpCarrier, LineCommand};
use tsunagi_tests::TestEnv;
use tsunagi_tests::carrier::{self, CarrierSim, SIM_KEY};

/// Lines (active, with contracts, numbers and SIMs) for the tenant, by SQL.
async fn seed_lines(env: &TestEnv, tenant: &str, series: &str, n: i64) -> anyhow::Result<()> {
    let steps = [
        format!(
            "INSERT INTO plans (tenant_id, id, code, name, status) VALUES ('{tenant}', md5('{tenant}plan{series}')::uuid, 'BENCH-{series}', 'Bench', 'active')"
        ),
        format!(
            "INSERT INTO plan_prices (tenant_id, id, plan_id, currency, monthly_fee, data_mb, voice_min, sms, overage_data_per_gb, overage_voice_per_min, overage_sms, valid_from, applies) \
                 VALUES ('{tenant}', md5('{tenant}price{series}')::uuid, md5('{tenant}plan{series}')::uuid, 'JPY', 2980, 3072, 0, 0, 550, 22, 3, now() - interval '1 year', 'immediately')"
        ),
        format!(
            "INSERT INTO customers (tenant_id, id, kind, name, email, phone, kyc_status) VALUES ('{tenant}', md5('{tenant}cust{series}')::uuid, 'individual', 'Bench {series}', 'bench{series}@example.jp', '818000000000', 'verified')"
        ),
        format!(
            "INSERT INTO numbers (tenant_id, msisdn, status) SELECT '{tenant}', '81{series}' || lpad(g::text, 8, '0'), 'assigned' FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO sims (tenant_id, id, iccid, imsi, status) SELECT '{tenant}', md5('{tenant}s{series}' || g)::uuid, '8981{series}' || lpad(g::text, 13, '0'), '440{series}' || lpad(g::text, 10, '0'), 'assigned' FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO contracts (tenant_id, id, customer_id, plan_id, plan_price_id, status, started_at) SELECT '{tenant}', md5('{tenant}k{series}' || g)::uuid, md5('{tenant}cust{series}')::uuid, md5('{tenant}plan{series}')::uuid, md5('{tenant}price{series}')::uuid, 'active', now() FROM generate_series(1, {n}) g"
        ),
        format!(
            "INSERT INTO lines (tenant_id, id, contract_id, customer_id, msisdn, sim_id, status) SELECT '{tenant}', md5('{tenant}l{series}' || g)::uuid, md5('{tenant}k{series}' || g)::uuid, md5('{tenant}cust{series}')::uuid, '81{series}' || lpad(g::text, 8, '0'), md5('{tenant}s{series}' || g)::uuid, 'active' FROM generate_series(1, {n}) g"
        ),
        "ANALYZE".into(),
    ];
    for s in steps {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(&env.admin)
            .await?;
    }
    Ok(())
}

/// The same lines in the simulator's books, active.
async fn load_sim(sim: &CarrierSim, series: &str, n: i64) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let all: Vec<serde_json::Value> = (1..=n)
        .map(|g| json!({ "msisdn": format!("+81{series}{g:08}"), "iccid": format!("8981{series}{g:013}"), "status": "active",
                         "speedLimitKbps": null, "sequence": 1, "updatedAt": chrono::Utc::now() }))
        .collect();
    for chunk in all.chunks(5000) {
        http.post(format!("{}/admin/lines", sim.base))
            .bearer_auth(SIM_KEY)
            .json(chunk)
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

/// Writes N suspensions as the order transaction would, then times the workers.
async fn throughput(env: &TestEnv, tenant: &str, series: &str, n: i64) -> anyhow::Result<f64> {
    let steps = [
        format!(
            "INSERT INTO orders (tenant_id, id, kind, status, customer_id, contract_id, line_id, input) SELECT tenant_id, md5(id::text || 'o')::uuid, 'suspend', 'in_progress', customer_id, contract_id, id, '{{}}' FROM lines WHERE tenant_id = '{tenant}' AND msisdn LIKE '81{series}%'"
        ),
        format!(
            "UPDATE lines SET status = 'suspending' WHERE tenant_id = '{tenant}' AND msisdn LIKE '81{series}%'"
        ),
    ];
    for s in steps {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(&env.admin)
            .await?;
    }
    let t = Instant::now();
    sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO provisioning_jobs (tenant_id, id, order_id, line_id, action, idempotency_key, next_attempt_at, waiting_for) \
        SELECT tenant_id, md5(id::text || 'j')::uuid, md5(id::text || 'o')::uuid, id, 'suspend', md5(id::text || 'o') || ':suspend', now(), 'send' FROM lines WHERE tenant_id = '{tenant}' AND msisdn LIKE '81{series}%'")))
        .execute(&env.admin)
        .await?;
    loop {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM lines WHERE tenant_id = '{tenant}' AND msisdn LIKE '81{series}%' AND status <> 'suspended'")))
            .fetch_one(&env.admin)
            .await?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(600),
            "{left} still suspending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// The simulator alone: N commands straight through the adapter at `concurrency`.
async fn sim_alone(
    sim: &CarrierSim,
    series: &str,
    n: i64,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let gw = HttpCarrier::new(&sim.base, SIM_KEY, Duration::from_secs(10));
    let t = Instant::now();
    let ok = futures_util::stream::iter(1..=n)
        .map(|g| {
            let gw = gw.clone();
            let series = series.to_owned();
            async move {
                let cmd = LineCommand {
                    key: format!("alone-{series}-{g}"),
                    msisdn: format!("+81{series}{g:08}"),
                    command: Command::Suspend,
                };
                gw.submit(&cmd).await.is_ok()
            }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    anyhow::ensure!(ok as i64 == n, "only {ok} of {n} applied");
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// The process's resident memory now (the simulator and the platform share it).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("carrier: bench");
        return Ok(());
    }
    let n: i64 = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if tsunagi_tests::load::quick() {
            300
        } else {
            3000
        });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut vars = carrier::env();
        vars.push(("TSUNAGI_TELEMETRY__LOG_LEVEL", "error".into()));
        vars.push(("TSUNAGI_RATE_LIMIT__ENABLED", "false".into()));
        vars.push(("TSUNAGI_CARRIER__POLL_MS", "10".into()));
        vars.push(("TSUNAGI_CARRIER__LEASE_SECS", "60".into()));
        vars.push(("TSUNAGI_DATABASE__MAX_CONNECTIONS", "40".into()));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let env = TestEnv::start_with(&vars).await?;
        let s = env.seed().await?;
        let admin = s.as_role("sakura-mobile", "tenant_admin").await;
        let tenant = s.tenant("sakura-mobile").to_owned();
        let cfg = &env.running.app.config.carrier;
        println!("carrier workers: batch {}, concurrency {} (one worker, both cores)", cfg.batch, cfg.concurrency);
        let concurrency = cfg.concurrency;
        let sim = CarrierSim::start(Faults::default()).await;
        carrier::connect(&admin, &sim, &env.base, &tenant).await;
        sim.callbacks_to("http://127.0.0.1:9/nowhere", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").await;
        let _workers = env.start_hub()?;
        for (series, latency) in [("10", 0u64), ("11", 50)] {
            seed_lines(&env, &tenant, series, n).await?;
            load_sim(&sim, series, n).await?;
            sim.faults(json!({ "latencyMs": latency })).await;
            let jobs = throughput(&env, &tenant, series, n).await?;
            let alone_series = if latency == 0 { "20" } else { "21" };
            load_sim(&sim, alone_series, n).await?;
            let alone = sim_alone(&sim, alone_series, n, concurrency).await?;
            println!("provisioning, {latency} ms carrier latency: {n} suspensions, {jobs:.0} jobs/s; the simulator alone at concurrency {concurrency}: {alone:.0} commands/s");
        }
        sim.faults(json!({})).await;
        // Reconciliation of 100,000 lines, 100 drifted at the carrier.
        let big = 100_000;
        seed_lines(&env, &tenant, "30", big).await?;
        load_sim(&sim, "30", big).await?;
        let drift: Vec<serde_json::Value> = (1..=100).map(|g| json!({ "msisdn": format!("+8130{g:08}"), "iccid": format!("898130{g:013}"), "status": "suspended", "speedLimitKbps": null, "sequence": 2, "updatedAt": chrono::Utc::now() })).collect();
        reqwest::Client::new().post(format!("{}/admin/lines", sim.base)).bearer_auth(SIM_KEY).json(&drift).send().await?.error_for_status()?;
        let ctx = tsunagi_app::Ctx::system(&env.running.app, tsunagi_core::TenantId(tenant.parse()?), "bench").await.map_err(|e| anyhow::anyhow!(e.detail()))?.expect("ctx");
        let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM lines").fetch_one(&env.admin).await?;
        let before = rss_kib();
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
        let p = peak.clone();
        let sampler = tokio::spawn(async move {
            loop {
                p.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let t = Instant::now();
        let run = tsunagi_app::carrier::reconcile::run(&env.running.app, &ctx, "manual").await.map_err(|e| anyhow::anyhow!(e.detail()))?;
        let secs = t.elapsed().as_secs_f64();
        sampler.abort();
        let grew = peak.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(before);
        println!(
            "reconciliation: {} numbers checked ({lines} lines in the tenant's books), {} drifted, {} for a person, in {secs:.1} s; resident memory rose at most {:.1} MiB",
            run.lines_checked, run.drifted, run.needs_person, grew as f64 / 1024.0
        );
        Ok(())
    })
}
