//! The console's phone-call page at scale: with 1,000,000 lines seeded (`scale::bulk_seed`),
//! the time from navigating to a line's page to its data rendered, in Debian's Chromium
//! driven by Playwright (console/bench), against the real server (release build) on
//! loopback. Two cases: an in-app navigation (the console already open, as support moves
//! from one call to the next) and a cold load of the page's address (the app, the session
//! refresh, `viewer`, the page's chunk and its query). 20 random lines of one tenant per
//! run (each run its own lines, so the client's cache answers none), three runs; min /
//! median / max of each run.
//!
//! Run: `cargo xtask bench --bench console` (the console must be built: `cargo xtask console`).

use std::process::Command;
use tsunagi_tests::TestEnv;
use tsunagi_tests::scale::bulk_seed;

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("console: bench");
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let env = TestEnv::start_with(&[
            ("TSUNAGI_RATE_LIMIT__ENABLED", "false"),
            ("TSUNAGI_TELEMETRY__LOG_LEVEL", "error"),
        ])
        .await?;
        env.seed().await?;
        bulk_seed(&env).await?;
        let lines: Vec<(String, String)> = sqlx::query_as(
            "SELECT l.id::text, l.msisdn FROM lines l JOIN tenants t ON t.id = l.tenant_id \
             WHERE t.slug = 'sakura-mobile' ORDER BY random() LIMIT 60",
        )
        .fetch_all(&env.admin)
        .await?;
        let console = tsunagi_tests::console_dir()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let base = env.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("npx")
                .args(["playwright", "test", "--config", "playwright.bench.config.ts"])
                .current_dir(&console)
                .env("TSUNAGI_BASE_URL", base)
                .env("TSUNAGI_TENANT", "sakura-mobile")
                .env("TSUNAGI_PASSWORD", tsunagi_server::demo::DEMO_PASSWORD)
                .env("BENCH_LINES", serde_json::to_string(&lines).unwrap_or_default())
                .output()
        })
        .await??;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut found = false;
        for l in text.lines() {
            if let Some(json) = l.trim().strip_prefix("BENCH ") {
                let v: serde_json::Value = serde_json::from_str(json)?;
                let mut t: Vec<f64> = v["times"]
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                    .unwrap_or_default();
                t.sort_by(f64::total_cmp);
                if t.is_empty() {
                    continue;
                }
                found = true;
                println!(
                    "line page, {} run {}: {} pages, min {:.0} ms / median {:.0} ms / max {:.0} ms (target < 500 ms)",
                    v["case"].as_str().unwrap_or("?"),
                    v["run"],
                    t.len(),
                    t[0],
                    t[t.len() / 2],
                    t[t.len() - 1]
                );
            }
        }
        anyhow::ensure!(
            out.status.success() && found,
            "the browser bench failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    })
}
