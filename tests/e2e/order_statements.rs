//! How many SQL statements an order costs, end to end (the `x-sql-statements` header of every
//! GraphQL response): the structural guard for the orders-per-second target. A suspension and
//! a resumption, each requested by support and approved by a second person, must stay within
//! 15 statements per order — and batching the audit records at commit must leave the chain
//! whole and every event in the outbox, also when many orders of one tenant commit at once.

use reqwest::header::HeaderMap;
use serde_json::json;
use tsunagi_tests::ledger::{approve, build};
use tsunagi_tests::{Client, TestEnv};

fn statements(h: &HeaderMap) -> u64 {
    h.get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("statement count header")
}

/// Requests `op` on the line and approves it; returns the statements of both requests.
async fn order(support: &Client, approver: &Client, m: &str, line: &str) -> u64 {
    let (_, req, h1) = support
        .gql_with(
            &format!("mutation($l: ID!) {{ {m}(input: {{lineId: $l, reason: \"customer asked\"}}) {{ approvalRequest {{ id }} }} }}"),
            json!({ "l": line }),
            &[],
        )
        .await;
    let a = req["data"][m]["approvalRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{m}: {req}"))
        .to_owned();
    let (_, res, h2) = approver
        .gql_with(
            "mutation($a: ID!) { approvalApprove(input: {id: $a}) { approvalRequest { status } } }",
            json!({ "a": a }),
            &[],
        )
        .await;
    assert_eq!(
        res["data"]["approvalApprove"]["approvalRequest"]["status"], "EXECUTED",
        "{res}"
    );
    statements(&h1) + statements(&h2)
}

#[tokio::test]
async fn a_suspension_and_a_resumption_take_at_most_15_statements_each() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 31).await;
    let support = s.as_role("sakura-mobile", "support").await;
    let approver = s.as_role("sakura-mobile", "approver").await;
    // Warm the caches a first request fills (principal, the tenant's enforcer).
    support.ok("{ viewer { tenantSlug } }", json!({})).await;
    approver.ok("{ viewer { tenantSlug } }", json!({})).await;
    // The ledger comes with a suspension waiting for its approval: let it through first.
    approve(&s, "sakura-mobile", &l.approval).await;
    let tenant = s.tenant("sakura-mobile");
    let outbox_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE tenant_id = $1::uuid")
            .bind(tenant)
            .fetch_one(&env.admin)
            .await
            .expect("outbox");
    for (m, status) in [("lineResume", "ACTIVE"), ("lineSuspend", "SUSPENDED")] {
        let n = order(&support, &approver, m, &l.line).await;
        println!("{m}: {n} SQL statements (request + approval)");
        assert!(n <= 15, "{m} took {n} SQL statements (request + approval)");
        let v = support
            .ok(
                "query($l: ID!) { line(id: $l) { status history { action } } }",
                json!({ "l": l.line }),
            )
            .await;
        assert_eq!(v["line"]["status"], status, "{v}");
    }
    // Every change of both orders is in the log and announced.
    let topics: Vec<String> = sqlx::query_scalar(
        "SELECT topic FROM outbox WHERE tenant_id = $1::uuid ORDER BY seq OFFSET $2",
    )
    .bind(tenant)
    .bind(outbox_before)
    .fetch_all(&env.admin)
    .await
    .expect("topics");
    for t in [
        "order.acknowledged",
        "order.held",
        "order.in_progress",
        "order.completed",
    ] {
        assert_eq!(
            topics.iter().filter(|x| *x == t).count(),
            2,
            "{t} once per order: {topics:?}"
        );
    }
    // resuming, active, suspending, suspended
    assert_eq!(
        topics
            .iter()
            .filter(|x| *x == "line.status_changed")
            .count(),
        4,
        "{topics:?}"
    );
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let v = auditor
        .ok("{ auditVerify { ok recordsChecked } }", json!({}))
        .await;
    assert_eq!(v["auditVerify"]["ok"], true, "{v}");
}

#[tokio::test]
async fn orders_committing_at_once_keep_one_unbroken_chain() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 32).await;
    let support = s.as_role("sakura-mobile", "support").await;
    let approver = s.as_role("sakura-mobile", "approver").await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    approve(&s, "sakura-mobile", &l.approval).await;
    // Suspensions and resumptions of one line race with user creations in the same tenant.
    let orders = {
        let (support, approver, line) = (support.clone(), approver.clone(), l.line.clone());
        tokio::spawn(async move {
            for _ in 0..3 {
                order(&support, &approver, "lineResume", &line).await;
                order(&support, &approver, "lineSuspend", &line).await;
            }
        })
    };
    let mut users = Vec::new();
    for w in 0..4 {
        let admin = admin.clone();
        users.push(tokio::spawn(async move {
            for i in 0..5 {
                admin
                    .ok(&format!("mutation {{ userCreate(input: {{email: \"race{w}-{i}@sakura-mobile.example\", displayName: \"Race\", password: \"long-enough-password\", roles: [\"sales\"]}}) {{ user {{ id }} }} }}"), json!({}))
                    .await;
            }
        }));
    }
    orders.await.expect("orders");
    for u in users {
        u.await.expect("users");
    }
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let v = auditor
        .ok(
            "{ auditVerify { ok recordsChecked firstBrokenSeq reason } }",
            json!({}),
        )
        .await;
    assert_eq!(v["auditVerify"]["ok"], true, "{v}");
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1::uuid AND action = 'user.create' AND after->>'email' LIKE 'race%'",
    )
    .bind(s.tenant("sakura-mobile"))
    .fetch_one(&env.admin)
    .await
    .expect("count");
    assert_eq!(created, 20);
}
