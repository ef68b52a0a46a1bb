//! Channel plugins in notification routing: a rule sends alerts to `plugin:<name>`, the hub
//! runs the tenant's plugin at hook `channel:<name>`, and the plugin's only way out is an
//! HTTP request to a host its manifest allows.

use crate::notifications::{emit, hub_env, start, wait_until};
use serde_json::{Value, json};
use std::time::Duration;
use tsunagi_core::events::Topic;
use tsunagi_tests::code;
use tsunagi_tests::hub::{Receiver, SmtpSink};
use tsunagi_tests::plugins::{activate, upload};

const DELIVERIES: &str = "query($e: ID!) { deliveries(eventId: $e) { channel status reason lastError provider recipient } }";

#[tokio::test]
async fn alerts_reach_a_chat_through_the_tenants_channel_plugin() {
    let sink = SmtpSink::start().await.expect("smtp");
    let rx = Receiver::start().await.expect("receiver");
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let host = rx.base.trim_start_matches("http://").to_owned();
    let chat = |allowed: &str| json!({ "config": { "url": format!("{}/chat", rx.base) }, "allowed_hosts": [allowed] });
    let v1 = upload(
        &admin,
        "chat",
        "1.0.0",
        "channel",
        "chat_webhook",
        chat(&host),
    )
    .await;
    assert_eq!(
        activate(&s, "sakura-mobile", "channel:chat", &v1).await["status"],
        "EXECUTED"
    );

    let rule = "mutation($c: String!) { createNotificationRule(input: {topic: \"payment.failed\", audience: \"role\", role: \"billing\", channel: $c}) { id } }";
    let bad = admin.gql(rule, json!({ "c": "plugin:Chat!" })).await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{bad}");
    assert_eq!(
        bad["errors"][0]["extensions"]["fields"][0]["field"],
        "input.channel"
    );
    admin.ok(rule, json!({ "c": "plugin:chat" })).await;
    let _hub = env.start_hub().expect("hub");

    let event = Topic::PaymentFailed.example();
    let payload = event.to_payload();
    let ev = emit(&env, &tenant, event.clone()).await;
    let hits = rx.wait_for("chat", 1, Duration::from_secs(20)).await;
    assert_eq!(hits.len(), 1, "one billing user, one chat message");
    let body: Value = serde_json::from_slice(&hits[0].body).expect("json");
    assert_eq!(body["event"]["id"], ev.to_string());
    assert_eq!(body["event"]["topic"], "payment.failed");
    assert_eq!(
        body["event"]["data"], payload,
        "the structured event reaches the plugin"
    );
    assert!(
        body["text"].as_str().is_some_and(|t| t.len() > 10),
        "{body}"
    );
    let d = wait_until(&admin, DELIVERIES, json!({ "e": ev }), |v| {
        v["deliveries"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(d["deliveries"][0]["channel"], "plugin:chat", "{d}");
    assert_eq!(d["deliveries"][0]["provider"], "plugin chat 1.0.0");

    // A version whose manifest does not allow the chat's host cannot reach it: the
    // delivery fails for good with the host's refusal, and nothing arrives.
    let v2 = upload(
        &admin,
        "chat",
        "1.0.1",
        "channel",
        "chat_webhook",
        chat("chat.example.com"),
    )
    .await;
    assert_eq!(
        activate(&s, "sakura-mobile", "channel:chat", &v2).await["status"],
        "EXECUTED"
    );
    let ev = emit(&env, &tenant, event.clone()).await;
    let d = wait_until(&admin, DELIVERIES, json!({ "e": ev }), |v| {
        v["deliveries"][0]["status"] == "failed"
    })
    .await;
    let why = d["deliveries"][0]["lastError"].as_str().unwrap_or_default();
    assert!(why.contains("allowed_hosts"), "{d}");

    // With the plugin disabled the channel has nothing to run.
    admin.ok("mutation { pluginDisable(input: {hook: \"channel:chat\", reason: \"maintenance\"}) { status } }", json!({})).await;
    let ev = emit(&env, &tenant, event.clone()).await;
    let d = wait_until(&admin, DELIVERIES, json!({ "e": ev }), |v| {
        v["deliveries"][0]["status"] == "failed"
    })
    .await;
    assert!(
        d["deliveries"][0]["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("no plugin is active at hook channel:chat"),
        "{d}"
    );
    assert_eq!(rx.hits("chat").len(), 1);
}
