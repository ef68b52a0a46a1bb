//! The carrier's callbacks and reconciliation, from the simulator's real behaviour: bad
//! callbacks are refused with a clear error and change nothing; callbacks are taken once
//! and in sequence order (a late "active" never overrides a newer "suspended"); drift
//! injected at the simulator is found by a reconciliation run and repaired or flagged by
//! the written rules; a port-out ends the line and keeps its number out of the pool.

use crate::carrier_gateway::{T, WAIT, last_job, line_op, new_line, platform};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tsunagi_carrier::sim::Faults;
use tsunagi_core::signing;
use tsunagi_tests::carrier::{self, CarrierSim, wait_status};
use tsunagi_tests::ledger::build;
use tsunagi_tests::{Client, code};

pub(crate) async fn post(url: &str, id: &str, ts: i64, body: &[u8], secret: &str) -> (u16, Value) {
    let key = signing::key_bytes(secret).expect("key");
    let res = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signing::sign(&key, id, ts, body))
        .body(body.to_vec())
        .send()
        .await
        .expect("callback");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn event(id: &str, msisdn: &str, status: &str, iccid: &str, seq: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "line.updated", "key": null,
        "line": { "msisdn": msisdn, "iccid": iccid, "status": status, "speedLimitKbps": null,
                  "sequence": seq, "updatedAt": chrono::Utc::now() }
    }))
    .expect("json")
}

async fn r_version(admin: &Client) -> Value {
    admin.ok("{ carrierSettings { version } }", json!({})).await["carrierSettings"]["version"]
        .clone()
}

async fn callbacks_count(env: &tsunagi_tests::TestEnv) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM carrier_callbacks")
        .fetch_one(&env.admin)
        .await
        .expect("count")
}

#[tokio::test]
async fn callbacks_are_verified_taken_once_and_in_order() {
    let (env, _w, s, l) = platform(74).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;
    let secret = carrier::connect(&admin, &sim, &env.base, &tenant).await;
    let url = format!("{}/carrier/callbacks/{tenant}", env.base);
    let (_, line) = new_line(&admin, &l, &l.iccids[2]).await;
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    let msisdn = ln["msisdn"].as_str().expect("msisdn").to_owned();
    let iccid = l.iccids[2].clone();
    // The simulator's own callback for the activation arrives (and changes nothing more).
    let start = Instant::now();
    while callbacks_count(&env).await < 1 {
        assert!(start.elapsed() < WAIT, "no callback from the simulator");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seq = carrier::line(&support, &line).await["carrierSequence"]
        .as_i64()
        .expect("seq");
    let now = chrono::Utc::now().timestamp();
    let before = callbacks_count(&env).await;

    // Refusals, each saying why, none changing anything.
    let body = event("evt_bad_1", &msisdn, "suspended", &iccid, seq + 1);
    let (st, r) = post(&url, "evt_bad_1", now, &body, &signing::new_secret()).await;
    assert_eq!(st, 401, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or("")
            .contains("webhook-signature"),
        "{r}"
    );
    let (st, r) = post(&url, "evt_bad_1", now - 3600, &body, &secret).await;
    assert_eq!(st, 401, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or("")
            .contains("webhook-timestamp"),
        "{r}"
    );
    let (st, r) = post(
        &url,
        "evt_bad_2",
        now,
        b"{\"id\": \"evt_bad_2\", \"type\": ",
        &secret,
    )
    .await;
    assert_eq!(st, 400, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a carrier callback"),
        "{r}"
    );
    let body = event("evt_bad_3", "+819099999999", "suspended", &iccid, 9);
    let (st, r) = post(&url, "evt_bad_3", now, &body, &secret).await;
    assert_eq!(st, 404, "{r}");
    // Another tenant's line is unknown here; that tenant has no receiver at all.
    let other = build(&s, "osaka-link", 75).await;
    let body = event(
        "evt_bad_4",
        &other.msisdn,
        "suspended",
        &other.iccids[0],
        99,
    );
    let (st, r) = post(&url, "evt_bad_4", now, &body, &secret).await;
    assert_eq!(st, 404, "{r}");
    let other_url = format!("{}/carrier/callbacks/{}", env.base, s.tenant("osaka-link"));
    let (st, _) = post(&other_url, "evt_bad_4", now, &body, &secret).await;
    assert_eq!(st, 404);
    let osaka = s.as_role("osaka-link", "support").await;
    assert_eq!(carrier::line(&osaka, &other.line).await["status"], "ACTIVE");
    let after = carrier::line(&support, &line).await;
    assert_eq!(after["status"], "ACTIVE");
    assert_eq!(after["carrierSequence"].as_i64(), Some(seq));
    assert_eq!(callbacks_count(&env).await, before);

    // A rotated secret: the old one keeps verifying during the overlap, not after it.
    let rotate = "mutation($e: String!, $v: Int!, $h: Int!) { carrierSettingsSet(input: {endpoint: $e, version: $v, rotateCallbackSecret: true, overlapHours: $h}) { callbackSecret settings { version } } }";
    let v =
        admin.ok("{ carrierSettings { version } }", json!({})).await["carrierSettings"]["version"]
            .clone();
    let r = admin
        .ok(rotate, json!({ "e": sim.base, "v": v, "h": 1 }))
        .await;
    let first = r["carrierSettingsSet"]["callbackSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let body = event("evt_rot_1", &msisdn, "active", &iccid, seq + 1);
    let (st, r) = post(&url, "evt_rot_1", now, &body, &secret).await;
    assert_eq!(st, 200, "the previous secret during the overlap: {r}");
    let v = r_version(&admin).await;
    let r = admin
        .ok(rotate, json!({ "e": sim.base, "v": v, "h": 0 }))
        .await;
    let second = r["carrierSettingsSet"]["callbackSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let body = event("evt_rot_2", &msisdn, "active", &iccid, seq + 2);
    let (st, r) = post(&url, "evt_rot_2", now, &body, &first).await;
    assert_eq!(st, 401, "the previous secret without an overlap: {r}");
    let (st, r) = post(&url, "evt_rot_2", now, &body, &second).await;
    assert_eq!(st, 200, "{r}");
    let secret = second;
    sim.callbacks_to(&url, &secret).await;

    // With the carrier switched off, a suspension waits for the carrier's word: its
    // callback completes it; the same callback again is a duplicate; an older "active"
    // arriving late is stale and changes nothing.
    let v =
        admin.ok("{ carrierSettings { version } }", json!({})).await["carrierSettings"]["version"]
            .clone();
    admin
        .ok("mutation($e: String!, $v: Int!) { carrierSettingsSet(input: {endpoint: $e, enabled: false, version: $v}) { settings { enabled } } }", json!({ "e": sim.base, "v": v }))
        .await;
    line_op(&s, "lineSuspend", &line).await;
    let ln = carrier::line(&support, &line).await;
    assert_eq!(ln["status"], "SUSPENDING");
    assert!(last_job(&ln)["nextAttemptAt"].is_null(), "{ln}");
    let newer = event("evt_new", &msisdn, "suspended", &iccid, seq + 5);
    let (st, r) = post(&url, "evt_new", now, &newer, &secret).await;
    assert_eq!(
        (st, r["outcome"].as_str()),
        (200, Some("completed suspend")),
        "{r}"
    );
    let (st, r) = post(&url, "evt_new", now, &newer, &secret).await;
    assert_eq!((st, r["outcome"].as_str()), (200, Some("duplicate")), "{r}");
    let older = event("evt_old", &msisdn, "active", &iccid, seq + 4);
    let (st, r) = post(&url, "evt_old", now, &older, &secret).await;
    assert_eq!(st, 200);
    assert!(
        r["outcome"].as_str().unwrap_or("").starts_with("stale"),
        "{r}"
    );
    let ln = carrier::line(&support, &line).await;
    assert_eq!(ln["status"], "SUSPENDED");
    assert_eq!(ln["carrierSequence"].as_i64(), Some(seq + 5));
    let job = last_job(&ln);
    assert_eq!(
        (job["status"].as_str(), job["completedBy"].as_str()),
        (Some("done"), Some("carrier"))
    );
    assert!(
        job["answer"].as_str().unwrap_or("").contains("evt_new"),
        "{job}"
    );
    let o = code(
        &admin
            .gql(
                "mutation($j: ID!) { carrierJobRetry(input: {jobId: $j}) { job { id } } }",
                json!({ "j": job["id"] }),
            )
            .await,
    );
    assert_eq!(o.as_deref(), Some("CONFLICT"));
}

async fn reconciled(admin: &Client) -> Value {
    let run = admin
        .ok("mutation { carrierReconcile { id status } }", json!({}))
        .await;
    let id = run["carrierReconcile"]["id"].clone();
    let start = Instant::now();
    loop {
        let r = admin
            .ok("query($r: ID!) { reconciliationRun(id: $r) { id status linesChecked inSync drifted repaired needsPerson error } }", json!({ "r": id }))
            .await["reconciliationRun"]
            .clone();
        if r["status"] != "running" {
            assert_eq!(r["status"], "done", "{r}");
            return r;
        }
        assert!(start.elapsed() < WAIT, "run still going: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn items(admin: &Client, run: &Value) -> Vec<(String, String, String)> {
    let r = admin
        .ok("query($r: ID!) { reconciliationItems(runId: $r) { edges { node { msisdn kind action rule } } } }", json!({ "r": run["id"] }))
        .await;
    let mut v: Vec<(String, String, String)> = r["reconciliationItems"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let n = &e["node"];
            let s = |k: &str| n[k].as_str().unwrap_or("").to_owned();
            (s("msisdn"), s("rule"), s("action"))
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn reconciliation_finds_drift_and_follows_the_rules() {
    let (env, _w, s, l) = platform(76).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;
    let secret = carrier::connect(&admin, &sim, &env.base, &tenant).await;
    let mut lines = Vec::new();
    for iccid in &l.iccids[1..4] {
        let (_, id) = new_line(&admin, &l, iccid).await;
        let ln = wait_status(&support, &id, "ACTIVE", WAIT).await;
        lines.push((
            id,
            ln["msisdn"].as_str().expect("msisdn").to_owned(),
            iccid.clone(),
        ));
    }
    let (a, b, c) = (&lines[0], &lines[1], &lines[2]);
    line_op(&s, "lineSuspend", &a.0).await;
    wait_status(&support, &a.0, "SUSPENDED", WAIT).await;
    // The built line was completed locally before the carrier was connected.
    let built = l.msisdn.clone();

    // Drift behind our back, its callbacks going nowhere: A active again (suspended
    // here), B suspended (active here), C ported away, and a line we do not know.
    sim.callbacks_to("http://127.0.0.1:9/nowhere", &secret)
        .await;
    let at = |m: &str, st: &str, iccid: &str, ported: bool| json!({ "msisdn": m, "iccid": iccid, "status": st, "speedLimitKbps": null, "portedOut": ported, "sequence": 0, "updatedAt": chrono::Utc::now() });
    sim.drift(&a.1, at(&a.1, "active", &a.2, false)).await;
    sim.drift(&b.1, at(&b.1, "suspended", &b.2, false)).await;
    sim.drift(&c.1, at(&c.1, "terminated", &c.2, true)).await;
    sim.drift(
        "+817099000001",
        at("+817099000001", "active", "8981000000000000017", false),
    )
    .await;

    let run = reconciled(&admin).await;
    let found = items(&admin, &run).await;
    let want =
        |m: &str, rule: &str, action: &str| (m.to_owned(), rule.to_owned(), action.to_owned());
    let mut expected = vec![
        want(&a.1, "suspended_here_resend", "repaired"),
        want(&b.1, "active_here_suspended_there", "needs_person"),
        want(&c.1, "ported_out_ends_line", "repaired"),
        want("+817099000001", "missing_here", "needs_person"),
        want(&built, "missing_at_carrier", "needs_person"),
    ];
    expected.sort();
    assert_eq!(found, expected, "{run}");
    assert_eq!(
        (
            run["drifted"].as_i64(),
            run["repaired"].as_i64(),
            run["needsPerson"].as_i64()
        ),
        (Some(5), Some(2), Some(3)),
        "{run}"
    );
    let drift_events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE topic = 'carrier.drift_found' AND payload->>'runId' = $1")
        .bind(run["id"].as_str())
        .fetch_one(&env.admin)
        .await
        .expect("outbox");
    assert_eq!(drift_events, 1);

    // The repair reached the carrier; the port-out ended the line and kept its number
    // out of the pool.
    let start = Instant::now();
    while sim.line(&a.1).await.expect("a")["status"] != "suspended" {
        assert!(start.elapsed() < WAIT, "the suspension was not sent again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ln = carrier::line(&support, &c.0).await;
    assert_eq!(ln["status"], "TERMINATED");
    assert!(
        ln["statusReason"]
            .as_str()
            .unwrap_or("")
            .starts_with("ported_out"),
        "{ln}"
    );
    let pool = admin
        .ok(
            "{ numbers(status: AVAILABLE, first: 100) { msisdn } }",
            json!({}),
        )
        .await;
    assert!(
        !pool.to_string().contains(c.1.trim_start_matches('+')),
        "{pool}"
    );
    let ported = admin
        .ok(
            "{ numbers(status: PORTED_OUT, first: 100) { msisdn } }",
            json!({}),
        )
        .await;
    assert!(
        ported.to_string().contains(c.1.trim_start_matches("+")),
        "{ported}"
    );

    // The next run finds only what waits for a person; a single line resyncs on demand.
    let again = reconciled(&admin).await;
    assert_eq!(
        (again["repaired"].as_i64(), again["needsPerson"].as_i64()),
        (Some(0), Some(3)),
        "{again}"
    );
    let r = admin
        .ok(
            "mutation($l: ID!) { carrierLineResync(lineId: $l) }",
            json!({ "l": b.0 }),
        )
        .await;
    assert!(
        r["carrierLineResync"]
            .as_str()
            .unwrap_or("")
            .starts_with("needs_person"),
        "{r}"
    );
    let r = support
        .gql("mutation { carrierReconcile { id } }", json!({}))
        .await;
    assert_eq!(code(&r).as_deref(), Some("FORBIDDEN"));

    // Drift announced by a callback is judged at once by the same rules.
    sim.callbacks_to(&format!("{}/carrier/callbacks/{tenant}", env.base), &secret)
        .await;
    sim.drift(&a.1, at(&a.1, "active", &a.2, false)).await;
    let start = Instant::now();
    loop {
        let st = sim.line(&a.1).await.expect("a")["status"].clone();
        let seq = sim.line(&a.1).await.expect("a")["sequence"].as_i64();
        if st == "suspended" && seq > Some(3) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the callback's drift was not repaired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
