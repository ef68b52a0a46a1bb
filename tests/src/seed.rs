//! Test data: the demo tenants plus a second reseller, and signed-in clients per role.

use crate::{Client, TestEnv};
use anyhow::Result;
use serde_json::{Value, json};
use std::collections::HashMap;
use tsunagi_server::demo::{DEMO_PASSWORD, local_part};

pub const LOGIN: &str = "mutation($t: String!, $e: String!, $p: String!) { login(input: {tenant: $t, email: $e, password: $p}) { accessToken refreshToken expiresIn } }";

pub struct Seeded {
    pub base: String,
    /// slug → tenant id
    pub tenants: HashMap<String, String>,
    tokens: tokio::sync::Mutex<HashMap<(String, String), String>>,
}

impl Seeded {
    pub fn tenant(&self, slug: &str) -> &str {
        self.tenants
            .get(slug)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no tenant {slug}"))
    }

    /// A client signed in as `<role>@<slug>.example`.
    pub async fn as_role(&self, slug: &str, role: &str) -> Client {
        let key = (slug.to_owned(), role.to_owned());
        if let Some(t) = self.tokens.lock().await.get(&key) {
            return Client::new(&self.base, Some(t.clone()));
        }
        let body = login(
            &self.base,
            slug,
            &format!("{}@{slug}.example", local_part(role)),
            DEMO_PASSWORD,
        )
        .await;
        let token = body["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login {role}@{slug}: {body}"))
            .to_owned();
        self.tokens.lock().await.insert(key, token.clone());
        Client::new(&self.base, Some(token))
    }
}

/// Creates a `customer_admin` login for `customer` (by `slug`'s tenant admin) and signs it
/// in: a client with its access token.
pub async fn customer_admin(s: &Seeded, slug: &str, email: &str, customer: &str) -> Client {
    const PASSWORD: &str = "long-enough-password";
    s.as_role(slug, "tenant_admin")
        .await
        .ok(
            "mutation($e: String!, $p: String!, $c: ID) { userCreate(input: {email: $e, displayName: \"Customer admin\", password: $p, roles: [\"customer_admin\"], customerId: $c}) { user { id } } }",
            json!({ "e": email, "p": PASSWORD, "c": customer }),
        )
        .await;
    let b = login(&s.base, slug, email, PASSWORD).await;
    Client::new(
        &s.base,
        b["data"]["login"]["accessToken"]
            .as_str()
            .map(str::to_owned),
    )
}

pub async fn login(base: &str, tenant: &str, email: &str, password: &str) -> Value {
    Client::new(base, None)
        .gql(LOGIN, json!({ "t": tenant, "e": email, "p": password }))
        .await
}

pub async fn seed(env: &TestEnv) -> Result<Seeded> {
    let app = tsunagi_server::connect(&env.config).await?;
    tsunagi_server::demo::seed(&env.config, &app).await?;
    let ctx = tsunagi_server::cli::system_ctx(&app, "sakura-mobile", None).await?;
    let input = tsunagi_app::tenants::TenantCreate {
        slug: "osaka-link".into(),
        name: "Osaka Link".into(),
        settings: Default::default(),
        admin: Some(tsunagi_app::tenants::InitialAdmin {
            email: "admin@osaka-link.example".into(),
            display_name: "Osaka admin".into(),
            password: DEMO_PASSWORD.into(),
        }),
    };
    tsunagi_app::tenants::tenant_create(&app, &ctx, input)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    tsunagi_server::demo::ensure_role_users(&app, "osaka-link").await?;
    let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as("SELECT id, slug FROM tenants")
        .fetch_all(&env.admin)
        .await?;
    Ok(Seeded {
        base: env.base.clone(),
        tenants: rows
            .into_iter()
            .map(|(id, slug)| (slug, id.to_string()))
            .collect(),
        tokens: Default::default(),
    })
}
