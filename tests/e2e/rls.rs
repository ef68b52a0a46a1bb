//! Row-level security meta-tests: every table with a `tenant_id` column has RLS enabled and
//! forced with policies; the app role owns nothing and cannot bypass; without a tenant
//! context the app role sees no rows at all.

use sqlx::{Connection, Executor, PgConnection};
use tsunagi_tests::TestEnv;

#[tokio::test]
async fn every_tenant_table_is_forced_and_has_policies() {
    let env = TestEnv::start().await.expect("env");
    let rows: Vec<(String, bool, bool, i64, Vec<String>)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity, \
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), \
                ARRAY(SELECT DISTINCT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) \
         ORDER BY 1",
    )
    .fetch_all(&env.admin)
    .await
    .expect("catalog");
    assert!(
        rows.len() >= 7,
        "expected the tenant tables, found {rows:?}"
    );
    for (table, enabled, forced, policies, cmds) in rows {
        assert!(enabled, "{table}: row-level security not enabled");
        assert!(forced, "{table}: row-level security not forced");
        assert!(policies >= 2, "{table}: needs read and write policies");
        assert!(cmds.contains(&"r".to_owned()), "{table}: no SELECT policy");
        assert!(cmds.contains(&"a".to_owned()), "{table}: no INSERT policy");
    }
    let (bypass, superuser): (bool, bool) =
        sqlx::query_as("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'tsunagi_app'")
            .fetch_one(&env.admin)
            .await
            .expect("role");
    assert!(!bypass && !superuser, "the app role must not bypass RLS");
    let owned: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'tsunagi_app'").fetch_one(&env.admin).await.expect("owned");
    assert_eq!(owned, 0, "the app role owns nothing");
}

#[tokio::test]
async fn no_tenant_context_no_rows() {
    let env = TestEnv::start().await.expect("env");
    env.seed().await.expect("seed");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&env.admin)
        .await
        .expect("n");
    assert!(total > 30);
    let mut app = PgConnection::connect(&env.config.database.url.0)
        .await
        .expect("app role connects");
    for table in [
        "users",
        "tenants",
        "audit_log",
        "sessions",
        "api_keys",
        "outbox",
        "authz_policies",
        "idempotency_keys",
        "refresh_tokens",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut app)
                .await
                .expect("count");
        assert_eq!(n, 0, "{table}: rows visible without a tenant context");
    }
    // With a context, only that tenant's rows; a write aimed at another tenant is refused.
    let (sakura, fuji): (uuid::Uuid, uuid::Uuid) = sqlx::query_as("SELECT (SELECT id FROM tenants WHERE slug = 'sakura-mobile'), (SELECT id FROM tenants WHERE slug = 'fuji-telecom')").fetch_one(&env.admin).await.expect("ids");
    let mut tx = app.begin().await.expect("tx");
    sqlx::query(
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.visible_tenants', $2, true)",
    )
    .bind(sakura.to_string())
    .bind(format!("{{{sakura}}}"))
    .execute(&mut *tx)
    .await
    .expect("ctx");
    let other: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE tenant_id <> $1")
        .bind(sakura)
        .fetch_one(&mut *tx)
        .await
        .expect("n");
    assert_eq!(other, 0);
    let write = sqlx::query("INSERT INTO users (tenant_id, id, email, display_name) VALUES ($1, gen_random_uuid(), 'x@x.example', 'x')").bind(fuji).execute(&mut *tx).await;
    assert!(
        write.is_err(),
        "writing into another tenant must be refused"
    );
    tx.rollback().await.expect("rollback");
    // The context dies with the transaction: the pooled connection is clean again.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut app)
        .await
        .expect("n");
    assert_eq!(n, 0);
    app.execute("SELECT 1").await.expect("alive");
}
