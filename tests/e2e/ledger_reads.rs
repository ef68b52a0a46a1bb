//! The ledger read side and the longer flows: search and history, self-service scope,
//! plan changes and resellers, the line detail page's statement count, approval expiry.

use chrono::{Datelike, Timelike};
use serde_json::{Value, json};
use tsunagi_tests::ledger::{approve, build, iccid, imsi, msisdn, verified_customer};
use tsunagi_tests::{TestEnv, code};

#[tokio::test]
async fn search_and_history_answer_the_phone_call() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 5).await;
    let f = build(&s, "fuji-telecom", 6).await;
    let support = s.as_role("sakura-mobile", "support").await;
    let q = "query($q: String!) { search(query: $q) { kind id label status } }";
    let digits = l.msisdn.trim_start_matches('+');
    for form in [
        l.msisdn.clone(),
        digits.to_owned(),
        format!("+{} {}-{}", &digits[..2], &digits[2..6], &digits[6..]),
        format!("0{}", &digits[2..]),
    ] {
        let r = support.ok(q, json!({ "q": form })).await;
        assert!(
            r["search"]
                .as_array()
                .expect("hits")
                .iter()
                .any(|h| h["kind"] == "line" && h["id"] == json!(l.line)),
            "{form}: {r}"
        );
    }
    let by_name = support.ok(q, json!({ "q": "tanaka hanako 5" })).await;
    assert!(
        by_name["search"]
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "customer" && h["id"] == json!(l.customer))
    );
    let tail = &l.iccids[0][l.iccids[0].len() - 6..];
    let by_tail = support.ok(q, json!({ "q": tail })).await;
    assert!(
        by_tail["search"]
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "sim"),
        "the last digits on the card find the SIM: {by_tail}"
    );
    let by_iccid = support.ok(q, json!({ "q": &l.iccids[0][..12] })).await;
    let hit = by_iccid["search"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["kind"] == "sim")
        .expect("sim hit")
        .clone();
    assert!(
        hit["label"].as_str().expect("label").contains('*'),
        "support sees it masked: {hit}"
    );
    let fuji_hits = support.ok(q, json!({ "q": f.msisdn })).await;
    assert_eq!(
        fuji_hits["search"],
        json!([]),
        "another tenant's line is not found"
    );
    // Who suspended it and when, on which contract: from the line's history.
    approve(&s, "sakura-mobile", &l.approval).await;
    let h = support.ok("query($l: ID!) { history(targetType: \"line\", targetId: $l) { action actorLabel occurredAt after approvalId } line(id: $l) { contractId status } }", json!({ "l": l.line })).await;
    let last = h["history"]
        .as_array()
        .expect("h")
        .last()
        .expect("entry")
        .clone();
    assert_eq!(last["after"]["status"], "suspended");
    assert_eq!(
        last["after"]["requested_by"],
        "support@sakura-mobile.example"
    );
    assert_eq!(h["line"]["contractId"], json!(l.contract));
    let bad = support.gql(q, json!({ "q": "x" })).await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "query");
}

#[tokio::test]
async fn self_service_sees_only_its_own() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 7).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let other = verified_customer(&s, "sakura-mobile", "Suzuki Ichiro", "090-7777-0000").await;
    let o = admin.ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { lineId } } }", json!({ "c": other, "p": l.plan, "i": l.iccids[3] })).await;
    let other_line = o["orderNewLine"]["order"]["lineId"]
        .as_str()
        .expect("line")
        .to_owned();
    let mk = "mutation($e: String!, $r: String!, $c: ID, $l: ID) { userCreate(input: {email: $e, displayName: \"Self\", password: \"long-enough-password\", roles: [$r], customerId: $c, lineId: $l}) { user { id } } }";
    admin
        .ok(
            mk,
            json!({ "e": "boss@tanaka.example", "r": "customer_admin", "c": l.customer }),
        )
        .await;
    admin.ok(mk, json!({ "e": "hanako@tanaka.example", "r": "customer_user", "c": l.customer, "l": l.line })).await;
    let unlinked = admin
        .gql(
            mk,
            json!({ "e": "x@tanaka.example", "r": "customer_user", "c": l.customer }),
        )
        .await;
    assert_eq!(unlinked["errors"][0]["extensions"]["field"], "input.lineId");
    let foreign = admin.gql(mk, json!({ "e": "y@tanaka.example", "r": "customer_user", "c": l.customer, "l": other_line })).await;
    assert_eq!(foreign["errors"][0]["extensions"]["field"], "input.lineId");
    let login = |e: &'static str| {
        let base = s.base.clone();
        async move {
            let b =
                tsunagi_tests::seed::login(&base, "sakura-mobile", e, "long-enough-password").await;
            tsunagi_tests::Client::new(
                &base,
                b["data"]["login"]["accessToken"]
                    .as_str()
                    .map(str::to_owned),
            )
        }
    };
    let boss = login("boss@tanaka.example").await;
    let hanako = login("hanako@tanaka.example").await;
    let lines = boss
        .ok("{ lines { edges { node { id msisdn } } } }", json!({}))
        .await;
    assert_eq!(lines["lines"]["edges"].as_array().expect("e").len(), 1);
    assert_eq!(lines["lines"]["edges"][0]["node"]["id"], json!(l.line));
    let nf = boss
        .gql(
            "query($l: ID!) { line(id: $l) { id } }",
            json!({ "l": other_line }),
        )
        .await;
    assert_eq!(
        code(&nf).as_deref(),
        Some("NOT_FOUND"),
        "another customer's line"
    );
    let c = boss
        .ok(
            "query($c: ID!) { customer(id: $c) { name contracts { status } } }",
            json!({ "c": l.customer }),
        )
        .await;
    assert_eq!(c["customer"]["contracts"][0]["status"], "ACTIVE");
    assert_eq!(
        code(
            &boss
                .gql(
                    "query($c: ID!) { customer(id: $c) { name } }",
                    json!({ "c": other })
                )
                .await
        )
        .as_deref(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        code(
            &boss
                .gql("{ customers { edges { node { id } } } }", json!({}))
                .await
        )
        .as_deref(),
        Some("FORBIDDEN")
    );
    // The customer user sees exactly their line; they may ask for its suspension (a lost
    // phone), but one request already waits, so a second conflicts; never a termination.
    let mine = hanako
        .ok("{ lines { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(mine["lines"]["edges"].as_array().expect("e").len(), 1);
    let sus = hanako.gql("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"travel\"}) { order { id } } }", json!({ "l": l.line })).await;
    assert_eq!(code(&sus).as_deref(), Some("CONFLICT"), "{sus}");
    let term = hanako.gql("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"x\"}) { order { id } } }", json!({ "l": l.line })).await;
    assert_eq!(code(&term).as_deref(), Some("FORBIDDEN"), "{term}");
    let foreign = hanako.gql("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"not mine\"}) { order { id } } }", json!({ "l": other_line })).await;
    assert_eq!(
        code(&foreign).as_deref(),
        Some("NOT_FOUND"),
        "another customer's line: {foreign}"
    );
    // Their line's orders: kind and state, never what staff wrote.
    let orders = hanako
        .ok(
            "query($l: ID!) { line(id: $l) { orders { kind status input failure } } }",
            json!({ "l": l.line }),
        )
        .await;
    let o = &orders["line"]["orders"];
    assert!(o.as_array().is_some_and(|a| !a.is_empty()), "{orders}");
    assert!(
        o.as_array()
            .into_iter()
            .flatten()
            .all(|x| x["input"] == json!({}) && x["failure"].is_null()),
        "{orders}"
    );
    // The customer admin may ask (resume after the pending suspension is decided): it becomes an approval request.
    approve(&s, "sakura-mobile", &l.approval).await;
    let req = boss.ok("mutation($l: ID!) { lineResume(input: {lineId: $l}) { order { status } approvalRequest { status requestedBy } } }", json!({ "l": l.line })).await;
    assert_eq!(
        req["lineResume"]["approvalRequest"]["requestedBy"],
        "boss@tanaka.example"
    );
    assert_eq!(req["lineResume"]["order"]["status"], "HELD");
    let term = boss.gql("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"x\"}) { order { id } } }", json!({ "l": l.line })).await;
    assert_eq!(code(&term).as_deref(), Some("FORBIDDEN"));
    let intro = boss
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        intro.get("errors").is_some() || intro["data"]["__schema"].is_null(),
        "no introspection for customers: {intro}"
    );
}

#[tokio::test]
async fn plan_changes_options_and_resellers() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 8).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let p2 = admin
        .ok("mutation { planCreate(input: {code: \"BIG-20G\", name: \"Big 20GB\", price: {monthlyFee: 4980, dataMb: 20480, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { plan { id } } }", json!({}))
        .await;
    let p2 = p2["planCreate"]["plan"]["id"]
        .as_str()
        .expect("p2")
        .to_owned();
    let draft = admin.gql("query($c: ID!, $p: ID!) { planChangePreview(contractId: $c, planId: $p) { proration } }", json!({ "c": l.contract, "p": p2 })).await;
    assert_eq!(
        code(&draft).as_deref(),
        Some("VALIDATION"),
        "a draft plan is not sold"
    );
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": p2 }),
        )
        .await;
    let pv = admin.ok("query($c: ID!, $p: ID!) { planChangePreview(contractId: $c, planId: $p) { currentMonthlyFee newMonthlyFee daysRemaining daysInPeriod proration currency } }", json!({ "c": l.contract, "p": p2 })).await;
    let pv = &pv["planChangePreview"];
    let (rem, days) = (
        pv["daysRemaining"].as_i64().expect("r"),
        pv["daysInPeriod"].as_i64().expect("d"),
    );
    assert_eq!(
        pv["proration"].as_i64().expect("p"),
        (2000 * rem).div_euclid(days),
        "rounded down by the tenant's rule"
    );
    assert_eq!(pv["currency"], "JPY");
    let done = admin.ok("mutation($c: ID!, $p: ID!) { orderPlanChange(input: {contractId: $c, planId: $p}) { order { status kind } preview { proration } } }", json!({ "c": l.contract, "p": p2 })).await;
    assert_eq!(done["orderPlanChange"]["order"]["status"], "COMPLETED");
    let c = admin
        .ok(
            "query($c: ID!) { contract(id: $c) { planId optionIds } }",
            json!({ "c": l.contract }),
        )
        .await;
    assert_eq!(c["contract"]["planId"], json!(p2));
    assert_eq!(
        c["contract"]["optionIds"],
        json!([]),
        "the new plan does not allow the old option"
    );
    // A price change that applies immediately reaches existing contracts now; next_term
    // waits for the next billing period (a calendar month in Tokyo), announced in advance.
    let sold_on = admin
        .ok("query($c: ID!) { contract(id: $c) { planPriceId price { inForce { id } nextChange { price { id } } } } }", json!({ "c": l.contract }))
        .await;
    let sold_on = sold_on["contract"].clone();
    assert_eq!(sold_on["price"]["inForce"]["id"], sold_on["planPriceId"]);
    assert_eq!(sold_on["price"]["nextChange"], Value::Null);
    let np = admin
        .ok("mutation($p: ID!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 4480, dataMb: 20480, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { price { id applies } } }", json!({ "p": p2 }))
        .await;
    let imm = np["planPriceAdd"]["price"]["id"].clone();
    let nt = admin
        .ok("mutation($p: ID!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 3980, dataMb: 20480, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3, applies: \"next_term\"}}) { price { id validFrom } } }", json!({ "p": p2 }))
        .await;
    let nt_id = nt["planPriceAdd"]["price"]["id"].clone();
    let q = "query($c: ID!) { contract(id: $c) { planPriceId price { inForce { id monthlyFee } periodStart periodEnd daysInPeriod nextChange { price { id monthlyFee } effectiveAt } } } }";
    let now = admin.ok(q, json!({ "c": l.contract })).await;
    let price = &now["contract"]["price"];
    assert_eq!(
        now["contract"]["planPriceId"], sold_on["planPriceId"],
        "the contract row is not rewritten"
    );
    assert_eq!(price["inForce"]["id"], imm, "immediately: in force now");
    assert_eq!(price["inForce"]["monthlyFee"], 4480);
    assert_eq!(
        price["nextChange"]["price"]["id"], nt_id,
        "next_term: announced"
    );
    assert_eq!(
        price["nextChange"]["effectiveAt"], price["periodEnd"],
        "from the next billing period"
    );
    let start = chrono::DateTime::parse_from_rfc3339(price["periodStart"].as_str().expect("start"))
        .expect("rfc3339");
    let tokyo = start.with_timezone(&chrono_tz::Asia::Tokyo);
    assert_eq!(
        (tokyo.day(), tokyo.hour()),
        (1, 0),
        "periods start at midnight on the 1st in Tokyo"
    );
    let q_at =
        "query($c: ID!, $at: DateTime!) { contract(id: $c) { price(at: $at) { inForce { id } } } }";
    let end = price["periodEnd"].as_str().expect("end").to_owned();
    let then = admin.ok(q_at, json!({ "c": l.contract, "at": end })).await;
    assert_eq!(
        then["contract"]["price"]["inForce"]["id"], nt_id,
        "next_term in force from the period's start"
    );
    let before =
        chrono::DateTime::parse_from_rfc3339(&end).expect("end") - chrono::Duration::seconds(1);
    let still = admin
        .ok(q_at, json!({ "c": l.contract, "at": before.to_rfc3339() }))
        .await;
    assert_eq!(
        still["contract"]["price"]["inForce"]["id"], imm,
        "and not a second before"
    );
    let _ = nt["planPriceAdd"]["price"]["validFrom"]
        .as_str()
        .expect("validFrom");
    let not_allowed = admin.gql("mutation($c: ID!, $o: ID!) { orderOptionAdd(input: {contractId: $c, optionId: $o}) { order { id } } }", json!({ "c": l.contract, "o": l.option })).await;
    assert_eq!(code(&not_allowed).as_deref(), Some("VALIDATION"));
    // Retiring the old plan: no new sales, existing contracts unaffected.
    admin
        .ok(
            "mutation($p: ID!) { planRetire(input: {id: $p, version: 2}) { plan { status } } }",
            json!({ "p": l.plan }),
        )
        .await;
    let cust = verified_customer(&s, "sakura-mobile", "Sato Jiro", "090-8888-0000").await;
    let retired = admin.gql("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { id } } }", json!({ "c": cust, "p": l.plan, "i": l.iccids[1] })).await;
    assert_eq!(retired["errors"][0]["extensions"]["field"], "input.planId");
    // The reseller sells its MVNO's active plans with its own stock, and cannot reprice them.
    let kansai = s.as_role("kansai-connect", "tenant_admin").await;
    let plans = kansai
        .ok("{ plans(status: ACTIVE) { id code tenantId } }", json!({}))
        .await;
    assert!(
        plans["plans"]
            .as_array()
            .expect("p")
            .iter()
            .any(|p| p["id"] == json!(p2)),
        "{plans}"
    );
    kansai
        .ok(
            "mutation { numbersAdd(input: {items: [\"+817099000001\"]}) { added } }",
            json!({}),
        )
        .await;
    kansai
        .ok(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": [{ "iccid": iccid(9, 1), "imsi": imsi(9, 1) }] }),
        )
        .await;
    let kc = verified_customer(&s, "kansai-connect", "Kansai Customer", "090-9999-0000").await;
    let ko = kansai.ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { status line { msisdn } } } }", json!({ "c": kc, "p": p2, "i": iccid(9, 1) })).await;
    assert_eq!(ko["orderNewLine"]["order"]["status"], "COMPLETED");
    assert_eq!(ko["orderNewLine"]["order"]["line"]["msisdn"], msisdn(99, 1));
    let reprice = kansai.gql("mutation($p: ID!) { planPriceAdd(input: {planId: $p, price: {monthlyFee: 1, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { price { id } } }", json!({ "p": p2 })).await;
    assert_eq!(code(&reprice).as_deref(), Some("FORBIDDEN"));
    // The MVNO sees its reseller's line; the reseller never sees the MVNO's customers.
    let mvno_view = admin
        .ok(
            "{ lines { edges { node { msisdn tenantId } } } }",
            json!({}),
        )
        .await;
    assert!(mvno_view.to_string().contains("+817099000001"));
    assert_eq!(
        code(
            &kansai
                .gql(
                    "query($c: ID!) { customer(id: $c) { id } }",
                    json!({ "c": l.customer })
                )
                .await
        )
        .as_deref(),
        Some("NOT_FOUND")
    );
}

#[tokio::test]
async fn line_detail_page_in_three_statements() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 16).await;
    let support = s.as_role("sakura-mobile", "support").await;
    let q = "query($l: ID!) { line(id: $l) { msisdn status contract { status planId } customer { name kycStatus } sim { iccid status } device { imei } plan { code name } history { action actorLabel occurredAt } } }";
    // Warm the caches a first request fills (principal, the tenant's enforcer).
    support.ok(q, json!({ "l": l.line })).await;
    let (_, body, headers) = support.gql_with(q, json!({ "l": l.line }), &[]).await;
    assert!(body.get("errors").is_none(), "{body}");
    let d = &body["data"]["line"];
    assert_eq!(d["customer"]["name"], l.customer_name);
    assert_eq!(d["plan"]["code"], "BASIC-3G");
    assert!(d["sim"]["iccid"].as_str().expect("iccid").contains('*'));
    let history = d["history"].as_array().expect("history");
    assert!(!history.is_empty() && history.len() <= 20);
    let statements: u64 = headers
        .get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("statement count header");
    assert!(
        statements <= 3,
        "the detail page took {statements} SQL statements"
    );
}

#[tokio::test]
async fn undecided_requests_expire_and_release_their_orders() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "fuji-telecom", 17).await;
    sqlx::query(
        "UPDATE approval_requests SET expires_at = now() - interval '1 minute' WHERE id = $1::uuid",
    )
    .bind(&l.approval)
    .execute(&env.admin)
    .await
    .expect("age the request");
    let late = approve_gql(&s, &l.approval).await;
    assert_eq!(
        code(&late).as_deref(),
        Some("CONFLICT"),
        "an expired request cannot be approved: {late}"
    );
    // The worker's activation, drained synchronously.
    let n = tsunagi_app::approvals::expire_overdue(&env.running.app)
        .await
        .expect("expire");
    assert_eq!(n, 1);
    let admin = s.as_role("fuji-telecom", "tenant_admin").await;
    let a = admin.ok("query($a: ID!, $o: ID!) { approvalRequest(id: $a) { status } order(id: $o) { status failure } line(id: $o) { id } }".replace("line(id: $o) { id }", "").as_str(), json!({ "a": l.approval, "o": l.suspend_order })).await;
    assert_eq!(a["approvalRequest"]["status"], "EXPIRED");
    assert_eq!(a["order"]["status"], "CANCELLED");
    assert!(
        a["order"]["failure"]
            .as_str()
            .expect("why")
            .contains("expired")
    );
    assert_eq!(
        tsunagi_app::approvals::expire_overdue(&env.running.app)
            .await
            .expect("again"),
        0,
        "idempotent"
    );
    // A new request for the same line may be filed now.
    s.as_role("fuji-telecom", "support").await.ok("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"again\"}) { approvalRequest { id } } }", json!({ "l": l.line })).await;
}

async fn approve_gql(s: &tsunagi_tests::Seeded, approval: &str) -> serde_json::Value {
    s.as_role("fuji-telecom", "approver")
        .await
        .gql(
            "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }",
            json!({ "a": approval }),
        )
        .await
}

/// A page of lines with their contracts, customers, plans, SIMs and devices costs the same
/// number of statements whatever its length: related rows are loaded in batches.
#[tokio::test]
async fn a_page_of_lines_loads_its_related_rows_in_batches() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 17).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    for i in 1..4 {
        admin
            .ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { status } } }", json!({ "c": l.customer, "p": l.plan, "i": l.iccids[i] }))
            .await;
    }
    let support = s.as_role("sakura-mobile", "support").await;
    let q = "query($n: Int!) { lines(first: $n) { edges { node { msisdn contract { status } customer { name } plan { code } sim { iccid } device { imei } } } } }";
    let count = |n: i64| {
        let support = support.clone();
        async move {
            support.ok(q, json!({ "n": n })).await;
            let (_, body, headers) = support.gql_with(q, json!({ "n": n }), &[]).await;
            assert!(body.get("errors").is_none(), "{body}");
            let lines = body["data"]["lines"]["edges"]
                .as_array()
                .map_or(0, Vec::len);
            let statements: u64 = headers
                .get("x-sql-statements")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .expect("statement count header");
            (lines, statements)
        }
    };
    let (one, few) = count(1).await;
    let (many, more) = count(50).await;
    assert_eq!((one, many), (1, 4));
    assert_eq!(
        few, more,
        "{one} line: {few} statements; {many} lines: {more}"
    );
}
