//! Re-rating a tenant's whole month from the producer's side: records rated by the intake,
//! a price correction, a run quoted in the background over every pool, read by billing
//! staff (and by nobody in another tenant), applied once its total is confirmed — each pool
//! only if it still totals what was quoted — and a new run that picks up what moved.

use crate::notifications::wait_until;
use crate::rating::small_price;
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use tsunagi_tests::ledger::build;
use tsunagi_tests::{Client, code};

const SUBMIT: &str = "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted } } }";
const RUN: &str = "query($id: ID!) { usageRerateRun(id: $id) { id status pools records before after changed poolsChanged poolsApplied poolsMoved currency error changedPools { lineId records before after changed outcome } } }";
const START: &str =
    "mutation($p: NaiveDate) { usageRerateRunStart(input: {period: $p}) { run { id status } } }";
const APPLY: &str = "mutation($id: ID!, $e: Int!) { usageRerateRunApply(input: {id: $id, expectedAfter: $e}) { run { status } } }";

async fn sms_charge(c: &Client, line: &str) -> Value {
    let a = c
        .ok(
            "query($l: ID!) { lineAllowance(lineId: $l) { meters { meter lineCharge } } }",
            json!({ "l": line }),
        )
        .await;
    a["lineAllowance"]["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .find(|m| m["meter"] == "sms")
        .map_or(Value::Null, |m| m["lineCharge"].clone())
}

async fn run_until(c: &Client, id: &str, status: &str) -> Value {
    let r = wait_until(c, RUN, json!({ "id": id }), |v| {
        v["usageRerateRun"]["status"] == status
    })
    .await;
    assert_eq!(r["usageRerateRun"]["status"], status, "{r}");
    r["usageRerateRun"].clone()
}

#[tokio::test]
async fn a_tenants_month_is_quoted_in_the_background_and_applied_only_where_nothing_moved() {
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 88).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    small_price(&admin, &l.plan).await;
    let o = admin
        .ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { lineId } } }", json!({ "c": l.customer, "p": l.plan, "i": l.iccids[1] }))
        .await;
    let line2 = o["orderNewLine"]["order"]["lineId"]
        .as_str()
        .expect("line")
        .to_owned();
    let n2 = admin
        .ok(
            "query($l: ID!) { line(id: $l) { msisdn } }",
            json!({ "l": line2 }),
        )
        .await;
    let msisdn2 = n2["line"]["msisdn"].as_str().expect("msisdn").to_owned();
    let at = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let sms = |id: &str, m: &str| json!({"recordId": id, "type": "sms", "msisdn": m, "time": at, "destination": "domestic"});
    // One SMS included, then 3 yen: line 1 pays 6, line 2 pays 3.
    let sent = admin
        .ok(
            SUBMIT,
            json!({ "r": [sms("a1", &l.msisdn), sms("a2", &l.msisdn), sms("a3", &l.msisdn), sms("b1", &msisdn2), sms("b2", &msisdn2)] }),
        )
        .await;
    assert_eq!(sent["usageSubmit"]["submission"]["accepted"], 5, "{sent}");
    // The correction: 10 yen from the records' time.
    admin
        .ok(
            "mutation($p: ID!, $from: DateTime!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 2980, dataMb: 10, voiceMin: 1, sms: 1, overageDataPerGb: 1000, overageVoicePerMin: 44, overageSms: 10, validFrom: $from}}) { price { id } } }",
            json!({ "p": l.plan, "from": at }),
        )
        .await;

    let support = s.as_role("sakura-mobile", "support").await;
    let denied = support.gql(START, json!({})).await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let billing = s.as_role("sakura-mobile", "billing").await;
    let future = (Utc::now() + Duration::days(40)).date_naive().to_string();
    let bad = billing.gql(START, json!({ "p": future })).await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{bad}");
    assert!(bad.to_string().contains("input.period"), "{bad}");
    let started = billing.ok(START, json!({})).await;
    let id = started["usageRerateRunStart"]["run"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let q = run_until(&billing, &id, "QUOTED").await;
    assert_eq!(
        (
            &q["pools"],
            &q["records"],
            &q["before"],
            &q["after"],
            &q["changed"],
            &q["poolsChanged"],
            &q["currency"]
        ),
        (
            &json!(2),
            &json!(5),
            &json!(9),
            &json!(30),
            &json!(3),
            &json!(2),
            &json!("JPY")
        ),
        "{q}"
    );
    assert_eq!(q["changedPools"].as_array().map(Vec::len), Some(2), "{q}");
    assert_eq!(
        sms_charge(&billing, &l.line).await,
        6,
        "a quote changes nothing"
    );
    let other = s.as_role("kansai-connect", "tenant_admin").await;
    let cross = other.gql(RUN, json!({ "id": id })).await;
    assert_eq!(code(&cross).as_deref(), Some("NOT_FOUND"), "{cross}");
    let stale = billing.gql(APPLY, json!({ "id": id, "e": 9 })).await;
    assert_eq!(code(&stale).as_deref(), Some("CONFLICT"), "{stale}");

    // Line 2 moves after the quote (one more SMS, at the corrected 10 yen): its pool is
    // left alone, line 1's is applied.
    admin
        .ok(SUBMIT, json!({ "r": [sms("b3", &msisdn2)] }))
        .await;
    let applying = billing.ok(APPLY, json!({ "id": id, "e": 30 })).await;
    assert_eq!(applying["usageRerateRunApply"]["run"]["status"], "APPLYING");
    let done = run_until(&billing, &id, "APPLIED").await;
    assert_eq!(
        (&done["poolsApplied"], &done["poolsMoved"]),
        (&json!(1), &json!(1)),
        "{done}"
    );
    assert_eq!(sms_charge(&billing, &l.line).await, 20);
    assert_eq!(
        sms_charge(&billing, &line2).await,
        13,
        "the moved pool is as it was"
    );
    let again = billing.gql(APPLY, json!({ "id": id, "e": 30 })).await;
    assert_eq!(code(&again).as_deref(), Some("CONFLICT"), "{again}");

    // A new run finds only what is left: line 2's second SMS, 3 → 10.
    let second = billing.ok(START, json!({})).await;
    let id2 = second["usageRerateRunStart"]["run"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let q2 = run_until(&billing, &id2, "QUOTED").await;
    assert_eq!(
        (
            &q2["before"],
            &q2["after"],
            &q2["changed"],
            &q2["poolsChanged"]
        ),
        (&json!(33), &json!(40), &json!(1), &json!(1)),
        "{q2}"
    );
    billing.ok(APPLY, json!({ "id": id2, "e": 40 })).await;
    run_until(&billing, &id2, "APPLIED").await;
    assert_eq!(sms_charge(&billing, &line2).await, 20);

    // Audited: both runs started and applied, one `usage.rerate` per stored pool.
    let audit = admin
        .ok(
            "{ auditLog(filter: {action: \"usage.rerate\"}) { edges { node { actorId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["auditLog"]["edges"].as_array().map(Vec::len),
        Some(2),
        "{audit}"
    );
    let runs = billing
        .ok("{ usageRerateRuns { id status } }", json!({}))
        .await;
    assert_eq!(
        runs["usageRerateRuns"],
        json!([{ "id": id2, "status": "APPLIED" }, { "id": id, "status": "APPLIED" }])
    );
}

#[tokio::test]
async fn a_closed_month_takes_no_more_records_and_is_not_re_rated() {
    use chrono::{Datelike, TimeZone};
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 90).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    // The line has been in service for two months.
    sqlx::query("UPDATE contracts SET started_at = now() - interval '60 days' WHERE id = $1::uuid")
        .bind(&l.contract)
        .execute(&env.admin)
        .await
        .expect("backdate");
    let tokyo = chrono_tz::Asia::Tokyo;
    let today = Utc::now().with_timezone(&tokyo).date_naive();
    let this_month = today.with_day(1).expect("first");
    let last_day = this_month - Duration::days(10);
    let last_month = last_day.with_day(1).expect("first");
    let at = tokyo
        .from_local_datetime(&last_day.and_hms_opt(12, 0, 0).expect("noon"))
        .single()
        .expect("time")
        .to_rfc3339();
    let sms = |id: &str| json!({"recordId": id, "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"});
    let sent = admin.ok(SUBMIT, json!({ "r": [sms("m-1")] })).await;
    assert_eq!(sent["usageSubmit"]["submission"]["accepted"], 1, "{sent}");

    const CLOSE: &str =
        "mutation($p: NaiveDate!) { usagePeriodClose(input: {period: $p}) { period closedBy } }";
    let support = s.as_role("sakura-mobile", "support").await;
    let denied = support
        .gql(CLOSE, json!({ "p": last_month.to_string() }))
        .await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let billing = s.as_role("sakura-mobile", "billing").await;
    let open = billing.gql(CLOSE, json!({ "p": today.to_string() })).await;
    assert_eq!(code(&open).as_deref(), Some("VALIDATION"), "{open}");
    assert!(open.to_string().contains("input.period"), "{open}");
    // A usage writer in flight (an intake chunk holds the tenant's months open like this):
    // the close waits for it to commit.
    let mut writer = env.admin.acquire().await.expect("conn");
    sqlx::query("BEGIN")
        .execute(&mut *writer)
        .await
        .expect("begin");
    sqlx::query(
        "SELECT pg_advisory_xact_lock_shared(hashtextextended('usage-months:' || $1::text, 0))",
    )
    .bind(s.tenant("sakura-mobile"))
    .execute(&mut *writer)
    .await
    .expect("hold");
    let closing = tokio::spawn({
        let billing = billing.clone();
        let p = last_day.to_string();
        async move { billing.ok(CLOSE, json!({ "p": p })).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!closing.is_finished(), "the close waits for the writer");
    sqlx::query("COMMIT")
        .execute(&mut *writer)
        .await
        .expect("commit");
    let closed = closing.await.expect("close");
    assert_eq!(
        closed["usagePeriodClose"]["period"],
        last_month.to_string(),
        "{closed}"
    );
    let twice = billing
        .gql(CLOSE, json!({ "p": last_month.to_string() }))
        .await;
    assert_eq!(code(&twice).as_deref(), Some("CONFLICT"), "{twice}");
    let list = billing
        .ok("{ usageClosedPeriods { period } }", json!({}))
        .await;
    assert_eq!(
        list["usageClosedPeriods"],
        json!([{ "period": last_month.to_string() }])
    );

    // A late record of the closed month waits in the queue with its reason; one sent again
    // counts as a duplicate (it was taken before the close).
    let late = admin
        .ok(
            "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted duplicates rejected rejections { recordId code reason } } } }",
            json!({ "r": [sms("m-1"), sms("m-2")] }),
        )
        .await;
    let sub = &late["usageSubmit"]["submission"];
    assert_eq!(
        (&sub["accepted"], &sub["duplicates"], &sub["rejected"]),
        (&json!(0), &json!(1), &json!(1)),
        "{late}"
    );
    assert_eq!(sub["rejections"][0]["recordId"], "m-2");
    assert_eq!(sub["rejections"][0]["code"], "PERIOD_CLOSED");
    let month = last_month.format("%Y-%m").to_string();
    assert!(
        sub["rejections"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&month)),
        "{late}"
    );
    // Re-processing it does not slip it in.
    let queued = billing
        .ok(
            "{ usageRejections(code: PERIOD_CLOSED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let rid = queued["usageRejections"]["edges"][0]["node"]["id"].clone();
    let again = billing
        .ok(
            "mutation($id: ID!) { usageRejectionReprocess(input: {id: $id}) { rejection { status code } } }",
            json!({ "id": rid }),
        )
        .await;
    assert_eq!(
        again["usageRejectionReprocess"]["rejection"],
        json!({ "status": "OPEN", "code": "PERIOD_CLOSED" })
    );

    // The closed month is not re-rated, for the line or the tenant.
    let line = billing
        .gql(
            "mutation($l: ID!, $p: NaiveDate) { usageRerate(input: {lineId: $l, period: $p, expectedAfter: 0}) { rerating { applied } } }",
            json!({ "l": l.line, "p": last_month.to_string() }),
        )
        .await;
    assert_eq!(code(&line).as_deref(), Some("CONFLICT"), "{line}");
    assert!(line.to_string().contains("is closed (billed)"), "{line}");
    let run = billing
        .gql(START, json!({ "p": last_month.to_string() }))
        .await;
    assert_eq!(code(&run).as_deref(), Some("CONFLICT"), "{run}");
    assert!(run.to_string().contains("is closed (billed)"), "{run}");
    let audit = admin
        .ok(
            "{ auditLog(filter: {action: \"usage.period_close\"}) { edges { node { targetId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["auditLog"]["edges"],
        json!([{ "node": { "targetId": month } }])
    );
}

#[tokio::test]
async fn a_run_whose_steps_keep_failing_ends_failed_and_frees_its_month() {
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 91).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    small_price(&admin, &l.plan).await;
    let at = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    admin
        .ok(
            SUBMIT,
            json!({ "r": [{"recordId": "f-1", "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"}] }),
        )
        .await;
    // The plan's rules no longer price anything: every quote step fails the same way.
    sqlx::query(
        "UPDATE plan_prices SET rating = '{\"voiceIncrementSeconds\": 0}' WHERE plan_id = $1::uuid",
    )
    .bind(&l.plan)
    .execute(&env.admin)
    .await
    .expect("break the tariff");
    let billing = s.as_role("sakura-mobile", "billing").await;
    let started = billing.ok(START, json!({})).await;
    let id = started["usageRerateRunStart"]["run"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The worker's sweep, asked again and again: each attempt fails and releases the run.
    let tenant = tsunagi_core::TenantId(s.tenant("sakura-mobile").parse().expect("tenant"));
    let run_id: uuid::Uuid = id.parse().expect("run");
    let mut last = Value::Null;
    for _ in 0..50 {
        let _ = tsunagi_app::usage::rerate_run::work(&env.running.app, tenant, run_id).await;
        last = billing.ok(RUN, json!({ "id": id })).await;
        if last["usageRerateRun"]["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last["usageRerateRun"]["status"], "FAILED", "{last}");
    assert!(
        last["usageRerateRun"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("voiceIncrementSeconds")),
        "the reason is kept: {last}"
    );
    // A failed run no longer holds its month.
    let again = billing.ok(START, json!({})).await;
    assert_eq!(
        again["usageRerateRunStart"]["run"]["status"], "QUOTING",
        "{again}"
    );
}
