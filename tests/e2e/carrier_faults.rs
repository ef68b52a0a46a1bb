//! The carrier under faults, from the real producers: 500 mixed carrier steps against a
//! simulator that fails 30 % of commands, loses 10 % of answers and sends callbacks twice
//! and out of order; and a worker process killed (SIGKILL) in the middle of a batch. In
//! both, no command is applied twice at the carrier and no line is left in flight without
//! a next step.

use crate::carrier_gateway::{T, platform};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tsunagi_carrier::sim::{Answer, Faults};
use tsunagi_tests::carrier::{self, CarrierSim};
use tsunagi_tests::ledger::{Ledger, iccid, msisdn};
use tsunagi_tests::{Client, Seeded};

/// Adds `n` numbers and SIMs for new lines (series `k`).
async fn stock(admin: &Client, k: u32, n: u32) -> Vec<String> {
    let numbers: Vec<String> = (100..100 + n).map(|i| msisdn(k, i)).collect();
    admin
        .ok(
            "mutation($i: [String!]!) { numbersAdd(input: {items: $i}) { added } }",
            json!({ "i": numbers }),
        )
        .await;
    let iccids: Vec<String> = (100..100 + 2 * n).map(|i| iccid(k, i)).collect();
    let sims: Vec<Value> = iccids
        .iter()
        .enumerate()
        .map(|(i, c)| json!({ "iccid": c, "imsi": format!("44011{k:02}{i:08}") }))
        .collect();
    admin
        .ok(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": sims }),
        )
        .await;
    iccids
}

async fn statuses(c: &Client, lines: &[String]) -> Vec<Value> {
    futures_util::stream::iter(lines.iter().cloned())
        .map(|l| {
            let c = c.clone();
            async move { carrier::line(&c, &l).await }
        })
        .buffered(8)
        .collect()
        .await
}

/// Waits until no line is in flight and no step is open with the workers.
async fn settled(c: &Client, lines: &[String], within: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let all = statuses(c, lines).await;
        let busy = all.iter().filter(|l| {
            let st = l["status"].as_str().unwrap_or("");
            let in_flight = matches!(st, "ACTIVATING" | "SUSPENDING" | "RESUMING" | "TERMINATING");
            let working = l["provisioningJobs"]
                .as_array()
                .is_some_and(|j| j.iter().any(|j| j["nextAttemptAt"].is_string()));
            in_flight && l["status"] != "NEEDS_REVIEW" || working
        });
        let n = busy.count();
        if n == 0 {
            return all;
        }
        assert!(
            start.elapsed() < within,
            "{n} lines still busy after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Requests `op` on each line and has a second person approve it.
async fn wave(s: &Seeded, op: &str, lines: &[String]) {
    let support = s.as_role(T, "support").await;
    let approver = s.as_role(T, "approver").await;
    let q = format!(
        "mutation($l: ID!) {{ {op}(input: {{lineId: $l, reason: \"wave\"}}) {{ approvalRequest {{ id }} }} }}"
    );
    futures_util::stream::iter(lines.iter().cloned())
        .for_each_concurrent(6, |l| {
            let (support, approver, q) = (support.clone(), approver.clone(), q.clone());
            async move {
                let r = support.ok(&q, json!({ "l": l })).await;
                let a = r[op]["approvalRequest"]["id"].clone();
                approver
                    .ok("mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }", json!({ "a": a }))
                    .await;
            }
        })
        .await;
}

fn live(all: &[Value], lines: &[String], want: &str) -> Vec<String> {
    lines
        .iter()
        .zip(all)
        .filter(|(_, l)| l["status"] == want)
        .map(|(id, _)| id.clone())
        .collect()
}

async fn new_lines(admin: &Client, l: &Ledger, iccids: &[String]) -> Vec<String> {
    futures_util::stream::iter(iccids.iter().cloned())
        .map(|i| {
            let admin = admin.clone();
            let (c, p) = (l.customer.clone(), l.plan.clone());
            async move {
                let o = admin
                    .ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { lineId } } }", json!({ "c": c, "p": p, "i": i }))
                    .await;
                o["orderNewLine"]["order"]["lineId"].as_str().expect("line").to_owned()
            }
        })
        .buffered(6)
        .collect()
        .await
}

#[tokio::test]
async fn five_hundred_mixed_steps_under_faults_apply_once_and_end_settled() {
    let (env, _w, s, l) = platform(77).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults {
        error_rate: 0.3,
        timeout_rate: 0.1,
        hold_ms: 1_500,
        duplicate_rate: 0.3,
        reorder_ms: 300,
        ..Default::default()
    })
    .await;
    carrier::connect(&admin, &sim, &env.base, &tenant).await;
    let sims = stock(&admin, 77, 100).await;
    let within = Duration::from_secs(90);

    let lines = new_lines(&admin, &l, &sims[..100]).await;
    let all = settled(&admin, &lines, within).await;
    let active = live(&all, &lines, "ACTIVE");
    wave(&s, "lineSuspend", &active).await;
    let all = settled(&admin, &lines, within).await;
    let suspended = live(&all, &lines, "SUSPENDED");
    wave(&s, "lineResume", &suspended).await;
    let all = settled(&admin, &lines, within).await;
    let active = live(&all, &lines, "ACTIVE");
    let swap = "mutation($l: ID!, $i: String!) { orderSimSwap(input: {lineId: $l, iccid: $i}) { order { id } } }";
    for (k, line) in active.iter().enumerate() {
        admin
            .ok(swap, json!({ "l": line, "i": sims[100 + k] }))
            .await;
    }
    let all = settled(&admin, &lines, within).await;
    let active = live(&all, &lines, "ACTIVE");
    wave(&s, "lineTerminate", &active).await;
    let all = settled(&admin, &lines, within).await;

    // Every line is where its last order asked, or in review with the reason.
    let steps: usize = all
        .iter()
        .map(|l| l["provisioningJobs"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(steps >= 450, "only {steps} carrier steps ran");
    for line in &all {
        match line["status"].as_str() {
            Some("TERMINATED") => {}
            Some("NEEDS_REVIEW") => {
                assert!(
                    line["statusReason"].as_str().is_some_and(|r| !r.is_empty()),
                    "{line}"
                )
            }
            _ => panic!("a line ended neither where asked nor in review: {line}"),
        }
    }
    let terminated = all.iter().filter(|l| l["status"] == "TERMINATED").count();
    assert!(
        terminated >= 60,
        "only {terminated} of 100 lines made it through"
    );
    eprintln!(
        "carrier under faults: {steps} steps, {terminated} lines terminated, the rest in review"
    );
    // No open step without a next step: each is with the workers or parked (in review).
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_jobs WHERE status IN ('queued', 'running') \
         AND next_attempt_at IS NULL AND exhausted_at IS NULL",
    )
    .fetch_one(&env.admin)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0);
    // At the carrier: each key applied once, and each line activated, suspended, resumed,
    // swapped and terminated at most once.
    let journal = sim.journal().await;
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for e in &journal {
        // A step sent twice under another key would be refused as already done.
        if let Answer::Refused { code, .. } = &e.answer {
            assert!(
                !matches!(code.as_str(), "invalid_state" | "already_exists"),
                "a command arrived twice: {e:?}"
            );
        }
        if matches!(e.answer, Answer::Line(_)) {
            *per.entry((e.msisdn.clone(), e.command.name().to_owned()))
                .or_default() += 1;
        }
    }
    let twice: Vec<_> = per.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "commands applied twice: {twice:?}");
    // Our books and the carrier's agree for every line that did not stop in review.
    for line in all.iter().filter(|l| l["status"] == "TERMINATED") {
        let at = sim
            .line(line["msisdn"].as_str().expect("msisdn"))
            .await
            .expect("at the carrier");
        assert_eq!(at["status"], "terminated", "{line} vs {at}");
    }
}

#[tokio::test]
async fn a_worker_killed_mid_batch_leaves_every_step_applied_exactly_once() {
    let (env, _w, s, l) = platform(78).await;
    // The in-process workers of `platform` are stopped: a real worker process does the work.
    for h in &_w {
        h.abort();
    }
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults {
        latency_ms: 300,
        ..Default::default()
    })
    .await;
    let secret = carrier::connect(&admin, &sim, &env.base, &tenant).await;
    sim.callbacks_to("http://127.0.0.1:9/nowhere", &secret)
        .await;
    let sims = stock(&admin, 78, 40).await;
    let lines = new_lines(&admin, &l, &sims[..40]).await;

    let worker = || {
        let c = &env.config;
        std::process::Command::new(env!("CARGO_BIN_EXE_tsunagi-under-test"))
            .arg("worker")
            .env("TSUNAGI_DATABASE__URL", &c.database.url.0)
            .env("TSUNAGI_DATABASE__ADMIN_URL", &c.database.admin_url.0)
            .env("TSUNAGI_REDIS__URL", &c.redis.url.0)
            .env("TSUNAGI_HUB__ENABLED", "false")
            .env("TSUNAGI_TELEMETRY__LOG_LEVEL", "error")
            .envs(carrier::env())
            .env("TSUNAGI_CARRIER__CONCURRENCY", "8")
            .env("TSUNAGI_CARRIER__BATCH", "16")
            .spawn()
            .expect("worker process")
    };
    let mut first = worker();
    let done = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM provisioning_jobs WHERE status = 'done'")
            .fetch_one(&env.admin)
            .await
            .expect("done")
    };
    let start = Instant::now();
    while done().await < 8 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the worker did nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let running: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provisioning_jobs WHERE status = 'running'")
            .fetch_one(&env.admin)
            .await
            .expect("running");
    assert!(running > 0, "the kill should catch steps mid-call");
    assert!(done().await < 40, "the kill came too late to test anything");

    let mut second = worker();
    let all = settled(&support, &lines, Duration::from_secs(90)).await;
    second.kill().expect("stop");
    let _ = second.wait();
    assert!(all.iter().all(|l| l["status"] == "ACTIVE"), "{all:?}");
    let journal = sim.journal().await;
    let mut per: HashMap<String, usize> = HashMap::new();
    for e in &journal {
        *per.entry(e.msisdn.clone()).or_default() += 1;
        assert!(matches!(e.answer, Answer::Line(_)), "refused: {e:?}");
    }
    assert_eq!(per.len(), 40);
    eprintln!("worker killed with {running} steps mid-call; all settled after the restart");
    assert!(
        per.values().all(|n| *n == 1),
        "a line activated twice: {per:?}"
    );
    // The steps caught mid-call were settled by asking the carrier first.
    let asked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provisioning_attempts WHERE kind = 'status'")
            .fetch_one(&env.admin)
            .await
            .expect("asked");
    assert!(
        asked >= running,
        "{asked} status questions for {running} steps caught mid-call"
    );
}
