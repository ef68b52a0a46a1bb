//! Rating from the producer's side: records submitted like the carrier's mediation are rated
//! against the price version in force at their time (allowance first, then overage; voice in
//! the plan's increment; international and roaming prices), counted once into the line's
//! allowance, shown live to staff and to the customer, and the 80 % and 100 % crossings reach
//! the customer by e-mail through the hub. Two submitters rating the same line at once never
//! consume the allowance twice.

use crate::notifications::{hub_env, start};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use tsunagi_tests::hub::SmtpSink;
use tsunagi_tests::ledger::build;
use tsunagi_tests::{Client, code};

const SUBMIT: &str = "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { received accepted duplicates rejected } } }";
const ALLOWANCE: &str = "query($l: ID!) { lineAllowance(lineId: $l) { shared currency carriedBytes addedBytes updatedAt meters { meter included used remaining lineUnits lineCharge } } }";
const PRICE: &str = "mutation($p: ID!, $r: PriceRatingInput) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 2980, dataMb: 10, voiceMin: 1, sms: 1, overageDataPerGb: 1000, overageVoicePerMin: 44, overageSms: 3, rating: $r}}) { price { id rating { voiceIncrementSeconds internationalSms roaming { zone dataPerMb } } } } }";

fn meter<'a>(a: &'a Value, name: &str) -> &'a Value {
    a["lineAllowance"]["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .find(|m| m["meter"] == name)
        .unwrap_or_else(|| panic!("meter {name} in {a}"))
}

fn total_charge(a: &Value) -> i64 {
    a["lineAllowance"]["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .map(|m| m["lineCharge"].as_i64().expect("charge"))
        .sum()
}

/// A price version with a 10 MB allowance, one minute, one SMS, in force from now.
pub(crate) async fn small_price(admin: &Client, plan: &str) {
    let bad = admin
        .gql(
            PRICE,
            json!({ "p": plan, "r": { "voiceIncrementSeconds": 0 } }),
        )
        .await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{bad}");
    assert!(
        bad.to_string()
            .contains("input.price.rating.voiceIncrementSeconds"),
        "the field is named: {bad}"
    );
    let ok = admin
        .ok(
            PRICE,
            json!({ "p": plan, "r": { "voiceIncrementSeconds": 30, "internationalSms": 100, "roaming": [{ "zone": "asia", "dataPerMb": 2, "voicePerMin": 140, "sms": 100 }] } }),
        )
        .await;
    assert_eq!(
        ok["planPriceAdd"]["price"]["rating"]["roaming"][0]["zone"], "asia",
        "{ok}"
    );
}

#[tokio::test]
async fn records_are_rated_once_against_the_price_in_force_and_quotas_reach_the_customer() {
    let sink = SmtpSink::start().await.expect("smtp");
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 83).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    admin
        .ok(
            "mutation { createNotificationRule(input: {topic: \"quota.threshold_reached\", audience: \"customer_admins\", channel: \"email\"}) { id } }",
            json!({}),
        )
        .await;
    let _hub = env.start_hub().expect("hub");
    small_price(&admin, &l.plan).await;
    let at = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let m = &l.msisdn;
    let data = |id: &str, bytes: i64| json!({"recordId": id, "type": "data", "msisdn": m, "time": at, "bytesUp": 0, "bytesDown": bytes});
    let records = json!([
        data("d1", 7_000_000),
        data("d2", 2_000_000),
        data("d3", 3_000_000),
        {"recordId": "v1", "type": "voice", "msisdn": m, "time": at, "seconds": 31, "destination": "domestic"},
        {"recordId": "v2", "type": "voice", "msisdn": m, "time": at, "seconds": 31, "destination": "domestic"},
        {"recordId": "s1", "type": "sms", "msisdn": m, "time": at, "destination": "domestic"},
        {"recordId": "s2", "type": "sms", "msisdn": m, "time": at, "destination": "domestic"},
        {"recordId": "s3", "type": "sms", "msisdn": m, "time": at, "destination": "international"},
        {"recordId": "r1", "type": "data", "msisdn": m, "time": at, "bytesUp": 500_000, "bytesDown": 1_000_000, "roamingZone": "asia"},
    ]);
    let first = admin.ok(SUBMIT, json!({ "r": records })).await;
    assert_eq!(first["usageSubmit"]["submission"]["accepted"], 9, "{first}");

    let billing = s.as_role("sakura-mobile", "billing").await;
    let a = billing.ok(ALLOWANCE, json!({ "l": l.line })).await;
    // Data: 12 MB of 10 MB; 2 MB over at 1,000 yen per GB is 2 yen.
    let d = meter(&a, "data");
    assert_eq!(
        (
            &d["included"],
            &d["used"],
            &d["remaining"],
            &d["lineCharge"]
        ),
        (&json!(10_000_000), &json!(12_000_000), &json!(0), &json!(2)),
        "{a}"
    );
    // Voice: two 31-second calls bill a minute each; one minute is included, one costs 44.
    let v = meter(&a, "voice");
    assert_eq!(
        (&v["used"], &v["lineCharge"]),
        (&json!(120), &json!(44)),
        "{a}"
    );
    // SMS: one included, one at 3 yen; abroad 100 yen; roaming 1.5 MB at 2 yen per MB: 3.
    assert_eq!(meter(&a, "sms")["lineCharge"], 3, "{a}");
    assert_eq!(meter(&a, "sms_international")["lineCharge"], 100, "{a}");
    assert_eq!(meter(&a, "roaming_data:asia")["lineCharge"], 3, "{a}");
    assert_eq!(total_charge(&a), 152, "{a}");
    assert_eq!(a["lineAllowance"]["currency"], "JPY");

    // Sent again (and again within a larger batch): nothing is counted or charged twice.
    let again = admin.ok(SUBMIT, json!({ "r": records })).await;
    assert_eq!(
        again["usageSubmit"]["submission"]["duplicates"], 9,
        "{again}"
    );
    assert_eq!(billing.ok(ALLOWANCE, json!({ "l": l.line })).await, a);

    // The customer reads their own line's allowance and usage; another customer's line is
    // not found. Support without usage rights for the customer view is unaffected.
    let me =
        crate::carrier_esim::customer_user(&s, &admin, &l.customer, &l.line, "own@rating.example")
            .await;
    assert_eq!(me.ok(ALLOWANCE, json!({ "l": l.line })).await, a);
    let mine = me.gql("mutation($l: ID!) { usageRerate(input: {lineId: $l, expectedAfter: 0}) { rerating { applied } } }", json!({ "l": l.line })).await;
    assert_eq!(code(&mine).as_deref(), Some("FORBIDDEN"), "{mine}");
    let other_tenant = build(&s, "kansai-connect", 84).await;
    let cross = me.gql(ALLOWANCE, json!({ "l": other_tenant.line })).await;
    assert_eq!(code(&cross).as_deref(), Some("NOT_FOUND"), "{cross}");
    let usage = me
        .ok(
            "query($l: ID!, $f: DateTime!, $t: DateTime!) { lineUsage(lineId: $l, from: $f, to: $t) { edges { node { recordId } } } }",
            json!({ "l": l.line, "f": (Utc::now() - Duration::days(1)).to_rfc3339(), "t": (Utc::now() + Duration::days(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        usage["lineUsage"]["edges"].as_array().map(Vec::len),
        Some(9),
        "{usage}"
    );

    // A price correction from the records' time: SMS overage 10 yen, abroad 50. Re-rating
    // shows the difference first, refuses a total that is not the quoted one, then applies.
    admin
        .ok(
            "mutation($p: ID!, $from: DateTime!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 2980, dataMb: 10, voiceMin: 1, sms: 1, overageDataPerGb: 1000, overageVoicePerMin: 44, overageSms: 10, validFrom: $from, rating: {voiceIncrementSeconds: 30, internationalSms: 50, roaming: [{zone: \"asia\", dataPerMb: 2, voicePerMin: 140, sms: 100}]}}}) { price { id } } }",
            json!({ "p": l.plan, "from": at }),
        )
        .await;
    let quote = billing
        .ok(
            "query($l: ID!) { usageRerateQuote(lineId: $l) { records before after changed changes { recordId before after } } }",
            json!({ "l": l.line }),
        )
        .await;
    let q = &quote["usageRerateQuote"];
    assert_eq!(
        (&q["records"], &q["before"], &q["after"], &q["changed"]),
        (&json!(9), &json!(152), &json!(109), &json!(2)),
        "{quote}"
    );
    assert_eq!(
        q["changes"],
        json!([{ "recordId": "s2", "before": 3, "after": 10 }, { "recordId": "s3", "before": 100, "after": 50 }])
    );
    assert_eq!(
        billing.ok(ALLOWANCE, json!({ "l": l.line })).await,
        a,
        "a quote changes nothing"
    );
    const RERATE: &str = "mutation($l: ID!, $e: Int!) { usageRerate(input: {lineId: $l, expectedAfter: $e}) { rerating { before after changed applied } } }";
    let support = s.as_role("sakura-mobile", "support").await;
    let denied = support.gql(RERATE, json!({ "l": l.line, "e": 109 })).await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let stale = billing.gql(RERATE, json!({ "l": l.line, "e": 152 })).await;
    assert_eq!(code(&stale).as_deref(), Some("CONFLICT"), "{stale}");
    let done = billing.ok(RERATE, json!({ "l": l.line, "e": 109 })).await;
    assert_eq!(done["usageRerate"]["rerating"]["applied"], true, "{done}");
    let after = billing.ok(ALLOWANCE, json!({ "l": l.line })).await;
    assert_eq!(total_charge(&after), 109, "{after}");
    assert_eq!(
        meter(&after, "data")["used"],
        12_000_000,
        "the allowance is counted once: {after}"
    );
    let again = billing
        .ok(
            "query($l: ID!) { usageRerateQuote(lineId: $l) { before after changed } }",
            json!({ "l": l.line }),
        )
        .await;
    assert_eq!(
        again["usageRerateQuote"],
        json!({ "before": 109, "after": 109, "changed": 0 })
    );

    // 80 % and 100 % were each crossed once, audited, and reached the customer by e-mail.
    let audit = admin
        .ok(
            "{ auditLog(filter: {action: \"usage.quota_threshold\"}) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["auditLog"]["edges"].as_array().map(Vec::len),
        Some(2),
        "{audit}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let quota = loop {
        let found: Vec<Value> = sink
            .messages()
            .into_iter()
            .filter(|m| m["rcpt_tos"].to_string().contains("hanako@example.jp"))
            .filter(|m| m["subject"].as_str().unwrap_or("").contains("データ容量"))
            .collect();
        if !found.is_empty() || std::time::Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(
        !quota.is_empty(),
        "a quota mail to the customer: {:?}",
        sink.messages()
    );
    assert!(
        quota
            .iter()
            .any(|m| m["body"].as_str().unwrap_or("").contains("070-8300-0000")),
        "the line is named: {quota:?}"
    );
}

#[tokio::test]
async fn concurrent_submitters_never_consume_an_allowance_twice() {
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 85).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    small_price(&admin, &l.plan).await;
    let at = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    // Four submitters, 150 records of 100 kB each (60 MB against 10 MB), overlapping: each
    // record is sent by two of them.
    let record = |i: usize| json!({"recordId": format!("c-{i}"), "type": "data", "msisdn": l.msisdn, "time": at, "bytesUp": 0, "bytesDown": 100_000});
    let batches: Vec<Value> = (0..4)
        .map(|k| {
            Value::Array(
                (0..600)
                    .filter(|i| i % 4 == k || (i + 1) % 4 == k)
                    .map(record)
                    .collect(),
            )
        })
        .collect();
    let clients: Vec<Client> =
        futures_util::future::join_all((0..4).map(|_| s.as_role("sakura-mobile", "tenant_admin")))
            .await;
    let answers = futures_util::future::join_all(
        clients
            .iter()
            .zip(&batches)
            .map(|(c, b)| c.gql(SUBMIT, json!({ "r": b }))),
    )
    .await;
    let mut accepted = 0;
    for a in &answers {
        assert!(a["errors"].is_null(), "{a}");
        accepted += a["data"]["usageSubmit"]["submission"]["accepted"]
            .as_i64()
            .expect("n");
    }
    assert_eq!(accepted, 600, "each record taken once: {answers:?}");
    let a = admin.ok(ALLOWANCE, json!({ "l": l.line })).await;
    let d = meter(&a, "data");
    assert_eq!(d["used"], 60_000_000, "{a}");
    assert_eq!(d["lineUnits"], 60_000_000, "{a}");
    // 50 MB over 10 MB at 1,000 yen per GB: 50 yen in all, whatever the interleaving.
    assert_eq!(d["lineCharge"], 50, "{a}");
}

#[tokio::test]
async fn a_plan_change_mid_month_prices_each_record_by_the_terms_in_force_at_its_time() {
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 86).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    // Plan A: one SMS included, then 3 yen. Plan B: none included, 20 yen each.
    small_price(&admin, &l.plan).await;
    let b = admin
        .ok(
            "mutation { planCreate(input: {code: \"SMS-20\", name: \"Costly SMS\", price: {monthlyFee: 1980, dataMb: 10, voiceMin: 0, sms: 0, overageDataPerGb: 1000, overageVoicePerMin: 44, overageSms: 20}}) { plan { id } } }",
            json!({}),
        )
        .await;
    let plan_b = b["planCreate"]["plan"]["id"].as_str().expect("plan");
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": plan_b }),
        )
        .await;
    let before = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let changed = admin
        .ok(
            "mutation($c: ID!, $p: ID!) { orderPlanChange(input: {contractId: $c, planId: $p}) { order { status } } }",
            json!({ "c": l.contract, "p": plan_b }),
        )
        .await;
    assert_eq!(
        changed["orderPlanChange"]["order"]["status"], "COMPLETED",
        "{changed}"
    );
    let after = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let sms = |id: &str, at: &str| json!({"recordId": id, "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic"});
    // All sent after the change: the two made before it are priced by plan A (one included,
    // one at 3 yen), the two made after by plan B (20 yen each) — not all four at 20.
    let records = json!([
        sms("t3", &after),
        sms("t1", &before),
        sms("t4", &after),
        sms("t2", &before)
    ]);
    let sent = admin.ok(SUBMIT, json!({ "r": records })).await;
    assert_eq!(sent["usageSubmit"]["submission"]["accepted"], 4, "{sent}");
    let a = admin.ok(ALLOWANCE, json!({ "l": l.line })).await;
    assert_eq!(meter(&a, "sms")["used"], 4, "{a}");
    assert_eq!(meter(&a, "sms")["lineCharge"], 43, "{a}");
    // Re-rating reads the same history: nothing changes.
    let quote = admin
        .ok(
            "query($l: ID!) { usageRerateQuote(lineId: $l) { records before after changed } }",
            json!({ "l": l.line }),
        )
        .await;
    assert_eq!(
        quote["usageRerateQuote"],
        json!({ "records": 4, "before": 43, "after": 43, "changed": 0 }),
        "{quote}"
    );
}

#[tokio::test]
// Two raw transactions as the owner: the trigger is what is tested, below any tenant context.
#[allow(clippy::disallowed_methods)]
async fn terms_changed_by_transactions_that_overlap_keep_the_order_they_were_made() {
    let env = tsunagi_tests::TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 89).await;
    let opt: uuid::Uuid = l.option.parse().expect("option");
    let contract: uuid::Uuid = l.contract.parse().expect("contract");
    // A begins first but changes the contract last (it queued behind B): its terms are the
    // contract's now, so they must be the history's latest row.
    let mut a = env.admin.begin().await.expect("a");
    sqlx::query("SELECT 1")
        .execute(&mut *a)
        .await
        .expect("a starts");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut b = env.admin.begin().await.expect("b");
    sqlx::query("UPDATE contracts SET option_ids = '{}' WHERE id = $1")
        .bind(contract)
        .execute(&mut *b)
        .await
        .expect("b");
    b.commit().await.expect("b commits");
    sqlx::query("UPDATE contracts SET option_ids = ARRAY[$2]::uuid[] WHERE id = $1")
        .bind(contract)
        .bind(opt)
        .execute(&mut *a)
        .await
        .expect("a");
    a.commit().await.expect("a commits");
    let rows: Vec<Vec<uuid::Uuid>> = sqlx::query_scalar(
        "SELECT option_ids FROM contract_terms WHERE contract_id = $1 ORDER BY valid_from",
    )
    .bind(contract)
    .fetch_all(&env.admin)
    .await
    .expect("terms");
    assert_eq!(rows, vec![vec![opt], vec![], vec![opt]], "{rows:?}");
}
