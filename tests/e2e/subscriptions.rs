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
