//! Bulk usage ingestion over HTTP against its physical ceiling, in the same run:
//!
//! 1. ceiling: PostgreSQL's raw `COPY` of the same records (text format, from this process)
//!    into a table like `usage_records` (same columns and indexes, not partitioned, no RLS);
//! 2. `POST /usage/records` with the same number of records as NDJSON and as CSV, by one
//!    usage_feed API key: each record checked, staged with COPY, routed to its line by one
//!    statement per 10,000-record chunk, committed with its audit record.
//!
//! 10,000 active lines in one tenant (seeded with SQL); each run sends new record ids, three
//! runs per phase, reported as min / median / max records per second and the ratio to the
//! median raw COPY. 500,000 records per run; 50,000 under `BENCH_QUICK=1`.
//!
//! Run: `cargo xtask bench --bench usage` (or `--quick`).

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::time::Instant;
use tsunagi_tests::TestEnv;

const LINES: u32 = 10_000;
const RUNS: usize = 3;

fn records() -> u32 {
    if tsunagi_tests::load::quick() {
        50_000
    } else {
        500_000
    }
}

fn msisdn(i: u32) -> String {
    format!("8179{:08}", i % LINES + 1)
}

fn time(i: u32) -> String {
    (Utc::now() - Duration::seconds(i64::from(i % 3_600)))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ndjson(run: usize, n: u32) -> Vec<u8> {
    let mut b = String::with_capacity(n as usize * 160);
    for i in 0..n {
        b.push_str(&format!(
            "{{\"recordId\":\"n{run}-{i}\",\"type\":\"data\",\"msisdn\":\"+{}\",\"time\":\"{}\",\"bytesUp\":{},\"bytesDown\":{},\"apn\":\"internet\"}}\n",
            msisdn(i),
            time(i),
            i % 5_000,
            i % 90_000
        ));
    }
    b.into_bytes()
}

fn csv(run: usize, n: u32) -> Vec<u8> {
    let mut b = String::with_capacity(n as usize * 90);
    b.push_str("record_id,type,msisdn,time,bytes_up,bytes_down,apn\n");
    for i in 0..n {
        b.push_str(&format!(
            "c{run}-{i},data,+{},{},{},{},internet\n",
            msisdn(i),
            time(i),
            i % 5_000,
            i % 90_000
        ));
    }
    b.into_bytes()
}

/// The same records in COPY text format, for the ceiling.
fn copy_rows(run: usize, n: u32, tenant: &str, batch: &str) -> Vec<u8> {
    let month = Utc::now().format("%Y-%m-01");
    let mut b = String::with_capacity(n as usize * 200);
    for i in 0..n {
        b.push_str(&format!(
            "{tenant}\t{month}\tcarrier\tk{run}-{i}\tdata\t{}\t{}\t{}\t{}\t{}\t{}\t0\t\\N\t\\N\t{batch}\n",
            msisdn(i),
            uuid_of(i),
            time(i),
            i % 5_000,
            i % 90_000,
            "internet"
        ));
    }
    b.into_bytes()
}

fn uuid_of(i: u32) -> String {
    // The line and contract ids of bench lines are md5-derived; any uuid works for COPY.
    format!(
        "00000000-0000-4000-8000-{:012}\t00000000-0000-4000-8000-{:012}",
        i % LINES,
        i % LINES
    )
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

async fn seed(env: &TestEnv, tenant: &str) -> anyhow::Result<()> {
    tsunagi_tests::usage_load::seed_lines(env, tenant, LINES).await?;
    sqlx::query("CREATE TABLE bench_usage_copy (LIKE usage_records INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        .execute(&env.admin)
        .await?;
    Ok(())
}

async fn raw_copy(env: &TestEnv, rows: &[u8]) -> anyhow::Result<f64> {
    let mut conn = env.admin.acquire().await?;
    let t = Instant::now();
    let mut copy = conn.copy_in_raw("COPY bench_usage_copy (tenant_id, month, source, record_id, kind, msisdn, line_id, contract_id, occurred_at, bytes_up, bytes_down, apn, seconds, destination, roaming_zone, batch_id) FROM STDIN").await?;
    for chunk in rows.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    Ok(t.elapsed().as_secs_f64())
}

async fn post(base: &str, key: &str, ct: &str, body: Vec<u8>) -> anyhow::Result<(f64, Value)> {
    let t = Instant::now();
    let res = reqwest::Client::new()
        .post(format!("{base}/usage/records?source=carrier"))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await?;
    let v: Value = res.json().await?;
    Ok((t.elapsed().as_secs_f64(), v))
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("usage: bench");
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let env = TestEnv::start_with(&[("TSUNAGI_RATE_LIMIT__ENABLED", "false"), ("TSUNAGI_TELEMETRY__LOG_LEVEL", "error")]).await?;
        let s = env.seed().await?;
        let tenant = s.tenant("sakura-mobile").to_owned();
        seed(&env, &tenant).await?;
        let admin = s.as_role("sakura-mobile", "tenant_admin").await;
        let key = admin
            .ok("mutation { apiKeyCreate(input: {name: \"bench\", roles: [\"usage_feed\"]}) { secret } }", json!({}))
            .await["apiKeyCreate"]["secret"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let n = records();
        println!("== usage ingestion: {n} data records per run over {LINES} lines, {RUNS} runs per phase");
        let batch = uuid::Uuid::now_v7().to_string();
        let mut ceiling = Vec::new();
        for run in 0..RUNS {
            let rows = copy_rows(run, n, &tenant, &batch);
            let secs = raw_copy(&env, &rows).await?;
            ceiling.push(f64::from(n) / secs);
        }
        let (lo, med_copy, hi) = stats(&mut ceiling);
        println!("ceiling: raw COPY into a table like usage_records: {lo:.0} / {med_copy:.0} / {hi:.0} records/s (min / median / max)");
        for (label, ct) in [("NDJSON", "application/x-ndjson"), ("CSV", "text/csv")] {
            let mut rates = Vec::new();
            for run in 0..RUNS {
                let body = if ct == "text/csv" { csv(run, n) } else { ndjson(run, n) };
                let (secs, answer) = post(&s.base, &key, ct, body).await?;
                anyhow::ensure!(answer["accepted"] == json!(n), "{label} run {run}: {answer}");
                rates.push(f64::from(n) / secs);
            }
            let (lo, med, hi) = stats(&mut rates);
            println!(
                "POST /usage/records, {label}: {lo:.0} / {med:.0} / {hi:.0} records/s (min / median / max); median = {:.2} of raw COPY",
                med / med_copy
            );
        }
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_records").fetch_one(&env.admin).await?;
        println!("usage_records holds {total} records");
        Ok(())
    })
}
