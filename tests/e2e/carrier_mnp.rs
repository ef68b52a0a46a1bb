//! Number portability (MNP port-in) through GraphQL and the carrier simulator: the order is
//! checked against the MNP rules before anything is written (the reservation number's 10
//! digits, its expiry far enough ahead, the one-stop method without one, a number not
//! already ours); a port-in completes at the carrier and the number enters the pool as
//! ported in and assigned to the line; a port the donor refuses fails the order with the
//! reason and sends the line to review, its number never joining the pool.

use crate::carrier_gateway::{T, WAIT, last_job, platform};
use serde_json::{Value, json};
use tsunagi_carrier::sim::Faults;
use tsunagi_tests::Client;
use tsunagi_tests::carrier::{self, CarrierSim, wait_status};

const ORDER: &str = "mutation($c: ID!, $p: ID!, $i: String!, $m: String, $pi: PortInInput) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i, msisdn: $m, portIn: $pi}) { order { id status lineId failure } } }";

fn days(n: i64) -> String {
    let tokyo = chrono::FixedOffset::east_opt(9 * 3600).expect("offset");
    (chrono::Utc::now().with_timezone(&tokyo).date_naive() + chrono::Duration::days(n)).to_string()
}

async fn order(
    admin: &Client,
    l: &tsunagi_tests::ledger::Ledger,
    iccid: &str,
    msisdn: Option<&str>,
    port_in: Value,
) -> Value {
    admin
        .gql(
            ORDER,
            json!({ "c": l.customer, "p": l.plan, "i": iccid, "m": msisdn, "pi": port_in }),
        )
        .await
}

fn field(r: &Value) -> String {
    r["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn number(admin: &Client, msisdn: &str) -> Option<Value> {
    let r = admin
        .ok(
            "{ numbers(first: 500) { msisdn status portedIn } }",
            json!({}),
        )
        .await;
    r["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["msisdn"] == msisdn)
        .cloned()
}

#[tokio::test]
async fn a_port_in_is_checked_carried_out_and_refusals_are_visible() {
    let (env, _w, s, l) = platform(83).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let support = s.as_role(T, "support").await;
    let tenant = s.tenant(T).to_owned();
    let sim = CarrierSim::start(Faults::default()).await;
    carrier::connect(&admin, &sim, &env.base, &tenant).await;
    let ok_expiry = days(12);

    // The MNP rules, field by field, before anything is written.
    let cases = [
        (
            json!({ "msisdn": "080-1111-2222", "reservationNumber": "123456789", "reservationExpiresOn": ok_expiry }),
            "input.portIn.reservationNumber",
            "10 digits",
        ),
        (
            json!({ "msisdn": "080-1111-2222", "reservationNumber": "1234567890", "reservationExpiresOn": days(3) }),
            "input.portIn.reservationExpiresOn",
            "mnpMinDaysLeft",
        ),
        (
            json!({ "msisdn": "080-1111-2222", "reservationNumber": "1234567890", "reservationExpiresOn": days(-1) }),
            "input.portIn.reservationExpiresOn",
            "expired",
        ),
        (
            json!({ "msisdn": "080-1111-2222", "reservationNumber": "1234567890", "reservationExpiresOn": days(40) }),
            "input.portIn.reservationExpiresOn",
            "15 days",
        ),
        (
            json!({ "msisdn": "080-1111-2222", "reservationNumber": "1234567890" }),
            "input.portIn.reservationExpiresOn",
            "required",
        ),
        (
            json!({ "msisdn": "080-1111-2222" }),
            "input.portIn.reservationNumber",
            "oneStop",
        ),
        (
            json!({ "msisdn": "080-1111-2222", "oneStop": true, "reservationNumber": "1234567890" }),
            "input.portIn.reservationNumber",
            "oneStop",
        ),
        (
            json!({ "msisdn": "12", "oneStop": true }),
            "input.portIn.msisdn",
            "",
        ),
        (
            json!({ "msisdn": l.msisdn, "oneStop": true }),
            "input.portIn.msisdn",
            "already in your pool",
        ),
    ];
    for (port_in, f, says) in cases {
        let r = order(&admin, &l, &l.iccids[2], None, port_in.clone()).await;
        assert_eq!(field(&r), f, "{port_in}: {r}");
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{port_in}: {r}"
        );
    }
    let r = order(
        &admin,
        &l,
        &l.iccids[2],
        Some("090-0000-0001"),
        json!({ "msisdn": "080-1111-2222", "oneStop": true }),
    )
    .await;
    assert_eq!(field(&r), "input.msisdn", "{r}");
    assert!(
        number(&admin, "+818011112222").await.is_none(),
        "nothing written"
    );

    // A port-in with a reservation number (full-width digits, as customers type them).
    let r = order(&admin, &l, &l.iccids[2], None, json!({ "msisdn": "080-1111-2222", "reservationNumber": "１２３４-５６７８９０", "reservationExpiresOn": ok_expiry })).await;
    assert!(r["errors"].is_null(), "{r}");
    let line = r["data"]["orderNewLine"]["order"]["lineId"]
        .as_str()
        .expect("line")
        .to_owned();
    let ln = wait_status(&support, &line, "ACTIVE", WAIT).await;
    assert_eq!(ln["msisdn"], "+818011112222");
    assert_eq!(last_job(&ln)["action"], "port_in");
    assert!(ln["activationLeadMs"].as_i64().is_some(), "{ln}");
    let n = number(&admin, "+818011112222").await.expect("in the pool");
    assert_eq!(
        (n["status"].as_str(), n["portedIn"].as_bool()),
        (Some("ASSIGNED"), Some(true)),
        "{n}"
    );
    let sent = sim.journal().await;
    let cmd = serde_json::to_value(&sent.last().expect("a command").command).expect("json");
    assert_eq!(cmd["command"], "port_in", "{cmd}");
    assert_eq!(cmd["reservationNumber"], "1234567890", "{cmd}");
    assert_eq!(
        sim.line("+818011112222").await.expect("at the carrier")["status"],
        "active"
    );

    // One-stop: no reservation number; the carrier asks the donor.
    let r = order(
        &admin,
        &l,
        &l.iccids[3],
        None,
        json!({ "msisdn": "+81 80 3333 4444", "oneStop": true }),
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    let line2 = r["data"]["orderNewLine"]["order"]["lineId"]
        .as_str()
        .expect("line")
        .to_owned();
    wait_status(&support, &line2, "ACTIVE", WAIT).await;
    assert_eq!(
        number(&admin, "+818033334444").await.expect("pool")["status"],
        "ASSIGNED"
    );

    // The donor refuses: the order fails with the reason, the line waits for a person, and
    // the number is not ours (never available in the pool).
    let more = json!([{ "iccid": tsunagi_tests::ledger::iccid(83, 9), "imsi": tsunagi_tests::ledger::imsi(83, 9) }]);
    admin
        .ok(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": more }),
        )
        .await;
    let r = order(&admin, &l, &tsunagi_tests::ledger::iccid(83, 9), None, json!({ "msisdn": "080-5555-6666", "reservationNumber": "0001234567", "reservationExpiresOn": ok_expiry })).await;
    assert!(r["errors"].is_null(), "{r}");
    let o = &r["data"]["orderNewLine"]["order"];
    let line3 = o["lineId"].as_str().expect("line").to_owned();
    let ln = wait_status(&support, &line3, "NEEDS_REVIEW", WAIT).await;
    assert!(
        ln["statusReason"]
            .as_str()
            .unwrap_or_default()
            .contains("donor"),
        "{ln}"
    );
    let failed = admin
        .ok(
            "query($o: ID!) { order(id: $o) { status failure } }",
            json!({ "o": o["id"] }),
        )
        .await;
    assert_eq!(failed["order"]["status"], "FAILED", "{failed}");
    assert!(
        failed["order"]["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("reservation number 0001234567"),
        "{failed}"
    );
    assert_eq!(
        number(&admin, "+818055556666").await.expect("pool")["status"],
        "PORTING_IN"
    );
    let avail = admin
        .ok(
            "{ numbers(status: AVAILABLE, first: 500) { msisdn } }",
            json!({}),
        )
        .await;
    assert!(!avail.to_string().contains("818055556666"));
}

#[tokio::test]
async fn a_port_in_held_for_kyc_is_checked_again_when_released() {
    let (_env, _w, s, l) = platform(84).await;
    let admin = s.as_role(T, "tenant_admin").await;
    let c = admin
        .ok(
            "mutation { customerCreate(input: {kind: \"individual\", name: \"Sato Ken\", email: \"ken@example.jp\", phone: \"090-1212-3434\"}) { customer { id } } }",
            json!({}),
        )
        .await;
    let customer = c["customerCreate"]["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let r = admin
        .ok(
            "mutation($c: ID!, $p: ID!, $i: String!, $pi: PortInInput) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i, portIn: $pi}) { order { id status holdReason } } }",
            json!({ "c": customer, "p": l.plan, "i": l.iccids[2], "pi": { "msisdn": "080-7777-8888", "reservationNumber": "1234567890", "reservationExpiresOn": days(11) } }),
        )
        .await;
    let order = &r["orderNewLine"]["order"];
    assert_eq!(order["status"], "HELD", "{r}");
    // Meanwhile the tenant asks for more days left than the reservation now has.
    let t = admin
        .ok(
            "query($t: ID!) { tenant(id: $t) { version } }",
            json!({ "t": s.tenant(T) }),
        )
        .await;
    admin
        .ok(
            "mutation($t: ID!, $v: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {mnpMinDaysLeft: 14}}) { tenant { id } } }",
            json!({ "t": s.tenant(T), "v": t["tenant"]["version"] }),
        )
        .await;
    admin
        .ok(
            "mutation($c: ID!) { kycSubmit(input: {customerId: $c}) { customer { kycStatus } } }",
            json!({ "c": customer }),
        )
        .await;
    let a = admin
        .ok(
            "mutation($c: ID!) { kycVerify(input: {customerId: $c}) { approvalRequest { id } } }",
            json!({ "c": customer }),
        )
        .await;
    tsunagi_tests::ledger::approve(
        &s,
        T,
        a["kycVerify"]["approvalRequest"]["id"]
            .as_str()
            .expect("approval"),
    )
    .await;
    let o = admin
        .ok(
            "query($o: ID!) { order(id: $o) { status failure } }",
            json!({ "o": order["id"] }),
        )
        .await;
    assert_eq!(o["order"]["status"], "FAILED", "{o}");
    assert!(
        o["order"]["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("mnpMinDaysLeft"),
        "{o}"
    );
    assert!(
        number(&admin, "+818077778888").await.is_none(),
        "the number never entered the pool"
    );
}
