//! A second language through the API: the JavaScript example (12 MB, componentize-js) is
//! uploaded as a multipart file (base64 in JSON is refused by the body limit, saying how to
//! upload instead), its default build is refused naming the fix, it is activated under four
//! eyes, prices a contract as the Rust example does, and a replay of the Rust version on
//! its recorded sample shows no change.

use serde_json::{Value, json};
use tsunagi_tests::ledger::build;
use tsunagi_tests::plugins::{UPLOAD, activate, upload, wasm, wasm_base64};
use tsunagi_tests::{Client, TestEnv, code};

const UPLOAD_FILE: &str = "mutation($n: String!, $v: String!, $f: Upload!, $m: JSON) { pluginUpload(input: {name: $n, version: $v, world: \"pricing\", wasm: $f, manifest: $m}) { id version sizeBytes digest } }";
const QUOTE: &str = "query($c: ID!) { contractPriceQuote(contractId: $c) { subtotal total adjustments pluginError source { kind name version } } }";
const REPLAY: &str = "query($v: ID!) { pluginReplay(input: {versionId: $v, samples: true}) { inputs changed unchanged candidateErrors baselineErrors baseline { version } candidate { version } } }";

fn manifest() -> Value {
    json!({ "config": { "min_lines": "1", "percent": "10", "individuals": "true" } })
}

async fn upload_file(c: &Client, name: &str, version: &str, guest: &str) -> (u16, Value) {
    c.gql_file(
        UPLOAD_FILE,
        json!({ "n": name, "v": version, "m": manifest() }),
        "f",
        wasm(guest),
    )
    .await
}

#[tokio::test]
async fn a_javascript_pricing_rule_uploads_activates_and_prices_like_rust() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 23).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;

    // 12 MB as base64 is 16 MB of JSON: refused before it is read, with the way to do it.
    let (status, body, _) = admin
        .gql_with(
            UPLOAD,
            json!({ "n": "volume-js", "v": "1.0.0", "w": "pricing", "b": wasm_base64("volume_discount_js"), "m": manifest() }),
            &[],
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body).as_deref(), Some("PAYLOAD_TOO_LARGE"));
    let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("multipart") && msg.contains("input.wasm"),
        "{msg}"
    );

    // componentize-js's defaults import wasi:http: refused on the field, with the fix.
    let (_, body) = upload_file(&admin, "volume-js", "0.9.0", "volume_discount_js_default").await;
    let f = &body["errors"][0]["extensions"]["fields"][0];
    assert_eq!(f["field"], "input.wasm", "{body}");
    assert!(
        f["reason"]
            .as_str()
            .is_some_and(|r| r.contains("disableFeatures: ['http', 'fetch-event']")),
        "{body}"
    );

    // Files need a signed-in caller.
    let anonymous = Client::new(&s.base, None);
    let (status, body) = upload_file(&anonymous, "volume-js", "0.0.1", "volume_discount").await;
    assert_eq!(
        (status, code(&body).as_deref()),
        (401, Some("UNAUTHENTICATED")),
        "{body}"
    );

    // An idempotency key covers the file too: the same key with another file is a conflict.
    let vars = json!({ "n": "volume-js", "v": "0.1.0", "m": manifest() });
    let key = [("idempotency-key", "upload-0.1.0")];
    let (_, first) = admin
        .gql_file_with(
            UPLOAD_FILE,
            vars.clone(),
            "f",
            wasm("volume_discount"),
            &key,
        )
        .await;
    assert!(first["data"]["pluginUpload"]["id"].is_string(), "{first}");
    let (_, replayed) = admin
        .gql_file_with(
            UPLOAD_FILE,
            vars.clone(),
            "f",
            wasm("volume_discount"),
            &key,
        )
        .await;
    assert_eq!(replayed["data"], first["data"], "{replayed}");
    let (_, other) = admin
        .gql_file_with(UPLOAD_FILE, vars, "f", wasm("hostile"), &key)
        .await;
    assert_eq!(code(&other).as_deref(), Some("CONFLICT"), "{other}");

    let (status, body) = upload_file(&admin, "volume-js", "1.0.0", "volume_discount_js").await;
    assert_eq!(status, 200, "{body}");
    let v = &body["data"]["pluginUpload"];
    assert_eq!(
        v["sizeBytes"].as_u64(),
        Some(wasm("volume_discount_js").len() as u64),
        "{body}"
    );
    let js = v["id"].as_str().expect("version id").to_owned();
    let a = activate(&s, "sakura-mobile", "pricing", &js).await;
    assert_eq!(a["status"], "EXECUTED", "{a}");

    // The same answer as the Rust example's (tests/e2e/plugins.rs: 3860 less 10 %).
    let q = admin.ok(QUOTE, json!({ "c": l.contract })).await["contractPriceQuote"].clone();
    assert_eq!(q["source"]["name"], "volume-js", "{q}");
    assert_eq!(q["pluginError"], Value::Null, "{q}");
    assert_eq!(q["total"], 3860 - 386, "{q}");
    assert_eq!(q["adjustments"][0]["code"], "volume-discount", "{q}");
    assert_eq!(
        q["adjustments"][0]["reason"], "Volume discount 10% (1 lines)",
        "{q}"
    );

    // The Rust build of the same rule, replayed on the sample the JavaScript one recorded.
    let rust = upload(
        &admin,
        "volume-js",
        "1.1.0",
        "pricing",
        "volume_discount",
        manifest(),
    )
    .await;
    let r = admin.ok(REPLAY, json!({ "v": rust })).await["pluginReplay"].clone();
    assert_eq!(r["baseline"]["version"], "1.0.0", "{r}");
    assert!(r["inputs"].as_u64() >= Some(1), "{r}");
    assert_eq!(
        (&r["changed"], &r["candidateErrors"], &r["baselineErrors"]),
        (&json!(0), &json!(0), &json!(0)),
        "{r}"
    );
}
