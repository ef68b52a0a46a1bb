//! Every topic of the event contract, tested from its producer: the tour performs the real
//! mutations (tests/src/tour.rs), and for each topic this checks what really arrived — the
//! signed webhook (verified with the reference Standard Webhooks library, the TMF688
//! envelope, a payload the contract's type reads), the e-mail at a loopback SMTP server in
//! Japanese and in English (the next action present, nothing left unrendered), and the
//! live console alert. A topic added to the contract without a producer in the tour fails
//! the test, like a root field missing from the leak matrix.

use crate::notifications::{hub_env, start};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tsunagi_core::events::{Event, Topic};
use tsunagi_tests::hub::{Hit, Receiver, SmtpSink};
use tsunagi_tests::{tour, ws};

const EN_ADMIN: &str = "en-admin@sakura-mobile.example";
const JA_ADMIN: &str = "admin@sakura-mobile.example";

fn header<'a>(h: &'a Hit, name: &str) -> &'a str {
    h.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// What arrived per topic, on each channel.
#[derive(Default)]
struct Seen {
    webhook: BTreeMap<String, Value>,
    /// (topic, recipient) → the mail.
    mail: BTreeMap<(String, String), Value>,
    alert: BTreeMap<String, Value>,
}

impl Seen {
    fn missing(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in Topic::ALL {
            let t = t.as_str().to_owned();
            if !self.webhook.contains_key(&t) {
                out.push(format!("{t}: webhook"));
            }
            for who in [JA_ADMIN, EN_ADMIN] {
                if !self.mail.contains_key(&(t.clone(), who.to_owned())) {
                    out.push(format!("{t}: mail to {who}"));
                }
            }
            if !self.alert.contains_key(&t) {
                out.push(format!("{t}: console alert"));
            }
        }
        out
    }
}

fn collect(seen: &mut Seen, rx: &Receiver, sink: &SmtpSink, secret: &str, old: &str) {
    for h in rx.hits("all") {
        let body: Value = serde_json::from_slice(&h.body).expect("json body");
        let topic = body["eventType"].as_str().unwrap_or("").to_owned();
        // Before the rotation the old secret signs; after it, both sign during the overlap.
        let verified = [secret, old].iter().any(|s| {
            standardwebhooks::Webhook::new(s).is_ok_and(|w| w.verify(&h.body, &h.headers).is_ok())
        });
        assert!(verified, "{topic}: signature does not verify");
        let simple = body["eventId"].as_str().unwrap_or("-").replace('-', "");
        assert_eq!(
            header(&h, "webhook-id"),
            format!("msg_{simple}"),
            "{topic}: the message id is the event's"
        );
        seen.webhook.entry(topic).or_insert(body);
    }
    for m in sink.messages() {
        let topic = m["headers"]["X-Tsunagi-Topic"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let to = m["rcpt_tos"][0].as_str().unwrap_or("").to_owned();
        seen.mail.entry((topic, to)).or_insert(m);
    }
}

#[tokio::test]
async fn every_topic_reaches_webhooks_email_and_consoles_from_its_producer() {
    let sink = SmtpSink::start().await.expect("smtp");
    let rx = Receiver::start().await.expect("receiver");
    rx.script("gone", &[410]);
    let mut vars = hub_env(&sink.url());
    vars.extend(tsunagi_tests::carrier::env());
    let env = start(&vars).await;
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let _hub = env.start_hub().expect("hub");

    // The integrator's endpoint for everything, then the staff routing of everything.
    let ep = admin
        .ok("mutation($u: String!) { webhookEndpointCreate(input: {url: $u, topics: [\"*\"]}) { secret endpoint { id } } }",
            json!({ "u": format!("{}/all", rx.base) }))
        .await;
    let first_secret = ep["webhookEndpointCreate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let ep_id = ep["webhookEndpointCreate"]["endpoint"]["id"].clone();
    for channel in ["email", "console"] {
        admin
            .ok("mutation($c: String!) { notificationRuleCreate(input: {topic: \"*\", audience: \"role\", role: \"tenant_admin\", channel: $c}) { rule { id } } }", json!({ "c": channel }))
            .await;
    }
    let mut console = ws::connect(&s.base, admin.token.as_deref()).await;
    let ack = ws::next_json(&mut console, Duration::from_secs(5)).await;
    assert_eq!(
        ack.as_ref().map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    ws::subscribe(
        &mut console,
        "alerts",
        "subscription { alerts { topic subject body critical } }",
    )
    .await;
    // The subscription is live once the server has read it (no message says so): wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Created once the console listens: its own user.created alert must reach it.
    admin
        .ok("mutation($e: String!) { userCreate(input: {email: $e, displayName: \"Alex Smith\", password: \"a-long-enough-password\", roles: [\"tenant_admin\"], locale: \"en\"}) { user { locale } } }", json!({ "e": EN_ADMIN }))
        .await;

    // The signing secret rotates; both sign during the overlap.
    let rot = admin
        .ok("mutation($e: ID!) { webhookEndpointSecretRotate(input: {id: $e, version: 1, overlapHours: 24}) { secret } }", json!({ "e": ep_id }))
        .await;
    let secret = rot["webhookEndpointSecretRotate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    // An endpoint that answers 410 Gone for plan events: the hub disables it and says so.
    let gone = admin
        .ok("mutation($u: String!) { webhookEndpointCreate(input: {url: $u, topics: [\"plan.*\"]}) { endpoint { id } } }",
            json!({ "u": format!("{}/gone", rx.base) }))
        .await;
    let gone_id = gone["webhookEndpointCreate"]["endpoint"]["id"].clone();

    tour::access_producers(&s, &admin).await;
    tour::notification_producers(&admin).await;
    let ledger = tour::ledger_producers(&env, &s, &admin).await;
    tour::plugin_producers(&s, &admin).await;
    tour::carrier_producers(&env, &s, &admin, &ledger).await;

    // The disabled endpoint is fixed and enabled again; its failed messages are replayed,
    // one by one and all at once; then it is deleted.
    let v = crate::notifications::wait_until(
        &admin,
        "query($e: ID!) { webhookEndpoint(id: $e) { status version } }",
        json!({ "e": gone_id }),
        |v| v["webhookEndpoint"]["status"] == "disabled",
    )
    .await;
    rx.script("gone", &[200]);
    admin
        .ok("mutation($e: ID!, $v: Int!) { webhookEndpointSetEnabled(input: {id: $e, version: $v, enabled: true}) { endpoint { status } } }",
            json!({ "e": gone_id, "v": v["webhookEndpoint"]["version"] }))
        .await;
    let failed = admin
        .ok(
            "query($e: ID!) { deliveries(endpointId: $e, status: \"failed\") { id } }",
            json!({ "e": gone_id }),
        )
        .await;
    let one = failed["deliveries"][0]["id"].clone();
    admin
        .ok(
            "mutation($d: ID!) { deliveryReplay(input: {id: $d}) { delivery { status } } }",
            json!({ "d": one }),
        )
        .await;
    admin
        .ok(
            "mutation($e: ID!) { webhookEndpointReplayFailed(input: {endpointId: $e}) { count } }",
            json!({ "e": gone_id }),
        )
        .await;
    admin
        .ok(
            "mutation($e: ID!) { webhookEndpointDelete(input: {id: $e}) { endpoint { id } } }",
            json!({ "e": gone_id }),
        )
        .await;

    // Everything arrives: poll the receiver, the SMTP sink and the console.
    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        collect(&mut seen, &rx, &sink, &secret, &first_secret);
        while let Some(m) = ws::next_json(&mut console, Duration::from_millis(50)).await {
            let a = &m["payload"]["data"]["alerts"];
            if let Some(t) = a["topic"].as_str() {
                seen.alert.entry(t.to_owned()).or_insert(a.clone());
            }
        }
        if seen.missing().is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let missing = seen.missing();
    assert!(
        missing.is_empty(),
        "topics without a producer's delivery: {missing:?}"
    );

    for t in Topic::ALL {
        let name = t.as_str();
        // The webhook: the TMF688 envelope around a payload the contract's type reads.
        let w = &seen.webhook[name];
        assert_eq!(w["domain"], t.domain(), "{name}");
        assert_eq!(w["tenant"]["slug"], "sakura-mobile");
        let inner = w["event"].as_object().expect("event object");
        assert_eq!(
            inner.keys().collect::<Vec<_>>(),
            vec![t.resource()],
            "{name}"
        );
        let decoded = Event::decode(*t, &inner[t.resource()]);
        assert!(decoded.is_ok(), "{name}: {decoded:?}");
        assert_eq!(
            w["priority"],
            if decoded.is_ok_and(|e| e.is_critical()) {
                "critical"
            } else {
                "normal"
            }
        );
        // The e-mails, in each recipient's language, with the next action and a link.
        for (who, lang, next) in [
            (JA_ADMIN, "ja", "次に行っていただくこと"),
            (EN_ADMIN, "en", "What to do next"),
        ] {
            let m = &seen.mail[&(name.to_owned(), who.to_owned())];
            let (subject, body) = (
                m["subject"].as_str().unwrap_or(""),
                m["body"].as_str().unwrap_or(""),
            );
            assert_eq!(m["headers"]["Content-Language"], lang, "{name} to {who}");
            assert!(body.contains(next), "{name} to {who}: {body}");
            assert!(
                body.contains("https://portal.tsunagi.example"),
                "{name}: a link: {body}"
            );
            for junk in ["{{", "{%", "None", "null"] {
                assert!(
                    !subject.contains(junk) && !body.contains(junk),
                    "{name}/{lang}: {junk} in {subject} / {body}"
                );
            }
        }
        // The console alert, rendered.
        let a = &seen.alert[name];
        assert!(
            a["subject"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: {a}"
        );
    }

    // Nothing failed to render or to decode anywhere.
    let failed = admin
        .ok(
            "{ deliveries(status: \"failed\", first: 500) { topic channel lastError } }",
            json!({}),
        )
        .await;
    let broken: BTreeSet<String> = failed["deliveries"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["channel"] != "webhook")
        .map(|d| format!("{} {} {}", d["topic"], d["channel"], d["lastError"]))
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
    // The suspension of the tour is critical; a rule change is not.
    assert_eq!(seen.webhook["payment.failed"]["priority"], "critical");
    assert_eq!(
        seen.webhook["notification_rule.created"]["priority"],
        "normal"
    );
}
