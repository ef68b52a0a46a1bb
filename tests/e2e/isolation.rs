//! The leak matrix: every root field that takes an id is called as the wrong tenant (another
//! MVNO, a sibling reseller, a reseller against its parent) and must answer NOT_FOUND or
//! nothing — never FORBIDDEN, never the victim's data — and change nothing; every root field
//! is called as the wrong role and must answer FORBIDDEN. A coverage test fails when a root
//! field is in neither the matrix nor the exemptions.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use tsunagi_tests::{Client, Seeded, TestEnv, code};

use crate::isolation_matrix::{BY_ID, EXEMPT, INHERITED, OWN};

fn root_fields() -> BTreeSet<String> {
    let sdl = tsunagi_graphql::sdl();
    let mut out = BTreeSet::new();
    for ty in ["Query", "Mutation", "Subscription"] {
        let start = sdl
            .find(&format!("type {ty} {{"))
            .unwrap_or_else(|| panic!("no type {ty}"));
        let body = &sdl[start..];
        let body = &body[..body.find("\n}").unwrap_or(body.len())];
        let mut in_doc = false;
        for line in body.lines().skip(1) {
            let t = line.trim();
            if t.starts_with("\"\"\"") {
                // A one-line doc opens and closes; a bare """ toggles a multi-line one.
                let one_line = t.len() > 6 && t.ends_with("\"\"\"");
                if !one_line {
                    in_doc = !in_doc;
                }
                continue;
            }
            if in_doc || t.is_empty() || t.starts_with('"') {
                continue;
            }
            let name: String = t
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_root_field_is_in_the_matrix() {
    let covered: BTreeSet<String> = BY_ID
        .iter()
        .chain(OWN)
        .chain(EXEMPT)
        .map(|(f, _)| (*f).to_owned())
        .collect();
    let fields = root_fields();
    let missing: Vec<_> = fields.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "root fields missing from the isolation matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&fields).collect();
    assert!(
        stale.is_empty(),
        "matrix names fields the schema no longer has: {stale:?}"
    );
}

struct Victim {
    vars: Value,
    secrets: Vec<String>,
}

async fn victim(s: &Seeded, slug: &str, n: u32) -> Victim {
    let admin = s.as_role(slug, "tenant_admin").await;
    let me = admin
        .ok("{ viewer { user { id email } } }", json!({}))
        .await;
    let key = admin.ok("mutation { apiKeyCreate(input: {name: \"victim-key\", roles: [\"sales\"]}) { apiKey { id } } }", json!({})).await;
    let pol = admin.ok("mutation { policyAdd(input: {ptype: \"p\", subject: \"sales\", object: \"invoice\", action: \"read\"}) { policy { id } } }", json!({})).await;
    let l = tsunagi_tests::ledger::build(s, slug, n).await;
    let hook_url = format!("https://93.184.216.34/hook-{slug}-{n}");
    let ep = admin
        .ok(
            "mutation($u: String!) { createWebhookEndpoint(input: {url: $u, topics: [\"*\"]}) { endpoint { id } } }",
            json!({"u": hook_url}),
        )
        .await;
    let rule = admin.ok("mutation { createNotificationRule(input: {topic: \"line.*\", audience: \"customer_admins\", channel: \"email\"}) { id } }", json!({})).await;
    let smtp = admin.ok("mutation($u: String!) { notificationSmtpProviderAdd(input: {name: \"victim smtp\", url: $u}) { id } }", json!({ "u": format!("smtp://victim:hunter2-{n}@93.184.216.34:587") })).await;
    // A plugin version with a config value only its tenant may read, in force and sampled.
    let marker = format!("cfg-{slug}-{n}");
    let pversion = tsunagi_tests::plugins::upload(
        &admin,
        "victim-volume",
        "1.0.0",
        "pricing",
        "volume_discount",
        json!({ "config": { "min_lines": "1", "individuals": "true", "marker": marker } }),
    )
    .await;
    let fixture = admin.ok("mutation($i: JSON!) { pluginFixtureSetCreate(input: {world: \"pricing\", name: \"victim fixtures\", inputs: $i}) { id } }", json!({ "i": [tsunagi_tests::plugins::fixture("volume-discount")] })).await;
    admin
        .ok(
            "query($c: ID!) { contractPriceQuote(contractId: $c) { total } }",
            json!({ "c": l.contract }),
        )
        .await;
    let contact = admin
        .ok(
            "mutation($c: ID!) { customerContactAdd(input: {customerId: $c, name: \"Victim Billing\", email: \"billing@victim.example\", role: \"billing\"}) { customer { contacts { id role } } } }",
            json!({ "c": l.customer }),
        )
        .await;
    let contact = contact["customerContactAdd"]["customer"]["contacts"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["role"] == "billing"))
        .map(|c| c["id"].clone())
        .expect("the victim's billing contact");
    // Usage: one record taken on the line, one refused (its id is the victim's rejection).
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let usage = admin
        .ok(
            "mutation($r: [UsageRecordInput!]!) { usageSubmit(input: {source: \"carrier\", records: $r}) { submission { batchId accepted rejections { id } } } }",
            json!({ "r": [
                { "recordId": format!("victim-rec-{n}"), "type": "sms", "msisdn": l.msisdn, "time": at, "destination": "domestic" },
                { "recordId": format!("victim-bad-{n}"), "type": "sms", "msisdn": l.msisdn, "time": at },
            ] }),
        )
        .await;
    let submission = &usage["usageSubmit"]["submission"];
    assert_eq!(submission["accepted"], 1, "{usage}");
    let rerun = admin
        .ok(
            "mutation { usageRerateRunStart(input: {}) { run { id } } }",
            json!({}),
        )
        .await;
    let user = me["viewer"]["user"]["id"]
        .as_str()
        .expect("user")
        .to_owned();
    let jobs = admin
        .ok(
            "query($l: ID!) { line(id: $l) { provisioningJobs { id } } }",
            json!({ "l": l.line }),
        )
        .await;
    Victim {
        vars: json!({
            "tenant": s.tenant(slug),
            "user": user,
            "key": key["apiKeyCreate"]["apiKey"]["id"],
            "policy": pol["policyAdd"]["policy"]["id"],
            "plan": l.plan,
            "option": l.option,
            "customer": l.customer,
            "contact": contact,
            "contract": l.contract,
            "line": l.line,
            "order": l.suspend_order,
            "approval": l.approval,
            "sim": l.sim,
            "esim": l.esim,
            "iccid": l.iccids[2],
            "msisdn": l.msisdn,
            "endpoint": ep["createWebhookEndpoint"]["endpoint"]["id"],
            "rule": rule["createNotificationRule"]["id"],
            "smtp": smtp["notificationSmtpProviderAdd"]["id"],
            "pversion": pversion,
            "fixture": fixture["pluginFixtureSetCreate"]["id"],
            "job": jobs["line"]["provisioningJobs"][0]["id"],
            "batch": submission["batchId"],
            "rejection": submission["rejections"][0]["id"],
            "rerun": rerun["usageRerateRunStart"]["run"]["id"],
        }),
        secrets: vec![
            user,
            me["viewer"]["user"]["email"]
                .as_str()
                .expect("email")
                .to_owned(),
            l.customer_name.clone(),
            l.msisdn.clone(),
            l.msisdn.trim_start_matches('+').to_owned(),
            l.line.clone(),
            hook_url,
            marker,
            format!("hunter2-{n}"),
            l.contract.clone(),
            format!("victim-rec-{n}"),
            format!("victim-bad-{n}"),
        ],
    }
}

async fn audit_len(env: &TestEnv, tenant: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE tenant_id = $1::uuid")
        .bind(tenant)
        .fetch_one(&env.admin)
        .await
        .expect("count")
}

async fn attack(attacker: &Client, v: &Victim, who: &str) {
    for (field, op) in BY_ID {
        let body = attacker.gql(op, v.vars.clone()).await;
        let text = body.to_string();
        for secret in &v.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{who} → {field} leaked {secret}: {text}"
            );
        }
        let inherited = who.contains("parent") && INHERITED.contains(field);
        match code(&body).as_deref() {
            None | Some("NOT_FOUND") => {}
            Some("FORBIDDEN") if inherited => continue,
            other => {
                panic!("{who} → {field}: expected NOT_FOUND or nothing, got {other:?}: {text}")
            }
        }
        if op.starts_with("mutation") {
            assert_eq!(
                code(&body).as_deref(),
                Some("NOT_FOUND"),
                "{who} → {field} must be NOT_FOUND: {text}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_tenant_sees_and_changes_nothing() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let fuji = victim(&s, "fuji-telecom", 11).await;
    let osaka = victim(&s, "osaka-link", 12).await;
    let sakura = victim(&s, "sakura-mobile", 13).await;
    let before: Vec<i64> = futures_util::future::join_all(
        ["fuji-telecom", "osaka-link", "sakura-mobile"].map(|t| audit_len(&env, s.tenant(t))),
    )
    .await;

    attack(
        &s.as_role("sakura-mobile", "tenant_admin").await,
        &fuji,
        "MVNO admin vs another MVNO",
    )
    .await;
    attack(
        &s.as_role("kansai-connect", "tenant_admin").await,
        &osaka,
        "reseller vs its sibling",
    )
    .await;
    attack(
        &s.as_role("kansai-connect", "tenant_admin").await,
        &sakura,
        "reseller vs its parent",
    )
    .await;

    let after: Vec<i64> = futures_util::future::join_all(
        ["fuji-telecom", "osaka-link", "sakura-mobile"].map(|t| audit_len(&env, s.tenant(t))),
    )
    .await;
    assert_eq!(before, after, "no attack wrote anything to a victim's log");
    let versions: Vec<i32> = sqlx::query_scalar(
        "SELECT version FROM tenants WHERE slug IN ('fuji-telecom', 'osaka-link', 'sakura-mobile')",
    )
    .fetch_all(&env.admin)
    .await
    .expect("v");
    assert!(
        versions.iter().all(|v| *v == 1),
        "victim tenants unchanged: {versions:?}"
    );
    let lines: Vec<String> = sqlx::query_scalar("SELECT status FROM lines")
        .fetch_all(&env.admin)
        .await
        .expect("lines");
    assert!(
        lines.iter().all(|st| st == "active"),
        "no victim line moved: {lines:?}"
    );
    let decided: i64 =
        sqlx::query_scalar("SELECT count(*) FROM approval_requests WHERE status <> 'pending'")
            .fetch_one(&env.admin)
            .await
            .expect("n");
    assert_eq!(
        decided, 3,
        "only the fixtures' own KYC approvals are decided"
    );
}

#[tokio::test]
async fn wrong_role_is_forbidden() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let own = victim(&s, "sakura-mobile", 14).await;
    for role in ["customer_user", "customer_admin"] {
        let c = s.as_role("sakura-mobile", role).await;
        for (field, op) in BY_ID.iter().chain(OWN) {
            let body = c.gql(op, own.vars.clone()).await;
            assert_eq!(
                code(&body).as_deref(),
                Some("FORBIDDEN"),
                "{role} → {field}: {body}"
            );
        }
    }
    // Narrower staff roles: support may read tenants but not manage users, keys or policies.
    let support = s.as_role("sakura-mobile", "support").await;
    for (field, op) in OWN
        .iter()
        .filter(|(f, _)| {
            f.starts_with("user")
                || f.starts_with("apiKey")
                || f.starts_with("polic")
                || f.starts_with("plugin")
                || *f == "tenantCreate"
        })
        .chain(BY_ID.iter().filter(|(f, _)| {
            f.starts_with("user")
                || f.starts_with("apiKey")
                || f.starts_with("policy")
                || f.starts_with("tenantS")
                || f.starts_with("tenantR")
                || f.starts_with("audit")
                || f.starts_with("plugin")
        }))
    {
        let body = support.gql(op, own.vars.clone()).await;
        assert_eq!(
            code(&body).as_deref(),
            Some("FORBIDDEN"),
            "support → {field}: {body}"
        );
    }
    // The platform operator manages tenants but a tenant admin cannot create MVNOs, and a
    // reseller cannot create sub-tenants at all.
    let reseller = s.as_role("kansai-connect", "tenant_admin").await;
    let body = reseller.gql("mutation { tenantCreate(input: {slug: \"sub-reseller\", name: \"Sub\"}) { tenant { id } } }", json!({})).await;
    assert_eq!(code(&body).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn anonymous_callers_get_unauthenticated() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let own = victim(&s, "sakura-mobile", 15).await;
    let anon = env.client();
    for (field, op) in BY_ID.iter().chain(OWN) {
        let body = anon.gql(op, own.vars.clone()).await;
        assert_eq!(
            code(&body).as_deref(),
            Some("UNAUTHENTICATED"),
            "anonymous → {field}: {body}"
        );
    }
    let garbage = Client::new(&s.base, Some("eyJhbGciOiJub25lIn0.e30.".into()))
        .gql("{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(code(&garbage).as_deref(), Some("UNAUTHENTICATED"));
}
