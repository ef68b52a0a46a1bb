//! The one ledger end to end: four-eyes line operations, KYC holds, concurrency,
//! identifiers, masking and secrets.

use serde_json::json;
use tsunagi_tests::ledger::{approve, build, iccid, imsi};
use tsunagi_tests::{TestEnv, code};

const LINE: &str = "query($l: ID!) { line(id: $l) { status statusReason msisdn sim { iccid status } contract { status } provisioningJobs { action status completedBy } history { action actorLabel approvalId before after } } }";

#[tokio::test]
async fn suspend_resume_terminate_with_four_eyes() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 1).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let support = s.as_role("sakura-mobile", "support").await;
    // Still active while the request waits; the order is held with the reason.
    let line = admin.ok(LINE, json!({ "l": l.line })).await;
    assert_eq!(line["line"]["status"], "ACTIVE");
    let order = admin
        .ok(
            "query($o: ID!) { order(id: $o) { status holdReason approvalId } }",
            json!({ "o": l.suspend_order }),
        )
        .await;
    assert_eq!(order["order"]["status"], "HELD");
    assert!(
        order["order"]["holdReason"]
            .as_str()
            .expect("reason")
            .contains("approval")
    );
    // The requester's role may not approve; nobody approves their own request.
    assert_eq!(code(&support.gql("mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }", json!({ "a": l.approval })).await).as_deref(), Some("FORBIDDEN"));
    let own = admin.ok("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"fraud\"}) { approvalRequest { id } } }", json!({ "l": l.line })).await;
    let own_id = own["lineTerminate"]["approvalRequest"]["id"].clone();
    let self_approve = admin
        .gql(
            "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }",
            json!({ "a": own_id }),
        )
        .await;
    assert_eq!(
        code(&self_approve).as_deref(),
        Some("FORBIDDEN"),
        "{self_approve}"
    );
    s.as_role("sakura-mobile", "approver").await.ok("mutation($a: ID!) { approvalReject(input: {id: $a, note: \"customer only lost the phone\"}) { approvalRequest { status } } }", json!({ "a": own_id })).await;
    // The queue shows the pending suspension.
    let queue = s
        .as_role("sakura-mobile", "approver")
        .await
        .ok(
            "{ approvalRequests { edges { node { id action summary requestedBy } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        queue["approvalRequests"]["edges"][0]["node"]["action"],
        "line.suspend"
    );
    assert!(
        queue["approvalRequests"]["edges"][0]["node"]["summary"]
            .as_str()
            .expect("s")
            .contains("lost phone")
    );
    // Approved: executed once, the line suspended (locally, and said so), audit links both people.
    let done = approve(&s, "sakura-mobile", &l.approval).await;
    assert_eq!(done["status"], "EXECUTED", "{done}");
    let line = admin.ok(LINE, json!({ "l": l.line })).await["line"].clone();
    assert_eq!(line["status"], "SUSPENDED");
    assert_eq!(line["contract"]["status"], "SUSPENDED");
    assert!(
        line["statusReason"]
            .as_str()
            .expect("reason")
            .contains("completed locally")
    );
    assert!(
        line["provisioningJobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .any(|j| j["action"] == "suspend" && j["completedBy"] == "local")
    );
    let change = line["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["after"]["status"] == "suspended")
        .expect("suspended in history")
        .clone();
    assert_eq!(change["approvalId"], json!(l.approval));
    assert_eq!(
        change["after"]["requested_by"],
        "support@sakura-mobile.example"
    );
    assert_eq!(
        change["after"]["approved_by"],
        "approver@sakura-mobile.example"
    );
    assert_eq!(change["actorLabel"], "approver@sakura-mobile.example");
    // Approving again: already executed.
    let again = s
        .as_role("sakura-mobile", "approver")
        .await
        .gql(
            "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }",
            json!({ "a": l.approval }),
        )
        .await;
    assert_eq!(code(&again).as_deref(), Some("CONFLICT"));
    // Resume, then terminate: the number rests in quarantine, the SIM comes back.
    let r = support
        .ok(
            "mutation($l: ID!) { lineResume(input: {lineId: $l}) { approvalRequest { id } } }",
            json!({ "l": l.line }),
        )
        .await;
    approve(
        &s,
        "sakura-mobile",
        r["lineResume"]["approvalRequest"]["id"]
            .as_str()
            .expect("id"),
    )
    .await;
    assert_eq!(
        admin.ok(LINE, json!({ "l": l.line })).await["line"]["status"],
        "ACTIVE"
    );
    let t = support.ok("mutation($l: ID!) { lineTerminate(input: {lineId: $l, reason: \"contract ended\"}) { approvalRequest { id } } }", json!({ "l": l.line })).await;
    approve(
        &s,
        "sakura-mobile",
        t["lineTerminate"]["approvalRequest"]["id"]
            .as_str()
            .expect("id"),
    )
    .await;
    let line = admin.ok(LINE, json!({ "l": l.line })).await["line"].clone();
    assert_eq!(line["status"], "TERMINATED");
    assert_eq!(line["contract"]["status"], "TERMINATED");
    assert_eq!(line["sim"]["status"], "RETURNED");
    let nums = admin
        .ok(
            "{ numbers(status: QUARANTINED) { msisdn quarantineUntil } }",
            json!({}),
        )
        .await;
    assert_eq!(nums["numbers"][0]["msisdn"], l.msisdn);
    // A terminated line cannot be suspended: asked, it is refused at once.
    let late = support.gql("mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"x\"}) { order { id } } }", json!({ "l": l.line })).await;
    assert_eq!(code(&late).as_deref(), Some("CONFLICT"));
    // Everything is in the audit chain and it verifies.
    assert_eq!(
        s.as_role("sakura-mobile", "auditor")
            .await
            .ok("{ auditVerify { ok } }", json!({}))
            .await["auditVerify"]["ok"],
        true
    );
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE topic IN ('line.status_changed', 'approval.requested', 'order.completed', 'kyc.status_changed')")
        .fetch_one(&env.admin)
        .await
        .expect("n");
    assert!(events >= 10, "{events}");
}

#[tokio::test]
async fn kyc_holds_activation_until_verified() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 2).await;
    let sales = s.as_role("sakura-mobile", "sales").await;
    let c = sales.ok("mutation { customerCreate(input: {kind: \"business\", name: \"Osaka Trading KK\", email: \"it@osaka-trading.example\"}) { customer { id kycStatus } } }", json!({})).await;
    let cust = c["customerCreate"]["customer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(c["customerCreate"]["customer"]["kycStatus"], "NOT_STARTED");
    let o = sales
        .ok("mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { id status holdReason lineId } } }", json!({ "c": cust, "p": l.plan, "i": l.iccids[1] }))
        .await;
    let order = o["orderNewLine"]["order"].clone();
    assert_eq!(order["status"], "HELD");
    assert!(
        order["holdReason"].as_str().expect("why").contains("KYC"),
        "{order}"
    );
    assert!(order["lineId"].is_null());
    sales
        .ok(
            "mutation($c: ID!) { kycSubmit(input: {customerId: $c}) { customer { kycStatus } } }",
            json!({ "c": cust }),
        )
        .await;
    let a = sales.ok("mutation($c: ID!) { kycVerify(input: {customerId: $c}) { approvalRequest { id status } } }", json!({ "c": cust })).await;
    let kyc = s
        .as_role("sakura-mobile", "approver")
        .await
        .ok(
            "query($c: ID!) { customer(id: $c) { kycStatus } }",
            json!({ "c": cust }),
        )
        .await;
    assert_eq!(
        kyc["customer"]["kycStatus"], "SUBMITTED",
        "not verified until approved"
    );
    let done = approve(
        &s,
        "sakura-mobile",
        a["kycVerify"]["approvalRequest"]["id"].as_str().expect("a"),
    )
    .await;
    assert_eq!(done["result"]["releasedOrders"], 1);
    let after = sales
        .ok(
            "query($o: ID!) { order(id: $o) { status line { status msisdn } } }",
            json!({ "o": order["id"] }),
        )
        .await;
    assert_eq!(after["order"]["status"], "COMPLETED");
    assert_eq!(after["order"]["line"]["status"], "ACTIVE");
}

#[tokio::test]
async fn concurrent_requests_and_approvals_cannot_both_win() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "fuji-telecom", 3).await;
    let support = s.as_role("fuji-telecom", "support").await;
    let admin = s.as_role("fuji-telecom", "tenant_admin").await;
    // A suspension is already pending: a second request for it is a CONFLICT.
    let q = "mutation($l: ID!) { lineSuspend(input: {lineId: $l, reason: \"again\"}) { approvalRequest { id } } }";
    let (a, b) = tokio::join!(
        support.gql(q, json!({ "l": l.line })),
        admin.gql(q, json!({ "l": l.line }))
    );
    assert_eq!(code(&a).as_deref(), Some("CONFLICT"), "{a}");
    assert_eq!(code(&b).as_deref(), Some("CONFLICT"), "{b}");
    // Two approvers at once: one executes, the other is told it is already decided.
    let approver = s.as_role("fuji-telecom", "approver").await;
    let m = "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }";
    let (x, y) = tokio::join!(
        approver.gql(m, json!({ "a": l.approval })),
        admin.gql(m, json!({ "a": l.approval }))
    );
    let ok = [&x, &y].iter().filter(|r| code(r).is_none()).count();
    let conflict = [&x, &y]
        .iter()
        .filter(|r| code(r).as_deref() == Some("CONFLICT"))
        .count();
    assert_eq!((ok, conflict), (1, 1), "{x} {y}");
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_jobs WHERE line_id = $1::uuid AND action = 'suspend'",
    )
    .bind(&l.line)
    .fetch_one(&env.admin)
    .await
    .expect("n");
    assert_eq!(jobs, 1, "the carrier is asked once");
    // The database itself refuses a second live line on the same SIM or number.
    let dup = sqlx::query("INSERT INTO lines (tenant_id, id, contract_id, customer_id, msisdn, sim_id, status) SELECT tenant_id, gen_random_uuid(), contract_id, customer_id, msisdn, sim_id, 'active' FROM lines WHERE id = $1::uuid")
        .bind(&l.line)
        .execute(&env.admin)
        .await;
    assert!(
        dup.is_err_and(|e| e.to_string().contains("lines_one_live")),
        "one live line per MSISDN/SIM is a constraint"
    );
}

#[tokio::test]
async fn identifiers_duplicates_masking_and_secrets() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 4).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let mut bad = iccid(4, 90);
    let last = bad.pop().expect("digit");
    bad.push(if last == '0' { '1' } else { '0' });
    let r = admin
        .gql("mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }", json!({ "i": [{ "iccid": iccid(4, 91), "imsi": imsi(4, 91) }, { "iccid": bad, "imsi": "12345" }] }))
        .await;
    assert_eq!(code(&r).as_deref(), Some("VALIDATION"));
    let fields: Vec<&str> = r["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["input.items[1].iccid", "input.items[1].imsi"]);
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("Luhn")
    );
    let dup = admin
        .gql(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": [{ "iccid": l.iccids[0], "imsi": imsi(4, 92) }] }),
        )
        .await;
    assert_eq!(code(&dup).as_deref(), Some("CONFLICT"));
    assert!(
        dup["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains(&l.sim),
        "names the existing SIM: {dup}"
    );
    let n = admin
        .gql(
            "mutation { numbersAdd(input: {items: [\"090-12ab-5678\"]}) { added } }",
            json!({}),
        )
        .await;
    assert_eq!(
        n["errors"][0]["extensions"]["field"],
        "input.items[0].msisdn"
    );
    let imei = admin.gql("mutation { devicesAdd(input: {items: [{imei: \"490154203237519\", model: \"Pixel\"}]}) { added } }", json!({})).await;
    assert_eq!(
        code(&imei).as_deref(),
        Some("VALIDATION"),
        "bad IMEI check digit: {imei}"
    );
    admin.ok("mutation { devicesAdd(input: {items: [{imei: \"490154203237518\", model: \"Pixel 8\"}]}) { added } }", json!({})).await;
    // Another tenant's duplicate is refused without naming it.
    let fuji = s.as_role("fuji-telecom", "tenant_admin").await;
    let hidden = fuji
        .gql(
            "mutation($i: [SimItem!]!) { simsAdd(input: {items: $i}) { added } }",
            json!({ "i": [{ "iccid": l.iccids[2], "imsi": imsi(4, 93) }] }),
        )
        .await;
    assert_eq!(code(&hidden).as_deref(), Some("CONFLICT"));
    assert!(!hidden.to_string().contains(&l.sim), "{hidden}");
    // Support sees masked identifiers; sales sees them in full; PIN/PUK only for the admin.
    let q = "query($l: ID!) { line(id: $l) { sim { iccid imsi } } }";
    let masked = s
        .as_role("sakura-mobile", "support")
        .await
        .ok(q, json!({ "l": l.line }))
        .await;
    let shown = masked["line"]["sim"]["iccid"].as_str().expect("iccid");
    assert!(
        shown.contains("****")
            && shown.ends_with(&l.iccids[0][l.iccids[0].len() - 4..])
            && shown != l.iccids[0],
        "{shown}"
    );
    let full = s
        .as_role("sakura-mobile", "sales")
        .await
        .ok(q, json!({ "l": l.line }))
        .await;
    assert_eq!(full["line"]["sim"]["iccid"], l.iccids[0]);
    let secrets = admin
        .ok(
            "query($s: ID!) { simSecrets(id: $s) { pin puk } }",
            json!({ "s": l.sim }),
        )
        .await;
    assert_eq!(
        secrets["simSecrets"],
        json!({ "pin": "1234", "puk": "12345678" })
    );
    for role in ["support", "auditor", "sales"] {
        let denied = s
            .as_role("sakura-mobile", role)
            .await
            .gql(
                "query($s: ID!) { simSecrets(id: $s) { pin } }",
                json!({ "s": l.sim }),
            )
            .await;
        assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{role}");
    }
    // The eSIM profile lifecycle, along its machine only.
    let skip = admin.gql("mutation($e: ID!) { esimProfileSetStatus(input: {id: $e, status: INSTALLED}) { esimProfile { status } } }", json!({ "e": l.esim })).await;
    assert_eq!(
        code(&skip).as_deref(),
        Some("CONFLICT"),
        "available cannot jump to installed: {skip}"
    );
    let o = admin
        .ok("mutation($c: ID!, $p: ID!) { orderNewLine(input: {customerId: $c, planId: $p}) { order { status line { esimProfileId sim { id } } } } }", json!({ "c": l.customer, "p": l.plan }))
        .await;
    let line = &o["orderNewLine"]["order"]["line"];
    assert_eq!(
        line["esimProfileId"],
        json!(l.esim),
        "without an ICCID the line gets an eSIM profile"
    );
    assert!(line["sim"].is_null());
    for st in ["DOWNLOADED", "INSTALLED"] {
        let r = admin.ok("mutation($e: ID!, $s: EsimStatus!) { esimProfileSetStatus(input: {id: $e, status: $s}) { esimProfile { status } } }", json!({ "e": l.esim, "s": st })).await;
        assert_eq!(r["esimProfileSetStatus"]["esimProfile"]["status"], st);
    }
    let code_read = admin
        .ok(
            "query($e: ID!) { esimActivationCode(id: $e) }",
            json!({ "e": l.esim }),
        )
        .await;
    assert_eq!(
        code_read["esimActivationCode"],
        "LPA:1$smdp.example.jp$ABC-123"
    );
    let stored: Vec<u8> = sqlx::query_scalar("SELECT pin_enc FROM sims WHERE id = $1::uuid")
        .bind(&l.sim)
        .fetch_one(&env.admin)
        .await
        .expect("row");
    assert!(
        !stored.windows(4).any(|w| w == b"1234"),
        "PIN encrypted at rest"
    );
    let log = s.as_role("sakura-mobile", "auditor").await.ok("{ auditLog(filter: {action: \"sim.secrets_read\"}) { edges { node { actorLabel } } } }", json!({})).await;
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["actorLabel"],
        "admin@sakura-mobile.example"
    );
}
