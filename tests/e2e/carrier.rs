//! With no local completion, carrier steps wait: an unanswered step shows `PENDING`, then
//! `NEEDS_REVIEW`; the carrier's answer (recorded by staff until the carrier is connected)
//! completes or fails it; a person resolves a line in review under a second person's
//! approval, and its number, SIM, contract and orders follow.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tsunagi_tests::ledger::{approve, build};
use tsunagi_tests::{Client, TestEnv, code};

const LINE: &str = "query($l: ID!) { line(id: $l) { status statusReason pendingFrom contract { status } \
    provisioningJobs { id action status completedBy answer answeredAt } } }";

async fn line(c: &Client, id: &str) -> Value {
    c.ok(LINE, json!({ "l": id })).await["line"].clone()
}

fn last_job(l: &Value) -> Value {
    l["provisioningJobs"]
        .as_array()
        .and_then(|j| j.last())
        .cloned()
        .expect("a job")
}

async fn order_status(c: &Client, id: &str) -> Value {
    c.ok(
        "query($o: ID!) { order(id: $o) { status failure } }",
        json!({ "o": id }),
    )
    .await["order"]
        .clone()
}

async fn request(c: &Client, op: &str, line: &str) -> (String, String) {
    let q = format!(
        "mutation($l: ID!) {{ {op}(input: {{lineId: $l, reason: \"customer asked\"}}) {{ order {{ id }} approvalRequest {{ id }} }} }}"
    );
    let r = c.ok(&q, json!({ "l": line })).await;
    (
        r[op]["order"]["id"].as_str().expect("order").to_owned(),
        r[op]["approvalRequest"]["id"]
            .as_str()
            .expect("approval")
            .to_owned(),
    )
}

async fn report(c: &Client, job: &Value, ok: bool, answer: &str) -> Value {
    c.gql(
        "mutation($j: ID!, $s: Boolean!, $a: String!) { carrierReport(input: {jobId: $j, succeeded: $s, answer: $a}) { job { status completedBy answer } } }",
        json!({ "j": job["id"], "s": ok, "a": answer }),
    )
    .await
}

async fn resolve(c: &Client, line: &str, status: &str, reason: &str) -> Value {
    c.gql(
        "mutation($l: ID!, $s: LineStatus!, $r: String!) { lineReviewResolve(input: {lineId: $l, status: $s, reason: $r}) { approvalRequest { id summary } } }",
        json!({ "l": line, "s": status, "r": reason }),
    )
    .await
}

#[tokio::test]
async fn unanswered_refused_and_reviewed_carrier_steps() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 61).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let support = s.as_role("sakura-mobile", "support").await;
    let tenant = s.tenant("sakura-mobile").to_owned();
    let v = admin
        .ok(
            "query($t: ID!) { tenant(id: $t) { version } }",
            json!({ "t": tenant }),
        )
        .await;
    let bad = admin.gql("mutation($t: ID!, $v: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {carrierPendingAfterMinutes: 30, carrierReviewAfterMinutes: 20}}) { tenant { id } } }", json!({ "t": tenant, "v": v["tenant"]["version"] })).await;
    assert_eq!(
        bad["errors"][0]["extensions"]["field"], "input.settings.carrierReviewAfterMinutes",
        "{bad}"
    );
    admin.ok("mutation($t: ID!, $v: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {completeProvisioningLocally: false, carrierPendingAfterMinutes: 10, carrierReviewAfterMinutes: 60}}) { tenant { settings { carrierPendingAfterMinutes carrierReviewAfterMinutes } } } }", json!({ "t": tenant, "v": v["tenant"]["version"] })).await;
    let app = &env.running.app;
    let watch = |mins: i64| {
        tsunagi_app::orders::carrier::flag_unanswered(app, Utc::now() + Duration::minutes(mins))
    };

    // The suspension waits for the carrier: SUSPENDING, then PENDING after 10 minutes.
    assert_eq!(
        approve(&s, "sakura-mobile", &l.approval).await["status"],
        "EXECUTED"
    );
    let now = line(&support, &l.line).await;
    assert_eq!(now["status"], "SUSPENDING");
    assert_eq!(last_job(&now)["status"], "queued");
    assert_eq!(
        order_status(&support, &l.suspend_order).await["status"],
        "IN_PROGRESS"
    );
    assert_eq!(watch(0).await.expect("watch"), (0, 0));
    assert_eq!(watch(11).await.expect("watch"), (1, 0));
    assert_eq!(watch(12).await.expect("watch"), (0, 0), "flagged once");
    let pending = line(&support, &l.line).await;
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["pendingFrom"], "SUSPENDING");
    assert!(
        pending["statusReason"]
            .as_str()
            .is_some_and(|r| r.contains("waiting for the carrier to suspend")),
        "{pending}"
    );

    // The carrier's answer (read from its portal) completes the step, once.
    let job = last_job(&pending);
    let empty = report(&support, &job, true, " ").await;
    assert_eq!(empty["errors"][0]["extensions"]["field"], "input.answer");
    let done = report(&support, &job, true, "carrier ref SUS-123").await;
    assert_eq!(
        done["data"]["carrierReport"]["job"]["status"], "done",
        "{done}"
    );
    assert!(
        done["data"]["carrierReport"]["job"]["completedBy"]
            .as_str()
            .is_some_and(|b| b.starts_with("report:"))
    );
    let suspended = line(&support, &l.line).await;
    assert_eq!(suspended["status"], "SUSPENDED");
    assert_eq!(suspended["pendingFrom"], Value::Null);
    assert_eq!(suspended["contract"]["status"], "SUSPENDED");
    assert_eq!(last_job(&suspended)["answer"], "carrier ref SUS-123");
    assert_eq!(
        order_status(&support, &l.suspend_order).await["status"],
        "COMPLETED"
    );
    let again = report(&support, &job, false, "late duplicate").await;
    assert_eq!(code(&again).as_deref(), Some("CONFLICT"), "{again}");

    // The carrier refuses the resumption: the line goes to review, the order fails.
    let (resume_order, a) = request(&support, "lineResume", &l.line).await;
    assert_eq!(approve(&s, "sakura-mobile", &a).await["status"], "EXECUTED");
    let resuming = line(&support, &l.line).await;
    assert_eq!(resuming["status"], "RESUMING");
    let refused = report(
        &support,
        &last_job(&resuming),
        false,
        "error E42: SIM barred",
    )
    .await;
    assert_eq!(
        refused["data"]["carrierReport"]["job"]["status"], "failed",
        "{refused}"
    );
    let review = line(&support, &l.line).await;
    assert_eq!(review["status"], "NEEDS_REVIEW");
    assert_eq!(review["pendingFrom"], "RESUMING");
    let o = order_status(&support, &resume_order).await;
    assert_eq!(o["status"], "FAILED");
    assert!(
        o["failure"].as_str().is_some_and(|f| f.contains("E42")),
        "{o}"
    );

    // A person decides what the carrier really did; a second person approves.
    let wrong = resolve(&support, &l.line, "SUSPENDING", "x").await;
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "input.status");
    let no_reason = resolve(&support, &l.line, "ACTIVE", "").await;
    assert_eq!(
        no_reason["errors"][0]["extensions"]["field"],
        "input.reason"
    );
    let user = s.as_role("sakura-mobile", "customer_user").await;
    let forbidden = resolve(&user, &l.line, "ACTIVE", "me").await;
    assert_eq!(code(&forbidden).as_deref(), Some("FORBIDDEN"));
    let other = s.as_role("fuji-telecom", "support").await;
    let foreign = resolve(&other, &l.line, "ACTIVE", "pwned").await;
    assert_eq!(code(&foreign).as_deref(), Some("NOT_FOUND"), "{foreign}");
    let r = resolve(
        &support,
        &l.line,
        "ACTIVE",
        "carrier portal shows the line active (ticket 77)",
    )
    .await;
    let ra = r["data"]["lineReviewResolve"]["approvalRequest"]["id"]
        .as_str()
        .expect("approval")
        .to_owned();
    let self_approve = support
        .gql("mutation($id: ID!) { approvalApprove(input: {id: $id}) { approvalRequest { status } } }", json!({ "id": ra }))
        .await;
    assert_eq!(code(&self_approve).as_deref(), Some("FORBIDDEN"));
    assert_eq!(
        line(&support, &l.line).await["status"],
        "NEEDS_REVIEW",
        "not before approval"
    );
    assert_eq!(
        approve(&s, "sakura-mobile", &ra).await["status"],
        "EXECUTED"
    );
    let active = line(&support, &l.line).await;
    assert_eq!(active["status"], "ACTIVE");
    assert_eq!(active["contract"]["status"], "ACTIVE");
    let h = support
        .ok("query($l: ID!) { history(targetType: \"line\", targetId: $l) { action approvalId after } }", json!({ "l": l.line }))
        .await;
    let last = h["history"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .expect("history");
    assert_eq!(last["approvalId"], json!(ra), "{last}");
    assert!(
        last["after"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("ticket 77"))
    );

    // A termination nobody answers for an hour goes straight to review; resolved as
    // terminated, the number rests in quarantine and the SIM comes back.
    let (term_order, a) = request(&support, "lineTerminate", &l.line).await;
    assert_eq!(approve(&s, "sakura-mobile", &a).await["status"], "EXECUTED");
    assert_eq!(line(&support, &l.line).await["status"], "TERMINATING");
    assert_eq!(watch(61).await.expect("watch"), (0, 1));
    let silent = line(&support, &l.line).await;
    assert_eq!(silent["status"], "NEEDS_REVIEW");
    assert_eq!(silent["pendingFrom"], "TERMINATING");
    let r = resolve(
        &admin,
        &l.line,
        "TERMINATED",
        "carrier confirmed by phone, ref T-9",
    )
    .await;
    let ra = r["data"]["lineReviewResolve"]["approvalRequest"]["id"]
        .as_str()
        .expect("approval")
        .to_owned();
    assert_eq!(
        approve(&s, "sakura-mobile", &ra).await["status"],
        "EXECUTED"
    );
    let gone = line(&admin, &l.line).await;
    assert_eq!(gone["status"], "TERMINATED");
    assert_eq!(gone["contract"]["status"], "TERMINATED");
    let job = last_job(&gone);
    assert_eq!(job["status"], "done");
    assert_eq!(job["completedBy"], json!(format!("review:{ra}")));
    assert_eq!(
        order_status(&admin, &term_order).await["status"],
        "COMPLETED"
    );
    let number: String = sqlx::query_scalar("SELECT status FROM numbers WHERE msisdn = $1")
        .bind(l.msisdn.trim_start_matches('+'))
        .fetch_one(&env.admin)
        .await
        .expect("number");
    assert_eq!(number, "quarantined");
    let sim: String = sqlx::query_scalar("SELECT status FROM sims WHERE id = $1::uuid")
        .bind(&l.sim)
        .fetch_one(&env.admin)
        .await
        .expect("sim");
    assert_eq!(sim, "returned");
    let twice = resolve(&admin, &l.line, "ACTIVE", "again").await;
    assert_eq!(code(&twice).as_deref(), Some("CONFLICT"));
}
