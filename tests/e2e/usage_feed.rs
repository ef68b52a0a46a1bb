//! The carrier's usage feed from the producer's side: records the carrier simulator (a real
//! HTTP server) produced for our lines are pulled by the worker, taken exactly once and
//! rated; a record the carrier sends again changes nothing, one for an unknown number waits
//! in the rejection queue, and a carrier that fails is asked again without losing a record.

use crate::carrier_gateway::{Connected, connected};
use crate::notifications::wait_until;
use serde_json::{Value, json};
use tsunagi_tests::Client;

const ALLOWANCE: &str = "query($l: ID!) { lineAllowance(lineId: $l) { meters { meter used } } }";
const FEED: &str = "{ carrierUsageFeed { position records pulledAt lastError failedAt } }";

/// [`wait_until`], failing when `check` still does not hold.
async fn wait_for(c: &Client, query: &str, vars: Value, check: impl Fn(&Value) -> bool) -> Value {
    let v = wait_until(c, query, vars, &check).await;
    assert!(check(&v), "still not there: {v}");
    v
}

fn used(a: &Value, meter: &str) -> i64 {
    a["lineAllowance"]["meters"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["meter"] == meter))
        .and_then(|m| m["used"].as_i64())
        .unwrap_or(-1)
}

#[tokio::test]
async fn the_carriers_usage_feed_is_pulled_exactly_once_and_rated() {
    let Connected {
        env,
        admin,
        support,
        sim,
        line,
        msisdn: m,
        ..
    } = connected(94).await;
    let data = |id: &str, bytes: i64| json!({"recordId": id, "type": "data", "msisdn": m, "bytesUp": 0, "bytesDown": bytes});

    // The carrier's mediation produces three records: two of ours, one for a number we do
    // not have. The worker pulls them; ours are rated, the third waits with its reason.
    sim.usage(json!([
        data("f1", 2_000_000),
        {"recordId": "f2", "type": "sms", "msisdn": m, "destination": "domestic"},
        {"recordId": "f-unknown", "type": "data", "msisdn": "+819099999999", "bytesUp": 0, "bytesDown": 1},
    ]))
    .await;
    let vars = json!({ "l": line });
    let a = wait_for(&support, ALLOWANCE, vars.clone(), |a| {
        used(a, "data") == 2_000_000
    })
    .await;
    assert_eq!(used(&a, "sms"), 1, "{a}");
    let f = wait_for(&admin, FEED, json!({}), |f| {
        f["carrierUsageFeed"]["records"] == 3
    })
    .await;
    assert_eq!(f["carrierUsageFeed"]["position"], "3", "{f}");
    assert_eq!(f["carrierUsageFeed"]["lastError"], Value::Null, "{f}");
    let r = admin
        .ok(
            "{ usageRejections(source: \"carrier\") { edges { node { recordId code field reason } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (
            &r["usageRejections"]["edges"][0]["node"]["recordId"],
            &r["usageRejections"]["edges"][0]["node"]["code"]
        ),
        (&json!("f-unknown"), &json!("UNKNOWN_MSISDN")),
        "{r}"
    );

    // The carrier sends f1 again (a mediation re-run) beside a new record: f1 counts once.
    sim.usage(json!([data("f1", 2_000_000), data("f3", 1_000_000)]))
        .await;
    wait_for(&admin, FEED, json!({}), |f| {
        f["carrierUsageFeed"]["records"] == 5
    })
    .await;
    let a = support.ok(ALLOWANCE, vars.clone()).await;
    assert_eq!(used(&a, "data"), 3_000_000, "f1 once: {a}");

    // The carrier fails: the failure shows on the feed, nothing is lost, and the record
    // arrives once the carrier answers again.
    sim.faults(json!({ "errorRate": 1.0 })).await;
    sim.usage(json!([data("f4", 500_000)])).await;
    let f = wait_for(&admin, FEED, json!({}), |f| {
        f["carrierUsageFeed"]["lastError"].is_string()
    })
    .await;
    assert!(
        f["carrierUsageFeed"]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("unavailable")),
        "{f}"
    );
    assert_eq!(
        used(&support.ok(ALLOWANCE, vars.clone()).await, "data"),
        3_000_000
    );
    sim.faults(json!({ "errorRate": 0.0 })).await;
    wait_for(&support, ALLOWANCE, vars.clone(), |a| {
        used(a, "data") == 3_500_000
    })
    .await;
    let f = wait_for(&admin, FEED, json!({}), |f| {
        f["carrierUsageFeed"]["lastError"].is_null()
    })
    .await;
    assert_eq!(f["carrierUsageFeed"]["records"], 6, "{f}");

    // Two readers at once (worker replicas; the worker's own loop runs beside them too):
    // one reads, and every record counts once.
    sim.usage(json!([
        data("f5", 100_000),
        data("f6", 100_000),
        data("f7", 100_000)
    ]))
    .await;
    let app = &env.running.app;
    let pull = tsunagi_app::carrier::usage_feed::pull_all;
    let (a, b) = tokio::join!(pull(app), pull(app));
    assert!(a.expect("reader a") + b.expect("reader b") <= 3);
    wait_for(&support, ALLOWANCE, vars.clone(), |a| {
        used(a, "data") == 3_800_000
    })
    .await;
    let f = wait_for(&admin, FEED, json!({}), |f| {
        f["carrierUsageFeed"]["records"] == 9
    })
    .await;
    assert_eq!(f["carrierUsageFeed"]["position"], "9", "{f}");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let f = admin.ok(FEED, json!({})).await;
    assert_eq!(f["carrierUsageFeed"]["records"], 9, "counted once: {f}");
}
