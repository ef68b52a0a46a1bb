//! A customer's contacts and billing accounts: sales adds a billing contact (a national
//! phone number stored as E.164) and a second billing account in the tenant's currency;
//! bad input names its field and changes nothing; a contact is removed with the audit
//! keeping what it was; support (read-only on customers) may not change them; the
//! customer's own administrator keeps its own contacts and cannot reach another customer's.

use serde_json::json;
use tsunagi_tests::ledger::{build, verified_customer};
use tsunagi_tests::{TestEnv, code};

const ADD: &str = "mutation($c: ID!, $n: String!, $e: String, $p: String, $r: String!) { customerContactAdd(input: {customerId: $c, name: $n, email: $e, phone: $p, role: $r}) { customer { contacts { id name email phone role } } } }";
const REMOVE: &str = "mutation($c: ID!, $k: ID!) { customerContactRemove(input: {customerId: $c, contactId: $k}) { customer { contacts { id } } } }";
const ACCOUNT: &str = "mutation($c: ID!, $n: String!) { customerBillingAccountAdd(input: {customerId: $c, name: $n}) { customer { billingAccounts { name currency } } } }";

#[tokio::test]
async fn contacts_and_billing_accounts_are_kept_audited_and_scoped() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 41).await;
    let sales = s.as_role("sakura-mobile", "sales").await;
    let c = l.customer.clone();

    let added = sales
        .ok(ADD, json!({ "c": c, "n": "Keiri Hanako", "e": "Keiri@Tanaka.example", "p": "090-1234-5678", "r": "billing" }))
        .await;
    let contacts = added["customerContactAdd"]["customer"]["contacts"]
        .as_array()
        .expect("contacts")
        .clone();
    let billing = contacts
        .iter()
        .find(|k| k["role"] == "billing")
        .expect("the billing contact");
    assert_eq!(billing["email"], "keiri@tanaka.example");
    assert_eq!(billing["phone"], "+819012345678");

    // Bad input: each field named, nothing added.
    for (vars, field) in [
        (
            json!({ "c": c, "n": "x", "e": "x@y.example", "r": "boss" }),
            "input.role",
        ),
        (
            json!({ "c": c, "n": "x", "e": "not-an-address", "r": "primary" }),
            "input.email",
        ),
        (
            json!({ "c": c, "n": "x", "p": "12", "r": "primary" }),
            "input.phone",
        ),
        (
            json!({ "c": c, "n": "no way to reach", "r": "primary" }),
            "input.email",
        ),
        (
            json!({ "c": c, "n": " ", "e": "x@y.example", "r": "primary" }),
            "input.name",
        ),
    ] {
        let bad = sales.gql(ADD, vars.clone()).await;
        assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{vars}: {bad}");
        let ext = &bad["errors"][0]["extensions"];
        let fields = format!("{} {}", ext["fields"], ext["field"]);
        assert!(fields.contains(field), "{vars}: expected {field}: {bad}");
    }
    let read = "query($c: ID!) { customer(id: $c) { contacts { id role } billingAccounts { name currency } } }";
    let now = sales.ok(read, json!({ "c": c })).await;
    assert_eq!(
        now["customer"]["contacts"].as_array().map(Vec::len),
        Some(contacts.len()),
        "rejected input added nothing"
    );

    // A second billing account, in the tenant's currency.
    let acc = sales
        .ok(ACCOUNT, json!({ "c": c, "n": "Tanaka Shoji (branch)" }))
        .await;
    let accounts = acc["customerBillingAccountAdd"]["customer"]["billingAccounts"]
        .as_array()
        .expect("accounts")
        .clone();
    assert!(
        accounts
            .iter()
            .any(|a| a["name"] == "Tanaka Shoji (branch)" && a["currency"] == "JPY"),
        "{acc}"
    );
    let blank = sales.gql(ACCOUNT, json!({ "c": c, "n": "" })).await;
    assert_eq!(
        blank["errors"][0]["extensions"]["fields"][0]["field"], "input.name",
        "{blank}"
    );

    // Support reads customers but does not change them.
    let support = s.as_role("sakura-mobile", "support").await;
    let denied = support
        .gql(
            ADD,
            json!({ "c": c, "n": "x", "e": "x@y.example", "r": "primary" }),
        )
        .await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let denied = support.gql(ACCOUNT, json!({ "c": c, "n": "x" })).await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");

    // Removed, and the audit log keeps what it was.
    let id = billing["id"].clone();
    let gone = sales.ok(REMOVE, json!({ "c": c, "k": id })).await;
    assert!(
        !gone.to_string().contains(id.as_str().expect("id")),
        "{gone}"
    );
    let twice = sales.gql(REMOVE, json!({ "c": c, "k": id })).await;
    assert_eq!(code(&twice).as_deref(), Some("NOT_FOUND"), "{twice}");
    let audit: Vec<(String, Option<serde_json::Value>)> = sqlx::query_as(
        "SELECT action, before FROM audit_log WHERE target_id = $1 AND action LIKE 'customer.%' ORDER BY seq",
    )
    .bind(c.as_str())
    .fetch_all(&env.admin)
    .await
    .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    for a in [
        "customer.contact_add",
        "customer.billing_account_add",
        "customer.contact_remove",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let removed = audit
        .iter()
        .find(|(a, _)| a == "customer.contact_remove")
        .and_then(|(_, b)| b.clone())
        .expect("before");
    assert_eq!(removed["email"], "keiri@tanaka.example");

    // The customer's own administrator: its own contacts yes, another customer's no.
    let other = verified_customer(&s, "sakura-mobile", "Suzuki Ichiro", "090-7777-0001").await;
    let boss =
        tsunagi_tests::seed::customer_admin(&s, "sakura-mobile", "boss@tanaka.example", &c).await;
    boss.ok(
        ADD,
        json!({ "c": c, "n": "Night desk", "p": "03-1234-5678", "r": "emergency" }),
    )
    .await;
    let foreign = boss
        .gql(
            ADD,
            json!({ "c": other, "n": "x", "e": "x@y.example", "r": "primary" }),
        )
        .await;
    assert_eq!(code(&foreign).as_deref(), Some("NOT_FOUND"), "{foreign}");
    let foreign = boss.gql(ACCOUNT, json!({ "c": c, "n": "mine" })).await;
    assert_eq!(code(&foreign).as_deref(), Some("FORBIDDEN"), "{foreign}");
}
