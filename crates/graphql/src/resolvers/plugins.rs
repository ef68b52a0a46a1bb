//! Tenant plugins: upload, manifests, activation (an approval request), rollback, disable,
//! reseller policy, samples, fixture sets, replay, and the contract price quote that runs
//! the pricing hook.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::types::ledger_lines::ApprovalRequest;
use crate::types::plugins::{
    ContractPriceQuote, Plugin, PluginActivation, PluginFixtureSet, PluginHook, PluginHookPolicy,
    PluginReplayReport, PluginSample, PluginVersion,
};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject, Upload};
use serde_json::Value;
use tsunagi_app::plugins;

#[derive(InputObject)]
pub struct PluginSecretInput {
    pub key: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct PluginUploadInput {
    /// Lowercase letters, digits and '-'; a new name creates the plugin.
    pub name: String,
    /// Semantic version, unique per plugin (versions are immutable).
    pub version: String,
    /// pricing, commission or channel.
    pub world: String,
    pub description: Option<String>,
    /// The component (`cargo build --target wasm32-wasip2`, componentize-js …) as a file of
    /// a multipart request (GraphQL multipart request spec); at most 16 MiB.
    pub wasm: Option<Upload>,
    /// Or the component in base64, for small components (JSON bodies are at most 8 MiB).
    pub wasm_base64: Option<String>,
    /// `{ "limits": {..}, "config": {..}, "allowed_hosts": [..] }` (docs/plugin-authoring.md).
    pub manifest: Option<Json<Value>>,
    /// Passed to the plugin like config, sealed at rest, never shown again.
    #[graphql(default)]
    pub secrets: Vec<PluginSecretInput>,
}

#[derive(InputObject)]
pub struct PluginManifestInput {
    pub version_id: ID,
    pub manifest: Json<Value>,
    /// Replaces the secrets when given; omitted: the stored ones are kept.
    pub secrets: Option<Vec<PluginSecretInput>>,
}

#[derive(InputObject)]
pub struct PluginActivateInput {
    /// `pricing`, `commission` or `channel:<name>`.
    pub hook: String,
    pub version_id: ID,
    pub reason: String,
}

#[derive(InputObject)]
pub struct PluginHookChangeInput {
    pub hook: String,
    pub reason: String,
}

#[derive(InputObject)]
pub struct PluginHookPolicyInput {
    /// A hook, or `channel:*` for every channel.
    pub hook: String,
    pub resellers_may_override: bool,
}

#[derive(InputObject)]
pub struct PluginFixtureSetInput {
    /// pricing or commission.
    pub world: String,
    pub name: String,
    /// A list of inputs of the world, as in plugins/examples/*/fixture.json.
    pub inputs: Json<Value>,
}

#[derive(InputObject)]
pub struct PluginReplayInput {
    /// One of your versions (pricing or commission).
    pub version_id: ID,
    /// Replay the hook's recorded samples (default true).
    #[graphql(default = true)]
    pub samples: bool,
    pub fixture_set_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct PluginActivatePayload {
    /// Activation needs a second person: this request, once approved, activates.
    pub approval_request: ApprovalRequest,
}

fn secrets(s: Vec<PluginSecretInput>) -> Vec<(String, String)> {
    s.into_iter().map(|s| (s.key, s.value)).collect()
}

#[derive(Default)]
pub struct PluginQuery;

#[Object]
impl PluginQuery {
    /// This tenant's plugins and their versions.
    async fn plugins(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plugin>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(plugins::plugins(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn plugin_version(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PluginVersion> {
        let (app, c) = app_ctx(ctx)?;
        plugins::version(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
    /// Pricing, commission and every channel hook this tenant has configured.
    async fn plugin_hooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PluginHook>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(plugins::activation_hooks(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Real inputs recorded at a hook (this tenant and those below it), newest first.
    async fn plugin_samples(
        &self,
        ctx: &Context<'_>,
        hook: String,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<PluginSample>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(plugins::samples(app, &c, &hook, i64::from(first))
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn plugin_fixture_sets(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PluginFixtureSet>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(plugins::fixture_sets(app, &c)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Runs a candidate version and what is in force on the same inputs; changes nothing.
    async fn plugin_replay(
        &self,
        ctx: &Context<'_>,
        input: PluginReplayInput,
    ) -> async_graphql::Result<PluginReplayReport> {
        let (app, c) = app_ctx(ctx)?;
        let fixture = match &input.fixture_set_id {
            Some(id) => Some(parse_id(id, "input.fixtureSetId")?),
            None => None,
        };
        let viewer = c.principal.tenant_id.as_uuid();
        plugins::replay(
            app,
            &c,
            parse_id(&input.version_id, "input.versionId")?,
            fixture,
            input.samples,
        )
        .await
        .gql()
        .map(|r| PluginReplayReport::of(r, viewer))
    }
    /// A contract's price for the current month, with the pricing plugin in force applied.
    async fn contract_price_quote(
        &self,
        ctx: &Context<'_>,
        contract_id: ID,
    ) -> async_graphql::Result<ContractPriceQuote> {
        let (app, c) = app_ctx(ctx)?;
        let viewer = c.principal.tenant_id.as_uuid();
        plugins::contract_pricing(app, &c, parse_id(&contract_id, "contractId")?)
            .await
            .gql()
            .map(|q| ContractPriceQuote::of(q, viewer))
    }
}

#[derive(Default)]
pub struct PluginMutation;

#[Object]
impl PluginMutation {
    /// Uploads a version; it is validated (a component of the world, within limits) and
    /// stored, not activated.
    async fn plugin_upload(
        &self,
        ctx: &Context<'_>,
        input: PluginUploadInput,
    ) -> async_graphql::Result<PluginVersion> {
        let (app, c) = app_ctx(ctx)?;
        let i = plugins::UploadInput {
            name: input.name,
            version: input.version,
            world: input.world,
            description: input.description,
            component: component(ctx, input.wasm, input.wasm_base64),
            manifest: input.manifest.map(|j| j.0),
            secrets: secrets(input.secrets),
        };
        plugins::upload(app, &c, i).await.gql().map(Into::into)
    }
    /// Changes the manifest of a version that is not in force.
    async fn plugin_version_set_manifest(
        &self,
        ctx: &Context<'_>,
        input: PluginManifestInput,
    ) -> async_graphql::Result<PluginVersion> {
        let (app, c) = app_ctx(ctx)?;
        plugins::set_manifest(
            app,
            &c,
            parse_id(&input.version_id, "input.versionId")?,
            input.manifest.0,
            input.secrets.map(secrets),
        )
        .await
        .gql()
        .map(Into::into)
    }
    /// Asks for a version to run at a hook; a second person approves it.
    async fn plugin_activate(
        &self,
        ctx: &Context<'_>,
        input: PluginActivateInput,
    ) -> async_graphql::Result<PluginActivatePayload> {
        let (app, c) = app_ctx(ctx)?;
        plugins::activate(
            app,
            &c,
            &input.hook,
            parse_id(&input.version_id, "input.versionId")?,
            input.reason,
        )
        .await
        .gql()
        .map(|a| PluginActivatePayload {
            approval_request: ApprovalRequest(a),
        })
    }
    /// Returns a hook to the version in force before, at once.
    async fn plugin_rollback(
        &self,
        ctx: &Context<'_>,
        input: PluginHookChangeInput,
    ) -> async_graphql::Result<PluginActivation> {
        let (app, c) = app_ctx(ctx)?;
        plugins::rollback(app, &c, &input.hook, input.reason)
            .await
            .gql()
            .map(Into::into)
    }
    /// Stops this tenant's plugin at a hook, at once (built-in behaviour, or the MVNO's plugin).
    async fn plugin_disable(
        &self,
        ctx: &Context<'_>,
        input: PluginHookChangeInput,
    ) -> async_graphql::Result<PluginActivation> {
        let (app, c) = app_ctx(ctx)?;
        plugins::disable(app, &c, &input.hook, input.reason)
            .await
            .gql()
            .map(Into::into)
    }
    /// MVNOs: whether resellers may replace a hook with their own plugin.
    async fn plugin_hook_policy_set(
        &self,
        ctx: &Context<'_>,
        input: PluginHookPolicyInput,
    ) -> async_graphql::Result<PluginHookPolicy> {
        let (app, c) = app_ctx(ctx)?;
        plugins::set_policy(app, &c, &input.hook, input.resellers_may_override)
            .await
            .gql()
            .map(Into::into)
    }
    async fn plugin_fixture_set_create(
        &self,
        ctx: &Context<'_>,
        input: PluginFixtureSetInput,
    ) -> async_graphql::Result<PluginFixtureSet> {
        let (app, c) = app_ctx(ctx)?;
        plugins::create_fixture_set(app, &c, &input.world, &input.name, input.inputs.0)
            .await
            .gql()
            .map(Into::into)
    }
    async fn plugin_fixture_set_delete(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PluginFixtureSet> {
        let (app, c) = app_ctx(ctx)?;
        plugins::delete_fixture_set(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Into::into)
    }
}

/// The upload's bytes (read up to one byte past the limit, so a larger file is named as
/// such), or base64; None unless exactly one is given.
fn component(
    ctx: &Context<'_>,
    file: Option<Upload>,
    b64: Option<String>,
) -> Option<plugins::ComponentBytes> {
    use std::io::Read;
    match (file, b64) {
        (Some(f), None) => Some(plugins::ComponentBytes::File(
            f.value(ctx).map_err(|e| e.to_string()).and_then(|v| {
                let mut bytes = Vec::new();
                v.into_read()
                    .take(plugins::MAX_UPLOAD_BYTES as u64 + 1)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| format!("reading the upload: {e}"))
            }),
        )),
        (None, Some(b)) => Some(plugins::ComponentBytes::Base64(b)),
        _ => None,
    }
}
