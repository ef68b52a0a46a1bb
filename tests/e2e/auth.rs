//! Sign-in, refresh rotation with reuse detection, lockout, API keys, disabled users.

use serde_json::json;
use tsunagi_server::demo::DEMO_PASSWORD;
use tsunagi_tests::seed::login;
use tsunagi_tests::{Client, TestEnv, code};

const REFRESH: &str = "mutation($r: String!) { refreshToken(input: {refreshToken: $r}) { accessToken refreshToken } }";
const VIEWER: &str = "{ viewer { tenantSlug roles actorType user { email } } }";

#[tokio::test]
async fn sign_in_refresh_rotation_and_reuse_detection() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let body = login(
        &s.base,
        "sakura-mobile",
        "Support@Sakura-Mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    let access = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let refresh1 = body["data"]["login"]["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert!(body["data"]["login"]["expiresIn"].as_i64().expect("ttl") <= 900);
    let me = env.client().with_token(&access).ok(VIEWER, json!({})).await;
    assert_eq!(me["viewer"]["tenantSlug"], "sakura-mobile");
    assert_eq!(me["viewer"]["roles"], json!(["support"]));
    assert_eq!(
        me["viewer"]["user"]["email"],
        "support@sakura-mobile.example"
    );

    // Rotation: the refresh token works once and yields a new pair.
    let r = env.client().ok(REFRESH, json!({ "r": refresh1 })).await;
    let access2 = r["refreshToken"]["accessToken"]
        .as_str()
        .expect("a2")
        .to_owned();
    let refresh2 = r["refreshToken"]["refreshToken"]
        .as_str()
        .expect("r2")
        .to_owned();
    assert_ne!(refresh1, refresh2);
    env.client()
        .with_token(&access2)
        .ok(VIEWER, json!({}))
        .await;

    // Reuse of the spent token: refused, and the whole family dies — the newer refresh
    // token and every access token of the session.
    let reuse = env.client().gql(REFRESH, json!({ "r": refresh1 })).await;
    assert_eq!(code(&reuse).as_deref(), Some("UNAUTHENTICATED"));
    let after = env.client().gql(REFRESH, json!({ "r": refresh2 })).await;
    assert_eq!(
        code(&after).as_deref(),
        Some("UNAUTHENTICATED"),
        "family revoked"
    );
    let dead = env
        .client()
        .with_token(&access2)
        .gql(VIEWER, json!({}))
        .await;
    assert_eq!(
        code(&dead).as_deref(),
        Some("UNAUTHENTICATED"),
        "access tokens of the revoked session die at once"
    );
    let dead = env
        .client()
        .with_token(&access)
        .gql(VIEWER, json!({}))
        .await;
    assert_eq!(code(&dead).as_deref(), Some("UNAUTHENTICATED"));

    // The revocation is audited.
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let log = auditor.ok("{ auditLog(filter: {action: \"session.revoke\"}) { edges { node { actorLabel after } } } }", json!({})).await;
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["after"]["reason"],
        "refresh token reused"
    );

    // Logout ends a session.
    let body = login(
        &s.base,
        "sakura-mobile",
        "sales@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    let t = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("t")
        .to_owned();
    let c = env.client().with_token(&t);
    assert_eq!(
        c.ok("mutation { logout { revoked } }", json!({})).await["logout"]["revoked"],
        true
    );
    assert_eq!(
        code(&c.gql(VIEWER, json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test]
async fn failures_look_the_same_and_lock_the_account() {
    let env = TestEnv::start_with(&[("TSUNAGI_AUTH__LOCKOUT_THRESHOLD", "3")])
        .await
        .expect("env");
    let s = env.seed().await.expect("seed");
    let unknown_user = login(
        &s.base,
        "sakura-mobile",
        "nobody@sakura-mobile.example",
        "whatever-password",
    )
    .await;
    let wrong_pw = login(
        &s.base,
        "sakura-mobile",
        "billing@sakura-mobile.example",
        "wrong-password-1",
    )
    .await;
    let unknown_tenant = login(
        &s.base,
        "no-such-tenant",
        "billing@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    let other_tenant = login(
        &s.base,
        "fuji-telecom",
        "billing@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    for b in [&unknown_user, &wrong_pw, &unknown_tenant, &other_tenant] {
        assert_eq!(code(b).as_deref(), Some("UNAUTHENTICATED"), "{b}");
        assert_eq!(
            b["errors"][0]["message"], unknown_user["errors"][0]["message"],
            "same message whatever the cause"
        );
    }
    // Two more failures reach the threshold of 3: now even the right password is refused.
    login(
        &s.base,
        "sakura-mobile",
        "billing@sakura-mobile.example",
        "wrong-password-2",
    )
    .await;
    login(
        &s.base,
        "sakura-mobile",
        "billing@sakura-mobile.example",
        "wrong-password-3",
    )
    .await;
    let locked = login(
        &s.base,
        "sakura-mobile",
        "billing@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    assert_eq!(code(&locked).as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(
        locked["errors"][0]["message"],
        unknown_user["errors"][0]["message"]
    );
    let (failed, locked_until): (i32, Option<String>) =
        sqlx::query_as("SELECT failed_logins, locked_until::text FROM users WHERE email = 'billing@sakura-mobile.example'")
            .fetch_one(&env.admin)
            .await
            .expect("row");
    assert_eq!(failed, 3);
    assert!(locked_until.is_some());
    // Other accounts are unaffected.
    let ok = login(
        &s.base,
        "sakura-mobile",
        "sales@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    assert!(ok["data"]["login"]["accessToken"].is_string());
}

#[tokio::test]
async fn api_keys_and_disabled_users() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let created = admin
        .ok("mutation { apiKeyCreate(input: {name: \"erp\", roles: [\"billing\"]}) { apiKey { id version roles } secret } }", json!({}))
        .await;
    let secret = created["apiKeyCreate"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let key_id = created["apiKeyCreate"]["apiKey"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let machine = Client::new(&s.base, Some(secret.clone()));
    let me = machine.ok(VIEWER, json!({})).await;
    assert_eq!(me["viewer"]["actorType"], "api_key");
    assert_eq!(me["viewer"]["roles"], json!(["billing"]));
    // A language belongs to a signed-in user; a machine has none. Every user may choose
    // theirs, the read-only auditor included.
    let set = "mutation($l: String) { viewerLocaleSet(input: {locale: $l}) { user { locale } } }";
    let no = machine.gql(set, json!({ "l": "en" })).await;
    assert_eq!(code(&no).as_deref(), Some("FORBIDDEN"), "{no}");
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let yes = auditor.ok(set, json!({ "l": "en" })).await;
    assert_eq!(yes["viewerLocaleSet"]["user"]["locale"], "en", "{yes}");
    // Scoped: billing may not create users.
    let denied = machine.gql("mutation { userCreate(input: {email: \"x@y.example\", displayName: \"x\", password: \"long-enough-password\", roles: [\"sales\"]}) { user { id } } }", json!({})).await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"));
    // The secret is stored hashed.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_hash FROM api_keys WHERE id = $1::uuid")
            .bind(&key_id)
            .fetch_one(&env.admin)
            .await
            .expect("row");
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&secret[secret.len() - 10..]));
    // A tampered secret is refused.
    let mut forged = secret.clone();
    forged.pop();
    forged.push(if secret.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        code(
            &Client::new(&s.base, Some(forged))
                .gql(VIEWER, json!({}))
                .await
        )
        .as_deref(),
        Some("UNAUTHENTICATED")
    );
    // Revoked: refused at once.
    admin.ok("mutation($id: ID!) { apiKeyRevoke(input: {id: $id, version: 1}) { apiKey { revokedAt } } }", json!({ "id": key_id })).await;
    assert_eq!(
        code(&machine.gql(VIEWER, json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );

    // Disabling a user refuses their very next request, with the token they already hold.
    let sales = s.as_role("sakura-mobile", "sales").await;
    let me = sales
        .ok("{ viewer { user { id version } } }", json!({}))
        .await;
    let uid = me["viewer"]["user"]["id"].as_str().expect("uid").to_owned();
    admin.ok("mutation($id: ID!) { userUpdate(input: {id: $id, version: 1, status: DISABLED}) { user { status } } }", json!({ "id": uid })).await;
    assert_eq!(
        code(&sales.gql(VIEWER, json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    let relogin = login(
        &s.base,
        "sakura-mobile",
        "sales@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    assert_eq!(code(&relogin).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn validation_names_fields_and_roles_must_exist() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let bad = admin
        .gql("mutation { userCreate(input: {email: \"not-an-email\", displayName: \"\", password: \"short\", roles: [\"wizard\"]}) { user { id } } }", json!({}))
        .await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"));
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"input.email")
            && fields.contains(&"input.displayName")
            && fields.contains(&"input.password"),
        "{fields:?}"
    );
    let bad = admin.gql("mutation { userCreate(input: {email: \"ok@sakura-mobile.example\", displayName: \"Ok\", password: \"long-enough-password\", roles: [\"wizard\"]}) { user { id } } }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "input.roles[0]");
    let bad = admin.gql("mutation { userCreate(input: {email: \"ok@sakura-mobile.example\", displayName: \"Ok\", password: \"long-enough-password\", roles: [\"platform_operator\"]}) { user { id } } }", json!({})).await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"));
    // A tenant-defined role becomes usable once a policy defines it.
    admin.ok("mutation { policyAdd(input: {ptype: \"g\", subject: \"senior_support\", object: \"support\"}) { policy { id } } }", json!({})).await;
    let ok = admin.ok("mutation { userCreate(input: {email: \"senior@sakura-mobile.example\", displayName: \"Senior\", password: \"long-enough-password\", roles: [\"senior_support\"]}) { user { roles } } }", json!({})).await;
    assert_eq!(ok["userCreate"]["user"]["roles"], json!(["senior_support"]));
    let dup = admin.gql("mutation { userCreate(input: {email: \"Senior@sakura-mobile.example\", displayName: \"Dup\", password: \"long-enough-password\", roles: [\"sales\"]}) { user { id } } }", json!({})).await;
    assert_eq!(code(&dup).as_deref(), Some("CONFLICT"));
}
