//! A ledger built through the API in one tenant: an option, an active plan, numbers, SIMs,
//! an eSIM profile, a KYC-verified customer with an active line, and a pending suspension.
//! `n` keeps identifiers unique across tenants (MSISDNs and ICCIDs are platform-wide).

use crate::{Client, Seeded};
use serde_json::{Value, json};
use tsunagi_core::identifiers::luhn_check_digit;

pub struct Ledger {
    pub plan: String,
    pub option: String,
    pub customer: String,
    pub customer_name: String,
    pub contract: String,
    pub line: String,
    pub msisdn: String,
    pub sim: String,
    pub iccids: Vec<String>,
    pub esim: String,
    pub new_line_order: String,
    /// A suspension requested by support, not yet decided.
    pub approval: String,
    pub suspend_order: String,
}

pub fn iccid(n: u32, i: u32) -> String {
    let body = format!("8981{n:02}{i:012}");
    format!("{body}{}", luhn_check_digit(&body))
}

pub fn msisdn(n: u32, i: u32) -> String {
    format!("+8170{n:02}{i:06}")
}

pub fn imsi(n: u32, i: u32) -> String {
    format!("44010{n:02}{i:08}")
}

pub async fn approve(s: &Seeded, slug: &str, approval: &str) -> Value {
    let approver = s.as_role(slug, "approver").await;
    approver
        .ok("mutation($id: ID!) { approvalApprove(input: {id: $id}) { approvalRequest { status failure result } } }", json!({ "id": approval }))
        .await["approvalApprove"]["approvalRequest"]
        .clone()
}

/// A customer with KYC verified through the four-eyes flow.
pub async fn verified_customer(s: &Seeded, slug: &str, name: &str, phone: &str) -> String {
    let admin = s.as_role(slug, "tenant_admin").await;
    let c = admin
        .ok(
            "mutation($n: String!, $p: String!) { customerCreate(input: {kind: \"individual\", name: $n, email: \"hanako@example.jp\", phone: $p}) { customer { id } } }",
            json!({ "n": name, "p": phone }),
        )
        .await;
    let id = c["customerCreate"]["customer"]["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    admin
        .ok(
            "mutation($c: ID!) { kycSubmit(input: {customerId: $c}) { customer { kycStatus } } }",
            json!({ "c": id }),
        )
        .await;
    let a = admin
        .ok(
            "mutation($c: ID!) { kycVerify(input: {customerId: $c}) { approvalRequest { id } } }",
            json!({ "c": id }),
        )
        .await;
    let st = approve(
        s,
        slug,
        a["kycVerify"]["approvalRequest"]["id"]
            .as_str()
            .expect("approval"),
    )
    .await;
    assert_eq!(st["status"], "EXECUTED", "{st}");
    id
}

pub async fn build(s: &Seeded, slug: &str, n: u32) -> Ledger {
    let admin: Client = s.as_role(slug, "tenant_admin").await;
    let opt = admin.ok("mutation { optionCreate(input: {code: \"CALL-10\", name: \"10-minute calls\", monthlyFee: 880}) { option { id } } }", json!({})).await;
    let option = opt["optionCreate"]["option"]["id"]
        .as_str()
        .expect("option")
        .to_owned();
    let plan = admin
        .ok(
            "mutation($o: ID!) { planCreate(input: {code: \"BASIC-3G\", name: \"Basic 3GB\", allowedOptionIds: [$o], price: {monthlyFee: 2980, dataMb: 3072, voiceMin: 0, sms: 0, overageDataPerGb: 550, overageVoicePerMin: 22, overageSms: 3}}) { plan { id version } } }",
            json!({ "o": option }),
        )
        .await;
    let plan = plan["planCreate"]["plan"]["id"]
        .as_str()
        .expect("plan")
        .to_owned();
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": plan }),
        )
        .await;
    let numbers: Vec<String> = (0..5).map(|i| msisdn(n, i)).collect();
    admin
        .ok(
            "mutation($i: [String!]!) { numbersAdd(input: {items: $i}) { added } }",
            json!({ "i": numbers }),
        )
        .await;
    let iccids: Vec<String> = (0..4).map(|i| iccid(n, i)).collect();
    let sims: Vec<Value> = iccids.iter().enumerate().map(|(i, c)| json!({ "iccid": c, "imsi": imsi(n, i as u32), "pin": "1234", "puk": "12345678" })).collect();
    admin
        .ok(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": sims }),
        )
        .await;
    admin
        .ok(
            "mutation($i: [EsimItem!]!) { esimProfilesAdd(input: {items: $i}) { added } }",
            json!({ "i": [{ "iccid": iccid(n, 50), "imsi": imsi(n, 50), "activationCode": "LPA:1$smdp.example.jp$ABC-123" }] }),
        )
        .await;
    let customer_name = format!("Tanaka Hanako {n}");
    let customer = verified_customer(s, slug, &customer_name, &format!("090-55{n:02}-0000")).await;
    let o = admin
        .ok(
            "mutation($c: ID!, $p: ID!, $o: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, optionIds: [$o], iccid: $i}) { order { id status lineId contractId } } }",
            json!({ "c": customer, "p": plan, "o": option, "i": iccids[0] }),
        )
        .await;
    let order = &o["orderNewLine"]["order"];
    assert_eq!(order["status"], "COMPLETED", "{o}");
    let line = order["lineId"].as_str().expect("line").to_owned();
    let support = s.as_role(slug, "support").await;
    let sus = support
        .ok("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"lost phone\"}) { order { id status } approvalRequest { id status } } }", json!({ "l": line }))
        .await;
    let esims = admin
        .ok("{ esimProfiles { edges { node { id } } } }", json!({}))
        .await;
    let sim_list = admin
        .ok(
            "{ sims(status: ASSIGNED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    Ledger {
        plan,
        option,
        customer,
        customer_name,
        contract: order["contractId"].as_str().expect("contract").to_owned(),
        line,
        msisdn: numbers[0].clone(),
        sim: sim_list["sims"]["edges"][0]["node"]["id"]
            .as_str()
            .expect("sim")
            .to_owned(),
        iccids,
        esim: esims["esimProfiles"]["edges"][0]["node"]["id"]
            .as_str()
            .expect("esim")
            .to_owned(),
        new_line_order: order["id"].as_str().expect("order").to_owned(),
        approval: sus["lineSuspend"]["approvalRequest"]["id"]
            .as_str()
            .expect("approval")
            .to_owned(),
        suspend_order: sus["lineSuspend"]["order"]["id"]
            .as_str()
            .expect("order")
            .to_owned(),
    }
}
