//! Data limits from the producer's side: with the tenant's rule set to throttle, records that
//! use up a line's data allowance slow the line at the carrier (the simulator, a real HTTP
//! server) once, however many records follow; the customer sees the limit, buys a data
//! add-on in self-service, and the line gets its speed back at the carrier; used up again,
//! it is limited again until its bill period ends.

use crate::carrier_esim::customer_user;
use crate::carrier_gateway::{Connected, T, WAIT, connected};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::time::Instant;
use tsunagi_tests::carrier::CarrierSim;
use tsunagi_tests::{Client, code};

const SUBMIT: &str = "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted } } }";
const ALLOWANCE: &str = "query($l: ID!) { lineAllowance(lineId: $l) { addedBytes meters { meter included used remaining } limit { action kbps since } } }";
const MB: i64 = 1_000_000;

/// Waits until the simulator's line has `kbps` as its speed limit (null: none).
async fn wait_speed(sim: &CarrierSim, msisdn: &str, kbps: Value) -> Value {
    let start = Instant::now();
    loop {
        let l = sim.line(msisdn).await.expect("the line at the carrier");
        if l["speedLimitKbps"] == kbps {
            return l;
        }
        assert!(
            start.elapsed() < WAIT,
            "speed at the carrier still {} after {WAIT:?}, wanted {kbps}",
            l["speedLimitKbps"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn orders_of(c: &Client, line: &str, kind: &str) -> Vec<Value> {
    let r = c
        .ok(
            "query($l: ID!) { line(id: $l) { orders { id kind status } } }",
            json!({ "l": line }),
        )
        .await;
    r["line"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_used_up_allowance_throttles_at_the_carrier_once_and_an_add_on_lifts_it() {
    let Connected {
        env,
        s,
        l,
        admin,
        support,
        sim,
        line,
        msisdn,
        ..
    } = connected(91).await;

    // The tenant's rule, checked by field: throttle to 200 kbit/s.
    let set = "mutation($t: ID!, $v: Int!, $k: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {dataAtQuota: THROTTLE, throttleKbps: $k}}) { tenant { settings { dataAtQuota throttleKbps } } } }";
    let version = |t: Value| t["tenant"]["version"].clone();
    let v = version(
        admin
            .ok(
                "query($t: ID!) { tenant(id: $t) { version } }",
                json!({ "t": s.tenant(T) }),
            )
            .await,
    );
    let bad = admin
        .gql(set, json!({ "t": s.tenant(T), "v": v, "k": 0 }))
        .await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{bad}");
    assert!(
        bad.to_string().contains("input.settings.throttleKbps"),
        "{bad}"
    );
    let ok = admin
        .ok(set, json!({ "t": s.tenant(T), "v": v, "k": 200 }))
        .await;
    assert_eq!(
        ok["tenantUpdate"]["tenant"]["settings"],
        json!({ "dataAtQuota": "THROTTLE", "throttleKbps": 200 })
    );
    crate::rating::small_price(&admin, &l.plan).await;
    let opt = admin
        .ok(
            "mutation { optionCreate(input: {code: \"DATA-1G\", name: \"1 GB charge\", monthlyFee: 550, rating: {addOnMb: 1000}}) { option { id } } }",
            json!({}),
        )
        .await;
    let add_on = opt["optionCreate"]["option"]["id"].clone();

    // 9 of 10 MB: the 80 % notice, no limit.
    let at = (Utc::now() + Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let data = |id: &str, bytes: i64| json!({"recordId": id, "type": "data", "msisdn": msisdn, "time": at, "bytesUp": 0, "bytesDown": bytes});
    admin.ok(SUBMIT, json!({ "r": [data("d1", 9 * MB)] })).await;
    let a = support.ok(ALLOWANCE, json!({ "l": line })).await;
    assert_eq!(a["lineAllowance"]["limit"], Value::Null, "{a}");
    // Past 10 MB: throttled at the carrier, once, however many records follow.
    admin.ok(SUBMIT, json!({ "r": [data("d2", 2 * MB)] })).await;
    admin
        .ok(SUBMIT, json!({ "r": [data("d3", MB), data("d4", MB)] }))
        .await;
    let a = support.ok(ALLOWANCE, json!({ "l": line })).await;
    assert_eq!(a["lineAllowance"]["limit"]["action"], "THROTTLE", "{a}");
    assert_eq!(a["lineAllowance"]["limit"]["kbps"], 200, "{a}");
    wait_speed(&sim, &msisdn, json!(200)).await;
    let limits = orders_of(&support, &line, "data_limit").await;
    assert_eq!(limits.len(), 1, "one limit order: {limits:?}");

    // The customer sees the limit and the add-ons on sale (not other options), and buys one.
    let me = customer_user(&s, &admin, &l.customer, &line, "limited@example.jp").await;
    let a = me.ok(ALLOWANCE, json!({ "l": line })).await;
    assert_eq!(a["lineAllowance"]["limit"]["action"], "THROTTLE", "{a}");
    let offers = me
        .ok(
            "query($l: ID!) { dataAddOns(lineId: $l) { id code monthlyFee rating { addOnMb } } }",
            json!({ "l": line }),
        )
        .await;
    assert_eq!(
        offers["dataAddOns"],
        json!([{ "id": add_on, "code": "DATA-1G", "monthlyFee": 550, "rating": { "addOnMb": 1000 } }])
    );
    let buy = "mutation($l: ID!, $o: ID!, $f: Int!) { dataAddOnBuy(input: {lineId: $l, optionId: $o, expectedFee: $f}) { order { kind status } addedBytes linesFreed } }";
    let wrong = me
        .gql(buy, json!({ "l": line, "o": l.option, "f": 880 }))
        .await;
    assert_eq!(code(&wrong).as_deref(), Some("VALIDATION"), "{wrong}");
    assert!(wrong.to_string().contains("input.optionId"), "{wrong}");
    // Bought only at the price shown.
    let stale = me
        .gql(buy, json!({ "l": line, "o": add_on, "f": 500 }))
        .await;
    assert_eq!(code(&stale).as_deref(), Some("CONFLICT"), "{stale}");
    // The MVNO's staff see a reseller's line but do not buy for it (the reseller does).
    let r = tsunagi_tests::ledger::build(&s, "kansai-connect", 95).await;
    let across = admin
        .gql(buy, json!({ "l": r.line, "o": add_on, "f": 550 }))
        .await;
    assert_eq!(code(&across).as_deref(), Some("FORBIDDEN"), "{across}");
    let b = me
        .ok(buy, json!({ "l": line, "o": add_on, "f": 550 }))
        .await;
    assert_eq!(
        b["dataAddOnBuy"],
        json!({ "order": { "kind": "data_add_on", "status": "COMPLETED" }, "addedBytes": 1000 * MB, "linesFreed": 1 })
    );
    wait_speed(&sim, &msisdn, Value::Null).await;
    let a = me.ok(ALLOWANCE, json!({ "l": line })).await;
    assert_eq!(a["lineAllowance"]["limit"], Value::Null, "{a}");
    assert_eq!(a["lineAllowance"]["addedBytes"], 1000 * MB, "{a}");
    let data_meter = a["lineAllowance"]["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .find(|m| m["meter"] == "data")
        .cloned()
        .expect("data meter");
    assert_eq!(data_meter["included"], 1010 * MB, "{a}");
    assert_eq!(data_meter["remaining"], 1010 * MB - 13 * MB, "{a}");
    assert_eq!(orders_of(&support, &line, "data_unlimit").await.len(), 1);

    // Using up the add-on limits the line again; the period's end (the worker's activation,
    // asked as if a month had passed) gives it its speed back, and not before.
    admin
        .ok(SUBMIT, json!({ "r": [data("d5", 1000 * MB)] }))
        .await;
    wait_speed(&sim, &msisdn, json!(200)).await;
    assert_eq!(orders_of(&support, &line, "data_limit").await.len(), 2);
    let app = &env.running.app;
    let lift = tsunagi_app::usage::limit::lift_past_periods;
    assert_eq!(lift(app, Utc::now()).await.expect("lift now"), 0);
    let next = Utc::now() + Duration::days(40);
    assert_eq!(lift(app, next).await.expect("lift next month"), 1);
    assert_eq!(lift(app, next).await.expect("lift again"), 0, "lifted once");
    wait_speed(&sim, &msisdn, Value::Null).await;
    assert_eq!(orders_of(&support, &line, "data_unlimit").await.len(), 2);
}
