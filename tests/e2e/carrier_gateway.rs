//! The carrier, connected: a tenant's carrier set through GraphQL points at the carrier
//! simulator (a real HTTP server); carrier steps then go to it from the workers under their
//! idempotency keys, retry through injected errors, settle unknown outcomes by asking the
//! line's status, park after their tries with the line in review and a critical event, and
//! start again on a person's "retry now".

use serde_json::{Value, json};
use std::time::Duration;
use tsunagi_carrier::sim::Faults;
use tsunagi_tests::carrier::{self, CarrierSim, wait_status};
use tsunagi_tests::ledger::{approve, build};
use tsunagi_tests::{Client, Seeded, TestEnv, code};

pub const T: &str = "sakura-mobile";
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn new_line(
    admin: &Client,
    l: &tsunagi_tests::ledger::Ledger,
    iccid: &str,
) -> (String, String) {
    let o = admin
        .ok(
            "mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { id status lineId } } }",
            json!({ "c": l.customer, "p": l.plan, "i": iccid }),
        )
        .await;
    let order = &o["orderNewLine"]["order"];
    (
        order["id"].as_str().expect("order").to_owned(),
        order["lineId"].as_str().expect("line").to_owned(),
    )
}

/// Requests a suspension, resumption or termination and has it approved.
pub async fn line_op(s: &Seeded, op: &str, line: &str) -> Value {
    let support = s.as_role(T, "support").await;
    let q = format!(
        "mutation($l: ID!) {{ {op}(input: {{lineId: $l, reason: \"customer asked\"}}) {{ approvalRequest {{ id }} }} }}"
    );
    let r = support.ok(&q, json!({ "l": line })).await;
    let a = r[op]["approvalRequest"]["id"]
        .as_str()
        .expect("approval")
        .to_owned();
    approve(s, T, &a).await
}

/// A test platform with its carrier workers running, seeded, with the ledger of `n`.
pub async fn platform(
    n: u32,
) -> (
    TestEnv,
    Vec<tokio::task::JoinHandle<()>>,
    Seeded,
    tsunagi_tests::ledger::Ledger,
) {
    let vars = carrier::env();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env = TestEnv::start_with(&vars).await.expect("env");
    let workers = env.start_hub().expect("workers");
    let s = env.seed().await.expect("seed");
    let l = build(&s, T, n).await;
    (env, workers, s, l)
}

/// A platform whose tenant's carrier is the simulator, with one new line active there.
pub struct Connected {
    pub env: TestEnv,
    /// The hub and carrier workers, running for as long as the test holds them.
    pub _workers: Vec<tokio::task::JoinHandle<()>>,
    pub s: Seeded,
    pub l: tsunagi_tests::ledger::Ledger,
    pub admin: Client,
    pub support: Client,
    pub sim: CarrierSim,
    pub line: String,
    pub msisdn: String,
}

pub async fn connected(n: u32) -> Connected {
    let (env, workers, s, l) = platform(n).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let sim = CarrierSim::start(Faults::default()).await;
    carrier::connect(&admin, &sim, &env.base, s.tenant(T)).await;
    let (_, line) = new_line(&admin, &l, &l.iccids[2]).await;
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    let msisdn = ln["msisdn"].as_str().expect("msisdn").to_owned();
    Connected {
        env,
        _workers: workers,
        s,
        l,
        admin,
        support,
        sim,
        line,
        msisdn,
    }
}

pub fn last_job(l: &Value) -> Value {
    l["provisioningJobs"]
        .as_array()
        .and_then(|j| j.last())
        .cloned()
        .expect("a job")
}

#[tokio::test]
async fn carrier_steps_go_to_the_simulator_and_settle() {
    let (env, _workers, s, l) = platform(72).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;

    // Settings: checked field by field; only a tenant admin sets them; the key never shows.
    let set = "mutation($e: String!, $k: String) { carrierSettingsSet(input: {endpoint: $e, apiKey: $k}) { settings { endpoint } callbackSecret } }";
    let r = admin
        .gql(set, json!({ "e": "http://10.1.2.3:9090", "k": "x" }))
        .await;
    assert_eq!(code(&r).as_deref(), Some("VALIDATION"), "{r}");
    let m = r["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("input.endpoint") && m.contains("input.apiKey"),
        "{m}"
    );
    let r = admin.gql(set, json!({ "e": sim.base, "k": null })).await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("input.apiKey"),
        "{r}"
    );
    let r = support
        .gql(set, json!({ "e": sim.base, "k": carrier::SIM_KEY }))
        .await;
    assert_eq!(code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let secret = carrier::connect(&admin, &sim, &env.base, &tenant).await;
    assert!(secret.starts_with("whsec_"));
    let shown = admin
        .ok(
            "{ carrierSettings { endpoint enabled timeoutMs version } }",
            json!({}),
        )
        .await;
    assert_eq!(shown["carrierSettings"]["enabled"], true);
    assert!(!shown.to_string().contains(carrier::SIM_KEY));

    // A new line is activated at the carrier, with its lead time and the carrier's sequence.
    let (order, line) = new_line(&admin, &l, &l.iccids[2]).await;
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    let job = last_job(&ln);
    assert_eq!(job["status"], "done");
    assert_eq!(job["completedBy"], "carrier");
    assert!(ln["activationLeadMs"].as_i64().is_some(), "{ln}");
    assert!(ln["carrierSequence"].as_i64() >= Some(1), "{ln}");
    let at_carrier = sim
        .line(ln["msisdn"].as_str().expect("msisdn"))
        .await
        .expect("at the carrier");
    assert_eq!(at_carrier["status"], "active");
    assert_eq!(at_carrier["iccid"], l.iccids[2]);
    let o = admin
        .ok(
            "query($o: ID!) { order(id: $o) { status } }",
            json!({ "o": order }),
        )
        .await;
    assert_eq!(o["order"]["status"], "COMPLETED");

    // A suspension: suspending, then suspended, the key applied once at the carrier.
    line_op(&s, "lineSuspend", &line).await;
    let ln = wait_status(&support, &line, "SUSPENDED", WAIT).await;
    let journal = sim.journal().await;
    let msisdn = ln["msisdn"].as_str().expect("msisdn").to_owned();
    let applied = journal.iter().filter(|e| e.msisdn == msisdn).count();
    assert_eq!(applied, 2, "activate and suspend, once each: {journal:?}");

    // The carrier keeps failing: the step parks after its four tries, the line goes to
    // review with the reason, every attempt is on record, and staff get the alert.
    sim.faults(json!({ "errorRate": 1.0 })).await;
    line_op(&s, "lineResume", &line).await;
    let ln = wait_status(&support, &line, "NEEDS_REVIEW", WAIT).await;
    let job = last_job(&ln);
    assert_eq!(job["action"], "resume");
    assert_eq!(job["status"], "queued");
    assert!(
        job["exhaustedAt"].is_string() && job["nextAttemptAt"].is_null(),
        "{job}"
    );
    assert_eq!(job["attempts"], 4);
    let outcomes: Vec<&str> = job["carrierAttempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["TRANSIENT"; 4], "{job}");
    assert!(
        ln["statusReason"]
            .as_str()
            .unwrap_or("")
            .contains("after 4 tries"),
        "{ln}"
    );
    let exhausted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE topic = 'carrier.step_exhausted' AND payload->>'jobId' = $1",
    )
    .bind(job["id"].as_str())
    .fetch_one(&env.admin)
    .await
    .expect("outbox");
    assert_eq!(exhausted, 1);

    // A person's retry, the carrier back: the line leaves review as the step asked.
    sim.faults(json!({})).await;
    let retry = "mutation($j: ID!) { carrierJobRetry(input: {jobId: $j}) { job { nextAttemptAt exhaustedAt } } }";
    let r = s
        .as_role(T, "sales")
        .await
        .gql(retry, json!({ "j": job["id"] }))
        .await;
    assert_eq!(code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = support.ok(retry, json!({ "j": job["id"] })).await;
    assert!(r["carrierJobRetry"]["job"]["exhaustedAt"].is_null());
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    assert_eq!(last_job(&ln)["status"], "done");
    let r = support.gql(retry, json!({ "j": job["id"] })).await;
    assert_eq!(code(&r).as_deref(), Some("CONFLICT"), "{r}");

    // The answer is lost (timeout) and no callback comes (they go nowhere now): the
    // janitor asks the carrier first, finds the step done, and never sends it twice.
    sim.callbacks_to("http://127.0.0.1:9/nowhere", &secret)
        .await;
    sim.faults(json!({ "timeoutRate": 1.0, "holdMs": 1500 }))
        .await;
    line_op(&s, "lineSuspend", &line).await;
    let ln = wait_status(&support, &line, "SUSPENDED", WAIT).await;
    let job = last_job(&ln);
    let kinds: Vec<(String, String)> = job["carrierAttempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").into(),
                a["outcome"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(kinds[0], ("COMMAND".into(), "UNKNOWN".into()), "{job}");
    assert!(
        kinds.contains(&("STATUS".into(), "MATCHED".into())),
        "{job}"
    );
    let commands = kinds.iter().filter(|(k, _)| k == "COMMAND").count();
    assert_eq!(commands, 1, "sent once, settled by asking: {job}");
    // At the carrier: no command of this line was ever refused (none came twice under
    // another key), and the line is as our books say.
    let journal = sim.journal().await;
    let refused: Vec<_> = journal
        .iter()
        .filter(|e| {
            e.msisdn == msisdn && !matches!(e.answer, tsunagi_carrier::sim::Answer::Line(_))
        })
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(
        sim.line(&msisdn).await.expect("line")["status"],
        "suspended"
    );
    // Support reads the attempts with the SIM masked (the request holds the ICCID).
    let q = "query($l: ID!) { line(id: $l) { provisioningJobs { action carrierAttempts { request } } } }";
    let seen = support.ok(q, json!({ "l": line })).await.to_string();
    assert!(
        seen.contains("activate") && !seen.contains(&l.iccids[2]),
        "{seen}"
    );
    let full = admin.ok(q, json!({ "l": line })).await.to_string();
    assert!(
        full.contains(&l.iccids[2]),
        "the admin sees it in full: {full}"
    );
}
