//! Tenant policies: added and removed through the API, enforced at once on the replica that
//! took the change and, through NOTIFY, on every other replica.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tsunagi_tests::{Client, TestEnv, code};

async fn until(c: &Client, want: Option<&str>) -> Value {
    let t = Instant::now();
    loop {
        let body = c
            .gql("{ users { edges { node { email } } } }", json!({}))
            .await;
        if code(&body).as_deref() == want || t.elapsed() > Duration::from_secs(5) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn rules_reload_across_replicas() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let replica = tsunagi_server::start(&env.config)
        .await
        .expect("second replica");
    let support_a = s.as_role("sakura-mobile", "support").await;
    let support_b = Client::new(&format!("http://{}", replica.addr), support_a.token.clone());
    for c in [&support_a, &support_b] {
        assert_eq!(
            code(
                &c.gql("{ users { edges { node { email } } } }", json!({}))
                    .await
            )
            .as_deref(),
            Some("FORBIDDEN")
        );
    }
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    let added = admin.ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"support\", object: \"user\", action: \"read\"}) { policy { id } } }", json!({})).await;
    let id = added["policyAdd"]["policy"]["id"].clone();
    assert!(
        code(
            &support_a
                .gql("{ users { edges { node { email } } } }", json!({}))
                .await
        )
        .is_none(),
        "the replica that took the change"
    );
    let b = until(&support_b, None).await;
    assert!(code(&b).is_none(), "the other replica reloads: {b}");
    assert!(b.to_string().contains("admin@sakura-mobile.example"));
    // Another tenant's support is not affected.
    let fuji = s.as_role("fuji-telecom", "support").await;
    assert_eq!(
        code(
            &fuji
                .gql("{ users { edges { node { email } } } }", json!({}))
                .await
        )
        .as_deref(),
        Some("FORBIDDEN")
    );
    // A deny rule wins over the default allow; removing rules restores the defaults.
    admin
        .ok(
            "mutation { policyRemove(input: {id: $id}) { policy { id } } }"
                .replace("$id", &id.to_string())
                .as_str(),
            json!({}),
        )
        .await;
    assert_eq!(
        code(&until(&support_b, Some("FORBIDDEN")).await).as_deref(),
        Some("FORBIDDEN")
    );
    admin.ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"support\", object: \"tenant\", action: \"read\", effect: \"deny\"}) { policy { id } } }", json!({})).await;
    let denied = support_a
        .gql("{ tenants { edges { node { slug } } } }", json!({}))
        .await;
    assert_eq!(code(&denied).as_deref(), Some("FORBIDDEN"));
    let rules = admin
        .ok("{ policies { subject object action effect } }", json!({}))
        .await;
    assert_eq!(
        rules["policies"],
        json!([{ "subject": "support", "object": "tenant", "action": "read", "effect": "deny" }])
    );
}
