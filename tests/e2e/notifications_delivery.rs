//! E-mail by the rules: a failed payment reaches the customer in Japanese with the next
//! action; a staff opt-out skips a routine alert but not a critical one; quota alerts are
//! sent once per line, threshold and cycle, and a burst arrives as one digest.

use crate::notifications::{emit, hub_env, start};
use serde_json::{Value, json};
use std::time::Duration;
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

    let mut pf = tsunagi_hub::topics::sample_payload("payment.failed");
    pf["customer_id"] = json!(customer);
    let pf_event = emit(
        &env,
        &tenant,
        "payment.failed",
        ("invoice", "INV-2026-11-000123"),
        pf,
    )
    .await;
    emit(&env, &tenant, "invoice.issued", ("invoice", "INV-2026-11-000124"),
        json!({"invoice_id": "INV-2026-11-000124", "amount": {"minor": 3300, "currency": "JPY"}, "due_date": "2026-11-30T00:00:00Z", "period": "2026-10", "customer_id": customer})).await;
    let lines: Vec<String> = (0..30)
        .map(|i| uuid::Uuid::from_u128(0xabc0 + i).to_string())
        .collect();
    for (i, l) in lines.iter().enumerate() {
        emit(&env, &tenant, "quota.threshold_reached", ("line", l.as_str()),
            json!({"line_id": l, "customer_id": customer, "msisdn": format!("+8190000010{i:02}"), "threshold": 80, "cycle": "2026-11"})).await;
    }
    // The same line crossing 80 % again in the cycle (a billing re-run) is not alerted twice.
    let dup = emit(&env, &tenant, "quota.threshold_reached", ("line", lines[0].as_str()),
        json!({"line_id": lines[0], "customer_id": customer, "msisdn": "+819000001000", "threshold": 80, "cycle": "2026-11"})).await;

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
        "次回の自動再請求: 2026年11月24日 19:00",
        "2026年12月1日 09:00 までに",
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
            .filter(|i| qb.contains(&format!("+8190000010{i:02}")))
            .count(),
        30,
        "{qb}"
    );
}
