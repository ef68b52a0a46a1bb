//! The console's server side over plain HTTP: its page carries a strict CSP with a fresh
//! nonce and is never cached, hashed assets are immutable, hidden files are not served;
//! sessions keep the refresh token in an HttpOnly cookie that rotates and is spent once;
//! the console's operations run by hash, and a customer login may run nothing else.

use serde_json::{Value, json};
use tsunagi_tests::ledger::build;
use tsunagi_tests::{Client, TestEnv, code, seed};

const T: &str = "sakura-mobile";

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The hash of the console's operation whose text starts with `prefix` (e.g. `query Viewer`).
fn op_hash(prefix: &str) -> String {
    let file = tsunagi_tests::console_dir().join(".persisted-operations.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|_| panic!("{} missing: run `cargo xtask console`", file.display()));
    let ops: std::collections::HashMap<String, String> = serde_json::from_str(&text).expect("json");
    ops.into_iter()
        .find(|(_, q)| q.starts_with(&format!("{prefix} ")) || q.starts_with(&format!("{prefix}(")))
        .map(|(h, _)| h)
        .unwrap_or_else(|| panic!("no console operation {prefix}"))
}

/// Runs the operation persisted under `hash` with `variables`, as the console sends it.
async fn run_hash(
    http: &reqwest::Client,
    graphql: &str,
    hash: &str,
    variables: Value,
    token: Option<&str>,
) -> Value {
    let mut req = http.post(graphql).json(&json!({
        "variables": variables,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }
    }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("send").json().await.expect("json")
}

#[tokio::test]
async fn console_pages_sessions_and_persisted_operations() {
    let env = TestEnv::start_with(&[("TSUNAGI_GRAPHQL__CUSTOMER_PERSISTED_ONLY", "true")])
        .await
        .expect("env");
    let s = env.seed().await.expect("seed");
    let l = build(&s, T, 92).await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", env.base);

    // The page: a strict CSP whose nonce is the one in the page, never cached.
    let r = http.get(url("/lines/some-id")).send().await.expect("page");
    assert_eq!(r.status(), 200);
    let csp = header(&r, "content-security-policy");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    let body = r.text().await.expect("body");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|n| n.split('\'').next())
        .expect("a nonce");
    assert!(
        csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(body.contains(nonce) && !body.contains("__CSP_NONCE__"));
    let asset = body
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a script")
        .to_owned();
    let r = http.get(url(&asset)).send().await.expect("asset");
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&r, "content-type").starts_with("text/javascript"));
    for hidden in [
        "/.persisted-operations.json",
        "/assets/nothing.js",
        "/%2e%2e/Cargo.toml",
    ] {
        let r = http.get(url(hidden)).send().await.expect("hidden");
        assert_eq!(r.status(), 404, "{hidden}");
    }

    // Sessions: the console's header is required; the refresh token only in the cookie.
    let creds = json!({ "tenant": T, "email": format!("support@{T}.example"), "password": tsunagi_server::demo::DEMO_PASSWORD });
    let r = http
        .post(url("/auth/session"))
        .json(&creds)
        .send()
        .await
        .expect("no header");
    assert_eq!(r.status(), 403);
    let sign_in = |body: Value| {
        http.post(url("/auth/session"))
            .header("x-tsunagi-console", "1")
            .json(&body)
            .send()
    };
    let mut wrong = creds.clone();
    wrong["password"] = json!("not-the-password");
    assert_eq!(sign_in(wrong).await.expect("wrong").status(), 401);
    let r = sign_in(creds).await.expect("sign in");
    assert_eq!(r.status(), 200);
    let cookie = header(&r, "set-cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let b: Value = r.json().await.expect("json");
    assert!(
        b["accessToken"].is_string() && b.get("refreshToken").is_none(),
        "{b}"
    );
    let first = cookie.split(';').next().expect("pair").to_owned();
    let refresh = |c: String| {
        http.post(url("/auth/refresh"))
            .header("x-tsunagi-console", "1")
            .header("cookie", c)
            .send()
    };
    let r = refresh(first.clone()).await.expect("refresh");
    assert_eq!(r.status(), 200);
    let second = header(&r, "set-cookie");
    assert_ne!(
        second.split(';').next(),
        Some(first.as_str()),
        "the cookie rotates"
    );
    // The spent refresh token is refused (and its reuse ends the session family).
    assert_eq!(refresh(first).await.expect("reuse").status(), 401);

    // Persisted operations: by hash for anyone; for a customer login, nothing else.
    let admin = s.as_role(T, "tenant_admin").await;
    admin.ok(
        "mutation($c: ID, $l: ID) { userCreate(input: {email: \"self@tanaka.example\", displayName: \"Self\", password: \"long-enough-password\", roles: [\"customer_user\"], customerId: $c, lineId: $l}) { user { id } } }",
        json!({ "c": l.customer, "l": l.line }),
    )
    .await;
    let b = seed::login(&s.base, T, "self@tanaka.example", "long-enough-password").await;
    let me = Client::new(
        &s.base,
        b["data"]["login"]["accessToken"]
            .as_str()
            .map(str::to_owned),
    );
    let raw = me.gql("{ viewer { roles } }", json!({})).await;
    assert_eq!(code(&raw).as_deref(), Some("FORBIDDEN"), "{raw}");
    let token = b["data"]["login"]["accessToken"]
        .as_str()
        .map(str::to_owned);
    let graphql = url("/graphql");
    let actions =
        json!({ "actions": ["self_service:request", "line:suspend", "self_service:update"] });
    let r = run_hash(
        &http,
        &graphql,
        &op_hash("query Viewer"),
        actions.clone(),
        token.as_deref(),
    )
    .await;
    assert_eq!(
        r["data"]["viewer"]["roles"],
        json!(["customer_user"]),
        "{r}"
    );
    // What the console may show this login, from the tenant's policy: a customer user may
    // ask for a suspension of their line, not act as staff or change the company's settings.
    assert_eq!(r["data"]["viewer"]["selfService"], true, "{r}");
    assert_eq!(
        r["data"]["viewer"]["allowed"],
        json!(["self_service:request"]),
        "{r}"
    );
    let r = run_hash(&http, &graphql, &"00".repeat(32), actions, token.as_deref()).await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("PERSISTED_QUERY_NOT_FOUND"),
        "{r}"
    );
    // Staff may still write their own queries.
    admin.ok("{ viewer { roles } }", json!({})).await;
    customer_requests_and_subscriptions(&s, &l, &http, &url("/graphql"), token.as_deref()).await;
}

/// `viewer.allowed` answers from the tenant's policy and names a malformed pair; a customer
/// user's suspension request shows on their line as an order waiting for approval; over
/// WebSocket a customer may subscribe by hash only.
async fn customer_requests_and_subscriptions(
    s: &tsunagi_tests::Seeded,
    l: &tsunagi_tests::ledger::Ledger,
    http: &reqwest::Client,
    graphql: &str,
    token: Option<&str>,
) {
    let support = s.as_role(T, "support").await;
    let a = support
        .ok(
            "{ viewer { selfService allowed(actions: [\"line:suspend\", \"plugin:activate\", \"audit:verify\", \"customer:read\"]) } }",
            json!({}),
        )
        .await;
    assert_eq!(a["viewer"]["selfService"], false);
    assert_eq!(
        a["viewer"]["allowed"],
        json!(["line:suspend", "customer:read"])
    );
    // The formats the console shows dates and money in: the tenant's, as its admin sets them
    // (support may not read the tenant's settings, but may read these).
    let formats = "{ viewer { tenantId formats { timeZone currency locale } } }";
    let f = support.ok(formats, json!({})).await;
    assert_eq!(
        f["viewer"]["formats"],
        json!({ "timeZone": "Asia/Tokyo", "currency": "JPY", "locale": "ja-JP" })
    );
    let admin = s.as_role(T, "tenant_admin").await;
    let t = admin
        .ok(
            "query($t: ID!) { tenant(id: $t) { version } }",
            json!({ "t": f["viewer"]["tenantId"] }),
        )
        .await;
    admin
        .ok(
            "mutation($t: ID!, $v: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {timeZone: \"Europe/London\"}}) { tenant { id } } }",
            json!({ "t": f["viewer"]["tenantId"], "v": t["tenant"]["version"] }),
        )
        .await;
    let f = support.ok(formats, json!({})).await;
    assert_eq!(f["viewer"]["formats"]["timeZone"], "Europe/London");
    admin
        .ok(
            "mutation($t: ID!, $v: Int!) { tenantUpdate(input: {id: $t, version: $v, settings: {timeZone: \"Asia/Tokyo\"}}) { tenant { id } } }",
            json!({ "t": f["viewer"]["tenantId"], "v": t["tenant"]["version"].as_i64().map(|v| v + 1) }),
        )
        .await;
    let bad = support
        .gql(
            "{ viewer { allowed(actions: [\"line:suspend\", \"no-colon\"]) } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad).as_deref(), Some("VALIDATION"), "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "actions[1]");

    // The ledger left a suspension request pending on the line: a second one would conflict.
    s.as_role(T, "approver")
        .await
        .ok(
            "mutation($id: ID!) { approvalReject(input: {id: $id, note: \"not this one\"}) { approvalRequest { status } } }",
            json!({ "id": l.approval }),
        )
        .await;
    let by_hash = |prefix: &str, variables: Value| {
        let hash = op_hash(prefix);
        async move { run_hash(http, graphql, &hash, variables, token).await }
    };
    let r = by_hash(
        "mutation SelfSuspend",
        json!({ "id": l.line, "reason": "lost on the train" }),
    )
    .await;
    assert_eq!(
        r["data"]["lineSuspend"]["approvalRequest"]["status"], "PENDING",
        "{r}"
    );
    let mine = by_hash("query MyLines", json!({})).await;
    let lines = mine["data"]["lines"]["nodes"].as_array().expect("lines");
    assert_eq!(
        lines.len(),
        1,
        "a customer user sees their one line: {mine}"
    );
    let orders = &lines[0]["orders"];
    assert_eq!(orders[0]["kind"], "suspend", "{mine}");
    assert_eq!(orders[0]["status"], "HELD", "{mine}");
    assert!(orders[0]["approvalId"].is_string(), "{mine}");
    assert!(
        lines[0]["contract"]["price"]["inForce"]["monthlyFee"].is_i64(),
        "a customer reads their own contract's price: {mine}"
    );

    // Subscriptions: a written-out one is refused for a customer (the socket stays open);
    // one named by hash reaches the resolver, which refuses a customer the staff alerts.
    let mut ws = tsunagi_tests::ws::connect(&s.base, token).await;
    let ack = tsunagi_tests::ws::next_json(&mut ws, std::time::Duration::from_secs(5)).await;
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    tsunagi_tests::ws::subscribe(&mut ws, "plain", "subscription { alerts { topic } }").await;
    let refused = tsunagi_tests::ws::next_json(&mut ws, std::time::Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(refused["id"], "plain", "{refused}");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "FORBIDDEN",
        "the same code as POST /graphql answers: {refused}"
    );
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("persisted"),
        "{refused}"
    );
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        json!({ "id": "hashed", "type": "subscribe", "payload": { "query": "", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": op_hash("subscription Alerts") } } } })
            .to_string()
            .into(),
    ))
    .await
    .expect("subscribe");
    let answer = tsunagi_tests::ws::next_json(&mut ws, std::time::Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(answer["id"], "hashed", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "the hash resolved and the resolver decided: {answer}"
    );
}
