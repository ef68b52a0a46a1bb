//! A month of usage end to end: 100,000 active lines, 10 records per line per day (six data
//! sessions, three calls, one SMS), 30 days — 30 million records — sent as the carrier's
//! daily files (one streamed NDJSON upload of a million records a day) to `POST
//! /usage/records`, each record checked, routed, de-duplicated, rated against the line's
//! tariff and counted into its allowance pool as it is taken. Reports the wall time, the
//! rate per day and overall, the peak memory of the process (platform and sender together;
//! the sender holds one 10,000-record piece at a time) and what the tables hold after.
//! `BENCH_QUICK=1`: 10,000 lines for 3 days (300,000 records).
//!
//! Run: `cargo xtask bench --bench usage_month` (or `--quick`).

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::json;
use std::time::Instant;
use tsunagi_tests::TestEnv;
use tsunagi_tests::usage_load::{msisdn, peak_rss, post_streamed, seed_lines};

const PER_DAY: u32 = 10;
/// Records per piece of the streamed body.
const PIECE: u32 = 10_000;

fn scale() -> (u32, u32) {
    if tsunagi_tests::load::quick() {
        (10_000, 3)
    } else {
        (100_000, 30)
    }
}

/// Record `n` of day `day` (0 = the oldest): line `n / PER_DAY`, its `n % PER_DAY`-th record,
/// spread over the day, which ends no later than `end`.
fn record(day: u32, days: u32, n: u32, end: chrono::DateTime<Utc>, out: &mut String) {
    let (line, k) = (n / PER_DAY, n % PER_DAY);
    let start = end - Duration::days(i64::from(days - day));
    let at = (start + Duration::seconds(i64::from(k * 8_600 + line % 8_600)))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let m = msisdn(line);
    let id = format!("m{day}-{line}-{k}");
    let r = match k {
        0..=5 => format!(
            "{{\"recordId\":\"{id}\",\"type\":\"data\",\"msisdn\":\"+{m}\",\"time\":\"{at}\",\"bytesUp\":{},\"bytesDown\":{},\"apn\":\"internet\"}}\n",
            200_000 + line % 50_000,
            2_000_000 + (line * 7 + k) % 3_000_000
        ),
        6..=8 => format!(
            "{{\"recordId\":\"{id}\",\"type\":\"voice\",\"msisdn\":\"+{m}\",\"time\":\"{at}\",\"seconds\":{},\"destination\":\"domestic\"}}\n",
            20 + (line + k) % 400
        ),
        _ => format!(
            "{{\"recordId\":\"{id}\",\"type\":\"sms\",\"msisdn\":\"+{m}\",\"time\":\"{at}\",\"destination\":\"domestic\"}}\n"
        ),
    };
    out.push_str(&r);
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("usage_month: bench");
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
        let s = env.seed().await?;
        let tenant = s.tenant("sakura-mobile").to_owned();
        let (lines, days) = scale();
        let t = Instant::now();
        seed_lines(&env, &tenant, lines).await?;
        println!("== a month of usage: {lines} lines x {PER_DAY} records x {days} days; lines seeded in {:.1} s", t.elapsed().as_secs_f64());
        let admin = s.as_role("sakura-mobile", "tenant_admin").await;
        let key = admin
            .ok("mutation { apiKeyCreate(input: {name: \"month\", roles: [\"usage_feed\"]}) { secret } }", json!({}))
            .await["apiKeyCreate"]["secret"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let end = Utc::now() - Duration::minutes(5);
        let per_day = lines * PER_DAY;
        let start = Instant::now();
        let mut slowest = 0f64;
        for day in 0..days {
            let t = Instant::now();
            let mut next = 0u32;
            let answer = post_streamed(&s.base, &key, || {
                if next >= per_day {
                    return None;
                }
                let mut b = String::with_capacity(PIECE as usize * 180);
                let stop = (next + PIECE).min(per_day);
                for n in next..stop {
                    record(day, days, n, end, &mut b);
                }
                next = stop;
                Some(b.into_bytes())
            })
            .await?;
            let secs = t.elapsed().as_secs_f64();
            anyhow::ensure!(answer["accepted"] == json!(per_day), "day {day}: {answer}");
            let rate = f64::from(per_day) / secs;
            slowest = slowest.max(secs);
            println!(
                "day {:>2}: {per_day} records in {secs:.1} s ({rate:.0}/s); {:.0} s so far; peak memory {} MB",
                day + 1,
                start.elapsed().as_secs_f64(),
                peak_rss() >> 20
            );
        }
        let wall = start.elapsed().as_secs_f64();
        let total = f64::from(per_day) * f64::from(days);
        let db = env.admin.clone();
        let count = |sql: &'static str| {
            let db = db.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await }
        };
        let records = count("SELECT count(*) FROM usage_records").await?;
        let charges = count("SELECT count(*) FROM usage_charges").await?;
        let pools = count("SELECT count(*) FROM usage_pools").await?;
        let size: String = sqlx::query_scalar(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c \
             WHERE c.relkind = 'r' AND (c.relname LIKE 'usage_records_%' OR c.relname LIKE 'usage_charges_%' OR c.relname = 'usage_pools')",
        )
        .fetch_one(&env.admin)
        .await?;
        println!(
            "month: {total:.0} records in {wall:.0} s ({:.0}/s overall; slowest day {slowest:.1} s); peak memory of the process {} MB",
            total / wall,
            peak_rss() >> 20
        );
        println!("after: {records} records, {charges} charges, {pools} pools; usage tables {size}");
        Ok(())
    })
}
