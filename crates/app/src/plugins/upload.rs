//! Uploading a plugin version and changing its manifest. A version is refused unless it is
//! a WebAssembly component implementing the named world of a supported interface version,
//! within the size limit, with a manifest inside the platform's maxima; every refusal names
//! the field. Component bytes are stored once per digest; secrets are sealed and only their
//! names can be read back.

use crate::record::record_event;
use crate::{App, Ctx};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tsunagi_core::events::Event;
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_registry::host::{Manifest, World};
use tsunagi_registry::store::{self, NewVersion, VersionRow};
use tsunagi_registry::{Registry, SECRETS_PURPOSE};
use uuid::Uuid;

/// Components uploaded through the API are at most as large as the host loads.
pub const MAX_UPLOAD_BYTES: usize = tsunagi_registry::host::MAX_COMPONENT_BYTES;

/// How the component arrives: a multipart file (`input.wasm`) or base64 in the document
/// (`input.wasmBase64`, for small components: JSON bodies are capped at 8 MiB).
#[derive(Debug, Clone)]
pub enum ComponentBytes {
    Base64(String),
    /// The file's bytes, or what reading it failed with.
    File(std::result::Result<Vec<u8>, String>),
}

#[derive(Debug, Clone)]
pub struct UploadInput {
    pub name: String,
    pub version: String,
    pub world: String,
    pub description: Option<String>,
    /// None: neither `input.wasm` nor `input.wasmBase64` was given (or both were).
    pub component: Option<ComponentBytes>,
    pub manifest: Option<Value>,
    pub secrets: Vec<(String, String)>,
}

fn valid_name(n: &str) -> bool {
    (1..=40).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_version(v: &str) -> bool {
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| (1..=9).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        && pre.is_none_or(|p| {
            (1..=40).contains(&p.len())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
}

/// Parses and checks a manifest against the world and the platform's maxima; secrets come
/// separately (never inside the manifest JSON). Errors are pushed with `field` as prefix.
pub(crate) fn parse_manifest(
    v: &mut Validator,
    field: &str,
    raw: Option<Value>,
    secrets: &[(String, String)],
    world: World,
    max: &tsunagi_registry::host::Limits,
) -> Option<Manifest> {
    let raw = raw.unwrap_or_else(|| json!({}));
    if raw.get("secrets").is_some() {
        v.push(
            &format!("{field}.secrets"),
            "secrets are given in input.secrets, never in the manifest",
        );
        return None;
    }
    let mut m: Manifest = match serde_json::from_value(raw) {
        Ok(m) => m,
        Err(e) => {
            v.push(field, format!("not a manifest: {e}"));
            return None;
        }
    };
    m.secrets = secrets.iter().cloned().collect::<BTreeMap<_, _>>();
    let errs = m.validate(world, max);
    for (f, reason) in &errs {
        let path = if f == "secrets" {
            "input.secrets".to_owned()
        } else {
            format!("{field}.{f}")
        };
        v.push(&path, reason.clone());
    }
    errs.is_empty().then_some(m)
}

/// Seals the secrets of a manifest: (sealed JSON or None, their names).
pub(crate) fn seal_secrets(
    app: &App,
    tx: &TenantTx,
    m: &Manifest,
) -> Result<(Option<Vec<u8>>, Vec<String>)> {
    if m.secrets.is_empty() {
        return Ok((None, Vec::new()));
    }
    let key = crate::crypto::data_key(app)?;
    let plain = serde_json::to_string(&m.secrets)?;
    Ok((
        Some(key.seal(tx.tenant_id(), SECRETS_PURPOSE, &plain)?),
        m.secrets.keys().cloned().collect(),
    ))
}

/// Compiles and type-checks a component off the async workers.
async fn check_component(
    reg: &Registry,
    field: &'static str,
    name: &str,
    version: &str,
    world: World,
    bytes: Vec<u8>,
) -> Result<String> {
    let host = reg.host().await?.clone();
    let (n, ver) = (name.to_owned(), version.to_owned());
    tokio::task::spawn_blocking(move || host.load(&n, &ver, world, &bytes).map(|p| p.digest))
        .await
        .map_err(|e| Error::internal(format!("checking a component: {e}")))?
        .map_err(|e| Error::invalid(field, e.to_string()))
}

/// The component's bytes and the field they came in, or a refusal naming it.
fn component_bytes(
    v: &mut Validator,
    c: Option<ComponentBytes>,
) -> (&'static str, Option<Vec<u8>>) {
    let (field, decoded) = match c {
        None => {
            v.push(
                "input.wasm",
                "give the component as input.wasm (a multipart upload) or input.wasmBase64, \
                 exactly one of them",
            );
            return ("input.wasm", None);
        }
        Some(ComponentBytes::File(r)) => ("input.wasm", r),
        Some(ComponentBytes::Base64(b)) => (
            "input.wasmBase64",
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| format!("not base64: {e}")),
        ),
    };
    let bytes = match decoded {
        Ok(b) if b.is_empty() => Err("empty".to_owned()),
        Ok(b) if b.len() > MAX_UPLOAD_BYTES => Err(format!(
            "{} bytes exceeds the {MAX_UPLOAD_BYTES}-byte upload limit",
            b.len()
        )),
        other => other,
    };
    match bytes {
        Ok(b) => (field, Some(b)),
        Err(reason) => {
            v.push(field, reason);
            (field, None)
        }
    }
}

pub async fn upload(app: &App, ctx: &Ctx, input: UploadInput) -> Result<VersionRow> {
    app.authz.check(&ctx.principal, "plugin", "create").await?;
    let mut v = Validator::new();
    v.check(
        valid_name(&input.name),
        "input.name",
        "1–40 lowercase letters, digits or '-', starting with a letter or digit",
    );
    v.check(
        valid_version(&input.version),
        "input.version",
        "a semantic version like 1.2.0 or 1.2.0-rc.1",
    );
    let description = input.description.unwrap_or_default();
    v.check(
        description.chars().count() <= 500,
        "input.description",
        "at most 500 characters",
    );
    let world = World::parse(&input.world);
    v.check(
        world.is_some(),
        "input.world",
        "pricing, commission or channel",
    );
    let (field, bytes) = component_bytes(&mut v, input.component);
    let max = app.plugins.host().await?.config().max_limits;
    let manifest = world.and_then(|w| {
        parse_manifest(
            &mut v,
            "input.manifest",
            input.manifest,
            &input.secrets,
            w,
            &max,
        )
    });
    v.finish()?;
    let (Some(world), Some(bytes), Some(manifest)) = (world, bytes, manifest) else {
        return Err(Error::internal("validated input without a value"));
    };
    let size = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
    let digest = check_component(
        &app.plugins,
        field,
        &input.name,
        &input.version,
        world,
        bytes.clone(),
    )
    .await?;

    let mut tx = app.tx(ctx).await?;
    let plugin = match store::plugin_by_name(&mut tx, &input.name).await? {
        Some(p) if p.world != world.name() => {
            return Err(Error::invalid(
                "input.world",
                format!("plugin {} implements the {} world", p.name, p.world),
            ));
        }
        Some(p) => p,
        None => store::plugin_insert(&mut tx, &input.name, world.name(), &description).await?,
    };
    store::component_put(&mut tx, &digest, &bytes).await?;
    let (secrets_enc, secret_keys) = seal_secrets(app, &tx, &manifest)?;
    let row = store::version_insert(
        &mut tx,
        NewVersion {
            plugin_id: plugin.id,
            version: &input.version,
            digest: &digest,
            size_bytes: size,
            manifest: serde_json::to_value(&manifest)?,
            secrets_enc,
            secret_keys,
            uploaded_by: &ctx.principal.actor.label(),
        },
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plugin.upload", "plugin_version", row.id).after(&row),
        Event::PluginVersionUploaded(crate::payloads::plugin_version(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Replaces the manifest of a version that is not in force (a version in force changes only
/// through a new, approved activation). `secrets: None` keeps the stored secrets.
pub async fn set_manifest(
    app: &App,
    ctx: &Ctx,
    version_id: Uuid,
    manifest: Value,
    secrets: Option<Vec<(String, String)>>,
) -> Result<VersionRow> {
    app.authz.check(&ctx.principal, "plugin", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let before = store::version_get(&mut tx, version_id).await?;
    if let Some(a) = store::activations(&mut tx)
        .await?
        .into_iter()
        .find(|a| a.version_id == Some(version_id))
    {
        return Err(Error::conflict(format!(
            "version {} is active at hook {}: upload it as a new version with this manifest and activate that",
            before.version, a.hook
        )));
    }
    let world = World::parse(&before.world)
        .ok_or_else(|| Error::internal(format!("stored world {}", before.world)))?;
    let max = app.plugins.host().await?.config().max_limits;
    let mut v = Validator::new();
    let given = secrets.clone().unwrap_or_default();
    let m = parse_manifest(
        &mut v,
        "input.manifest",
        Some(manifest),
        &given,
        world,
        &max,
    );
    v.finish()?;
    let m = m.ok_or_else(|| Error::internal("validated manifest without a value"))?;
    let sealed = match secrets {
        Some(_) => Some(seal_secrets(app, &tx, &m)?),
        None => None,
    };
    let row = store::version_set_manifest(&mut tx, version_id, &serde_json::to_value(&m)?, sealed)
        .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plugin.manifest", "plugin_version", row.id)
            .before(&before.manifest)
            .after(json!({ "manifest": row.manifest, "secretKeys": row.secret_keys, "manifestRev": row.manifest_rev })),
        Event::PluginManifestChanged(crate::payloads::plugin_version(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert!(valid_name("volume-discount"));
        assert!(!valid_name("-x") && !valid_name("Upper") && !valid_name(""));
        assert!(valid_version("1.2.0") && valid_version("0.1.0-rc.1"));
        assert!(!valid_version("1.2") && !valid_version("v1.2.0") && !valid_version("1.2.0-"));
    }

    #[test]
    fn manifest_errors_name_fields() {
        let max = tsunagi_registry::host::Limits::platform_max();
        let mut v = Validator::new();
        let m = parse_manifest(
            &mut v,
            "input.manifest",
            Some(json!({ "limits": { "fuel": 0 }, "allowed_hosts": ["chat.example.com"] })),
            &[],
            World::Pricing,
            &max,
        );
        assert!(m.is_none());
        let Err(Error::Validation(errs)) = v.finish() else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["input.manifest.limits.fuel", "input.manifest.allowed_hosts"]
        );
        let mut v = Validator::new();
        parse_manifest(
            &mut v,
            "m",
            Some(json!({ "secrets": {} })),
            &[],
            World::Channel,
            &max,
        );
        assert!(v.finish().is_err());
    }
}
