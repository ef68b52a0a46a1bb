//! E-mail by the rules: a failed payment reaches the customer in Japanese with the next
//! action; a staff opt-out skips a routine alert but not a critical one; quota alerts are
//! sent once per line, threshold and cycle, and a burst arrives as one digest.

use crate::notifications::{emit, hub_env, start};
use serde_json::{Value, json};
use std::time::Duration;
use tsunagi_core::events::{E164, Event, Money, Topic};
use tsunagi_tests::code;
use tsunagi_tests::hub::SmtpSink;

fn mail_to<'a>(mails: &'a [Value], addr: &str) -> Vec<&'a Value> {
    mails
        .iter()
        .filter(|m| m["rcpt_tos"].to_string().contains(addr))
        .collect()
}

#[tokio::test]
async fn email_alerts_follow_rules_preferences_and_digests() {
    let sink = SmtpSink::start().await.expect("smtp");
    let env = start(&hub_env(&sink.url())).await;
    let s = env.seed().await.expect("seed");
    let tenant = s.tenant("sakura-mobile").to_owned();
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let billing = s.as_role("sakura-mobile", "billing").await;
    let billing_email =
        billing.ok("{ viewer { user { email } } }", json!({})).await["viewer"]["user"]["email"]
            .as_str()
            .expect("email")
            .to_owned();
    let rule = "mutation($t: String!, $a: String!, $r: String) { createNotificationRule(input: {topic: $t, audience: $a, role: $r, channel: \"email\"}) { id } }";
    for (t, a, r) in [
        ("payment.failed", "customer_admins", None),
        ("payment.failed", "role", Some("billing")),
        ("invoice.issued", "role", Some("billing")),
        ("quota.threshold_reached", "customer_admins", None),
    ] {
        admin.ok(rule, json!({"t": t, "a": a, "r": r})).await;
    }
    let bad = admin
        .gql(rule, json!({"t": "payment.failed", "a": "role", "r": null}))
        .await;
    assert_eq!(
        code(&bad).as_deref(),
        Some("VALIDATION"),
        "role audience needs a role: {bad}"
    );
    // Billing opts out of everything non-critical by e-mail; opting out of a critical topic is refused.
    billing.ok("mutation { setMyNotificationPreference(topic: \"*\", channel: \"email\", optedOut: true) { optedOut } }", json!({})).await;
    let refused = billing.gql("mutation { setMyNotificationPreference(topic: \"payment.failed\", channel: \"email\", optedOut: true) { optedOut } }", json!({})).await;
    assert_eq!(code(&refused).as_deref(), Some("VALIDATION"), "{refused}");
    let c = admin.ok("mutation { customerCreate(input: {kind: \"business\", name: \"大阪商事株式会社\", email: \"keiri@osaka-shoji.example\"}) { customer { id } } }", json!({})).await;
    let customer = c["customerCreate"]["customer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let _hub = env.start_hub().expect("hub");

    let customer_id: uuid::Uuid = customer.parse().expect("uuid");
    let Event::PaymentFailed(mut pf) = Topic::PaymentFailed.example() else {
        panic!("example of another topic")
    };
    pf.customer_id = customer_id;
    let pf_event = emit(&env, &tenant, Event::PaymentFailed(pf)).await;
    let Event::InvoiceIssued(mut inv) = Topic::InvoiceIssued.example() else {
        panic!("example of another topic")
    };
    inv.customer_id = customer_id;
    inv.amount = Money::jpy(3300);
    emit(&env, &tenant, Event::InvoiceIssued(inv)).await;
    let quota = |i: u128, line: uuid::Uuid| {
        let Event::QuotaThresholdReached(mut q) = Topic::QuotaThresholdReached.example() else {
            panic!("example of another topic")
        };
        q.line_id = line;
        q.customer_id = customer_id;
        q.msisdn = E164::from_digits(&format!("8190000010{i:02}"));
        Event::QuotaThresholdReached(q)
    };
    let lines: Vec<uuid::Uuid> = (0..30).map(|i| uuid::Uuid::from_u128(0xabc0 + i)).collect();
    for (i, l) in lines.iter().enumerate() {
        emit(&env, &tenant, quota(i as u128, *l)).await;
    }
    // The same line crossing 80 % again in the cycle (a billing re-run) is not alerted twice.
    let dup = emit(&env, &tenant, quota(0, lines[0])).await;

    let mails = sink.wait_for(3, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = if mails.len() < 3 {
        mails
    } else {
        sink.messages()
    };
    let to_customer = mail_to(&mails, "keiri@osaka-shoji.example");
    let payment = to_customer
        .iter()
        .find(|m| m["subject"].as_str().unwrap_or("").contains("お支払い"))
        .unwrap_or_else(|| panic!("payment mail: {mails:?}"));
    let body = payment["body"].as_str().expect("body");
    assert_eq!(payment["headers"]["Content-Language"], "ja");
    assert_eq!(payment["headers"]["Auto-Submitted"], "auto-generated");
    assert_eq!(payment["headers"]["X-Tsunagi-Event"], pf_event.to_string());
    assert!(
        payment["subject"]
            .as_str()
            .unwrap_or("")
            .contains("5,280円"),
        "{payment}"
    );
    for needle in [
        "5,280円",
        "お支払い方法を更新してください: https://portal.tsunagi.example/billing/payment-method",
        "次回の自動再請求: 2026年11月21日 10:00",
        "2026年11月22日 00:00 までに",
    ] {
        assert!(
            body.contains(needle),
            "payment mail says {needle:?}: {body}"
        );
    }
    // Critical: billing gets it despite opting out; the routine invoice mail is skipped.
    let to_billing = mail_to(&mails, &billing_email);
    assert_eq!(
        to_billing.len(),
        1,
        "only the critical alert reaches billing: {to_billing:?}"
    );
    let skipped = admin
        .ok(
            "{ deliveries(status: \"skipped\") { topic recipient reason eventId } }",
            json!({}),
        )
        .await;
    let skipped = skipped["deliveries"].as_array().expect("list");
    assert!(
        skipped.iter().any(|d| d["topic"] == "invoice.issued"
            && d["reason"].as_str().unwrap_or("").contains("opted out")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|d| d["eventId"] == dup.to_string()
            && d["reason"]
                .as_str()
                .unwrap_or("")
                .contains("already alerted")),
        "{skipped:?}"
    );
    // Thirty lines crossed 80 % within the window: one digest listing all of them.
    let quota: Vec<_> = to_customer
        .iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("データ容量"))
        .collect();
    assert_eq!(quota.len(), 1, "one digest: {quota:?}");
    assert!(
        quota[0]["subject"]
            .as_str()
            .unwrap_or("")
            .contains("30回線"),
        "{}",
        quota[0]
    );
    let qb = quota[0]["body"].as_str().expect("body");
    assert_eq!(
        (0..30)
            .filter(|i| qb.contains(&format!("090-0000-10{i:02}")))
            .count(),
        30,
        "{qb}"
    );
}
