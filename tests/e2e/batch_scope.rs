//! Batch reads (the API's DataLoaders): a page of lines reads all their orders in one
//! statement, however many lines it holds; and a customer login's batch reads stop at its
//! own scope whatever ids they are given — plans of its own contracts only, orders of its
//! own lines only.

use serde_json::json;
use tsunagi_tests::ledger::{build, verified_customer};
use tsunagi_tests::{Client, TestEnv};
use uuid::Uuid;

fn id(v: &serde_json::Value) -> Uuid {
    v.as_str().and_then(|s| s.parse().ok()).expect("an id")
}

async fn statements(c: &Client, q: &str, first: i32) -> u64 {
    let (_, body, headers) = c.gql_with(q, json!({ "first": first }), &[]).await;
    assert!(body.get("errors").is_none(), "{body}");
    headers
        .get("x-sql-statements")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("statement count header")
}

#[tokio::test]
async fn orders_in_one_read_and_customer_batches_in_scope() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, "sakura-mobile", 52).await;
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let new_line = "mutation($c: ID!, $p: ID!, $i: String!) { orderNewLine(input: {customerId: $c, planId: $p, iccid: $i}) { order { lineId line { contractId } } } }";
    admin
        .ok(
            new_line,
            json!({ "c": l.customer, "p": l.plan, "i": l.iccids[1] }),
        )
        .await;
    // Another customer of the tenant, on a plan of its own: a plan in use, just not ours.
    let p = admin
        .ok("mutation { planCreate(input: {code: \"OTHER-1G\", name: \"Other 1GB\", price: {monthlyFee: 980, dataMb: 1024, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { plan { id } } }", json!({}))
        .await;
    let other_plan = id(&p["planCreate"]["plan"]["id"]);
    admin
        .ok(
            "mutation($p: ID!) { planActivate(input: {id: $p, version: 1}) { plan { status } } }",
            json!({ "p": other_plan.to_string() }),
        )
        .await;
    let other = verified_customer(&s, "sakura-mobile", "Suzuki Jiro", "090-7777-0052").await;
    let o = admin
        .ok(
            new_line,
            json!({ "c": other, "p": other_plan.to_string(), "i": l.iccids[2] }),
        )
        .await;
    let other_line = id(&o["orderNewLine"]["order"]["lineId"]);
    let other_contract = id(&o["orderNewLine"]["order"]["line"]["contractId"]);

    // One page of lines with their orders: the same statements for one line as for three.
    let q = "query($first: Int) { lines(first: $first) { nodes { id orders { id kind } } } }";
    statements(&admin, q, 3).await; // warm the caches a first request fills
    let one = statements(&admin, q, 1).await;
    let three = statements(&admin, q, 3).await;
    assert_eq!(
        one, three,
        "orders of 1 line: {one} statements, of 3: {three}"
    );
    let r = admin.ok(q, json!({ "first": 3 })).await;
    let with_orders = r["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|n| n["orders"].as_array().is_some_and(|o| !o.is_empty()))
        .count();
    assert_eq!(with_orders, 3, "each line shows its new-line order: {r}");

    // A customer administrator's batch reads, asked for ids beyond its scope.
    let boss = tsunagi_tests::seed::customer_admin(
        &s,
        "sakura-mobile",
        "boss@tanaka.example",
        &l.customer,
    )
    .await;
    let token = boss.token.as_deref().expect("token");
    let app = &env.running.app;
    let principal = tsunagi_app::auth::authenticate(app, token)
        .await
        .expect("principal");
    let ctx = tsunagi_app::Ctx::new(principal, None);
    let own_plan = id(&json!(l.plan));
    let plans = tsunagi_app::batch::plans(app, &ctx, &[own_plan, other_plan])
        .await
        .expect("plans");
    let got: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    assert_eq!(got, [own_plan], "only the plan of its own contracts");
    // Staff read both.
    let staff = tsunagi_app::auth::authenticate(app, admin.token.as_deref().expect("token"))
        .await
        .expect("staff");
    let staff = tsunagi_app::Ctx::new(staff, None);
    let both = tsunagi_app::batch::plans(app, &staff, &[own_plan, other_plan])
        .await
        .expect("plans");
    assert_eq!(both.len(), 2);
    let own = (id(&json!(l.line)), id(&json!(l.contract)));
    let orders =
        tsunagi_app::batch::orders_of_lines(app, &ctx, &[own, (other_line, other_contract)])
            .await
            .expect("orders");
    assert!(!orders.is_empty(), "its own line's orders");
    assert!(
        orders.iter().all(|(k, _)| *k == own),
        "another customer's line gets none: {:?}",
        orders.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    // A key whose contract is not the line's own is not answered either.
    let forged = tsunagi_app::batch::orders_of_lines(app, &ctx, &[(own.0, other_contract)])
        .await
        .expect("orders");
    assert!(forged.is_empty(), "{forged:?}");
}
