//! Subscriptions over WebSocket (graphql-transport-ws): a staff console follows its tenant's
//! audit log live, and sees nothing of other tenants.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tsunagi_tests::TestEnv;

#[tokio::test]
async fn audit_records_arrive_live_for_own_tenant_only() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let auditor = s.as_role("sakura-mobile", "auditor").await;
    let sakura_admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let fuji_admin = s.as_role("fuji-telecom", "tenant_admin").await;
    let token = auditor.token.clone().expect("token");
    let mut req = format!("{}/graphql/ws", s.base.replace("http://", "ws://"))
        .into_client_request()
        .expect("req");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("hdr"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    ws.send(Message::Text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string().into())).await.expect("init");
    let ack: Value = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(Message::Text(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { auditRecorded { action tenantId targetType } }" } }).to_string().into())).await.expect("sub");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another tenant's change first: it must not show up.
    fuji_admin.ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"sales\", object: \"invoice\", action: \"read\"}) { policy { id } } }", json!({})).await;
    sakura_admin
        .ok(
            "mutation { apiKeyCreate(input: {name: \"live\", roles: [\"sales\"]}) { secret } }",
            json!({}),
        )
        .await;
    let msg = next_json(&mut ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["auditRecorded"]["action"], "api_key.create",
        "{msg}"
    );
    assert_eq!(
        msg["payload"]["data"]["auditRecorded"]["tenantId"],
        s.tenant("sakura-mobile")
    );

    // Commits at once are announced together after they commit (tsunagi_db::announce): every
    // record still arrives, once.
    let creates = (0..12).map(|i| {
        let admin = sakura_admin.clone();
        async move {
            admin
                .ok(
                    &format!("mutation {{ apiKeyCreate(input: {{name: \"burst-{i}\", roles: [\"sales\"]}}) {{ secret }} }}"),
                    json!({}),
                )
                .await
        }
    });
    futures_util::future::join_all(creates).await;
    for i in 0..12 {
        let msg = next_json(&mut ws).await;
        assert_eq!(
            msg["payload"]["data"]["auditRecorded"]["action"], "api_key.create",
            "record {i} of the burst: {msg}"
        );
    }
    let extra = tokio::time::timeout(Duration::from_millis(500), next_json(&mut ws)).await;
    assert!(extra.is_err(), "a record arrived twice: {extra:?}");

    // Without credentials the connection is refused.
    let mut req = format!("{}/graphql/ws", s.base.replace("http://", "ws://"))
        .into_client_request()
        .expect("req");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("hdr"),
    );
    let (mut anon, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    anon.send(Message::Text(
        json!({ "type": "connection_init", "payload": {} })
            .to_string()
            .into(),
    ))
    .await
    .expect("init");
    let closed = tokio::time::timeout(Duration::from_secs(5), anon.next())
        .await
        .expect("answer");
    assert!(
        !matches!(closed, Some(Ok(Message::Text(ref t))) if t.contains("connection_ack")),
        "anonymous must not be acknowledged"
    );
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("message within 10 s")
            .expect("open")
            .expect("ok");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

/// Subscriptions end with their session: anonymous connections are refused with 4403;
/// logout, a disabled user, a suspended tenant, a revoked API key and an expired access
/// token each close an open subscription at once with 4401.
#[tokio::test]
async fn subscriptions_end_with_their_session() {
    use tsunagi_tests::ws;
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let soon = Duration::from_secs(5);

    let mut anon = ws::connect(&s.base, None).await;
    assert_eq!(ws::close_code(&mut anon, soon).await, Some(4403));
    let mut forged = ws::connect(&s.base, Some("not-a-token")).await;
    assert_eq!(ws::close_code(&mut forged, soon).await, Some(4403));

    // Open a subscription with a token; check it works; end the session some way.
    async fn open(base: &str, token: &str) -> ws::Ws {
        let mut c = ws::connect(base, Some(token)).await;
        let ack = ws::next_json(&mut c, Duration::from_secs(5))
            .await
            .expect("ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws::subscribe(&mut c, "1", "subscription { auditRecorded { action } }").await;
        c
    }
    let login = |email: &'static str| {
        let base = s.base.clone();
        async move {
            let b = tsunagi_tests::seed::login(&base, "sakura-mobile", email, "tsunagi-demo-2026")
                .await;
            b["data"]["login"]["accessToken"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };

    // Logout.
    let token = login("auditor@sakura-mobile.example").await;
    let mut c = open(&s.base, &token).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin.ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"sales\", object: \"invoice\", action: \"read\"}) { policy { id } } }", json!({})).await;
    let m = ws::next_json(&mut c, soon).await.expect("a record");
    assert_eq!(m["type"], "next", "{m}");
    tsunagi_tests::Client::new(&s.base, Some(token.clone()))
        .ok("mutation { logout { revoked } }", json!({}))
        .await;
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "logout closes it"
    );

    // The user disabled.
    let token = login("auditor@sakura-mobile.example").await;
    let mut c = open(&s.base, &token).await;
    let me = tsunagi_tests::Client::new(&s.base, Some(token.clone()))
        .ok("{ viewer { user { id version } } }", json!({}))
        .await;
    admin
        .ok("mutation($u: ID!, $v: Int!) { userUpdate(input: {id: $u, version: $v, status: DISABLED}) { user { id } } }",
            json!({ "u": me["viewer"]["user"]["id"], "v": me["viewer"]["user"]["version"] }))
        .await;
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "disabling closes it"
    );

    // The tenant suspended (by its parent).
    let reseller = login_to(&s.base, "kansai-connect", "auditor@kansai-connect.example").await;
    let mut c = open(&s.base, &reseller).await;
    admin
        .ok("mutation($t: ID!) { tenantSuspend(input: {id: $t, version: 1, reason: \"unpaid fees\"}) { tenant { id } } }", json!({ "t": s.tenant("kansai-connect") }))
        .await;
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "suspension closes it"
    );

    // An API key revoked.
    let k = admin
        .ok("mutation { apiKeyCreate(input: {name: \"console bot\", roles: [\"auditor\"]}) { secret apiKey { id } } }", json!({}))
        .await;
    let mut c = open(
        &s.base,
        k["apiKeyCreate"]["secret"].as_str().expect("secret"),
    )
    .await;
    admin
        .ok(
            "mutation($k: ID!) { apiKeyRevoke(input: {id: $k, version: 1}) { apiKey { id } } }",
            json!({ "k": k["apiKeyCreate"]["apiKey"]["id"] }),
        )
        .await;
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "revocation closes it"
    );

    // A change of roles: the subscription's rights changed; the client reconnects.
    let w = admin
        .ok("mutation { userCreate(input: {email: \"watcher@sakura-mobile.example\", displayName: \"Watcher\", password: \"a-long-enough-password\", roles: [\"auditor\"]}) { user { id version } } }", json!({}))
        .await;
    let b = tsunagi_tests::seed::login(
        &s.base,
        "sakura-mobile",
        "watcher@sakura-mobile.example",
        "a-long-enough-password",
    )
    .await;
    let mut c = open(
        &s.base,
        b["data"]["login"]["accessToken"].as_str().expect("token"),
    )
    .await;
    admin
        .ok("mutation($u: ID!, $v: Int!) { userUpdate(input: {id: $u, version: $v, roles: [\"auditor\", \"support\"]}) { user { id } } }",
            json!({ "u": w["userCreate"]["user"]["id"], "v": w["userCreate"]["user"]["version"] }))
        .await;
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "a role change closes it"
    );

    // An access token that expires in two seconds.
    let token = login("support@sakura-mobile.example").await;
    let keys = &env.running.app.config.auth.jwt_secrets;
    let mut claims = tsunagi_app::auth::jwt::verify(&token, keys, chrono::Utc::now().timestamp())
        .expect("claims");
    claims.exp = chrono::Utc::now().timestamp() + 2;
    let short = tsunagi_app::auth::jwt::sign(&claims, &keys[0]);
    let mut c = open(&s.base, &short).await;
    let started = std::time::Instant::now();
    assert_eq!(
        ws::close_code(&mut c, soon).await,
        Some(4401),
        "expiry closes it"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "at expiry, not at the next periodic check"
    );
}

async fn login_to(base: &str, tenant: &str, email: &str) -> String {
    let b = tsunagi_tests::seed::login(base, tenant, email, "tsunagi-demo-2026").await;
    b["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned()
}
