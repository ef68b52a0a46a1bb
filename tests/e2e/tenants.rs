//! Tenants: creation down the tree, inherited settings, suspension that refuses users at
//! once (including a suspended MVNO's resellers), query limits and introspection rules.

use serde_json::json;
use tsunagi_server::demo::DEMO_PASSWORD;
use tsunagi_tests::seed::login;
use tsunagi_tests::{TestEnv, code};

#[tokio::test]
async fn create_tree_and_inherit_settings() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let platform = s.as_role("platform", "platform_operator").await;
    let created = platform
        .ok(
            "mutation { tenantCreate(input: {slug: \"hokkaido-net\", name: \"Hokkaido Net\", settings: {currency: \"USD\", locale: \"en\"}, admin: {email: \"boss@hokkaido.example\", displayName: \"Boss\", password: \"long-enough-password\"}}) { tenant { id kind status settings { currency locale timeZone rounding countryCallingCode } } admin { email roles } } }",
            json!({}),
        )
        .await;
    let t = &created["tenantCreate"];
    assert_eq!(t["tenant"]["kind"], "MVNO");
    assert_eq!(
        t["tenant"]["settings"],
        json!({ "currency": "USD", "locale": "en", "timeZone": "Asia/Tokyo", "rounding": "DOWN", "countryCallingCode": "81" })
    );
    assert_eq!(t["admin"]["roles"], json!(["tenant_admin"]));
    // Its admin signs in and creates a reseller that inherits USD but overrides the locale.
    let body = login(
        &s.base,
        "hokkaido-net",
        "boss@hokkaido.example",
        "long-enough-password",
    )
    .await;
    let boss = env.client().with_token(
        body["data"]["login"]["accessToken"]
            .as_str()
            .expect("token"),
    );
    let r = boss
        .ok("mutation { tenantCreate(input: {slug: \"sapporo-shop\", name: \"Sapporo Shop\", settings: {locale: \"ja-JP\"}}) { tenant { kind parentId settings { currency locale } settingOverrides { currency locale } } } }", json!({}))
        .await;
    let reseller = &r["tenantCreate"]["tenant"];
    assert_eq!(reseller["kind"], "RESELLER");
    assert_eq!(reseller["parentId"], t["tenant"]["id"]);
    assert_eq!(
        reseller["settings"],
        json!({ "currency": "USD", "locale": "ja-JP" })
    );
    assert_eq!(
        reseller["settingOverrides"],
        json!({ "currency": null, "locale": "ja-JP" })
    );
    // Bad settings are named field by field; a taken slug too.
    let bad = platform.gql("mutation { tenantCreate(input: {slug: \"x-y\", name: \"X\", settings: {currency: \"YEN\", timeZone: \"Mars/Base\"}}) { tenant { id } } }", json!({})).await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"));
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["input.settings.currency", "input.settings.timeZone"]
    );
    let taken = platform.gql("mutation { tenantCreate(input: {slug: \"sakura-mobile\", name: \"Again\"}) { tenant { id } } }", json!({})).await;
    assert_eq!(taken["errors"][0]["extensions"]["field"], "input.slug");
}

#[tokio::test]
async fn suspension_refuses_users_at_once_down_the_tree() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let sakura_sales = s.as_role("sakura-mobile", "sales").await;
    let kansai_admin = s.as_role("kansai-connect", "tenant_admin").await;
    sakura_sales.ok("{ viewer { roles } }", json!({})).await;
    kansai_admin.ok("{ viewer { roles } }", json!({})).await;
    let platform = s.as_role("platform", "platform_operator").await;
    let missing_reason = platform.gql("mutation($id: ID!) { tenantSuspend(input: {id: $id, version: 1, reason: \"\"}) { tenant { status } } }", json!({ "id": s.tenant("sakura-mobile") })).await;
    assert_eq!(
        missing_reason["errors"][0]["extensions"]["field"],
        "input.reason"
    );
    let sus = platform
        .ok("mutation($id: ID!) { tenantSuspend(input: {id: $id, version: 1, reason: \"unpaid platform fees\"}) { tenant { status version } } }", json!({ "id": s.tenant("sakura-mobile") }))
        .await;
    assert_eq!(sus["tenantSuspend"]["tenant"]["status"], "SUSPENDED");
    // Existing tokens die now, for the MVNO and for its reseller; sign-in is refused.
    assert_eq!(
        code(&sakura_sales.gql("{ viewer { roles } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        code(&kansai_admin.gql("{ viewer { roles } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    let relogin = login(
        &s.base,
        "sakura-mobile",
        "admin@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    assert_eq!(code(&relogin).as_deref(), Some("UNAUTHENTICATED"));
    // Other tenants carry on.
    s.as_role("fuji-telecom", "sales")
        .await
        .ok("{ viewer { roles } }", json!({}))
        .await;
    // The suspension is audited in the platform's chain and announced in the outbox.
    let log = platform.ok("{ auditLog(filter: {action: \"tenant.suspend\"}) { edges { node { targetId after } } } }", json!({})).await;
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["after"]["reason"],
        "unpaid platform fees"
    );
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE topic = 'tenant.suspended'")
            .fetch_one(&env.admin)
            .await
            .expect("n");
    assert_eq!(events, 1);
    // A tenant cannot suspend itself; resuming brings the users back.
    let own = platform.gql("mutation($id: ID!) { tenantSuspend(input: {id: $id, version: 1, reason: \"x\"}) { tenant { status } } }", json!({ "id": s.tenant("platform") })).await;
    assert_eq!(code(&own).as_deref(), Some("FORBIDDEN"));
    platform.ok("mutation($id: ID!) { tenantResume(input: {id: $id, version: 2}) { tenant { status } } }", json!({ "id": s.tenant("sakura-mobile") })).await;
    let back = login(
        &s.base,
        "sakura-mobile",
        "admin@sakura-mobile.example",
        DEMO_PASSWORD,
    )
    .await;
    assert!(back["data"]["login"]["accessToken"].is_string());
}

#[tokio::test]
async fn cli_suspends_and_lists() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let fuji = s.as_role("fuji-telecom", "support").await;
    fuji.ok("{ viewer { roles } }", json!({})).await;
    use tsunagi_server::cli::{Command, TenantCmd, execute};
    execute(
        &env.config,
        Command::Tenant {
            cmd: TenantCmd::Suspend {
                slug: "fuji-telecom".into(),
                reason: "maintenance of contract".into(),
                as_tenant: "platform".into(),
            },
        },
    )
    .await
    .expect("suspend");
    // Another process made the change: the server learns it through NOTIFY, within
    // milliseconds (bounded here at 2 s), long before any token expires.
    let t = std::time::Instant::now();
    let mut refused = false;
    while t.elapsed() < std::time::Duration::from_secs(2) {
        if code(&fuji.gql("{ viewer { roles } }", json!({})).await).as_deref()
            == Some("UNAUTHENTICATED")
        {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "refused across processes via NOTIFY");
    execute(
        &env.config,
        Command::Tenant {
            cmd: TenantCmd::Resume {
                slug: "fuji-telecom".into(),
                as_tenant: "platform".into(),
            },
        },
    )
    .await
    .expect("resume");
    execute(
        &env.config,
        Command::Tenant {
            cmd: TenantCmd::Create {
                parent: "fuji-telecom".into(),
                slug: "tokai-mobile".into(),
                name: "Tokai".into(),
                admin_email: None,
                admin_name: "A".into(),
                admin_password: None,
            },
        },
    )
    .await
    .expect("create reseller");
    let kind: String = sqlx::query_scalar("SELECT kind FROM tenants WHERE slug = 'tokai-mobile'")
        .fetch_one(&env.admin)
        .await
        .expect("kind");
    assert_eq!(kind, "reseller");
}

#[tokio::test]
async fn limits_introspection_and_health() {
    let env = TestEnv::start_with(&[
        ("TSUNAGI_GRAPHQL__MAX_ALIASES", "5"),
        ("TSUNAGI_GRAPHQL__MAX_DEPTH", "6"),
    ])
    .await
    .expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let aliases = (0..6)
        .map(|i| format!("a{i}: viewer {{ roles }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let body = admin.gql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&body).as_deref(), Some("BAD_REQUEST"), "{body}");
    let deep = admin
        .gql(
            "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&deep).as_deref(), Some("BAD_REQUEST"));
    let intro = admin
        .ok("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(intro["__schema"]["queryType"]["name"], "Query");
    let customer = s.as_role("sakura-mobile", "customer_admin").await;
    let hidden = customer
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        hidden.get("errors").is_some() || hidden["data"]["__schema"].is_null(),
        "customers get no introspection: {hidden}"
    );
    let syntax = admin.gql("{ viewer { ", json!({})).await;
    assert_eq!(code(&syntax).as_deref(), Some("BAD_REQUEST"));
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{}/healthz", s.base))
            .send()
            .await
            .expect("h")
            .status(),
        200
    );
    let ready = http
        .get(format!("{}/readyz", s.base))
        .send()
        .await
        .expect("r");
    assert_eq!(ready.status(), 200);
    let page = http
        .get(format!("{}/graphql", s.base))
        .send()
        .await
        .expect("g")
        .text()
        .await
        .expect("html");
    assert!(page.contains("graphiql"), "GraphiQL served on GET /graphql");
}
