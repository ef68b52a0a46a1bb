//! The audit chain: every mutation leaves a record; verification passes, and after a
//! superuser tampers with one record, names exactly that record. UPDATE and DELETE are
//! refused by trigger (even for the owner) and by grants (for the app role).

use serde_json::json;
use sqlx::Executor;
use tsunagi_tests::{TestEnv, code};

#[tokio::test]
async fn chain_verifies_and_tampering_is_pinpointed() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    for i in 0..5 {
        admin
            .ok(&format!("mutation {{ userCreate(input: {{email: \"clerk{i}@sakura-mobile.example\", displayName: \"Clerk {i}\", password: \"long-enough-password\", roles: [\"sales\"]}}) {{ user {{ id }} }} }}"), json!({}))
            .await;
    }
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let log = auditor.ok("{ auditLog(filter: {action: \"user.create\", actorId: null}, first: 3) { edges { node { seq action actorLabel targetType after requestId hash prevHash } } pageInfo { hasNextPage } } }", json!({})).await;
    let first = &log["auditLog"]["edges"][0]["node"];
    assert_eq!(first["action"], "user.create");
    assert_eq!(first["actorLabel"], "admin@sakura-mobile.example");
    assert_eq!(first["after"]["email"], "clerk4@sakura-mobile.example");
    assert!(first["requestId"].is_string());
    assert!(
        first["after"].get("password_hash").is_none(),
        "secrets never reach the log"
    );
    assert_eq!(log["auditLog"]["pageInfo"]["hasNextPage"], true);
    let v = auditor
        .ok(
            "{ auditVerify { ok recordsChecked firstBrokenSeq } }",
            json!({}),
        )
        .await;
    assert_eq!(v["auditVerify"]["ok"], true);
    let total = v["auditVerify"]["recordsChecked"].as_i64().expect("n");
    assert!(total >= 15);

    // Tamper as the database superuser, going around the trigger.
    let tenant = s.tenant("sakura-mobile");
    let victim_seq: i64 = sqlx::query_scalar("SELECT seq FROM audit_log WHERE tenant_id = $1::uuid AND action = 'user.create' ORDER BY seq LIMIT 1 OFFSET 2")
        .bind(tenant)
        .fetch_one(&env.admin)
        .await
        .expect("seq");
    let mut conn = env.admin.acquire().await.expect("conn");
    conn.execute("SET session_replication_role = replica")
        .await
        .expect("bypass triggers");
    sqlx::query("UPDATE audit_log SET actor_label = 'someone-else@evil.example' WHERE tenant_id = $1::uuid AND seq = $2")
        .bind(tenant)
        .bind(victim_seq)
        .execute(&mut *conn)
        .await
        .expect("tamper");
    conn.execute("SET session_replication_role = origin")
        .await
        .expect("reset");
    drop(conn);
    let v = auditor
        .ok("{ auditVerify { ok firstBrokenSeq reason } }", json!({}))
        .await;
    assert_eq!(v["auditVerify"]["ok"], false);
    assert_eq!(v["auditVerify"]["firstBrokenSeq"], victim_seq);
    // Other tenants' chains are unaffected.
    let fuji = s.as_role("fuji-telecom", "auditor").await;
    assert_eq!(
        fuji.ok("{ auditVerify { ok } }", json!({})).await["auditVerify"]["ok"],
        true
    );

    // The CLI (`tsunagi audit verify --tenant sakura-mobile`) says the same and fails.
    let cmd = tsunagi_server::cli::Command::Audit {
        cmd: tsunagi_server::cli::AuditCmd::Verify {
            tenant: "sakura-mobile".into(),
        },
    };
    let err = tsunagi_server::cli::execute(&env.config, cmd)
        .await
        .expect_err("broken chain fails the command");
    assert!(
        err.to_string()
            .contains(&format!("BROKEN at record seq {victim_seq}")),
        "{err}"
    );
    let cmd = tsunagi_server::cli::Command::Audit {
        cmd: tsunagi_server::cli::AuditCmd::Verify {
            tenant: "fuji-telecom".into(),
        },
    };
    tsunagi_server::cli::execute(&env.config, cmd)
        .await
        .expect("intact chain passes");
}

#[tokio::test]
async fn the_log_refuses_update_and_delete() {
    let env = TestEnv::start().await.expect("env");
    env.seed().await.expect("seed");
    let upd = env.admin.execute("UPDATE audit_log SET action = 'x'").await;
    assert!(
        upd.is_err_and(|e| e.to_string().contains("append-only")),
        "trigger refuses UPDATE even for the owner"
    );
    let del = env.admin.execute("DELETE FROM audit_log").await;
    assert!(del.is_err_and(|e| e.to_string().contains("append-only")));
    let trunc = env.admin.execute("TRUNCATE audit_log").await;
    assert!(trunc.is_err_and(|e| e.to_string().contains("append-only")));
    let grants: Vec<String> = sqlx::query_scalar("SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'tsunagi_app' AND table_name = 'audit_log' ORDER BY 1")
        .fetch_all(&env.admin)
        .await
        .expect("grants");
    assert_eq!(
        grants,
        ["INSERT", "SELECT"],
        "the app role may only read and append"
    );
}

#[tokio::test]
async fn pagination_both_ways() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let q = "query($a: String, $b: String, $f: Int, $l: Int) { auditLog(first: $f, after: $a, last: $l, before: $b) { edges { cursor node { seq } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let p1 = auditor.ok(q, json!({ "f": 4 })).await;
    let seqs = |v: &serde_json::Value| -> Vec<i64> {
        v["auditLog"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["seq"].as_i64().expect("seq"))
            .collect()
    };
    let s1 = seqs(&p1);
    assert_eq!(s1.len(), 4);
    assert!(s1.windows(2).all(|w| w[0] > w[1]), "newest first");
    let p2 = auditor
        .ok(
            q,
            json!({ "f": 4, "a": p1["auditLog"]["pageInfo"]["endCursor"] }),
        )
        .await;
    let s2 = seqs(&p2);
    assert_eq!(
        s2[0],
        s1[3] - 1,
        "the next page continues where the first ended"
    );
    let back = auditor
        .ok(
            q,
            json!({ "l": 4, "b": p2["auditLog"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(seqs(&back), s1, "paging backwards returns the first page");
    let bad = auditor.gql(q, json!({ "f": 4, "a": "garbage" })).await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"));
    let big = auditor.gql(q, json!({ "f": 100000 })).await;
    assert_eq!(code(&big).as_deref(), Some("VALIDATION"));
}

/// Commits of one tenant at once queue on its chain lock, which each holds only inside the
/// message that commits (crates/db/src/audit_append.rs): the chain stays one unbroken line,
/// every record once, and a second tenant's chain beside it too.
#[tokio::test]
async fn concurrent_commits_keep_one_unbroken_chain() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let sakura = s.as_role("sakura-mobile", "tenant_admin").await;
    let fuji = s.as_role("fuji-telecom", "tenant_admin").await;
    let writes = (0..24).map(|i| {
        let admin = if i % 3 == 0 { fuji.clone() } else { sakura.clone() };
        async move {
            admin
                .ok(
                    &format!("mutation {{ apiKeyCreate(input: {{name: \"chain-{i}\", roles: [\"sales\"]}}) {{ secret }} }}"),
                    json!({}),
                )
                .await
        }
    });
    futures_util::future::join_all(writes).await;
    for (slug, n) in [("sakura-mobile", 16), ("fuji-telecom", 8)] {
        let auditor = s.as_role(slug, "auditor").await;
        let v = auditor
            .ok(
                "{ auditVerify { ok recordsChecked firstBrokenSeq } }",
                json!({}),
            )
            .await;
        assert_eq!(v["auditVerify"]["ok"], true, "{slug}: {v}");
        let log = auditor
            .ok("{ auditLog(filter: {action: \"api_key.create\"}, first: 50) { edges { node { seq after } } } }", json!({}))
            .await;
        let edges = log["auditLog"]["edges"].as_array().expect("edges");
        let mut names: Vec<&str> = edges
            .iter()
            .filter_map(|e| e["node"]["after"]["name"].as_str())
            .filter(|n| n.starts_with("chain-"))
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "{slug}: each commit's record once: {log}");
    }
}
