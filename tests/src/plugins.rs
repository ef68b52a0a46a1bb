//! Plugins through the API: the example and adversarial guests built by `cargo xtask
//! plugins`, their fixtures, and upload/activate helpers.

use crate::{Client, Seeded};
use base64::Engine as _;
use serde_json::{Value, json};
use tsunagi_plugin_host::guests;

/// A guest component (`volume_discount`, `hostile`, …).
pub fn wasm(name: &str) -> Vec<u8> {
    guests::component(name).unwrap_or_else(|e| panic!("{e}"))
}

pub fn wasm_base64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(wasm(name))
}

/// An example's fixture.json.
pub fn fixture(example: &str) -> Value {
    guests::fixture(example).unwrap_or_else(|e| panic!("{e}"))
}

pub const UPLOAD: &str = "mutation($n: String!, $v: String!, $w: String!, $b: String!, $m: JSON, $s: [PluginSecretInput!]! = []) { pluginUpload(input: {name: $n, version: $v, world: $w, wasmBase64: $b, manifest: $m, secrets: $s}) { id version digest sizeBytes manifest secretKeys manifestRev failureCount } }";

/// The volume-discount guest's manifest: `percent` off from the first line, individuals too.
pub fn discount(percent: u32) -> Value {
    json!({ "config": { "min_lines": "1", "percent": percent.to_string(), "individuals": "true" } })
}

/// Uploads a guest; returns the raw response body.
pub async fn upload_raw(
    c: &Client,
    name: &str,
    version: &str,
    world: &str,
    guest: &str,
    manifest: Value,
) -> Value {
    c.gql(
        UPLOAD,
        json!({ "n": name, "v": version, "w": world, "b": wasm_base64(guest), "m": manifest }),
    )
    .await
}

/// Uploads a guest that must be accepted; returns the version's id.
pub async fn upload(
    c: &Client,
    name: &str,
    version: &str,
    world: &str,
    guest: &str,
    manifest: Value,
) -> String {
    let body = upload_raw(c, name, version, world, guest, manifest).await;
    body["data"]["pluginUpload"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("upload {name} {version}: {body}"))
        .to_owned()
}

/// Asks the tenant admin to activate and the approver to approve; returns the approval.
pub async fn activate(s: &Seeded, slug: &str, hook: &str, version: &str) -> Value {
    let admin = s.as_role(slug, "tenant_admin").await;
    let r = admin
        .ok(
            "mutation($h: String!, $v: ID!) { pluginActivate(input: {hook: $h, versionId: $v, reason: \"better prices\"}) { approvalRequest { id status action } } }",
            json!({ "h": hook, "v": version }),
        )
        .await;
    let req = &r["pluginActivate"]["approvalRequest"];
    assert_eq!(req["status"], "PENDING", "{r}");
    assert_eq!(req["action"], "plugin.activate");
    crate::ledger::approve(s, slug, req["id"].as_str().expect("approval id")).await
}
