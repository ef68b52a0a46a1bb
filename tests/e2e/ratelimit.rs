//! Rate limits per tenant and per API key, answered with RATE_LIMITED and a retry hint.

use serde_json::json;
use tsunagi_tests::{Client, TestEnv, code};

#[tokio::test]
async fn tenant_and_api_key_limits() {
    let env = TestEnv::start_with(&[
        ("TSUNAGI_RATE_LIMIT__TENANT_PER_SECOND", "2"),
        ("TSUNAGI_RATE_LIMIT__TENANT_BURST", "15"),
        ("TSUNAGI_RATE_LIMIT__API_KEY_PER_SECOND", "1"),
        ("TSUNAGI_RATE_LIMIT__API_KEY_BURST", "3"),
        ("TSUNAGI_RATE_LIMIT__ANONYMOUS_PER_SECOND", "1000"),
        ("TSUNAGI_RATE_LIMIT__ANONYMOUS_BURST", "1000"),
    ])
    .await
    .expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("fuji-telecom", "tenant_admin").await;
    let key = admin
        .ok(
            "mutation { apiKeyCreate(input: {name: \"bot\", roles: [\"sales\"]}) { secret } }",
            json!({}),
        )
        .await;
    let bot = Client::new(
        &s.base,
        key["apiKeyCreate"]["secret"].as_str().map(str::to_owned),
    );
    // The key's own bucket (burst 3) runs out first.
    let mut limited = None;
    for _ in 0..6 {
        let (status, body, headers) = bot.gql_with("{ viewer { roles } }", json!({}), &[]).await;
        if code(&body).as_deref() == Some("RATE_LIMITED") {
            assert_eq!(status, 429);
            assert!(headers.get("retry-after").is_some());
            assert!(
                body["errors"][0]["extensions"]["retryAfterMs"]
                    .as_u64()
                    .expect("hint")
                    > 0
            );
            limited = Some(body);
            break;
        }
    }
    assert!(limited.is_some(), "the API key was never limited");
    // The tenant bucket (burst 15) then limits the tenant's users too.
    let mut tenant_limited = false;
    for _ in 0..30 {
        if code(&admin.gql("{ viewer { roles } }", json!({})).await).as_deref()
            == Some("RATE_LIMITED")
        {
            tenant_limited = true;
            break;
        }
    }
    assert!(tenant_limited, "the tenant was never limited");
    // Another tenant is not affected.
    let other = s.as_role("sakura-mobile", "tenant_admin").await;
    other.ok("{ viewer { roles } }", json!({})).await;
    // And after the hint, the tenant may call again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    admin.ok("{ viewer { roles } }", json!({})).await;
}
