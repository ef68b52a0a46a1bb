//! The web console in a real browser: Playwright (console/tests) drives Debian's Chromium
//! against this test's real server, with a fresh database seeded like the demo. The
//! console must be built first (`cargo xtask test` does it; by hand: `cargo xtask console`).

use serde_json::json;
use std::process::Command;
use tsunagi_tests::carrier::{self, CarrierSim};
use tsunagi_tests::ledger::{self, Ledger, build};
use tsunagi_tests::plugins::{activate, discount, upload};
use tsunagi_tests::{Client, Seeded, TestEnv};

/// The customer login the self-service tests sign in with.
const SELF_EMAIL: &str = "self@tanaka.example";
const SELF_PASSWORD: &str = "long-enough-password";

/// What the browser suite needs beyond the ledger: a second plan to change to, a second
/// line of the same customer with its own customer login, and a pricing plugin in force
/// (sampled by a price quote) with a candidate version to replay.
async fn stage(s: &Seeded, l: &Ledger) -> String {
    let admin: Client = s.as_role("sakura-mobile", "tenant_admin").await;
    let plan = admin
        .ok(
            "mutation { planCreate(input: {code: \"VALUE-10G\", name: \"Value 10GB\", price: {monthlyFee: 4980, dataMb: 10240, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { plan { id } } }",
            json!({}),
        )
        .await;
    let plan = plan["planCreate"]["plan"]["id"].as_str().expect("plan");
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": plan }),
        )
        .await;
    let o = admin
        .ok(
            "mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { status lineId line { msisdn } } } }",
            json!({ "c": l.customer, "p": l.plan, "i": l.iccids[1] }),
        )
        .await;
    let order = &o["orderNewLine"]["order"];
    assert_eq!(order["status"], "COMPLETED", "{o}");
    // The data add-on the demo sells (self-service buys it).
    admin
        .ok(
            "mutation { optionCreate(input: {code: \"DATA-1G\", name: \"1 GB data charge\", monthlyFee: 550, rating: {addOnMb: 1000}}) { option { id } } }",
            json!({}),
        )
        .await;
    admin
        .ok(
            "mutation($e: String!, $p: String!, $c: ID, $l: ID) { userCreate(input: {email: $e, displayName: \"Tanaka (own line)\", password: $p, roles: [\"customer_user\"], customerId: $c, lineId: $l}) { user { id } } }",
            json!({ "e": SELF_EMAIL, "p": SELF_PASSWORD, "c": l.customer, "l": order["lineId"] }),
        )
        .await;
    let v1 = upload(
        &admin,
        "volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        discount(10),
    )
    .await;
    let a = activate(s, "sakura-mobile", "pricing", &v1).await;
    assert_eq!(a["status"], "EXECUTED", "{a}");
    admin
        .ok(
            "query($c: ID!) { contractPriceQuote(contractId: $c) { total } }",
            json!({ "c": l.contract }),
        )
        .await;
    upload(
        &admin,
        "volume",
        "1.1.0",
        "pricing",
        "volume_discount",
        discount(20),
    )
    .await;
    order["line"]["msisdn"].as_str().expect("msisdn").to_owned()
}

#[tokio::test]
async fn the_console_in_a_real_browser() {
    let dist = tsunagi_tests::console_dir();
    assert!(
        dist.join("index.html").exists(),
        "the console is not built at {}: run `cargo xtask console`",
        dist.display()
    );
    let console = dist.parent().expect("console dir").to_path_buf();
    // Its carrier is the simulator on loopback, which the carrier settings must allow.
    let sim = CarrierSim::start(Default::default()).await;
    let vars = carrier::env();
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The admin adds a webhook endpoint on loopback (it is never sent to: its topic does not
    // fire) to rotate its secret.
    vars.push(("TSUNAGI_HUB__ALLOW_PRIVATE", "[\"127.0.0.1/32\"]"));
    let env = TestEnv::start_with(&vars).await.expect("env");
    let s = env.seed().await.expect("seed");
    // The hub, as `tsunagi worker` runs it: live alerts reach the consoles.
    let _hub = env.start_hub().expect("hub");
    let l = build(&s, "sakura-mobile", 91).await;
    // The ledger leaves a suspension request pending on the line; the browser makes its own.
    s.as_role("sakura-mobile", "approver")
        .await
        .ok(
            "mutation($id: ID!) { approvalReject(input: {id: $id, note: \"not this one\"}) { approvalRequest { status } } }",
            serde_json::json!({ "id": l.approval }),
        )
        .await;
    let own = stage(&s, &l).await;
    // The carrier's usage of the line: one record taken, two refused for billing to resolve.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let usage = s
        .as_role("sakura-mobile", "tenant_admin")
        .await
        .ok(
            "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { accepted rejected } } }",
            serde_json::json!({ "r": [
                { "recordId": "console-ok-1", "type": "data", "msisdn": l.msisdn, "time": at, "bytesUp": 200000, "bytesDown": 1000000 },
                { "recordId": "console-bad-1", "type": "data", "msisdn": l.msisdn, "time": at, "bytesUp": 1000 },
                { "recordId": "console-unknown-1", "type": "sms", "msisdn": "+819099990000", "time": at, "destination": "domestic" },
            ] }),
        )
        .await;
    assert_eq!(usage["usageSubmit"]["submission"]["rejected"], 2, "{usage}");
    let base = env.base.clone();
    let sim_base = sim.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("npx")
            .args(["playwright", "test"])
            .current_dir(&console)
            .env("TSUNAGI_BASE_URL", base)
            .env("TSUNAGI_TENANT", "sakura-mobile")
            .env("TSUNAGI_PASSWORD", tsunagi_server::demo::DEMO_PASSWORD)
            .env("TSUNAGI_LINE_MSISDN", &l.msisdn)
            .env("TSUNAGI_CUSTOMER_NAME", &l.customer_name)
            .env("TSUNAGI_SELF_EMAIL", SELF_EMAIL)
            .env("TSUNAGI_SELF_PASSWORD", SELF_PASSWORD)
            .env("TSUNAGI_SELF_MSISDN", &own)
            // Two SIMs the admin adds in a batch (valid ICCIDs: their check digits).
            .env(
                "TSUNAGI_NEW_SIMS",
                format!(
                    "{},{}\n{},{},1234,12345678",
                    ledger::iccid(97, 0),
                    ledger::imsi(97, 0),
                    ledger::iccid(97, 1),
                    ledger::imsi(97, 1)
                ),
            )
            .env(
                "TSUNAGI_PLUGIN_WASM",
                tsunagi_plugin_host::guests::component_path("volume_discount"),
            )
            .env("TSUNAGI_CARRIER_URL", &sim_base)
            .env("TSUNAGI_CARRIER_KEY", carrier::SIM_KEY)
            .output()
    })
    .await
    .expect("join")
    .expect("npx playwright: is Node.js installed and `npm ci` run in console/?");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "the browser suite failed:\n{text}");
}
