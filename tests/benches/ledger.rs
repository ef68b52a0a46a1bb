//! The ledger at scale: 1,000,000 lines, 1,000,000 SIMs and 500,000 customers across 20
//! tenants, seeded with SQL (as the superuser; identifiers are well-formed but ICCID check
//! digits are not computed for bench data). Then, over HTTP on loopback as a support user:
//!
//! 1. search at a fixed arrival rate: an MSISDN lookup, an ICCID lookup and a name prefix
//!    search — p50/p99 each (target p99 < 20 ms);
//! 2. suspend/resume orders end to end, approval included (request by support, approval by
//!    the approver), 2,000 lines by 16 clients: orders per second, SQL statements per order,
//!    against pgbench's TPC-B-like write rate on the same server in the same run.
//!
//! Run: `cargo xtask bench --bench ledger` (BENCH_SECS lengthens each phase).

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tsunagi_tests::load::{open_loop, phase};
use tsunagi_tests::scale::bulk_seed;
use tsunagi_tests::{Client, TestEnv};

/// Makes the i-th search input of a scenario.
type QueryGen = Arc<dyn Fn(u64) -> String + Send + Sync>;

fn ok(v: &Value) -> bool {
    v.get("errors").is_none_or(Value::is_null)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("ledger: bench");
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let env = TestEnv::start_with(&[("TSUNAGI_RATE_LIMIT__ENABLED", "false"), ("TSUNAGI_TELEMETRY__LOG_LEVEL", "error"), ("TSUNAGI_DATABASE__MAX_CONNECTIONS", "16")]).await?;
        let s = env.seed().await?;
        bulk_seed(&env).await?;
        let per_tenant = tsunagi_tests::scale::lines_per_tenant() as u64;
        let idx: i32 = sqlx::query_scalar("SELECT idx FROM bench_tenants b JOIN tenants t ON t.id = b.id WHERE t.slug = 'sakura-mobile'").fetch_one(&env.admin).await?;
        let support = s.as_role("sakura-mobile", "support").await;
        let d = phase();
        let rate = 100.0;
        let q = "query($q: String!) { search(query: $q) { kind id label } }";
        let kinds: [(&str, QueryGen); 5] = [
            ("MSISDN lookup", Arc::new(move |i| format!("+8170{idx:02}{:06}", 1 + (i * 7919) % per_tenant))),
            ("ICCID lookup", Arc::new(move |i| format!("898120{idx:02}{:011}", 1 + (i * 7919) % per_tenant))),
            ("name search, Latin letters", Arc::new(|i| ["sato", "tanaka", "yamamoto", "kobayashi", "watanabe"][(i % 5) as usize].to_owned())),
            ("name search, two kanji", Arc::new(|i| ["佐藤", "田中", "山本", "小林", "渡辺"][(i % 5) as usize].to_owned())),
            ("name search, kana reading", Arc::new(|i| ["さとう", "たなか", "やまもと", "こばやし", "わたなべ"][(i % 5) as usize].to_owned())),
        ];
        for (label, make) in kinds {
            support.ok(q, json!({ "q": make(0) })).await;
            let c = support.clone();
            let r = open_loop(rate, d, move |i| {
                let (c, v) = (c.clone(), make(i));
                async move { ok(&c.gql(q, json!({ "q": v })).await) }
            })
            .await;
            println!("{}", r.line(&format!("search, {label}"), rate));
        }
        let secs = d.as_secs().max(5);
        let tpcb = tsunagi_tests::load::pgbench(&tsunagi_tests::admin_base_url(), &[], secs).await?;
        println!("== ceiling: pgbench TPC-B-like write transactions (16 clients, {secs} s): {tpcb:.0} tps");
        let n: i64 = if tsunagi_tests::load::quick() { 400 } else { 2_000 };
        let one = vec![Tenant::of(&s, &env, "sakura-mobile", n).await?];
        orders("one tenant", &one, tpcb).await?;
        // Each tenant's audit chain serialises that tenant's commits; tenants run side by side.
        let mut three = Vec::new();
        for slug in ["sakura-mobile", "fuji-telecom", "kansai-connect"] {
            three.push(Tenant::of(&s, &env, slug, n / 3).await?);
        }
        orders("three tenants", &three, tpcb).await
    })
}

/// A tenant's support user and approver, and lines of theirs not yet touched by the bench.
struct Tenant {
    support: Client,
    approver: Client,
    lines: Vec<String>,
}

impl Tenant {
    async fn of(
        s: &tsunagi_tests::Seeded,
        env: &TestEnv,
        slug: &str,
        n: i64,
    ) -> anyhow::Result<Self> {
        let lines: Vec<String> = sqlx::query_scalar("SELECT l.id::text FROM lines l JOIN tenants t ON t.id = l.tenant_id WHERE t.slug = $1 ORDER BY l.id DESC LIMIT $2")
            .bind(slug)
            .bind(n)
            .fetch_all(&env.admin)
            .await?;
        Ok(Self {
            support: s.as_role(slug, "support").await,
            approver: s.as_role(slug, "approver").await,
            lines,
        })
    }
}

/// Suspend then resume each tenant's lines, each order requested and approved over HTTP by
/// 16 clients spread over the tenants.
async fn orders(label: &str, tenants: &[Tenant], tpcb: f64) -> anyhow::Result<()> {
    let workers = 16;
    for (op, m) in [("suspend", "lineSuspend"), ("resume", "lineResume")] {
        let t = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let tenant = &tenants[w % tenants.len()];
            let per =
                workers / tenants.len() + usize::from(w % tenants.len() < workers % tenants.len());
            let (support, approver) = (tenant.support.clone(), tenant.approver.clone());
            let mine: Vec<String> = tenant
                .lines
                .iter()
                .skip(w / tenants.len())
                .step_by(per)
                .cloned()
                .collect();
            tasks.push(tokio::spawn(async move {
                let (mut done, mut statements) = (0u64, 0u64);
                for line in mine {
                    let (_, req, h1) = support
                        .gql_with(&format!("mutation($l: ID!) {{ {m}(input: {{lineId: $l, reason: \"bench\"}}) {{ approvalRequest {{ id }} }} }}"), json!({ "l": line }), &[])
                        .await;
                    let Some(a) = req["data"][m]["approvalRequest"]["id"].as_str() else { continue };
                    let (_, res, h2) = approver.gql_with("mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }", json!({ "a": a }), &[]).await;
                    if res["data"]["approvalApprove"]["approvalRequest"]["status"] == "EXECUTED" {
                        done += 1;
                        for h in [h1, h2] {
                            statements += h.get("x-sql-statements").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                        }
                    }
                }
                (done, statements)
            }));
        }
        let (mut done, mut statements) = (0, 0);
        for t in tasks {
            let (d, s) = t.await?;
            done += d;
            statements += s;
        }
        let secs = t.elapsed().as_secs_f64();
        let rate = done as f64 / secs;
        println!(
            "{op} orders end to end, {label} (request + approval, {workers} concurrent): {done} in {secs:.1} s = {rate:.0} orders/s, {:.1} SQL statements per order; \
             two committed transactions per order = {:.2} of pgbench's write rate",
            statements as f64 / done.max(1) as f64,
            2.0 * rate / tpcb
        );
    }
    Ok(())
}
