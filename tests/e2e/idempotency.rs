//! Idempotency keys (replay and conflict) and optimistic concurrency (stale versions).

use serde_json::json;
use tsunagi_tests::{TestEnv, code};

const CREATE: &str = "mutation($e: String!) { userCreate(input: {email: $e, displayName: \"Idem\", password: \"long-enough-password\", roles: [\"sales\"]}) { user { id email } } }";

#[tokio::test]
async fn same_key_same_request_replays_different_request_conflicts() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let vars = json!({ "e": "idem@sakura-mobile.example" });
    let (_, first, h1) = admin
        .gql_with(CREATE, vars.clone(), &[("Idempotency-Key", "k-123")])
        .await;
    assert!(
        first["data"]["userCreate"]["user"]["id"].is_string(),
        "{first}"
    );
    assert!(h1.get("idempotent-replayed").is_none());
    let (_, second, h2) = admin
        .gql_with(CREATE, vars.clone(), &[("Idempotency-Key", "k-123")])
        .await;
    assert_eq!(second, first, "the stored response, not a second user");
    assert_eq!(
        h2.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'idem@sakura-mobile.example'")
            .fetch_one(&env.admin)
            .await
            .expect("n");
    assert_eq!(n, 1, "created once");
    let (_, other, _) = admin
        .gql_with(
            CREATE,
            json!({ "e": "other@sakura-mobile.example" }),
            &[("Idempotency-Key", "k-123")],
        )
        .await;
    assert_eq!(code(&other).as_deref(), Some("CONFLICT"));
    // Without a key, a retry is a new request (and here a duplicate e-mail).
    let again = admin.gql(CREATE, vars.clone()).await;
    assert_eq!(code(&again).as_deref(), Some("CONFLICT"));
    // Keys are per tenant (and principal): fuji's admin may use the same key for its own request.
    let fuji = s.as_role("fuji-telecom", "tenant_admin").await;
    let (_, theirs, _) = fuji
        .gql_with(
            CREATE,
            json!({ "e": "idem@fuji-telecom.example" }),
            &[("Idempotency-Key", "k-123")],
        )
        .await;
    assert_eq!(
        theirs["data"]["userCreate"]["user"]["email"],
        "idem@fuji-telecom.example"
    );
    // Kept at least 24 hours.
    let hours: f64 = sqlx::query_scalar("SELECT min(extract(epoch FROM expires_at - created_at) / 3600)::float8 FROM idempotency_keys").fetch_one(&env.admin).await.expect("ttl");
    assert!(hours >= 24.0, "{hours}");
}

#[tokio::test]
async fn stale_version_is_a_conflict() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let platform = s.as_role("platform", "platform_operator").await;
    let fuji = s.tenant("fuji-telecom");
    let q = "mutation($id: ID!, $v: Int!, $n: String!) { tenantUpdate(input: {id: $id, version: $v, name: $n}) { tenant { name version } } }";
    let ok = platform
        .ok(q, json!({ "id": fuji, "v": 1, "n": "Fuji Telecom KK" }))
        .await;
    assert_eq!(ok["tenantUpdate"]["tenant"]["version"], 2);
    let stale = platform
        .gql(q, json!({ "id": fuji, "v": 1, "n": "Lost update" }))
        .await;
    assert_eq!(code(&stale).as_deref(), Some("CONFLICT"));
    assert!(
        stale["errors"][0]["message"]
            .as_str()
            .expect("msg")
            .contains("current version is 2")
    );
    let name: String = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1::uuid")
        .bind(fuji)
        .fetch_one(&env.admin)
        .await
        .expect("name");
    assert_eq!(name, "Fuji Telecom KK", "the stale write changed nothing");

    // Two concurrent writers with the same version: exactly one wins.
    let q2 = "mutation($id: ID!, $n: String!) { tenantUpdate(input: {id: $id, version: 2, name: $n}) { tenant { version } } }";
    let (a, b) = tokio::join!(
        platform.gql(q2, json!({ "id": fuji, "n": "A" })),
        platform.gql(q2, json!({ "id": fuji, "n": "B" }))
    );
    let outcomes = [code(&a), code(&b)];
    assert_eq!(
        outcomes.iter().filter(|c| c.is_none()).count(),
        1,
        "{a} {b}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|c| c.as_deref() == Some("CONFLICT"))
            .count(),
        1,
        "{a} {b}"
    );
}
