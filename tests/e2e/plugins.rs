//! Tenant plugins end to end: upload with field-named refusals, replay of a candidate on
//! recorded samples and fixtures, activation through four eyes, rollback, disable, reseller
//! overrides only where the MVNO allows, failures counted and falling back to built-in.

use serde_json::{Value, json};
use tsunagi_tests::ledger::build;
use tsunagi_tests::plugins::{
    UPLOAD, activate, discount, fixture, upload, upload_raw, wasm_base64,
};
use tsunagi_tests::{TestEnv, code};

const QUOTE: &str = "query($c: ID!) { contractPriceQuote(contractId: $c) { subtotal total adjustments lines pluginError source { kind name version } } }";
const REPLAY: &str = "query($v: ID!, $f: ID, $s: Boolean!) { pluginReplay(input: {versionId: $v, fixtureSetId: $f, samples: $s}) { inputs changed unchanged candidateErrors baselineErrors baselineTotal candidateTotal totalDelta baseline { kind version } candidate { kind version } items { source subject baselineTotal candidateTotal delta changed differences } } }";

fn fields(body: &Value) -> Vec<(String, String)> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_owned(),
                        f["reason"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn uploads_are_refused_with_the_field_and_the_reason() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let send = |b: String, w: &str, m: Value| {
        admin.gql(
            UPLOAD,
            json!({ "n": "vd", "v": "1.0.0", "w": w, "b": b, "m": m }),
        )
    };
    let r = send("not base64!".into(), "pricing", json!({})).await;
    assert_eq!(fields(&r)[0].0, "input.wasmBase64", "{r}");
    let r = send("AGFzbQEAAAA=".into(), "pricing", json!({})).await;
    assert!(
        fields(&r)[0].1.contains("not a WebAssembly component"),
        "{r}"
    );
    let r = send(wasm_base64("volume_discount"), "commission", json!({})).await;
    assert!(
        fields(&r)[0]
            .1
            .contains("does not implement the commission world"),
        "{r}"
    );
    let r = send(
        wasm_base64("volume_discount"),
        "pricing",
        json!({ "limits": { "fuel": 9_000_000_000u64 }, "allowed_hosts": ["x.example"] }),
    )
    .await;
    let f: Vec<String> = fields(&r).into_iter().map(|f| f.0).collect();
    assert_eq!(
        f,
        ["input.manifest.limits.fuel", "input.manifest.allowed_hosts"],
        "{r}"
    );
    let r = send(
        wasm_base64("volume_discount"),
        "pricing",
        json!({ "secrets": { "k": "v" } }),
    )
    .await;
    assert_eq!(fields(&r)[0].0, "input.manifest.secrets", "{r}");
    let r = send(
        wasm_base64("volume_discount"),
        "pricing",
        json!({ "limitz": {} }),
    )
    .await;
    assert_eq!(fields(&r)[0].0, "input.manifest", "{r}");
    // Nothing was stored by any refusal; a good upload is, once; the same version twice is not.
    assert_eq!(
        admin.ok("{ plugins { id } }", json!({})).await["plugins"],
        json!([])
    );
    let id = upload(
        &admin,
        "vd",
        "1.0.0",
        "pricing",
        "volume_discount",
        json!({}),
    )
    .await;
    let again = upload_raw(
        &admin,
        "vd",
        "1.0.0",
        "pricing",
        "volume_discount",
        json!({}),
    )
    .await;
    assert_eq!(fields(&again)[0].0, "input.version", "{again}");
    let wrong = upload_raw(
        &admin,
        "vd",
        "2.0.0",
        "commission",
        "tiered_commission",
        json!({}),
    )
    .await;
    assert_eq!(fields(&wrong)[0].0, "input.world", "{wrong}");
    let p = admin
        .ok(
            "{ plugins { name world versions { id version digest } } }",
            json!({}),
        )
        .await;
    assert_eq!(p["plugins"][0]["versions"][0]["id"], id.as_str());
    assert_eq!(
        p["plugins"][0]["versions"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn replay_activate_rollback_disable() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 21).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let quote = |c: &tsunagi_tests::Client| {
        let c = c.clone();
        let contract = l.contract.clone();
        async move { c.ok(QUOTE, json!({ "c": contract })).await["contractPriceQuote"].clone() }
    };
    let q = quote(&admin).await;
    assert_eq!(
        (q["source"]["kind"].as_str(), q["total"].as_i64()),
        (Some("built_in"), Some(2980 + 880)),
        "{q}"
    );

    let v1 = upload(
        &admin,
        "volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        discount(10),
    )
    .await;
    let a = activate(&s, "sakura-mobile", "pricing", &v1).await;
    assert_eq!(a["status"], "EXECUTED", "{a}");
    let q = quote(&admin).await;
    assert_eq!(q["source"]["version"], "1.0.0", "{q}");
    assert_eq!(q["total"], 3860 - 386, "{q}");
    assert_eq!(q["adjustments"][0]["code"], "volume-discount");

    // The call was sampled, without config.
    let samples = admin
        .ok(
            "{ pluginSamples(hook: \"pricing\") { input output versionId } }",
            json!({}),
        )
        .await;
    let sample = &samples["pluginSamples"][0];
    assert_eq!(
        sample["input"]["contract"]["id"],
        l.contract.as_str(),
        "{samples}"
    );
    assert_eq!(sample["input"]["config"], json!([]));
    assert_eq!(sample["versionId"], v1.as_str());

    // A candidate replayed on the sample and on a fixture set, against the version in force.
    let v2 = upload(
        &admin,
        "volume",
        "1.1.0",
        "pricing",
        "volume_discount",
        discount(20),
    )
    .await;
    let r = admin.ok(REPLAY, json!({ "v": v2, "s": true })).await["pluginReplay"].clone();
    assert_eq!(
        (r["inputs"].as_i64(), r["changed"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["baseline"]["version"], "1.0.0");
    assert_eq!(
        (
            r["baselineTotal"].as_i64(),
            r["candidateTotal"].as_i64(),
            r["totalDelta"].as_i64()
        ),
        (Some(-386), Some(-772), Some(-386))
    );
    assert_eq!(
        r["items"][0]["differences"],
        json!(["~ volume-discount -386 → -772"])
    );
    assert_eq!(r["items"][0]["subject"], l.contract.as_str());

    let bad = admin.gql("mutation($i: JSON!) { pluginFixtureSetCreate(input: {world: \"pricing\", name: \"big customers\", inputs: $i}) { id } }", json!({ "i": [fixture("volume-discount"), { "tenant": "x" }] })).await;
    assert_eq!(fields(&bad)[0].0, "input.inputs[1]", "{bad}");
    let fx = admin.ok("mutation($i: JSON!) { pluginFixtureSetCreate(input: {world: \"pricing\", name: \"big customers\", inputs: $i}) { id } }", json!({ "i": [fixture("volume-discount")] })).await;
    let fx = fx["pluginFixtureSetCreate"]["id"].clone();
    let r = admin
        .ok(REPLAY, json!({ "v": v2, "f": fx, "s": false }))
        .await["pluginReplay"]
        .clone();
    // The fixture: 12 business lines, fees 35,760 + 13,200 = 48,960: 10 % vs 20 %.
    assert_eq!(
        (r["baselineTotal"].as_i64(), r["candidateTotal"].as_i64()),
        (Some(-4896), Some(-9792)),
        "{r}"
    );
    assert_eq!(r["items"][0]["source"], "fixture:big customers#0");

    // Activating needs a second person; until then v1 prices.
    let req = admin.ok("mutation($v: ID!) { pluginActivate(input: {hook: \"pricing\", versionId: $v, reason: \"summer campaign\"}) { approvalRequest { id status } } }", json!({ "v": v2 })).await;
    let req_id = req["pluginActivate"]["approvalRequest"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let self_ok = admin
        .gql(
            "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }",
            json!({ "a": req_id }),
        )
        .await;
    assert_eq!(code(&self_ok).as_deref(), Some("FORBIDDEN"), "{self_ok}");
    assert_eq!(quote(&admin).await["source"]["version"], "1.0.0");
    let done = tsunagi_tests::ledger::approve(&s, "sakura-mobile", &req_id).await;
    assert_eq!(done["status"], "EXECUTED", "{done}");
    assert_eq!(quote(&admin).await["total"], 3860 - 772);
    // The manifest of a version in force does not change under it.
    let edit = admin.gql("mutation($v: ID!) { pluginVersionSetManifest(input: {versionId: $v, manifest: {}}) { id } }", json!({ "v": v2 })).await;
    assert_eq!(code(&edit).as_deref(), Some("CONFLICT"), "{edit}");

    // Rollback is one mutation and immediate; disabling returns to the built-in price.
    let rb = admin.ok("mutation { pluginRollback(input: {hook: \"pricing\", reason: \"complaints\"}) { status versionId previousVersionId } }", json!({})).await;
    assert_eq!(rb["pluginRollback"]["versionId"], v1.as_str(), "{rb}");
    assert_eq!(rb["pluginRollback"]["previousVersionId"], v2.as_str());
    assert_eq!(quote(&admin).await["source"]["version"], "1.0.0");
    admin
        .ok(
            "mutation { pluginDisable(input: {hook: \"pricing\", reason: \"audit\"}) { status } }",
            json!({}),
        )
        .await;
    let q = quote(&admin).await;
    assert_eq!(
        (q["source"]["kind"].as_str(), q["total"].as_i64()),
        (Some("built_in"), Some(3860))
    );
    let hooks = admin
        .ok(
            "{ pluginHooks { hook inForce activation { status previousVersionId } } }",
            json!({}),
        )
        .await;
    assert_eq!(hooks["pluginHooks"][0]["inForce"], "built_in", "{hooks}");
    assert_eq!(
        hooks["pluginHooks"][0]["activation"]["previousVersionId"],
        v1.as_str()
    );

    // Every change is in the hook's history, the activation linked to its approval.
    let h = admin
        .ok(
            "{ history(targetType: \"plugin_hook\", targetId: \"pricing\") { action approvalId } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = h["history"]
        .as_array()
        .expect("h")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "plugin.activate",
            "plugin.activate",
            "plugin.rollback",
            "plugin.disable"
        ],
        "{h}"
    );
    assert!(h["history"][1]["approvalId"].is_string());
}

#[tokio::test]
async fn a_failing_plugin_is_counted_and_the_built_in_price_applies() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 22).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let v = upload(
        &admin,
        "spinner",
        "0.1.0",
        "pricing",
        "hostile",
        json!({ "config": { "mode": "spin" }, "limits": { "fuel": 5_000_000 } }),
    )
    .await;
    activate(&s, "sakura-mobile", "pricing", &v).await;
    for _ in 0..2 {
        let q = admin.ok(QUOTE, json!({ "c": l.contract })).await["contractPriceQuote"].clone();
        assert_eq!(q["total"], 3860, "{q}");
        assert!(
            q["pluginError"]
                .as_str()
                .expect("flagged")
                .contains("ran out of fuel"),
            "{q}"
        );
    }
    let pv = admin
        .ok(
            "query($v: ID!) { pluginVersion(id: $v) { failureCount failuresByCode lastFailure } }",
            json!({ "v": v }),
        )
        .await;
    assert_eq!(pv["pluginVersion"]["failureCount"], 2, "{pv}");
    assert_eq!(pv["pluginVersion"]["failuresByCode"], json!({ "fuel": 2 }));
}

#[tokio::test]
async fn resellers_replace_a_hook_only_where_their_mvno_allows() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let mvno = s.as_role("sakura-mobile", "tenant_admin").await;
    let reseller = s.as_role("kansai-connect", "tenant_admin").await;
    let sibling = s.as_role("osaka-link", "tenant_admin").await;
    let other = s.as_role("fuji-telecom", "tenant_admin").await;
    let mine = upload(
        &mvno,
        "volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        discount(10),
    )
    .await;
    activate(&s, "sakura-mobile", "pricing", &mine).await;
    let theirs = upload(
        &reseller,
        "kansai-volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        discount(30),
    )
    .await;
    let ask = "mutation($v: ID!) { pluginActivate(input: {hook: \"pricing\", versionId: $v, reason: \"ours\"}) { approvalRequest { id } } }";
    let refused = reseller.gql(ask, json!({ "v": theirs })).await;
    assert_eq!(code(&refused).as_deref(), Some("FORBIDDEN"), "{refused}");
    let hooks = reseller
        .ok("{ pluginHooks { hook inForce mayReplace } }", json!({}))
        .await;
    assert_eq!(
        hooks["pluginHooks"][0],
        json!({ "hook": "pricing", "inForce": "inherited", "mayReplace": false })
    );
    // Only an MVNO sets the policy.
    let p = reseller.gql("mutation { pluginHookPolicySet(input: {hook: \"pricing\", resellersMayOverride: true}) { hook } }", json!({})).await;
    assert_eq!(code(&p).as_deref(), Some("FORBIDDEN"));
    mvno.ok("mutation { pluginHookPolicySet(input: {hook: \"pricing\", resellersMayOverride: true}) { hook } }", json!({})).await;
    let a = activate(&s, "kansai-connect", "pricing", &theirs).await;
    assert_eq!(a["status"], "EXECUTED", "{a}");
    let hooks = reseller
        .ok("{ pluginHooks { hook inForce } }", json!({}))
        .await;
    assert_eq!(hooks["pluginHooks"][0]["inForce"], "own");
    let hooks = sibling
        .ok("{ pluginHooks { hook inForce } }", json!({}))
        .await;
    assert_eq!(
        hooks["pluginHooks"][0]["inForce"], "inherited",
        "the sibling still runs the MVNO's"
    );
    // The MVNO withdraws the permission: the reseller's plugin stops counting at once.
    mvno.ok("mutation { pluginHookPolicySet(input: {hook: \"pricing\", resellersMayOverride: false}) { hook } }", json!({})).await;
    let hooks = reseller
        .ok("{ pluginHooks { hook inForce } }", json!({}))
        .await;
    assert_eq!(hooks["pluginHooks"][0]["inForce"], "inherited");
    // Nobody reaches a version that is not theirs; another MVNO does not inherit anything.
    for (who, c) in [
        ("reseller", &reseller),
        ("sibling", &sibling),
        ("other MVNO", &other),
    ] {
        let r = c
            .gql(
                "query($v: ID!) { pluginVersion(id: $v) { id } }",
                json!({ "v": mine }),
            )
            .await;
        assert_eq!(code(&r).as_deref(), Some("NOT_FOUND"), "{who}: {r}");
        let r = c.gql(REPLAY, json!({ "v": mine, "s": true })).await;
        assert_eq!(code(&r).as_deref(), Some("NOT_FOUND"), "{who}: {r}");
        let r = c.gql(ask, json!({ "v": mine })).await;
        assert_eq!(code(&r).as_deref(), Some("NOT_FOUND"), "{who}: {r}");
    }
    let hooks = other
        .ok("{ pluginHooks { hook inForce } }", json!({}))
        .await;
    assert_eq!(hooks["pluginHooks"][0]["inForce"], "built_in");
}
