//! E-mail as mail providers and people expect it: Message-ID, Date, a text and an HTML part,
//! the recipient's language, one-click unsubscribe (RFC 8058) that really stops the next
//! message (for a customer's own address and for a user) but never a critical alert; a
//! tenant's own providers tried in order when the first really fails, its sender and its
//! DKIM signature (verified by dkimpy); and the fallback channel when e-mail fails for good.

use crate::notifications::{emit, hub_env, start, wait_until};
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Duration;
use tsunagi_core::events::{Event, Topic};
use tsunagi_tests::hub::SmtpSink;
use tsunagi_tests::{Client, code, ws};

const RULE: &str = "mutation($t: String!, $a: String!, $r: String, $c: String!, $f: String) { notificationRuleCreate(input: {topic: $t, audience: $a, role: $r, channel: $c, fallbackChannel: $f}) { rule { id } } }";

fn header<'a>(m: &'a Value, h: &str) -> &'a str {
    m["headers"][h].as_str().unwrap_or("")
}

async fn customer(admin: &Client, email: &str, locale: &str) -> uuid::Uuid {
    let c = admin
        .ok("mutation($e: String!, $l: String!) { customerCreate(input: {kind: \"business\", name: \"大阪商事株式会社\", email: $e, locale: $l}) { customer { id locale } } }", json!({ "e": email, "l": locale }))
        .await;
    assert_eq!(c["customerCreate"]["customer"]["locale"], locale);
    c["customerCreate"]["customer"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

fn invoice_for(customer: uuid::Uuid) -> Event {
    match Topic::InvoiceIssued.example() {
        Event::InvoiceIssued(mut p) => {
            p.customer_id = customer;
            p.invoice_id = uuid::Uuid::now_v7();
            Event::InvoiceIssued(p)
        }
        other => other,
    }
}

fn payment_for(customer: uuid::Uuid) -> Event {
    match Topic::PaymentFailed.example() {
        Event::PaymentFailed(mut p) => {
            p.customer_id = customer;
            p.payment_id = uuid::Uuid::now_v7();
            Event::PaymentFailed(p)
        }
        other => other,
    }
}

/// The one-click link's path on this server (the configured public URL is the operator's).
fn link_path(m: &Value) -> String {
    let h = header(m, "List-Unsubscribe");
    let url = h.trim_start_matches('<').trim_end_matches('>');
    let i = url
        .find("/notifications/unsubscribe/")
        .expect("unsubscribe path");
    url[i..].to_owned()
}

#[tokio::test]
async fn messages_carry_what_providers_expect_and_unsubscribe_in_one_click() {
    let sink = SmtpSink::start().await.expect("smtp");
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    for (t, a, r) in [
        ("invoice.issued", "customer_admins", None),
        ("payment.failed", "customer_admins", None),
        ("plan.*", "role", Some("billing")),
    ] {
        admin
            .ok(RULE, json!({ "t": t, "a": a, "r": r, "c": "email" }))
            .await;
    }
    let c = customer(&admin, "keiri@osaka-shoji.example", "en").await;
    let _hub = env.start_hub().expect("hub");
    emit(&env, &tenant, invoice_for(c)).await;
    emit(&env, &tenant, payment_for(c)).await;
    let mails = sink.wait_for(2, Duration::from_secs(30)).await;
    let by_topic = |t: &str| {
        mails
            .iter()
            .find(|m| header(m, "X-Tsunagi-Topic") == t)
            .unwrap_or_else(|| panic!("{t}: {mails:?}"))
            .clone()
    };
    let inv = by_topic("invoice.issued");
    // The customer chose English: its own address reads English.
    assert_eq!(header(&inv, "Content-Language"), "en");
    assert!(
        inv["subject"]
            .as_str()
            .unwrap_or("")
            .starts_with("[Sakura Mobile] Your invoice"),
        "{inv}"
    );
    assert!(
        header(&inv, "Message-ID").starts_with('<')
            && header(&inv, "Message-ID").ends_with("@tsunagi.example>"),
        "{inv}"
    );
    assert!(!header(&inv, "Date").is_empty());
    assert_eq!(inv["content_type"], "multipart/alternative");
    assert!(
        inv["body"]
            .as_str()
            .unwrap_or("")
            .contains("View your invoices: https://portal.tsunagi.example/billing/invoices")
    );
    let html = inv["html"].as_str().unwrap_or("");
    assert!(
        html.contains("<a href=\"https://portal.tsunagi.example/billing/invoices\">"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert_eq!(
        header(&inv, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    // A critical alert has no way out, and says it is important.
    let pay = by_topic("payment.failed");
    assert_eq!(header(&pay, "List-Unsubscribe"), "");
    assert_eq!(header(&pay, "Importance"), "high");

    // The link: GET shows what it will do; a tampered token is refused; POST does it.
    let http = reqwest::Client::new();
    let path = link_path(&inv);
    let page = http
        .get(format!("{}{path}", env.base))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let text = page.text().await.expect("page");
    assert!(
        text.contains("keiri@osaka-shoji.example") && text.contains("invoice.issued"),
        "{text}"
    );
    let tampered = format!("{}{}x", env.base, path);
    let bad = http
        .post(tampered)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    let done = http
        .post(format!("{}{path}", env.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 200);
    // The next invoice is not sent to that address; the next failed payment still is.
    let next = emit(&env, &tenant, invoice_for(c)).await;
    let crit = emit(&env, &tenant, payment_for(c)).await;
    let d = wait_until(
        &admin,
        "query($e: ID!) { deliveries(eventId: $e) { status reason } }",
        json!({ "e": next }),
        |v| v["deliveries"][0]["status"] == "skipped",
    )
    .await;
    assert!(
        d["deliveries"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("opted out"),
        "{d}"
    );
    wait_until(
        &admin,
        "query($e: ID!) { deliveries(eventId: $e) { status } }",
        json!({ "e": crit }),
        |v| v["deliveries"][0]["status"] == "delivered",
    )
    .await;
    let audit = admin
        .ok(
            "{ auditLog(first: 50) { edges { node { action actorLabel } } } }",
            json!({}),
        )
        .await;
    assert!(
        audit.to_string().contains("notification.unsubscribe"),
        "{audit}"
    );
    // Support sees why the address gets no invoices, and lifts it when asked: the next
    // invoice reaches it again.
    let list = "query($a: String) { notificationSuppressions(address: $a) { address topic } }";
    let l = admin.ok(list, json!({ "a": "OSAKA-shoji" })).await;
    assert_eq!(
        l["notificationSuppressions"],
        json!([{ "address": "keiri@osaka-shoji.example", "topic": "invoice.issued" }]),
        "{l}"
    );
    let lift = "mutation($a: String!) { notificationSuppressionLift(input: {address: $a, topic: \"invoice.issued\", reason: \"asked by phone\"}) { address } }";
    admin
        .ok(lift, json!({ "a": "keiri@osaka-shoji.example" }))
        .await;
    let again = admin
        .gql(lift, json!({ "a": "keiri@osaka-shoji.example" }))
        .await;
    assert_eq!(code(&again).as_deref(), Some("NOT_FOUND"), "{again}");
    let l = admin.ok(list, json!({})).await;
    assert_eq!(l["notificationSuppressions"], json!([]), "{l}");
    let back = emit(&env, &tenant, invoice_for(c)).await;
    wait_until(
        &admin,
        "query($e: ID!) { deliveries(eventId: $e) { status } }",
        json!({ "e": back }),
        |v| v["deliveries"][0]["status"] == "delivered",
    )
    .await;

    // A staff user's link sets the user's own preference.
    admin
        .ok("mutation { planCreate(input: {code: \"U-1\", name: \"Unsub\", allowedOptionIds: [], price: {monthlyFee: 100, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { plan { id } } }", json!({}))
        .await;
    let billing_mail = loop {
        let m = sink.messages();
        if let Some(x) = m
            .iter()
            .find(|m| header(m, "X-Tsunagi-Topic") == "plan.created")
        {
            break x.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let done = http
        .post(format!("{}{}", env.base, link_path(&billing_mail)))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 200);
    let billing = s.as_role("sakura-mobile", "billing").await;
    let prefs = billing
        .ok(
            "{ myNotificationPreferences { topic channel optedOut } }",
            json!({}),
        )
        .await;
    assert!(
        prefs["myNotificationPreferences"]
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p["topic"] == "plan.created"
                && p["channel"] == "email"
                && p["optedOut"] == true),
        "{prefs}"
    );
}

#[tokio::test]
async fn a_tenants_providers_fail_over_in_order_and_its_mail_is_dkim_signed() {
    let failing = SmtpSink::start_failing().await.expect("failing provider");
    let own = SmtpSink::start().await.expect("tenant's provider");
    let platform = SmtpSink::start().await.expect("platform's provider");
    let mut cfg = hub_env(&platform.url());
    cfg.push(("TSUNAGI_HUB__TENANT_MAIL_TTL_SECS", "0".into()));
    let env = start(&cfg).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    admin
        .ok(
            RULE,
            json!({ "t": "invoice.issued", "a": "customer_admins", "r": null, "c": "email" }),
        )
        .await;
    let c = customer(&admin, "keiri@osaka-shoji.example", "ja").await;

    // Refusals name the field.
    let add = "mutation($n: String!, $u: String!) { notificationSmtpProviderAdd(input: {name: $n, url: $u}) { id position } }";
    for (url, why) in [
        ("http://127.0.0.1:25", "smtp"),
        ("smtp://10.1.2.3:25", "private"),
    ] {
        let r = admin.gql(add, json!({ "n": "x", "u": url })).await;
        assert_eq!(code(&r).as_deref(), Some("VALIDATION"), "{r}");
        assert_eq!(
            r["errors"][0]["extensions"]["fields"][0]["field"], "input.url",
            "{r}"
        );
        assert!(r.to_string().contains(why), "{url}: {r}");
    }
    let set = "mutation($i: MailSettingsInput!) { notificationMailSettingsSet(input: $i) { fromAddress dkimDomain dkimConfigured version providers { name position } } }";
    let r = admin.gql(set, json!({ "i": {"version": 0, "dkimDomain": "sakura-mobile.example", "dkimSelector": "tsunagi", "dkimPrivateKey": "ed25519:not-a-key"} })).await;
    assert_eq!(
        r["errors"][0]["extensions"]["fields"][0]["field"], "input.dkimPrivateKey",
        "{r}"
    );
    // A signature on another domain than the sender's would fail DMARC at every receiver.
    let r = admin.gql(set, json!({ "i": {"version": 0, "fromAddress": "noreply@other.example", "dkimDomain": "sakura-mobile.example", "dkimSelector": "tsunagi"} })).await;
    let f = &r["errors"][0]["extensions"]["fields"][0];
    assert_eq!(f["field"], "input.dkimDomain", "{r}");
    assert!(
        f["reason"]
            .as_str()
            .is_some_and(|x| x.contains("does not align with the From domain other.example")),
        "{r}"
    );

    // The tenant's providers, in order: the first is up but fails, the second accepts.
    admin
        .ok(add, json!({ "n": "primary", "u": failing.url() }))
        .await;
    let second = admin
        .ok(add, json!({ "n": "secondary", "u": own.url() }))
        .await;
    assert_eq!(second["notificationSmtpProviderAdd"]["position"], 2);
    let seed: [u8; 32] = rand::random();
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let b64 = base64::engine::general_purpose::STANDARD;
    let set_ok = admin
        .ok(set, json!({ "i": {"version": 0, "fromAddress": "Sakura Mobile <noreply@sakura-mobile.example>", "dkimDomain": "sakura-mobile.example", "dkimSelector": "tsunagi", "dkimPrivateKey": format!("ed25519:{}", b64.encode(seed))} }))
        .await;
    let st = &set_ok["notificationMailSettingsSet"];
    assert_eq!(st["dkimConfigured"], true);
    assert_eq!(st["providers"].as_array().map(Vec::len), Some(2));
    assert!(
        !set_ok.to_string().contains("ed25519:"),
        "the key is never shown"
    );
    own.publish_dkim(
        "tsunagi",
        "sakura-mobile.example",
        &format!(
            "v=DKIM1; k=ed25519; p={}",
            b64.encode(signing.verifying_key().to_bytes())
        ),
    );

    let _hub = env.start_hub().expect("hub");
    let ev = emit(&env, &tenant, invoice_for(c)).await;
    let got = own.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 1, "the second provider took it");
    let m = &got[0];
    assert!(
        header(m, "From").contains("noreply@sakura-mobile.example"),
        "{m}"
    );
    assert!(
        header(m, "DKIM-Signature").contains("d=sakura-mobile.example"),
        "{m}"
    );
    assert_eq!(m["dkim"], true, "dkimpy verifies the signature: {m}");
    assert!(failing.messages().is_empty() && platform.messages().is_empty());
    let d = wait_until(
        &admin,
        "query($e: ID!) { deliveries(eventId: $e) { status provider attempts { error } } }",
        json!({ "e": ev }),
        |v| v["deliveries"][0]["status"] == "delivered",
    )
    .await;
    assert!(
        d["deliveries"][0]["provider"]
            .as_str()
            .unwrap_or("")
            .starts_with("secondary"),
        "{d}"
    );

    // Without providers of its own, the tenant's mail goes through the platform's.
    let settings = admin
        .ok(
            "{ notificationMailSettings { providers { id } } }",
            json!({}),
        )
        .await;
    for p in settings["notificationMailSettings"]["providers"]
        .as_array()
        .expect("list")
    {
        admin
            .ok(
                "mutation($i: ID!) { notificationSmtpProviderRemove(input: {id: $i}) { id } }",
                json!({ "i": p["id"] }),
            )
            .await;
    }
    emit(&env, &tenant, invoice_for(c)).await;
    assert_eq!(platform.wait_for(1, Duration::from_secs(30)).await.len(), 1);
}

#[tokio::test]
async fn an_email_that_fails_for_good_falls_back_to_the_console() {
    let sink = SmtpSink::start().await.expect("smtp");
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    // A billing clerk whose mailbox the provider refuses (550): the e-mail really fails.
    admin
        .ok("mutation { userCreate(input: {email: \"bounce-billing@sakura-mobile.example\", displayName: \"Bounce\", password: \"a-long-enough-password\", roles: [\"billing\"]}) { user { id } } }", json!({}))
        .await;
    let clerk = tsunagi_tests::seed::login(
        &s.base,
        "sakura-mobile",
        "bounce-billing@sakura-mobile.example",
        "a-long-enough-password",
    )
    .await;
    let token = clerk["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    admin
        .ok(
            RULE,
            json!({ "t": "plan.*", "a": "role", "r": "billing", "c": "email", "f": "console" }),
        )
        .await;
    let mut console = ws::connect(&s.base, Some(&token)).await;
    ws::next_json(&mut console, Duration::from_secs(5)).await;
    ws::subscribe(
        &mut console,
        "a",
        "subscription { alerts { topic recipient subject } }",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _hub = env.start_hub().expect("hub");
    admin
        .ok("mutation { planCreate(input: {code: \"FB-1\", name: \"Fallback\", allowedOptionIds: [], price: {monthlyFee: 100, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { plan { id } } }", json!({}))
        .await;
    let mut got = None;
    while let Some(m) = ws::next_json(&mut console, Duration::from_secs(20)).await {
        let a = m["payload"]["data"]["alerts"].clone();
        if a["topic"] == "plan.created"
            && a["recipient"]
                .as_str()
                .is_some_and(|r| r.starts_with("user:"))
        {
            got = Some(a);
            break;
        }
    }
    let a = got.expect("the fallback alert reaches the clerk's console");
    assert!(
        a["subject"].as_str().unwrap_or("").contains("Fallback"),
        "{a}"
    );
    let d = admin
        .ok(
            "{ deliveries(channel: \"email\", status: \"failed\") { recipient lastError } }",
            json!({}),
        )
        .await;
    assert!(
        d.to_string()
            .contains("bounce-billing@sakura-mobile.example")
            && d.to_string().contains("550"),
        "{d}"
    );
}
