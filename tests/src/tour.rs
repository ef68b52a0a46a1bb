//! A tour of every producer: the real mutations (and the worker activations and hub
//! reactions they cause) that emit each topic of the event contract, in one tenant. The
//! event tour test checks what arrives from them; topics whose producers come with later
//! capabilities (billing, payments, usage, incidents) are written as their producers will.

use crate::ledger::{self, approve};
use crate::plugins::{activate, upload};
use crate::{Client, Seeded, TestEnv};
use serde_json::{Value, json};
use tsunagi_core::events::{Event, Topic};

const TENANT: &str = "sakura-mobile";

fn id(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path:?} in {v}"))
        .to_owned()
}

/// Catalog, stock, customers, orders, approvals (executed, rejected, failed, expired) and
/// the line's life: suspension, SIM swap, options, plan change, termination.
pub async fn ledger_producers(env: &TestEnv, s: &Seeded, admin: &Client) -> ledger::Ledger {
    let l = ledger::build(s, TENANT, 41).await;
    let support = s.as_role(TENANT, "support").await;
    admin
        .ok("mutation($p: ID!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 3280, dataMb: 3072, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { price { id } } }", json!({ "p": l.plan }))
        .await;
    admin
        .ok("mutation($c: ID!, $o: ID!) { orderOptionRemove(input: {contractId: $c, optionId: $o}) { order { status } } }", json!({ "c": l.contract, "o": l.option }))
        .await;
    let plus = admin
        .ok("mutation { planCreate(input: {code: \"PLUS-10G\", name: \"Plus 10GB\", allowedOptionIds: [], price: {monthlyFee: 3980, dataMb: 10240, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { plan { id } } }", json!({}))
        .await;
    let plus = id(&plus, &["planCreate", "plan", "id"]);
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": plus }),
        )
        .await;
    admin
        .ok("mutation($c: ID!, $p: ID!) { orderPlanChange(input: {contractId: $c, planId: $p}) { order { status } } }", json!({ "c": l.contract, "p": plus }))
        .await;
    admin
        .ok(
            "mutation($p: ID!) { planRetire(input: {id: $p, version: 2}) { plan { status } } }",
            json!({ "p": plus }),
        )
        .await;
    admin
        .ok("mutation($l: ID!, $i: String!) { orderSimSwap(input: {lineId: $l, iccid: $i}) { order { status } } }", json!({ "l": l.line, "i": l.iccids[1] }))
        .await;
    admin
        .ok("mutation($e: ID!) { esimProfileSetStatus(input: {id: $e, status: ALLOCATED}) { esimProfile { status } } }", json!({ "e": l.esim }))
        .await;
    admin
        .ok("mutation { devicesAdd(input: {items: [{imei: \"490154203237518\", model: \"Pixel\"}]}) { added } }", json!({}))
        .await;
    // The pending suspension is rejected (its order cancelled).
    s.as_role(TENANT, "approver")
        .await
        .ok("mutation($a: ID!) { approvalReject(input: {id: $a, note: \"the customer found the phone\"}) { approvalRequest { status } } }", json!({ "a": l.approval }))
        .await;
    // Two requests on one line: the termination runs, the suspension then cannot.
    let term = support
        .ok("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"moving abroad\"}) { approvalRequest { id } } }", json!({ "l": l.line }))
        .await;
    let sus = support
        .ok("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"lost phone\"}) { approvalRequest { id } } }", json!({ "l": l.line }))
        .await;
    let t = approve(
        s,
        TENANT,
        &id(&term, &["lineTerminate", "approvalRequest", "id"]),
    )
    .await;
    assert_eq!(t["status"], "EXECUTED", "{t}");
    let f = approve(
        s,
        TENANT,
        &id(&sus, &["lineSuspend", "approvalRequest", "id"]),
    )
    .await;
    assert_eq!(f["status"], "FAILED", "{f}");
    // A request nobody decides expires (the worker's activation).
    let c = admin
        .ok("mutation { customerCreate(input: {kind: \"business\", name: \"Kobe Foods\", email: \"info@kobe-foods.example\", locale: \"en\"}) { customer { id } } }", json!({}))
        .await;
    let c = id(&c, &["customerCreate", "customer", "id"]);
    admin
        .ok(
            "mutation($c: ID!) { kycSubmit(input: {customerId: $c}) { customer { id } } }",
            json!({ "c": c }),
        )
        .await;
    let k = admin
        .ok(
            "mutation($c: ID!) { kycVerify(input: {customerId: $c}) { approvalRequest { id } } }",
            json!({ "c": c }),
        )
        .await;
    sqlx::query(
        "UPDATE approval_requests SET expires_at = now() - interval '1 minute' WHERE id = $1::uuid",
    )
    .bind(id(&k, &["kycVerify", "approvalRequest", "id"]))
    .execute(&env.admin)
    .await
    .expect("backdate");
    let n = tsunagi_app::approvals::expire_overdue(&env.running.app)
        .await
        .expect("expire");
    assert_eq!(n, 1);
    // Usage re-rated after a price correction, by its producer: one SMS taken and rated at
    // 3 yen, a price version from its time at 5 yen, the quote, then the re-rating.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    admin
        .ok(
            "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted } } }",
            json!({ "r": [{ "recordId": "tour-sms-1", "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic" }] }),
        )
        .await;
    admin
        .ok(
            "mutation($p: ID!, $from: DateTime!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 2980, dataMb: 3072, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 5, validFrom: $from}}) { price { id } } }",
            json!({ "p": l.plan, "from": at }),
        )
        .await;
    let q = admin
        .ok(
            "query($l: ID!) { usageRerateQuote(lineId: $l) { after } }",
            json!({ "l": l.line }),
        )
        .await;
    admin
        .ok(
            "mutation($l: ID!, $e: Int!) { usageRerate(input: {lineId: $l, expectedAfter: $e}) { rerating { applied } } }",
            json!({ "l": l.line, "e": q["usageRerateQuote"]["after"] }),
        )
        .await;
    // The billing, payments, usage and incident producers arrive later; their events are
    // written as they will write them, about this ledger's customer and line.
    let tenant = s.tenant(TENANT).to_owned();
    let customer: uuid::Uuid = l.customer.parse().expect("uuid");
    let line: uuid::Uuid = l.line.parse().expect("uuid");
    for t in [
        Topic::InvoiceIssued,
        Topic::PaymentFailed,
        Topic::QuotaThresholdReached,
        Topic::IncidentOutage,
    ] {
        let ev = match t.example() {
            Event::InvoiceIssued(mut p) => {
                p.customer_id = customer;
                Event::InvoiceIssued(p)
            }
            Event::PaymentFailed(mut p) => {
                p.customer_id = customer;
                Event::PaymentFailed(p)
            }
            Event::QuotaThresholdReached(mut p) => {
                (p.customer_id, p.line_id) = (customer, line);
                Event::QuotaThresholdReached(p)
            }
            other => other,
        };
        crate::hub::emit(env, &tenant, ev).await;
    }
    l
}

/// The carrier, connected to the simulator: a new line whose activation the carrier keeps
/// refusing parks (`carrier.step_exhausted`), a person's retry activates it, and a
/// reconciliation run finds it suspended at the carrier behind our back
/// (`carrier.drift_found`). Runs last: the tenant's carrier stays connected.
pub async fn carrier_producers(env: &TestEnv, s: &Seeded, admin: &Client, l: &ledger::Ledger) {
    use crate::carrier::{self, CarrierSim, wait_status};
    use std::time::Duration;
    let within = Duration::from_secs(30);
    let sim = CarrierSim::start(tsunagi_carrier::sim::Faults {
        error_rate: 1.0,
        ..Default::default()
    })
    .await;
    let tenant = s.tenant(TENANT).to_owned();
    let secret = carrier::connect(admin, &sim, &env.base, &tenant).await;
    let o = admin
        .ok(
            "mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { lineId } } }",
            json!({ "c": l.customer, "p": l.plan, "i": l.iccids[2] }),
        )
        .await;
    let line = id(&o, &["orderNewLine", "order", "lineId"]);
    let ln = wait_status(admin, &line, "NEEDS_REVIEW", within).await;
    let job = ln["provisioningJobs"][0]["id"].clone();
    sim.faults(json!({})).await;
    admin
        .ok(
            "mutation($j: ID!) { carrierJobRetry(input: {jobId: $j}) { job { id } } }",
            json!({ "j": job }),
        )
        .await;
    let ln = wait_status(admin, &line, "ACTIVE", within).await;
    let msisdn = ln["msisdn"].as_str().expect("msisdn").to_owned();
    sim.callbacks_to("http://127.0.0.1:9/nowhere", &secret)
        .await;
    sim.drift(
        &msisdn,
        json!({ "msisdn": msisdn, "iccid": l.iccids[2], "status": "suspended", "speedLimitKbps": null, "sequence": 0, "updatedAt": chrono::Utc::now() }),
    )
    .await;
    let run = admin
        .ok("mutation { carrierReconcile { id } }", json!({}))
        .await;
    let run = id(&run, &["carrierReconcile", "id"]);
    for _ in 0..300 {
        let r = admin
            .ok(
                "query($r: ID!) { reconciliationRun(id: $r) { status needsPerson } }",
                json!({ "r": run }),
            )
            .await;
        if r["reconciliationRun"]["status"] != "running" {
            assert!(
                r["reconciliationRun"]["needsPerson"].as_i64() >= Some(1),
                "{r}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the reconciliation run did not finish");
}

/// Tenants, users, API keys and authorization rules.
pub async fn access_producers(s: &Seeded, admin: &Client) {
    let t = admin
        .ok("mutation { tenantCreate(input: {slug: \"tour-reseller\", name: \"Tour Reseller\"}) { tenant { id } } }", json!({}))
        .await;
    let t = id(&t, &["tenantCreate", "tenant", "id"]);
    for (q, v) in [
        (
            "mutation($t: ID!) { tenantUpdate(input: {id: $t, version: 1, name: \"Tour Reseller KK\"}) { tenant { id } } }",
            1,
        ),
        (
            "mutation($t: ID!) { tenantSuspend(input: {id: $t, version: 2, reason: \"unpaid platform fees\"}) { tenant { id } } }",
            2,
        ),
        (
            "mutation($t: ID!) { tenantResume(input: {id: $t, version: 3}) { tenant { id } } }",
            3,
        ),
    ] {
        assert!(v > 0);
        admin.ok(q, json!({ "t": t })).await;
    }
    let sales = s.as_role(TENANT, "sales").await;
    let me = sales
        .ok("{ viewer { user { id version } } }", json!({}))
        .await;
    admin
        .ok("mutation($u: ID!, $v: Int!) { userUpdate(input: {id: $u, version: $v, roles: [\"sales\", \"support\"]}) { user { id } } }",
            json!({ "u": me["viewer"]["user"]["id"], "v": me["viewer"]["user"]["version"] }))
        .await;
    let k = admin
        .ok("mutation { apiKeyCreate(input: {name: \"erp export\", roles: [\"billing\"]}) { apiKey { id version } } }", json!({}))
        .await;
    admin
        .ok(
            "mutation($k: ID!) { apiKeyRevoke(input: {id: $k, version: 1}) { apiKey { id } } }",
            json!({ "k": k["apiKeyCreate"]["apiKey"]["id"] }),
        )
        .await;
    let p = admin
        .ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"sales\", object: \"invoice\", action: \"read\"}) { policy { id } } }", json!({}))
        .await;
    admin
        .ok(
            "mutation($p: ID!) { policyRemove(input: {id: $p}) { policy { id } } }",
            json!({ "p": p["policyAdd"]["policy"]["id"] }),
        )
        .await;
    // A preference of someone who is not a recipient of the tour.
    sales
        .ok("mutation { notificationPreferenceSet(input: {topic: \"plan.created\", channel: \"email\", optedOut: true}) { preference { optedOut } } }", json!({}))
        .await;
}

/// Rules and templates (the webhook endpoints are the tour's own, set up by the test).
pub async fn notification_producers(admin: &Client) {
    let r = admin
        .ok("mutation { notificationRuleCreate(input: {topic: \"line.*\", audience: \"customer_admins\", channel: \"email\"}) { rule { id } } }", json!({}))
        .await;
    admin
        .ok(
            "mutation($r: ID!) { notificationRuleDelete(input: {id: $r}) { rule { id } } }",
            json!({ "r": r["notificationRuleCreate"]["rule"]["id"] }),
        )
        .await;
    let tpl = json!({"topic": "option.created", "channel": "email", "locale": "ja", "subject": "{{ data.name }}", "body": "{{ data.monthlyFee | money }}\n{{ links.catalog }}"});
    admin
        .ok("mutation($i: NotificationTemplateInput!) { notificationTemplateSet(input: $i) { template { version } } }", json!({ "i": tpl }))
        .await;
    admin
        .ok("mutation { notificationTemplateDelete(input: {topic: \"option.created\", channel: \"email\", locale: \"ja\"}) { deleted } }", json!({}))
        .await;
}

/// Uploads, manifests, fixture sets, activation (approved), disable, rollback, policy.
pub async fn plugin_producers(s: &Seeded, admin: &Client) {
    let config = json!({ "config": { "min_lines": "1", "percent": "10", "individuals": "true" } });
    let v = upload(
        admin,
        "volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        config.clone(),
    )
    .await;
    admin
        .ok("mutation($v: ID!, $m: JSON!) { pluginVersionSetManifest(input: {versionId: $v, manifest: $m}) { id } }", json!({ "v": v, "m": config }))
        .await;
    let fx = admin
        .ok("mutation($i: JSON!) { pluginFixtureSetCreate(input: {world: \"pricing\", name: \"tour\", inputs: $i}) { id } }",
            json!({ "i": [crate::plugins::fixture("volume-discount")] }))
        .await;
    admin
        .ok(
            "mutation($f: ID!) { pluginFixtureSetDelete(id: $f) { id } }",
            json!({ "f": fx["pluginFixtureSetCreate"]["id"] }),
        )
        .await;
    let a = activate(s, TENANT, "pricing", &v).await;
    assert_eq!(a["status"], "EXECUTED", "{a}");
    admin
        .ok("mutation { pluginDisable(input: {hook: \"pricing\", reason: \"complaints\"}) { status } }", json!({}))
        .await;
    admin
        .ok("mutation { pluginRollback(input: {hook: \"pricing\", reason: \"fixed upstream\"}) { status } }", json!({}))
        .await;
    admin
        .ok("mutation { pluginHookPolicySet(input: {hook: \"pricing\", resellersMayOverride: true}) { hook } }", json!({}))
        .await;
}
