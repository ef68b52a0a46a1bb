//! Fields that had no functional test: a SIM swap moves the line to the new SIM; an option
//! removed leaves the contract; a held order cancelled; KYC rejected with its note and
//! submitted again; a terminated line's number released when its quarantine is over; and
//! search by IMEI, IMSI and e-mail.

use serde_json::json;
use tsunagi_tests::{TestEnv, code, ledger};

#[tokio::test]
async fn swaps_options_cancels_rejections_quarantine_and_search() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = ledger::build(&s, "sakura-mobile", 71).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let line_q =
        "query($l: ID!) { line(id: $l) { status sim { id iccid status } contract { optionIds } } }";

    // SIM swap: the line is on the new SIM, which is assigned; the order is complete.
    let before = admin.ok(line_q, json!({ "l": l.line })).await;
    let old_sim = before["line"]["sim"]["id"].clone();
    let sw = admin
        .ok("mutation($l: ID!, $i: String!) { orderSimSwap(input: {lineId: $l, iccid: $i}) { order { status kind } } }", json!({ "l": l.line, "i": l.iccids[1] }))
        .await;
    assert_eq!(sw["orderSimSwap"]["order"]["status"], "COMPLETED", "{sw}");
    let after = admin.ok(line_q, json!({ "l": l.line })).await;
    let sim = &after["line"]["sim"];
    assert_ne!(sim["id"], old_sim);
    assert_eq!(sim["iccid"], l.iccids[1], "tenant_admin sees the new ICCID");
    assert_eq!(sim["status"], "ASSIGNED");
    let old = admin
        .ok(
            "{ sims(first: 20) { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    let old_status = old["sims"]["edges"]
        .as_array()
        .expect("sims")
        .iter()
        .find(|e| e["node"]["id"] == old_sim)
        .map(|e| e["node"]["status"].clone());
    assert_ne!(
        old_status,
        Some(json!("ASSIGNED")),
        "the old SIM is no longer the line's"
    );
    let again = admin
        .gql("mutation($l: ID!, $i: String!) { orderSimSwap(input: {lineId: $l, iccid: $i}) { order { id } } }", json!({ "l": l.line, "i": l.iccids[1] }))
        .await;
    assert!(
        matches!(code(&again).as_deref(), Some("CONFLICT" | "VALIDATION")),
        "{again}"
    );

    // Removing an option: it leaves the contract; removing it twice names the field.
    let rm = "mutation($c: ID!, $o: ID!) { orderOptionRemove(input: {contractId: $c, optionId: $o}) { order { status kind } } }";
    let r = admin
        .ok(rm, json!({ "c": l.contract, "o": l.option }))
        .await;
    assert_eq!(r["orderOptionRemove"]["order"]["status"], "COMPLETED");
    let after = admin.ok(line_q, json!({ "l": l.line })).await;
    assert_eq!(after["line"]["contract"]["optionIds"], json!([]));
    let twice = admin
        .gql(rm, json!({ "c": l.contract, "o": l.option }))
        .await;
    assert_eq!(
        twice["errors"][0]["extensions"]["fields"][0]["field"], "input.optionId",
        "{twice}"
    );

    // KYC rejected (a note is required), then submitted again.
    let c = admin
        .ok("mutation { customerCreate(input: {kind: \"individual\", name: \"Yamada Taro\", email: \"taro@yamada.example\"}) { customer { id } } }", json!({}))
        .await;
    let c = c["customerCreate"]["customer"]["id"].clone();
    let kyc = |m: &str| {
        format!(
            "mutation($c: ID!, $n: String) {{ {m}(input: {{customerId: $c, note: $n}}) {{ customer {{ kycStatus kycNote }} }} }}"
        )
    };
    let early = admin
        .gql(&kyc("kycReject"), json!({ "c": c, "n": "blurred photo" }))
        .await;
    assert_eq!(
        code(&early).as_deref(),
        Some("CONFLICT"),
        "nothing submitted yet: {early}"
    );
    admin
        .ok(&kyc("kycSubmit"), json!({ "c": c, "n": null }))
        .await;
    let no_note = admin
        .gql(&kyc("kycReject"), json!({ "c": c, "n": null }))
        .await;
    assert_eq!(code(&no_note).as_deref(), Some("VALIDATION"), "{no_note}");
    let rej = admin
        .ok(
            &kyc("kycReject"),
            json!({ "c": c, "n": "the photo is blurred" }),
        )
        .await;
    assert_eq!(rej["kycReject"]["customer"]["kycStatus"], "REJECTED");
    assert_eq!(
        rej["kycReject"]["customer"]["kycNote"],
        "the photo is blurred"
    );
    let again = admin
        .ok(&kyc("kycSubmit"), json!({ "c": c, "n": "new photo" }))
        .await;
    assert_eq!(again["kycSubmit"]["customer"]["kycStatus"], "SUBMITTED");

    // A held order (the customer is not verified) is cancelled once, with its reason.
    let held = admin
        .ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { id status holdReason } } }", json!({ "c": c, "p": l.plan, "i": l.iccids[2] }))
        .await;
    let order = held["orderNewLine"]["order"].clone();
    assert_eq!(order["status"], "HELD", "{held}");
    let cancel = "mutation($o: ID!) { orderCancel(input: {id: $o, reason: \"the customer changed their mind\"}) { order { status failure } } }";
    let done = admin.ok(cancel, json!({ "o": order["id"] })).await;
    assert_eq!(done["orderCancel"]["order"]["status"], "CANCELLED");
    assert_eq!(
        done["orderCancel"]["order"]["failure"],
        "the customer changed their mind"
    );
    let twice = admin.gql(cancel, json!({ "o": order["id"] })).await;
    assert_eq!(code(&twice).as_deref(), Some("CONFLICT"), "{twice}");
    let completed = admin.gql(cancel, json!({ "o": l.new_line_order })).await;
    assert_eq!(
        code(&completed).as_deref(),
        Some("CONFLICT"),
        "a completed order stays: {completed}"
    );

    // Search by IMEI (last digits), IMSI and e-mail.
    admin
        .ok("mutation { devicesAdd(input: {items: [{imei: \"356938035643809\", model: \"Galaxy\"}]}) { added } }", json!({}))
        .await;
    let search = |q: &str| {
        let admin = admin.clone();
        let q = q.to_owned();
        async move {
            admin
                .ok(
                    "query($q: String!) { search(query: $q) { kind label } }",
                    json!({ "q": q }),
                )
                .await["search"]
                .clone()
        }
    };
    let by_imei = search("35643809").await;
    assert!(
        by_imei
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "device"),
        "{by_imei}"
    );
    let by_imsi = search(&ledger::imsi(71, 3)).await;
    assert!(
        by_imsi
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "sim"),
        "{by_imsi}"
    );
    let by_mail = search("taro@yamada").await;
    assert!(
        by_mail
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "customer" && h["label"] == "Yamada Taro"),
        "{by_mail}"
    );
    // Support sees the same hits with the identifier masked.
    let support = s.as_role("sakura-mobile", "support").await;
    let masked = support
        .ok(
            "query($q: String!) { search(query: $q) { kind label } }",
            json!({ "q": ledger::imsi(71, 3) }),
        )
        .await;
    assert!(
        !masked.to_string().contains(&ledger::imsi(71, 3)),
        "{masked}"
    );

    // Quarantine: a terminated line's number waits, then is released — also when asked by name.
    let term = s
        .as_role("sakura-mobile", "support")
        .await
        .ok("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"moving abroad\"}) { approvalRequest { id } } }", json!({ "l": l.line }))
        .await;
    let t = ledger::approve(
        &s,
        "sakura-mobile",
        term["lineTerminate"]["approvalRequest"]["id"]
            .as_str()
            .expect("id"),
    )
    .await;
    assert_eq!(t["status"], "EXECUTED", "{t}");
    let numbers = admin
        .ok(
            "{ numbers(status: QUARANTINED) { msisdn quarantineUntil } }",
            json!({}),
        )
        .await;
    let q = numbers["numbers"].as_array().expect("numbers");
    assert!(
        q.iter()
            .any(|n| n["msisdn"] == l.msisdn && n["quarantineUntil"].is_string()),
        "{numbers}"
    );
    let verified =
        ledger::verified_customer(&s, "sakura-mobile", "Sato Jiro 71", "090-7171-0000").await;
    let order = "mutation($c: ID!, $p: ID!, $m: String!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, msisdn: $m, iccid: $i}) { order { status } } }";
    let vars = json!({ "c": verified, "p": l.plan, "m": l.msisdn, "i": l.iccids[3] });
    let early = admin.gql(order, vars.clone()).await;
    assert_eq!(code(&early).as_deref(), Some("CONFLICT"), "{early}");
    assert!(
        early.to_string().contains("quarantined until"),
        "says until when: {early}"
    );
    sqlx::query("UPDATE numbers SET quarantine_until = now() - interval '1 day' WHERE msisdn = $1")
        .bind(l.msisdn.trim_start_matches('+'))
        .execute(&env.admin)
        .await
        .expect("backdate");
    let reused = admin.ok(order, vars).await;
    assert_eq!(
        reused["orderNewLine"]["order"]["status"], "COMPLETED",
        "{reused}"
    );
}
