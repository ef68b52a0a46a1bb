//! The web console in a real browser: Playwright (console/tests) drives Debian's Chromium
//! against this test's real server, with a fresh database seeded like the demo. The
//! console must be built first (`cargo xtask test` does it; by hand: `cargo xtask console`).

use std::process::Command;
use tsunagi_tests::TestEnv;
use tsunagi_tests::carrier::{self, CarrierSim};
use tsunagi_tests::ledger::build;

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
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env = TestEnv::start_with(&vars).await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 91).await;
    // The ledger leaves a suspension request pending on the line; the browser makes its own.
    s.as_role("sakura-mobile", "approver")
        .await
        .ok(
            "mutation($id: ID!) { approvalReject(input: {id: $id, note: \"not this one\"}) { approvalRequest { status } } }",
            serde_json::json!({ "id": l.approval }),
        )
        .await;
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
