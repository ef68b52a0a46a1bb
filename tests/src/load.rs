//! Load generation for the HTTP benchmarks: an open loop at a fixed arrival rate, with
//! latency measured from each request's scheduled time (so a server that falls behind shows
//! its queue rather than hiding it) and at most 256 requests in flight.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Open {
    pub achieved: f64,
    pub errors: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
}

impl Open {
    pub fn line(&self, label: &str, rate: f64) -> String {
        format!(
            "{label} at a fixed {rate:.0}/s: achieved {:.0}/s, errors {}, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
            self.achieved,
            self.errors,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.p999.as_secs_f64() * 1e3
        )
    }
}

/// Calls `request(i)` at `rate` per second for `d`; `request` answers whether it succeeded.
pub async fn open_loop<F, Fut>(rate: f64, d: Duration, request: F) -> Open
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(256));
    let start = Instant::now();
    let n = (rate * d.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let fut = request(i);
        tasks.push(tokio::spawn(async move {
            let ok = fut.await;
            drop(permit);
            (ok, scheduled.elapsed())
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for t in tasks {
        if let Ok((ok, l)) = t.await {
            errors += u64::from(!ok);
            lat.push(l);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort();
    let q = |p: f64| quantile(&lat, p);
    Open {
        achieved: (lat.len() as u64 - errors) as f64 / elapsed,
        errors,
        p50: q(0.50),
        p99: q(0.99),
        p999: q(0.999),
    }
}

/// The `p` quantile of sorted latencies (zero when there are none).
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// BENCH_SECS (default 10, 2 under `--quick`): the length of each measured phase.
pub fn phase() -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(if quick() { 2 } else { 10 }),
    )
}

/// `BENCH_QUICK=1` (`cargo xtask bench --quick`): every scenario for a few seconds on a tenth
/// of the data, to check a change — not figures to record (docs/benchmarks.md, "Quick mode").
pub fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// The physical ceiling the HTTP benches compare with: `pgbench` against a scratch database
/// (`tsunagi_pgbench`, scale 10) on the same server, 16 clients on 2 threads for `secs`
/// seconds. `args` picks the workload: `["-S"]` select-only (one row by primary key per
/// transaction), `[]` the TPC-B-like write transaction (five statements and a commit).
/// Returns transactions per second.
pub async fn pgbench(admin_url: &str, args: &[&str], secs: u64) -> anyhow::Result<f64> {
    let url = admin_url
        .rsplit_once('/')
        .map(|(b, _)| format!("{b}/tsunagi_pgbench"))
        .unwrap_or_default();
    let pool = sqlx::PgPool::connect(admin_url).await?;
    sqlx::query("DROP DATABASE IF EXISTS tsunagi_pgbench WITH (FORCE)")
        .execute(&pool)
        .await?;
    sqlx::query("CREATE DATABASE tsunagi_pgbench")
        .execute(&pool)
        .await?;
    pool.close().await;
    let mut run: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    run.extend(
        ["-n", "-c", "16", "-j", "2", "-T", &secs.to_string(), &url]
            .into_iter()
            .map(String::from),
    );
    let out = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let init = std::process::Command::new("pgbench")
            .args(["-i", "-s", "10", "-q", &url])
            .output()?;
        anyhow::ensure!(
            init.status.success(),
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let out = std::process::Command::new("pgbench").args(&run).output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    })
    .await??;
    out.lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench output: {out}"))
}
