//! The notification hub end to end: events from real mutations (or shaped like billing's,
//! written to the outbox) reach a real SMTP server and a webhook receiver on loopback;
//! signatures verify with the Standard Webhooks reference library; retries follow the
//! schedule; 410 disables an endpoint with an alert; preferences, critical alerts, quota
//! once-only and digests; the SSRF guard; tenant isolation of deliveries.

use serde_json::{Value, json};
use std::time::Duration;
use tsunagi_tests::hub::{Receiver, SmtpSink};
use tsunagi_tests::{TestEnv, code};

pub fn hub_env(smtp: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TSUNAGI_HUB__ALLOW_PRIVATE", "[\"127.0.0.1/32\"]".into()),
        ("TSUNAGI_HUB__RETRY_SCHEDULE_SECS", "[0.0, 0.5, 1.0]".into()),
        ("TSUNAGI_HUB__DISPATCH_INTERVAL_MS", "100".into()),
        ("TSUNAGI_HUB__BLOCK_MS", "200".into()),
        ("TSUNAGI_HUB__RECLAIM_IDLE_MS", "1000".into()),
        ("TSUNAGI_HUB__DIGEST_WINDOW_SECS", "2".into()),
        ("TSUNAGI_HUB__SMTP_URLS", smtp.to_owned()),
        ("TSUNAGI_HUB__SMTP_TIMEOUT_SECS", "3".into()),
    ]
}

pub async fn start(extra: &[(&'static str, String)]) -> TestEnv {
    let pairs: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestEnv::start_with(&pairs).await.expect("env")
}

pub use tsunagi_tests::hub::emit;

pub(crate) async fn wait_until<F: Fn(&Value) -> bool>(
    c: &tsunagi_tests::Client,
    q: &str,
    vars: Value,
    ok: F,
) -> Value {
    for _ in 0..100 {
        let v = c.ok(q, vars.clone()).await;
        if ok(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.ok(q, vars).await
}

const CREATE_EP: &str = "mutation($u: String!, $t: [String!]!) { createWebhookEndpoint(input: {url: $u, topics: $t}) { secret endpoint { id version } } }";

#[tokio::test]
async fn webhooks_are_signed_retried_disabled_and_replayed() {
    let sink = SmtpSink::start().await.expect("smtp");
    let rx = Receiver::start().await.expect("receiver");
    rx.script("flaky", &[500, 200]);
    rx.script("gone", &[410]);
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let _hub = env.start_hub().expect("hub");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;

    // The SSRF guard: inward addresses are refused unless the platform allows them.
    for bad in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
        "http://127.0.0.2/x",
    ] {
        let b = admin.gql(CREATE_EP, json!({"u": bad, "t": ["*"]})).await;
        assert_eq!(code(&b).as_deref(), Some("VALIDATION"), "{bad}: {b}");
        assert!(b.to_string().contains("input.url"), "names the field: {b}");
    }

    let mut secrets = std::collections::HashMap::new();
    let mut ids = std::collections::HashMap::new();
    for path in ["ok", "flaky", "gone"] {
        let r = admin
            .ok(
                CREATE_EP,
                json!({"u": format!("{}/{path}", rx.base), "t": ["customer.*"]}),
            )
            .await;
        secrets.insert(
            path,
            r["createWebhookEndpoint"]["secret"]
                .as_str()
                .expect("secret")
                .to_owned(),
        );
        ids.insert(
            path,
            r["createWebhookEndpoint"]["endpoint"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    admin.ok("mutation { customerCreate(input: {kind: \"individual\", name: \"Webhook Taro\"}) { customer { id } } }", json!({})).await;

    let ok = rx.wait_for("ok", 1, Duration::from_secs(20)).await;
    assert_eq!(ok.len(), 1, "delivered once");
    let wh = standardwebhooks::Webhook::new(&secrets["ok"]).expect("secret format");
    wh.verify(&ok[0].body, &ok[0].headers)
        .expect("signature verifies with the reference library");
    let other = standardwebhooks::Webhook::new(&secrets["flaky"]).expect("secret");
    assert!(
        other.verify(&ok[0].body, &ok[0].headers).is_err(),
        "another endpoint's secret does not verify"
    );
    let body: Value = serde_json::from_slice(&ok[0].body).expect("json");
    // The TMF688 envelope, with the contract's payload under the resource's name.
    assert_eq!(body["eventType"], "customer.created");
    assert_eq!(body["domain"], "customer");
    assert_eq!(body["tenant"]["slug"], "sakura-mobile");
    assert_eq!(body["event"]["customer"]["schemaVersion"], 1);
    assert!(
        body["event"]["customer"]["customerId"].is_string(),
        "{body}"
    );

    // 500 then 200: retried after the schedule's delay, same message id.
    let flaky = rx.wait_for("flaky", 2, Duration::from_secs(20)).await;
    assert_eq!(flaky.len(), 2, "retried once");
    assert!(
        flaky[1].at - flaky[0].at >= Duration::from_millis(450),
        "waited for the schedule"
    );
    assert_eq!(
        flaky[0].headers["webhook-id"],
        flaky[1].headers["webhook-id"]
    );
    let d = wait_until(&admin, "query($e: ID!) { deliveries(endpointId: $e) { id status attempts { n outcome statusCode } } }",
        json!({"e": ids["flaky"]}), |v| v["deliveries"][0]["status"] == "delivered").await;
    assert_eq!(
        d["deliveries"][0]["attempts"],
        json!([{"n": 1, "outcome": "retryable", "statusCode": 500}, {"n": 2, "outcome": "delivered", "statusCode": 200}])
    );

    // 410: the endpoint is disabled at once, and the tenant is alerted by e-mail.
    let gone = wait_until(
        &admin,
        "query($e: ID!) { webhookEndpoint(id: $e) { status disabledReason } }",
        json!({"e": ids["gone"]}),
        |v| v["webhookEndpoint"]["status"] == "disabled",
    )
    .await;
    assert!(
        gone["webhookEndpoint"]["disabledReason"]
            .as_str()
            .unwrap_or("")
            .contains("410"),
        "{gone}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    // The alert names the endpoint by its origin: a path may hold the receiver's token.
    let alert = mails.iter().find(|m| {
        m["body"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("{}/…", rx.base))
    });
    let alert = alert.unwrap_or_else(|| panic!("an alert names the endpoint: {mails:?}"));
    assert!(!alert.to_string().contains("/gone"), "{alert}");
    assert!(
        alert["rcpt_tos"].to_string().contains("sakura-mobile"),
        "to the tenant's admins: {alert}"
    );
    assert!(
        alert["body"]
            .as_str()
            .unwrap_or("")
            .contains("settings/webhooks"),
        "says where to fix it"
    );

    // Replay: the same message again, with the same id.
    let okd = admin
        .ok(
            "query($e: ID!) { deliveries(endpointId: $e) { id status } }",
            json!({"e": ids["ok"]}),
        )
        .await;
    let okd_id = okd["deliveries"][0]["id"].as_str().expect("id").to_owned();
    let b = admin
        .gql(
            "mutation($d: ID!) { replayDelivery(id: $d) { id } }",
            json!({"d": okd_id}),
        )
        .await;
    assert_eq!(
        code(&b).as_deref(),
        Some("CONFLICT"),
        "a delivered message is not replayed: {b}"
    );
    sqlx::query("UPDATE hub_deliveries SET status = 'failed' WHERE id = $1::uuid")
        .bind(&okd_id)
        .execute(&env.admin)
        .await
        .expect("fail it");
    admin
        .ok(
            "mutation($d: ID!) { replayDelivery(id: $d) { status } }",
            json!({"d": okd_id}),
        )
        .await;
    let again = rx.wait_for("ok", 2, Duration::from_secs(20)).await;
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[0].headers["webhook-id"],
        again[1].headers["webhook-id"]
    );

    // Another MVNO sees none of it and can replay nothing.
    let fuji = s.as_role("fuji-telecom", "tenant_admin").await;
    let theirs = fuji
        .ok(
            "query($e: ID!) { deliveries(endpointId: $e) { id } }",
            json!({"e": ids["ok"]}),
        )
        .await;
    assert_eq!(theirs["deliveries"], json!([]));
    let b = fuji
        .gql(
            "mutation($d: ID!) { replayDelivery(id: $d) { id } }",
            json!({"d": okd_id}),
        )
        .await;
    assert_eq!(code(&b).as_deref(), Some("NOT_FOUND"), "{b}");
}

#[tokio::test]
async fn templates_preview_and_validation() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let topics = admin
        .ok(
            "{ notificationTopics { topic description critical criticalWhen defaultBodyEn sampleData payloadSchema } }",
            json!({}),
        )
        .await;
    let all = topics["notificationTopics"].as_array().expect("list");
    let find = |t: &str| {
        all.iter()
            .find(|x| x["topic"] == t)
            .unwrap_or_else(|| panic!("{t}"))
            .clone()
    };
    let pf = find("payment.failed");
    assert_eq!(pf["critical"], true);
    assert_eq!(pf["criticalWhen"], Value::Null);
    let line = find("line.status_changed");
    assert_eq!(line["criticalWhen"], "when the line becomes suspended");
    assert_eq!(
        line["payloadSchema"]["properties"]["msisdn"]["pattern"],
        "^\\+[1-9][0-9]{7,14}$"
    );
    assert_eq!(line["sampleData"]["schemaVersion"], 1);
    let q = "mutation($i: NotificationTemplatePreviewInput!) { notificationTemplatePreview(input: $i) { subject body } }";
    let p = admin
        .ok(
            q,
            json!({"i": {"template": {"topic": "payment.failed", "channel": "email", "locale": "en",
        "subject": "Payment of {{data.amount|money}} failed", "body": pf["defaultBodyEn"]}}}),
        )
        .await;
    let body = p["notificationTemplatePreview"]["body"]
        .as_str()
        .expect("body");
    assert_eq!(
        p["notificationTemplatePreview"]["subject"],
        "Payment of ¥5,280 failed"
    );
    assert!(
        body.contains("Update your payment method: https://"),
        "{body}"
    );
    assert!(
        body.contains("21 Nov 2026 10:00 JST"),
        "next retry in the tenant's zone: {body}"
    );
    // Both parts' problems are named, with the missing value's full name.
    let bad = admin
        .gql(
            q,
            json!({"i": {"template": {"topic": "payment.failed", "channel": "email", "locale": "en",
        "subject": "{{data.amount|shout}}", "body": "ok\n{{data.nope}}"}}}),
        )
        .await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"));
    let t = bad.to_string();
    assert!(
        t.contains("input.subject")
            && t.contains("shout")
            && t.contains("input.body")
            && t.contains("no value for `data.nope` (line 2)"),
        "{t}"
    );
    // Your own data must be a payload of the topic: it is read with the topic's type.
    let wrong = admin
        .gql(
            q,
            json!({"i": {"template": {"topic": "line.status_changed", "channel": "email", "locale": "ja",
        "subject": "x", "body": "{{ data.msisdn }}"}, "data": {"after": {"status": "suspended"}}}}),
        )
        .await;
    assert_eq!(code(&wrong).as_deref(), Some("VALIDATION"), "{wrong}");
    assert_eq!(
        wrong["errors"][0]["extensions"]["fields"][0]["field"],
        "data"
    );
    let mut mine = line["sampleData"].clone();
    mine["msisdn"] = json!("+818011112222");
    let ok = admin
        .ok(
            q,
            json!({"i": {"template": {"topic": "line.status_changed", "channel": "email", "locale": "ja",
        "subject": "{{ data.msisdn | msisdn }}", "body": "{{ data.to | label }}"}, "data": mine}}),
        )
        .await;
    assert_eq!(
        ok["notificationTemplatePreview"]["subject"],
        "080-1111-2222"
    );
    assert_eq!(ok["notificationTemplatePreview"]["body"], "利用停止中");

    // A tenant fixes a template with the real fields; the pre-contract shape is refused by name.
    let set = "mutation($i: NotificationTemplateInput!) { notificationTemplateSet(input: $i) { template { version } } }";
    let r = admin.gql(set, json!({"i": {"topic": "line.status_changed", "channel": "email", "locale": "ja", "subject": "x", "body": "{{data.after.msisdn}}"}})).await;
    assert_eq!(code(&r).as_deref(), Some("VALIDATION"), "{r}");
    assert!(r.to_string().contains("data.after.msisdn"), "{r}");
    let r = admin.gql(set, json!({"i": {"topic": "payment.failed", "channel": "email", "locale": "ja", "subject": "x", "body": "{% if data.x %}"}})).await;
    assert_eq!(code(&r).as_deref(), Some("VALIDATION"), "{r}");
    let r = admin.gql(set, json!({"i": {"topic": "no.such_topic", "channel": "email", "locale": "ja", "subject": "x", "body": "y"}})).await;
    assert_eq!(
        r["errors"][0]["extensions"]["fields"][0]["field"], "input.topic",
        "{r}"
    );
    let r = admin.ok(set, json!({"i": {"topic": "line.status_changed", "channel": "email", "locale": "ja", "subject": "【{{ tenant.name }}】{{ data.msisdn | msisdn }}", "body": "{{ data.from | label }} → {{ data.to | label }}\n{{ links.line }}"}})).await;
    assert_eq!(r["notificationTemplateSet"]["template"]["version"], 1);
    // The first name still works for one release.
    let old = "mutation($i: NotificationTemplateInput!) { setNotificationTemplate(input: $i) { version } }";
    let r = admin.ok(old, json!({"i": {"topic": "payment.failed", "channel": "email", "locale": "ja", "subject": "【至急】{{data.amount|money}}", "body": "{{links.paymentMethod}}"}})).await;
    assert_eq!(r["setNotificationTemplate"]["version"], 1);
    let support = s.as_role("sakura-mobile", "support").await;
    assert_eq!(code(&support.gql(set, json!({"i": {"topic": "payment.failed", "channel": "email", "locale": "ja", "subject": "x", "body": "y"}})).await).as_deref(), Some("FORBIDDEN"));
}

/// During a rotation's overlap both secrets sign (two `v1,` signatures, each verifying with
/// its secret); after an overlap of zero only the new one does. An endpoint that never
/// succeeds for the failing window is disabled, and the tenant's admins are alerted.
#[tokio::test]
async fn rotation_signs_twice_and_a_failing_endpoint_is_disabled_after_the_window() {
    use std::collections::HashSet;
    let rx = Receiver::start().await.expect("receiver");
    rx.script("down", &[500]);
    let mut cfg = hub_env("smtp://127.0.0.1:9");
    cfg.push(("TSUNAGI_HUB__ENDPOINT_DISABLE_AFTER_SECS", "2".into()));
    cfg.push((
        "TSUNAGI_HUB__RETRY_SCHEDULE_SECS",
        "[0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]".into(),
    ));
    let env = start(&cfg).await;
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let create = "mutation($u: String!) { webhookEndpointCreate(input: {url: $u, topics: [\"plan.*\"]}) { secret endpoint { id } } }";
    let ok = admin
        .ok(create, json!({ "u": format!("{}/ok", rx.base) }))
        .await;
    let first = ok["webhookEndpointCreate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let id = ok["webhookEndpointCreate"]["endpoint"]["id"].clone();
    let rotate = "mutation($e: ID!, $v: Int!, $h: Int!) { webhookEndpointSecretRotate(input: {id: $e, version: $v, overlapHours: $h}) { secret endpoint { version previousSecretUntil } } }";
    let r = admin.ok(rotate, json!({ "e": id, "v": 1, "h": 24 })).await;
    let second = r["webhookEndpointSecretRotate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(r["webhookEndpointSecretRotate"]["endpoint"]["previousSecretUntil"].is_string());
    let down = admin
        .ok(create, json!({ "u": format!("{}/down", rx.base) }))
        .await;
    let down_id = down["webhookEndpointCreate"]["endpoint"]["id"].clone();
    admin
        .ok("mutation { notificationRuleCreate(input: {topic: \"webhook.endpoint_disabled\", audience: \"role\", role: \"tenant_admin\", channel: \"console\"}) { rule { id } } }", json!({}))
        .await;
    let _hub = env.start_hub().expect("hub");
    let plan = |code: &str| {
        format!(
            "mutation {{ planCreate(input: {{code: \"{code}\", name: \"P\", allowedOptionIds: [], price: {{monthlyFee: 100, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}}}) {{ plan {{ id }} }} }}"
        )
    };
    admin.ok(&plan("ROT-1"), json!({})).await;
    let hits = rx.wait_for("ok", 1, Duration::from_secs(20)).await;
    let sig = hits[0].headers["webhook-signature"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let sigs: HashSet<&str> = sig.split(' ').collect();
    assert_eq!(sigs.len(), 2, "both secrets sign during the overlap: {sig}");
    for secret in [&first, &second] {
        let wh = standardwebhooks::Webhook::new(secret).expect("secret");
        wh.verify(&hits[0].body, &hits[0].headers)
            .expect("each secret verifies");
    }
    // Rotating again with no overlap: only the newest signs; the first no longer verifies.
    let r = admin.ok(rotate, json!({ "e": id, "v": 2, "h": 0 })).await;
    let third = r["webhookEndpointSecretRotate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    admin.ok(&plan("ROT-2"), json!({})).await;
    let hits = rx.wait_for("ok", 2, Duration::from_secs(20)).await;
    let h = &hits[1];
    assert_eq!(
        h.headers["webhook-signature"]
            .to_str()
            .expect("ascii")
            .split(' ')
            .count(),
        1
    );
    standardwebhooks::Webhook::new(&third)
        .expect("secret")
        .verify(&h.body, &h.headers)
        .expect("new secret");
    assert!(
        standardwebhooks::Webhook::new(&first)
            .expect("secret")
            .verify(&h.body, &h.headers)
            .is_err()
    );

    // The endpoint that answers 500 fails past the two-second window and is disabled.
    let d = wait_until(
        &admin,
        "query($e: ID!) { webhookEndpoint(id: $e) { status disabledReason } }",
        json!({ "e": down_id }),
        |v| v["webhookEndpoint"]["status"] == "disabled",
    )
    .await;
    assert!(
        d["webhookEndpoint"]["disabledReason"]
            .as_str()
            .unwrap_or("")
            .starts_with("failing since"),
        "{d}"
    );
    let alerts = wait_until(
        &admin,
        "{ deliveries(channel: \"console\") { topic status } }",
        json!({}),
        |v| {
            v["deliveries"]
                .as_array()
                .is_some_and(|a| a.iter().any(|d| d["topic"] == "webhook.endpoint_disabled"))
        },
    )
    .await;
    assert!(alerts.to_string().contains("delivered"), "{alerts}");
}
