//! The leak matrix: every root field that takes an id is called as the wrong tenant (another
//! MVNO, a sibling reseller, a reseller against its parent) and must answer NOT_FOUND or
//! nothing — never FORBIDDEN, never the victim's data — and change nothing; every root field
//! is called as the wrong role and must answer FORBIDDEN. A coverage test fails when a root
//! field is in neither the matrix nor the exemptions.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use tsunagi_tests::{Client, Seeded, TestEnv, code};

/// (root field, operation). Variables: $tenant, $user, $key, $policy (the victim's ids).
const BY_ID: &[(&str, &str)] = &[
    (
        "tenant",
        "query($tenant: ID!) { tenant(id: $tenant) { id name } }",
    ),
    (
        "tenants",
        "query($tenant: ID!) { tenants(parentId: $tenant) { edges { node { id name } } } }",
    ),
    ("user", "query($user: ID!) { user(id: $user) { id email } }"),
    (
        "users",
        "query($tenant: ID!) { users(tenantId: $tenant) { edges { node { id email } } } }",
    ),
    (
        "auditLog",
        "query($tenant: ID!) { auditLog(filter: {tenantId: $tenant}) { edges { node { id targetId } } } }",
    ),
    (
        "auditVerify",
        "query($tenant: ID!) { auditVerify(tenantId: $tenant) { ok recordsChecked } }",
    ),
    (
        "tenantUpdate",
        "mutation($tenant: ID!) { tenantUpdate(input: {id: $tenant, version: 1, name: \"pwned\"}) { tenant { id } } }",
    ),
    (
        "tenantSuspend",
        "mutation($tenant: ID!) { tenantSuspend(input: {id: $tenant, version: 1, reason: \"pwned\"}) { tenant { id } } }",
    ),
    (
        "tenantResume",
        "mutation($tenant: ID!) { tenantResume(input: {id: $tenant, version: 1}) { tenant { id } } }",
    ),
    (
        "userUpdate",
        "mutation($user: ID!) { userUpdate(input: {id: $user, version: 1, status: DISABLED}) { user { id } } }",
    ),
    (
        "apiKeyRevoke",
        "mutation($key: ID!) { apiKeyRevoke(input: {id: $key, version: 1}) { apiKey { id } } }",
    ),
    (
        "policyRemove",
        "mutation($policy: ID!) { policyRemove(input: {id: $policy}) { policy { id } } }",
    ),
    ("plan", "query($plan: ID!) { plan(id: $plan) { id } }"),
    (
        "planPriceAdd",
        "mutation($plan: ID!) { planPriceAdd(input: {planId: $plan, price: {monthlyFee: 1, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { price { id } } }",
    ),
    (
        "planActivate",
        "mutation($plan: ID!) { planActivate(input: {id: $plan, version: 2}) { plan { id } } }",
    ),
    (
        "planRetire",
        "mutation($plan: ID!) { planRetire(input: {id: $plan, version: 2}) { plan { id } } }",
    ),
    (
        "customer",
        "query($customer: ID!) { customer(id: $customer) { id name } }",
    ),
    (
        "customerLocaleSet",
        "mutation($customer: ID!) { customerLocaleSet(input: {customerId: $customer, version: 1, locale: \"en\"}) { customer { id } } }",
    ),
    (
        "kycSubmit",
        "mutation($customer: ID!) { kycSubmit(input: {customerId: $customer}) { customer { id } } }",
    ),
    (
        "kycReject",
        "mutation($customer: ID!) { kycReject(input: {customerId: $customer, note: \"x\"}) { customer { id } } }",
    ),
    (
        "kycVerify",
        "mutation($customer: ID!) { kycVerify(input: {customerId: $customer}) { approvalRequest { id } } }",
    ),
    (
        "line",
        "query($line: ID!) { line(id: $line) { id msisdn } }",
    ),
    (
        "lines",
        "query($customer: ID!) { lines(customerId: $customer) { edges { node { id msisdn } } } }",
    ),
    (
        "contract",
        "query($contract: ID!) { contract(id: $contract) { id } }",
    ),
    ("order", "query($order: ID!) { order(id: $order) { id } }"),
    (
        "orders",
        "query($line: ID!) { orders(lineId: $line) { edges { node { id } } } }",
    ),
    (
        "planChangePreview",
        "query($contract: ID!, $plan: ID!) { planChangePreview(contractId: $contract, planId: $plan) { proration } }",
    ),
    (
        "orderNewLine",
        "mutation($customer: ID!, $plan: ID!, $iccid: String!) { orderNewLine(input: {customerId: $customer, planId: $plan, iccid: $iccid}) { order { id } } }",
    ),
    (
        "orderPlanChange",
        "mutation($contract: ID!, $plan: ID!) { orderPlanChange(input: {contractId: $contract, planId: $plan}) { order { id } } }",
    ),
    (
        "orderOptionAdd",
        "mutation($contract: ID!, $option: ID!) { orderOptionAdd(input: {contractId: $contract, optionId: $option}) { order { id } } }",
    ),
    (
        "orderOptionRemove",
        "mutation($contract: ID!, $option: ID!) { orderOptionRemove(input: {contractId: $contract, optionId: $option}) { order { id } } }",
    ),
    (
        "orderSimSwap",
        "mutation($line: ID!, $iccid: String!) { orderSimSwap(input: {lineId: $line, iccid: $iccid}) { order { id } } }",
    ),
    (
        "orderCancel",
        "mutation($order: ID!) { orderCancel(input: {id: $order, reason: \"x\"}) { order { id } } }",
    ),
    (
        "lineSuspend",
        "mutation($line: ID!) { lineSuspend(input: {lineId: $line, reason: \"x\"}) { order { id } } }",
    ),
    (
        "lineResume",
        "mutation($line: ID!) { lineResume(input: {lineId: $line}) { order { id } } }",
    ),
    (
        "lineTerminate",
        "mutation($line: ID!) { lineTerminate(input: {lineId: $line, reason: \"x\"}) { order { id } } }",
    ),
    (
        "carrierReport",
        "mutation($job: ID!) { carrierReport(input: {jobId: $job, succeeded: true, answer: \"pwned\"}) { job { id answer } } }",
    ),
    (
        "carrierJobRetry",
        "mutation($job: ID!) { carrierJobRetry(input: {jobId: $job}) { job { id } } }",
    ),
    (
        "carrierLineResync",
        "mutation($line: ID!) { carrierLineResync(lineId: $line) }",
    ),
    // The victims have no carrier, hence no runs: a foreign id must still find nothing.
    (
        "reconciliationRun",
        "query($job: ID!) { reconciliationRun(id: $job) { id status } }",
    ),
    (
        "lineReviewResolve",
        "mutation($line: ID!) { lineReviewResolve(input: {lineId: $line, status: TERMINATED, reason: \"pwned\"}) { approvalRequest { id } } }",
    ),
    (
        "approvalRequest",
        "query($approval: ID!) { approvalRequest(id: $approval) { id summary } }",
    ),
    (
        "approvalApprove",
        "mutation($approval: ID!) { approvalApprove(input: {id: $approval}) { approvalRequest { id } } }",
    ),
    (
        "approvalReject",
        "mutation($approval: ID!) { approvalReject(input: {id: $approval, note: \"x\"}) { approvalRequest { id } } }",
    ),
    (
        "simSecrets",
        "query($sim: ID!) { simSecrets(id: $sim) { pin puk } }",
    ),
    (
        "esimActivationCode",
        "query($esim: ID!) { esimActivationCode(id: $esim) }",
    ),
    (
        "history",
        "query($line: ID!) { history(targetType: \"line\", targetId: $line) { action after } }",
    ),
    (
        "search",
        "query($msisdn: String!) { search(query: $msisdn) { id label } }",
    ),
    (
        "esimProfileSetStatus",
        "mutation($esim: ID!) { esimProfileSetStatus(input: {id: $esim, status: DELETED}) { esimProfile { id } } }",
    ),
    (
        "webhookEndpoint",
        "query($endpoint: ID!) { webhookEndpoint(id: $endpoint) { id url } }",
    ),
    (
        "deliveries",
        "query($endpoint: ID!) { deliveries(endpointId: $endpoint) { id recipient } }",
    ),
    (
        "setWebhookEndpointEnabled",
        "mutation($endpoint: ID!) { setWebhookEndpointEnabled(id: $endpoint, version: 1, enabled: false) { id } }",
    ),
    (
        "rotateWebhookEndpointSecret",
        "mutation($endpoint: ID!) { rotateWebhookEndpointSecret(id: $endpoint, version: 1) { secret } }",
    ),
    (
        "deleteWebhookEndpoint",
        "mutation($endpoint: ID!) { deleteWebhookEndpoint(id: $endpoint) { id } }",
    ),
    (
        "replayFailedWebhookDeliveries",
        "mutation($endpoint: ID!) { replayFailedWebhookDeliveries(endpointId: $endpoint) }",
    ),
    (
        "replayDelivery",
        "mutation($endpoint: ID!) { replayDelivery(id: $endpoint) { id } }",
    ),
    (
        "deleteNotificationRule",
        "mutation($rule: ID!) { deleteNotificationRule(id: $rule) { id } }",
    ),
    (
        "webhookEndpointSetEnabled",
        "mutation($endpoint: ID!) { webhookEndpointSetEnabled(input: {id: $endpoint, version: 1, enabled: false}) { endpoint { id } } }",
    ),
    (
        "webhookEndpointSecretRotate",
        "mutation($endpoint: ID!) { webhookEndpointSecretRotate(input: {id: $endpoint, version: 1}) { secret } }",
    ),
    (
        "webhookEndpointDelete",
        "mutation($endpoint: ID!) { webhookEndpointDelete(input: {id: $endpoint}) { endpoint { id } } }",
    ),
    (
        "webhookEndpointReplayFailed",
        "mutation($endpoint: ID!) { webhookEndpointReplayFailed(input: {endpointId: $endpoint}) { count } }",
    ),
    (
        "deliveryReplay",
        "mutation($endpoint: ID!) { deliveryReplay(input: {id: $endpoint}) { delivery { id } } }",
    ),
    (
        "notificationSmtpProviderRemove",
        "mutation($smtp: ID!) { notificationSmtpProviderRemove(input: {id: $smtp}) { id } }",
    ),
    (
        "notificationRuleDelete",
        "mutation($rule: ID!) { notificationRuleDelete(input: {id: $rule}) { rule { id } } }",
    ),
    (
        "pluginVersion",
        "query($pversion: ID!) { pluginVersion(id: $pversion) { id manifest } }",
    ),
    (
        "pluginReplay",
        "query($pversion: ID!, $fixture: ID!) { pluginReplay(input: {versionId: $pversion, fixtureSetId: $fixture, samples: false}) { inputs items { subject } } }",
    ),
    (
        "contractPriceQuote",
        "query($contract: ID!) { contractPriceQuote(contractId: $contract) { total lines } }",
    ),
    (
        "pluginVersionSetManifest",
        "mutation($pversion: ID!) { pluginVersionSetManifest(input: {versionId: $pversion, manifest: {}}) { id } }",
    ),
    (
        "pluginActivate",
        "mutation($pversion: ID!) { pluginActivate(input: {hook: \"pricing\", versionId: $pversion, reason: \"pwned\"}) { approvalRequest { id } } }",
    ),
    (
        "pluginFixtureSetDelete",
        "mutation($fixture: ID!) { pluginFixtureSetDelete(id: $fixture) { id } }",
    ),
];

/// Fields that act only on the caller's own tenant (no id to aim elsewhere): checked for role.
/// Catalog objects a reseller sees by inheritance: it may read its MVNO's plans, so changing
/// them is FORBIDDEN (not NOT_FOUND) for it.
const INHERITED: &[&str] = &["planPriceAdd", "planActivate", "planRetire"];

const OWN: &[(&str, &str)] = &[
    ("carrierSettings", "{ carrierSettings { endpoint } }"),
    (
        "carrierSettingsSet",
        "mutation { carrierSettingsSet(input: {endpoint: \"https://carrier.example/api\", apiKey: \"evil-key-123\"}) { callbackSecret } }",
    ),
    ("carrierJobs", "{ carrierJobs { edges { node { id } } } }"),
    ("carrierReconcile", "mutation { carrierReconcile { id } }"),
    ("reconciliationRuns", "{ reconciliationRuns { id } }"),
    (
        "reconciliationItems",
        "{ reconciliationItems { edges { node { id } } } }",
    ),
    ("apiKeys", "{ apiKeys { edges { node { id } } } }"),
    ("policies", "{ policies { id } }"),
    (
        "tenantCreate",
        "mutation { tenantCreate(input: {slug: \"evil-co\", name: \"Evil\"}) { tenant { id } } }",
    ),
    (
        "userCreate",
        "mutation { userCreate(input: {email: \"evil@x.example\", displayName: \"E\", password: \"long-enough-password\", roles: [\"tenant_admin\"]}) { user { id } } }",
    ),
    (
        "apiKeyCreate",
        "mutation { apiKeyCreate(input: {name: \"evil\", roles: [\"tenant_admin\"]}) { secret } }",
    ),
    (
        "policyAdd",
        "mutation { policyAdd(input: {ptype: \"p\", subject: \"customer_user\", object: \"*\", action: \"*\"}) { policy { id } } }",
    ),
    ("plans", "{ plans { id } }"),
    ("options", "{ options { id } }"),
    ("customers", "{ customers { edges { node { id } } } }"),
    ("numbers", "{ numbers { msisdn } }"),
    ("sims", "{ sims { edges { node { id } } } }"),
    ("esimProfiles", "{ esimProfiles { edges { node { id } } } }"),
    ("devices", "{ devices { edges { node { id } } } }"),
    (
        "approvalRequests",
        "{ approvalRequests { edges { node { id } } } }",
    ),
    (
        "planCreate",
        "mutation { planCreate(input: {code: \"EVIL\", name: \"Evil\", price: {monthlyFee: 1, dataMb: 1, voiceMin: 0, sms: 0, overageDataPerGb: 0, overageVoicePerMin: 0, overageSms: 0}}) { plan { id } } }",
    ),
    (
        "optionCreate",
        "mutation { optionCreate(input: {code: \"EVIL\", name: \"Evil\", monthlyFee: 1}) { option { id } } }",
    ),
    (
        "customerCreate",
        "mutation { customerCreate(input: {kind: \"individual\", name: \"Evil\"}) { customer { id } } }",
    ),
    (
        "numbersAdd",
        "mutation { numbersAdd(input: {items: [\"+819099999999\"]}) { added } }",
    ),
    (
        "simsAdd",
        "mutation { simsAdd(input: {items: [{iccid: \"8981000000000000004\", imsi: \"440100000000004\"}]}) { added } }",
    ),
    (
        "esimProfilesAdd",
        "mutation { esimProfilesAdd(input: {items: [{iccid: \"8981000000000000004\", imsi: \"440100000000004\", activationCode: \"LPA:1$x$y\"}]}) { added } }",
    ),
    (
        "devicesAdd",
        "mutation { devicesAdd(input: {items: [{imei: \"490154203237518\", model: \"x\"}]}) { added } }",
    ),
    ("notificationTopics", "{ notificationTopics { topic } }"),
    ("notificationRules", "{ notificationRules { id } }"),
    (
        "notificationTemplates",
        "{ notificationTemplates { topic } }",
    ),
    ("webhookEndpoints", "{ webhookEndpoints { id url } }"),
    (
        "createNotificationRule",
        "mutation { createNotificationRule(input: {topic: \"*\", audience: \"role\", role: \"support\", channel: \"email\"}) { id } }",
    ),
    (
        "setNotificationTemplate",
        "mutation { setNotificationTemplate(input: {topic: \"payment.failed\", channel: \"email\", locale: \"en\", subject: \"x\", body: \"y\"}) { version } }",
    ),
    (
        "deleteNotificationTemplate",
        "mutation { deleteNotificationTemplate(topic: \"payment.failed\", channel: \"email\", locale: \"en\") }",
    ),
    (
        "previewNotificationTemplate",
        "mutation { previewNotificationTemplate(input: {topic: \"payment.failed\", channel: \"email\", locale: \"en\", subject: \"x\", body: \"y\"}) { body } }",
    ),
    (
        "createWebhookEndpoint",
        "mutation { createWebhookEndpoint(input: {url: \"https://93.184.216.34/evil\", topics: [\"*\"]}) { secret } }",
    ),
    (
        "notificationRuleCreate",
        "mutation { notificationRuleCreate(input: {topic: \"*\", audience: \"role\", role: \"support\", channel: \"email\"}) { rule { id } } }",
    ),
    (
        "notificationTemplateSet",
        "mutation { notificationTemplateSet(input: {topic: \"payment.failed\", channel: \"email\", locale: \"en\", subject: \"x\", body: \"y\"}) { template { version } } }",
    ),
    (
        "notificationTemplateDelete",
        "mutation { notificationTemplateDelete(input: {topic: \"payment.failed\", channel: \"email\", locale: \"en\"}) { deleted } }",
    ),
    (
        "notificationTemplatePreview",
        "mutation { notificationTemplatePreview(input: {template: {topic: \"payment.failed\", channel: \"email\", locale: \"en\", subject: \"x\", body: \"y\"}}) { body } }",
    ),
    (
        "notificationMailSettings",
        "{ notificationMailSettings { fromAddress providers { name } } }",
    ),
    (
        "notificationMailSettingsSet",
        "mutation { notificationMailSettingsSet(input: {version: 0, fromAddress: \"evil@evil.example\"}) { version } }",
    ),
    (
        "notificationSuppressions",
        "{ notificationSuppressions { address topic } }",
    ),
    (
        "notificationSuppressionLift",
        "mutation { notificationSuppressionLift(input: {address: \"a@b.example\", topic: \"invoice.issued\", reason: \"pwned\"}) { address } }",
    ),
    (
        "notificationSmtpProviderAdd",
        "mutation { notificationSmtpProviderAdd(input: {name: \"evil\", url: \"smtp://93.184.216.34:25\"}) { id } }",
    ),
    (
        "webhookEndpointCreate",
        "mutation { webhookEndpointCreate(input: {url: \"https://93.184.216.34/evil\", topics: [\"*\"]}) { secret } }",
    ),
    ("plugins", "{ plugins { id name } }"),
    ("pluginHooks", "{ pluginHooks { hook inForce } }"),
    (
        "pluginSamples",
        "{ pluginSamples(hook: \"pricing\") { input } }",
    ),
    ("pluginFixtureSets", "{ pluginFixtureSets { id inputs } }"),
    (
        "pluginUpload",
        "mutation { pluginUpload(input: {name: \"evil\", version: \"1.0.0\", world: \"pricing\", wasmBase64: \"AAAA\"}) { id } }",
    ),
    (
        "pluginRollback",
        "mutation { pluginRollback(input: {hook: \"pricing\", reason: \"pwned\"}) { status } }",
    ),
    (
        "pluginDisable",
        "mutation { pluginDisable(input: {hook: \"pricing\", reason: \"pwned\"}) { status } }",
    ),
    (
        "pluginHookPolicySet",
        "mutation { pluginHookPolicySet(input: {hook: \"pricing\", resellersMayOverride: true}) { hook } }",
    ),
    (
        "pluginFixtureSetCreate",
        "mutation { pluginFixtureSetCreate(input: {world: \"pricing\", name: \"evil\", inputs: []}) { id } }",
    ),
];

/// Fields open to every signed-in principal (or to nobody yet), and why.
const EXEMPT: &[(&str, &str)] = &[
    ("viewer", "answers only about the caller"),
    ("roles", "the public list of default roles"),
    (
        "login",
        "takes credentials, not an id; covered by the auth tests",
    ),
    (
        "refreshToken",
        "takes a token, not an id; covered by the auth tests",
    ),
    ("logout", "ends only the caller's own session"),
    (
        "myNotificationPreferences",
        "answers only about the caller's own preferences",
    ),
    (
        "setMyNotificationPreference",
        "changes only the caller's own preferences",
    ),
    ("viewerLocaleSet", "changes only the caller's own language"),
    (
        "notificationPreferenceSet",
        "changes only the caller's own preferences",
    ),
    (
        "alerts",
        "subscription, filtered to the caller's tenant and roles; covered by the notification tests",
    ),
    (
        "auditRecorded",
        "subscription, filtered to the caller's tenant; covered by the subscription test",
    ),
];

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
