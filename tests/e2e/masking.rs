//! Masking holds everywhere: every type reachable from the query root, walked as support,
//! approver, auditor, customer_admin and customer_user, never carries a full ICCID, IMSI or
//! IMEI, a PIN/PUK or an eSIM activation code — not in typed fields, not in JSON (order
//! inputs, audit before/after, samples), not in free text. The same walk as tenant_admin
//! must find the seeded ICCID in full, which proves the walk reaches the places that hold
//! identifiers.

use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tsunagi_core::identifiers::luhn_valid;
use tsunagi_tests::walk::{Schema, strings};
use tsunagi_tests::{Client, TestEnv, ledger};

/// A digit run shaped like an ICCID, IMSI or IMEI, bounded by non-alphanumerics.
fn identifier_shaped(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let end = (i..b.len())
                .find(|&j| !b[j].is_ascii_digit())
                .unwrap_or(b.len());
            let run = &s[i..end];
            let bounded = end == b.len() || !b[end].is_ascii_alphanumeric();
            let iccid = (19..=20).contains(&run.len()) && run.starts_with("89") && luhn_valid(run);
            let imei = run.len() == 15 && luhn_valid(run);
            let imsi = run.len() == 15 && matches!(b[i], b'2'..=b'7');
            if bounded && (iccid || imei || imsi) {
                return Some(run.to_owned());
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

async fn walk(c: &Client, ops: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (field, op) in ops {
        let body = c.gql(op, json!({})).await;
        strings(&body["data"], field, &mut out);
    }
    out
}

#[tokio::test]
async fn no_role_without_unmask_sees_an_identifier_or_a_secret_anywhere() {
    let env = TestEnv::start_with(&[
        ("TSUNAGI_GRAPHQL__MAX_COMPLEXITY", "10000000"),
        ("TSUNAGI_GRAPHQL__MAX_DEPTH", "40"),
    ])
    .await
    .expect("env");
    let s = env.seed().await.expect("seed");
    let l = ledger::build(&s, "sakura-mobile", 61).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    // A SIM swap (its order input names the new ICCID) and a device on stock.
    admin
        .ok("mutation($l: ID!, $i: String!) { orderSimSwap(input: {lineId: $l, iccid: $i}) { order { id } } }", json!({ "l": l.line, "i": l.iccids[1] }))
        .await;
    admin
        .ok("mutation { devicesAdd(input: {items: [{imei: \"490154203237518\", model: \"Pixel\"}]}) { added } }", json!({}))
        .await;
    // A usage record on the line and one refused (its fields are walked too).
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    admin
        .ok(
            "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted } } }",
            json!({ "r": [
                { "recordId": "mask-1", "type": "data", "msisdn": l.msisdn, "time": at, "bytesUp": 1, "bytesDown": 2 },
                { "recordId": "mask-2", "type": "sms", "msisdn": "+819099990001", "time": at, "destination": "domestic" },
            ] }),
        )
        .await;
    let sims = admin
        .ok("{ sims(first: 1) { edges { node { id } } } }", json!({}))
        .await;
    let sim_id = sims["sims"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("sim")
        .to_owned();
    let seeded: Vec<String> = l
        .iccids
        .iter()
        .cloned()
        .chain((0..4).map(|i| ledger::imsi(61, i)))
        .chain(["490154203237518".to_owned(), ledger::iccid(61, 50)])
        .collect();
    let secrets = ["LPA:1$smdp.example.jp$ABC-123", "smdp.example.jp$ABC-123"];

    let q = |id: &str| format!("(id: \"{id}\")");
    let mut args: BTreeMap<&str, String> = BTreeMap::new();
    args.insert("tenant", q(s.tenant("sakura-mobile")));
    args.insert("user", format!("(id: \"{}\")", uuid::Uuid::nil()));
    args.insert("plan", q(&l.plan));
    args.insert("customer", q(&l.customer));
    args.insert("simSecrets", q(&sim_id));
    args.insert("esimActivationCode", q(&l.esim));
    args.insert("lineEsimActivation", format!("(lineId: \"{}\")", l.line));
    args.insert("line", q(&l.line));
    args.insert(
        "lineUsage",
        format!(
            "(lineId: \"{}\", from: \"2000-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\")",
            l.line
        ),
    );
    args.insert("lineAllowance", format!("(lineId: \"{}\")", l.line));
    args.insert("usageRerateQuote", format!("(lineId: \"{}\")", l.line));
    args.insert("dataAddOns", format!("(lineId: \"{}\")", l.line));
    args.insert("usageRejection", format!("(id: \"{}\")", uuid::Uuid::nil()));
    args.insert("usageRerateRun", format!("(id: \"{}\")", uuid::Uuid::nil()));
    args.insert("contract", q(&l.contract));
    args.insert("order", q(&l.new_line_order));
    args.insert(
        "planChangePreview",
        format!("(contractId: \"{}\", planId: \"{}\")", l.contract, l.plan),
    );
    args.insert("approvalRequest", q(&l.approval));
    args.insert("search", format!("(query: \"{}\")", &l.iccids[0][..12]));
    args.insert(
        "history",
        format!(
            "(targetType: \"order\", targetId: \"{}\")",
            l.new_line_order
        ),
    );
    args.insert(
        "webhookEndpoint",
        format!("(id: \"{}\")", uuid::Uuid::nil()),
    );
    args.insert("pluginVersion", format!("(id: \"{}\")", uuid::Uuid::nil()));
    args.insert(
        "reconciliationRun",
        format!("(id: \"{}\")", uuid::Uuid::nil()),
    );
    args.insert("pluginSamples", "(hook: \"pricing\")".into());
    args.insert(
        "pluginReplay",
        format!(
            "(input: {{versionId: \"{}\", useSamples: true}})",
            uuid::Uuid::nil()
        ),
    );
    args.insert(
        "contractPriceQuote",
        format!("(contractId: \"{}\")", l.contract),
    );
    let schema = Schema::parse(&tsunagi_graphql::sdl());
    let mut seen = BTreeSet::new();
    let (ops, missing) = schema.root_queries(&args, &mut seen);
    assert!(
        missing.is_empty(),
        "root fields the masking walk cannot call yet: {missing:?}"
    );
    // Every object type reachable from the root is walked.
    for ty in [
        "Sim",
        "Device",
        "EsimProfile",
        "Order",
        "AuditRecord",
        "Line",
        "ApprovalRequest",
        "ProvisioningJob",
        "SearchHit",
        "Delivery",
    ] {
        assert!(
            seen.iter().any(|(t, _)| t == ty),
            "{ty} is not reached by the walk"
        );
    }
    // The history of the SIM-swap order too.
    let mut ops = ops;
    let swaps = admin
        .ok(
            "{ orders(first: 50) { edges { node { id kind } } } }",
            json!({}),
        )
        .await;
    for e in swaps["orders"]["edges"].as_array().expect("orders") {
        let id = e["node"]["id"].as_str().unwrap_or_default();
        ops.push(("history".into(), format!("{{ history(targetType: \"order\", targetId: \"{id}\") {{ edges {{ node {{ action before after }} }} }} }}")));
    }

    // The positive control: tenant_admin sees the seeded ICCID in full somewhere.
    let full = walk(&admin, &ops).await;
    assert!(
        full.iter().any(|(_, v)| v.contains(&l.iccids[0])),
        "the walk reaches identifiers"
    );

    for role in [
        "support",
        "approver",
        "auditor",
        "customer_admin",
        "customer_user",
    ] {
        let c = s.as_role("sakura-mobile", role).await;
        let got = walk(&c, &ops).await;
        assert!(!got.is_empty(), "{role} saw nothing at all");
        for (path, v) in &got {
            for id in &seeded {
                assert!(
                    !v.contains(id.as_str()),
                    "{role}: {path} holds {id} in full: {v}"
                );
            }
            for secret in secrets {
                assert!(!v.contains(secret), "{role}: {path} holds a secret: {v}");
            }
            if path.ends_with(".pin") || path.ends_with(".puk") {
                assert!(v == "[redacted]" || v.is_empty(), "{role}: {path} = {v}");
            }
            if !path.ends_with("hash") && !path.ends_with("Hash") {
                assert_eq!(
                    identifier_shaped(v),
                    None,
                    "{role}: {path} holds an identifier: {v}"
                );
            }
        }
    }
}
