//! The simulator's usage feed through the HTTP adapter: records come in order from a
//! position, page by page, with `more` while some wait; the feed survives a restart; traffic
//! generated for active lines joins it; an injected error is `Transient` and loses nothing.

use serde_json::json;
use std::time::Duration;
use tsunagi_carrier::sim::Faults;
use tsunagi_carrier::{CarrierGateway, GatewayError, HttpCarrier};

mod common;

const KEY: &str = "test-carrier-key";

async fn post(base: &str, path: &str, body: serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

#[tokio::test]
async fn the_feed_pages_in_order_survives_a_restart_and_loses_nothing_to_errors() {
    let path = common::journal("carrier-feed");
    let (base, task) = common::start(&path, KEY, Faults::default()).await;
    let gw = HttpCarrier::new(&base, KEY, Duration::from_secs(2));
    let empty = gw.usage(None, 10).await.expect("empty feed");
    assert!(empty.records.is_empty() && !empty.more);
    assert_eq!(empty.next, "0");
    post(
        &base,
        "/admin/usage",
        json!([
            {"recordId": "a", "type": "sms", "msisdn": "+819011110001", "destination": "domestic"},
            {"type": "data", "msisdn": "+819011110002", "bytesUp": 1, "bytesDown": 2},
            {"recordId": "c", "type": "voice", "msisdn": "+819011110003", "seconds": 61},
        ]),
    )
    .await;
    let p1 = gw.usage(None, 2).await.expect("page 1");
    assert_eq!(p1.records.len(), 2);
    assert_eq!(p1.records[0]["recordId"], "a");
    assert_eq!(
        p1.records[1]["recordId"], "cdr-2",
        "a missing record id is the position's"
    );
    assert!(p1.records[1]["time"].is_string(), "a missing time is now");
    assert_eq!((p1.next.as_str(), p1.more), ("2", true));
    task.abort();

    // Restarted on the same journal: the feed is still there, read on from the position.
    let (base, task) = common::start(&path, KEY, Faults::default()).await;
    let gw = HttpCarrier::new(&base, KEY, Duration::from_secs(2));
    let p2 = gw.usage(Some(&p1.next), 2).await.expect("page 2");
    assert_eq!(p2.records.len(), 1);
    assert_eq!(p2.records[0]["recordId"], "c");
    assert_eq!((p2.next.as_str(), p2.more), ("3", false));
    let bad = reqwest::Client::new()
        .get(format!("{base}/v1/usage?after=x"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), 400);

    // An injected error answers 503: nothing is lost, the same position reads on after.
    post(&base, "/admin/faults", json!({ "errorRate": 1.0 })).await;
    assert!(matches!(
        gw.usage(Some("3"), 10).await,
        Err(GatewayError::Transient(_))
    ));
    // Generated traffic: each active line makes a data session.
    post(
        &base,
        "/admin/lines",
        json!([{ "msisdn": "+819011110009", "iccid": "8981100000000000009", "status": "active",
                 "speedLimitKbps": null, "sequence": 1, "updatedAt": "2026-11-01T00:00:00Z" },
               { "msisdn": "+819011110010", "iccid": "8981100000000000010", "status": "suspended",
                 "speedLimitKbps": null, "sequence": 1, "updatedAt": "2026-11-01T00:00:00Z" }]),
    )
    .await;
    post(&base, "/admin/faults", json!({ "trafficMs": 50 })).await;
    let mut got = Vec::new();
    for _ in 0..100 {
        let p = gw.usage(Some("3"), 10).await.expect("after the error");
        if !p.records.is_empty() {
            got = p.records;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!got.is_empty(), "traffic joined the feed");
    assert!(
        got.iter()
            .all(|r| r["msisdn"] == "+819011110009" && r["type"] == "data"),
        "only the active line: {got:?}"
    );
    task.abort();
    common::cleanup(&path);
}
