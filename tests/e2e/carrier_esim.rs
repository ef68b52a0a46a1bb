//! eSIM through the SM-DP+ simulator (ES2+), from the platform's real actions: a new eSIM
//! line orders and confirms its profile at the SM-DP+ before the carrier activates it; the
//! customer reads the activation code in self-service (staff without the secret role and
//! other customers cannot); the device's download reaches the profile as signed notices
//! (downloaded, installed), taken once and by time (an older notice changes nothing); a
//! failed download leaves the profile `FAILED` with the reason until a person releases it
//! again; a line that ends before its profile was downloaded cancels the order.

use crate::carrier_callbacks::post;
use crate::carrier_gateway::{T, WAIT, last_job, line_op, platform};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tsunagi_carrier::sim::Faults;
use tsunagi_tests::carrier::{self, CarrierSim, wait_status};
use tsunagi_tests::{Client, code};

const PROFILE: &str = "{ esimProfiles(first: 50) { edges { node { id iccid status eid confirmedAt failure version } } } }";

async fn profile(admin: &Client, id: &str) -> Value {
    let r = admin.ok(PROFILE, json!({})).await;
    r["esimProfiles"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["id"] == id)
        .expect("the profile")
}

async fn wait_profile(admin: &Client, id: &str, status: &str) -> Value {
    let start = Instant::now();
    loop {
        let p = profile(admin, id).await;
        if p["status"] == status {
            return p;
        }
        assert!(start.elapsed() < WAIT, "profile still {}: {p}", p["status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Orders a new line on an eSIM profile from stock; (order, line).
async fn esim_line(admin: &Client, l: &tsunagi_tests::ledger::Ledger) -> (String, String) {
    let o = admin
        .ok(
            "mutation($c: ID!, $p: ID!) { orderNewLine(input: {customerId: $c, planId: $p}) { order { id lineId } } }",
            json!({ "c": l.customer, "p": l.plan }),
        )
        .await;
    let order = &o["orderNewLine"]["order"];
    (
        order["id"].as_str().expect("order").to_owned(),
        order["lineId"].as_str().expect("line").to_owned(),
    )
}

const ACTIVATION: &str = "query($l: ID!) { lineEsimActivation(lineId: $l) { activationCode qrPayload status confirmedAt } }";

pub(crate) async fn customer_user(
    s: &tsunagi_tests::Seeded,
    admin: &Client,
    customer: &str,
    line: &str,
    email: &str,
) -> Client {
    admin
        .ok(
            "mutation($e: String!, $c: ID, $l: ID) { userCreate(input: {email: $e, displayName: \"Self\", password: \"long-enough-password\", roles: [\"customer_user\"], customerId: $c, lineId: $l}) { user { id } } }",
            json!({ "e": email, "c": customer, "l": line }),
        )
        .await;
    let b = tsunagi_tests::seed::login(&s.base, T, email, "long-enough-password").await;
    Client::new(
        &s.base,
        b["data"]["login"]["accessToken"]
            .as_str()
            .map(str::to_owned),
    )
}

fn notice(
    id: &str,
    iccid: &str,
    point: u8,
    ok: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<u8> {
    let status = if ok {
        json!({ "status": "Executed-Success" })
    } else {
        json!({ "status": "Failed", "statusCodeData": { "subjectCode": "8.1", "reasonCode": "4.8", "message": "test" } })
    };
    serde_json::to_vec(&json!({
        "header": { "functionRequesterIdentifier": "test-smdp", "functionCallIdentifier": id },
        "eid": carrier::EID, "iccid": iccid, "timestamp": at,
        "notificationPointId": point, "notificationPointStatus": status,
    }))
    .expect("json")
}

#[tokio::test]
async fn an_esim_is_ordered_confirmed_downloaded_and_installed() {
    let (env, _w, s, l) = platform(81).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;
    let secret = carrier::connect_smdp(&admin, &sim, &env.base, &tenant).await;

    // Before the SM-DP+ confirms, there is no activation code to show.
    let (_, line) = esim_line(&admin, &l).await;
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    let job = last_job(&ln);
    let kinds: Vec<&str> = job["carrierAttempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["ES2PLUS", "COMMAND"], "{ln}");
    let p = profile(&admin, &l.esim).await;
    assert_eq!(p["status"], "CONFIRMED", "{p}");
    assert!(p["confirmedAt"].is_string());
    let iccid = sim_iccid(&env, &l.esim).await;
    let at_smdp = sim.esim(&iccid).await;
    assert_eq!(at_smdp["state"], "released", "{at_smdp}");

    // The customer reads the SM-DP+'s activation code; support may not; another customer
    // does not even see the line.
    let me = customer_user(&s, &admin, &l.customer, &line, "esim-owner@tanaka.example").await;
    let a = me.ok(ACTIVATION, json!({ "l": line })).await["lineEsimActivation"].clone();
    let code_ = a["activationCode"].as_str().expect("code");
    assert!(code_.starts_with("LPA:1$"), "{a}");
    assert!(
        code_.ends_with(at_smdp["matchingId"].as_str().expect("matching id")),
        "{a} {at_smdp}"
    );
    assert_eq!(a["qrPayload"], a["activationCode"]);
    let r = support.gql(ACTIVATION, json!({ "l": line })).await;
    assert_eq!(code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let other = customer_user(
        &s,
        &admin,
        &l.customer,
        &l.line,
        "other-line@tanaka.example",
    )
    .await;
    let r = other.gql(ACTIVATION, json!({ "l": line })).await;
    assert_eq!(code(&r).as_deref(), Some("NOT_FOUND"), "{r}");

    // The device downloads and installs: the SM-DP+'s notices move the profile.
    sim.esim_download(&iccid, None).await;
    let p = wait_profile(&admin, &l.esim, "INSTALLED").await;
    assert!(
        p["eid"]
            .as_str()
            .is_some_and(|e| e.ends_with(&carrier::EID[28..])),
        "{p}"
    );

    // A forged notice is refused and changes nothing; an older one is stale.
    let url = format!(
        "{}/carrier/callbacks/{tenant}/es2plus/handleDownloadProgressInfo",
        env.base
    );
    let now = chrono::Utc::now();
    let body = notice("n-forged", &iccid, 3, false, now);
    let (st, r) = post(
        &url,
        "n-forged",
        now.timestamp(),
        &body,
        &tsunagi_core::signing::new_secret(),
    )
    .await;
    assert_eq!(st, 401, "{r}");
    let old = now - chrono::Duration::hours(1);
    let body = notice("n-old", &iccid, 3, false, old);
    let (st, r) = post(&url, "n-old", now.timestamp(), &body, &secret).await;
    assert_eq!(st, 200, "{r}");
    assert!(
        r["outcome"]
            .as_str()
            .unwrap_or_default()
            .starts_with("stale"),
        "{r}"
    );
    let (st, r) = post(&url, "n-old", now.timestamp(), &body, &secret).await;
    assert_eq!((st, r["outcome"].as_str()), (200, Some("duplicate")), "{r}");
    let body = notice("n-unknown", "8981999999999999999", 3, true, now);
    let (st, r) = post(&url, "n-unknown", now.timestamp(), &body, &secret).await;
    assert_eq!(st, 404, "{r}");
    let (st, r) = post(&url, "n-bad", now.timestamp(), b"{\"header\": 1}", &secret).await;
    assert_eq!(st, 400, "{r}");
    assert_eq!(profile(&admin, &l.esim).await["status"], "INSTALLED");
}

async fn sim_iccid(env: &tsunagi_tests::TestEnv, id: &str) -> String {
    sqlx::query_scalar("SELECT iccid FROM esim_profiles WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&env.admin)
        .await
        .expect("iccid")
}

#[tokio::test]
async fn a_failed_download_waits_for_a_person_and_an_unused_profile_is_cancelled() {
    let (env, _w, s, l) = platform(82).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;
    carrier::connect_smdp(&admin, &sim, &env.base, &tenant).await;
    let (_, line) = esim_line(&admin, &l).await;
    wait_status(&support, &line, "ACTIVE", WAIT).await;
    let iccid = sim_iccid(&env, &l.esim).await;

    // Releasing a profile that did not fail is refused.
    let release =
        "mutation($i: ID!) { esimProfileRelease(id: $i) { esimProfile { status failure } } }";
    let r = admin.gql(release, json!({ "i": l.esim })).await;
    assert_eq!(code(&r).as_deref(), Some("CONFLICT"), "{r}");

    // The download fails: the profile says so, with the SM-DP+'s reason.
    sim.esim_download(&iccid, Some("download")).await;
    let p = wait_profile(&admin, &l.esim, "FAILED").await;
    assert!(
        p["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("download"),
        "{p}"
    );
    let r = support.gql(release, json!({ "i": l.esim })).await;
    assert_eq!(code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = admin.ok(release, json!({ "i": l.esim })).await;
    assert_eq!(
        r["esimProfileRelease"]["esimProfile"]["status"], "CONFIRMED",
        "{r}"
    );
    assert_eq!(sim.esim(&iccid).await["state"], "released");

    // The line ends before the customer tries again: the order is cancelled at the SM-DP+.
    line_op(&s, "lineTerminate", &line).await;
    let ln = wait_status(&support, &line, "TERMINATED", WAIT).await;
    let outcomes: Vec<(String, String)> = last_job(&ln)["carrierAttempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_owned(),
                a["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes[0],
        ("ES2PLUS".to_owned(), "APPLIED".to_owned()),
        "{ln}"
    );
    assert_eq!(sim.esim(&iccid).await["state"], "unavailable");
    assert_eq!(profile(&admin, &l.esim).await["status"], "DELETED");
}
