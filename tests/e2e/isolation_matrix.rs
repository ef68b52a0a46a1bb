//! The isolation matrix: every root field of the schema, as the wrong tenant would call it
//! by id (`BY_ID`), as any caller would call it on its own tenant (`OWN`), or exempt with
//! the reason (`EXEMPT`). `isolation` runs the attacks; its coverage test fails when a root
//! field is in none of these lists.

/// (root field, operation). Variables: $tenant, $user, $key, $policy (the victim's ids).
pub const BY_ID: &[(&str, &str)] = &[
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
        "customerContactAdd",
        "mutation($customer: ID!) { customerContactAdd(input: {customerId: $customer, name: \"pwned\", email: \"x@pwned.example\", role: \"primary\"}) { customer { id } } }",
    ),
    (
        "customerContactRemove",
        "mutation($customer: ID!, $contact: ID!) { customerContactRemove(input: {customerId: $customer, contactId: $contact}) { customer { id } } }",
    ),
    (
        "customerBillingAccountAdd",
        "mutation($customer: ID!) { customerBillingAccountAdd(input: {customerId: $customer, name: \"pwned\"}) { customer { id } } }",
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
        "lineEsimActivation",
        "query($line: ID!) { lineEsimActivation(lineId: $line) { activationCode } }",
    ),
    (
        "esimProfileRelease",
        "mutation($esim: ID!) { esimProfileRelease(id: $esim) { esimProfile { id } } }",
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
    (
        "lineUsage",
        "query($line: ID!) { lineUsage(lineId: $line, from: \"2000-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\") { edges { node { recordId msisdn } } } }",
    ),
    (
        "usageRerateQuote",
        "query($line: ID!) { usageRerateQuote(lineId: $line) { before after changes { recordId } } }",
    ),
    (
        "usageRerate",
        "mutation($line: ID!) { usageRerate(input: {lineId: $line, expectedAfter: 0}) { rerating { applied } } }",
    ),
    (
        "usageRerateRun",
        "query($rerun: ID!) { usageRerateRun(id: $rerun) { id before changedPools { lineId } } }",
    ),
    (
        "usageRerateRunApply",
        "mutation($rerun: ID!) { usageRerateRunApply(input: {id: $rerun, expectedAfter: 0}) { run { id } } }",
    ),
    (
        "lineAllowance",
        "query($line: ID!) { lineAllowance(lineId: $line) { lineId meters { meter used } limit { action } } }",
    ),
    (
        "dataAddOns",
        "query($line: ID!) { dataAddOns(lineId: $line) { id code } }",
    ),
    (
        "dataAddOnBuy",
        "mutation($line: ID!) { dataAddOnBuy(input: {lineId: $line, optionId: $line, expectedFee: 0}) { order { id } addedBytes } }",
    ),
    (
        "usageRejection",
        "query($rejection: ID!) { usageRejection(id: $rejection) { id recordId fields } }",
    ),
    (
        "usageRejections",
        "query($batch: ID!) { usageRejections(batchId: $batch, status: null) { edges { node { id recordId fields } } } }",
    ),
    (
        "usageRejectionReprocess",
        "mutation($rejection: ID!) { usageRejectionReprocess(input: {id: $rejection}) { rejection { id status } } }",
    ),
    (
        "usageRejectionDiscard",
        "mutation($rejection: ID!) { usageRejectionDiscard(input: {id: $rejection, reason: \"pwned\"}) { rejection { id status } } }",
    ),
];

/// Fields that act only on the caller's own tenant (no id to aim elsewhere): checked for role.
/// Catalog objects a reseller sees by inheritance: it may read its MVNO's plans, so changing
/// them is FORBIDDEN (not NOT_FOUND) for it.
pub const INHERITED: &[&str] = &["planPriceAdd", "planActivate", "planRetire"];

pub const OWN: &[(&str, &str)] = &[
    ("carrierSettings", "{ carrierSettings { endpoint } }"),
    (
        "carrierUsageFeed",
        "{ carrierUsageFeed { position records lastError } }",
    ),
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
    ("usageBatches", "{ usageBatches { id source received } }"),
    (
        "usageRerateRuns",
        "{ usageRerateRuns { id period changedPools { lineId poolOwnerId } } }",
    ),
    (
        "usageRerateRunStart",
        "mutation { usageRerateRunStart(input: {}) { run { id } } }",
    ),
    (
        "usageClosedPeriods",
        "{ usageClosedPeriods { period closedBy } }",
    ),
    (
        "usagePeriodClose",
        "mutation { usagePeriodClose(input: {period: \"2020-01-01\"}) { period } }",
    ),
    (
        "usageSubmit",
        "mutation($msisdn: String!) { usageSubmit(input: {source: \"carrier\", records: [{recordId: \"evil-1\", type: \"sms\", msisdn: $msisdn, time: \"2026-01-01T00:00:00Z\", destination: \"domestic\"}]}) { submission { accepted rejected } } }",
    ),
];

/// Fields open to every signed-in principal (or to nobody yet), and why.
pub const EXEMPT: &[(&str, &str)] = &[
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
