//! Calling the plugin that is in force: resolve the hook for the tenant, load the version
//! (cached by version and manifest revision), call it in the sandbox, then count a failure
//! against the version and offer the input to the sample reservoir. Bookkeeping failures
//! are logged and never fail the call; a failed plugin falls back to the built-in rule
//! (no adjustments, no commission lines) and says so.

use crate::hook::Hook;
use crate::{Registry, SECRETS_PURPOSE, samples, store};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use tsunagi_core::{Error, Result, TenantId};
use tsunagi_db::{Scope, TenantTx};
use tsunagi_plugin_host::bindings::channel::tsunagi::plugins::channel_types::{
    Delivery, Notification,
};
use tsunagi_plugin_host::bindings::commission::tsunagi::plugins::commission_types::{
    CommissionInput, CommissionLine,
};
use tsunagi_plugin_host::bindings::pricing::tsunagi::plugins::pricing_types::{
    Adjustment, PricingInput,
};
use tsunagi_plugin_host::{
    Egress, Host, LogLine, Manifest, Outcome, Plugin, PluginError, Usage, World,
};
use uuid::Uuid;

/// A stored version, loaded into the sandbox with its manifest (secrets opened).
pub struct Loaded {
    pub owner: Uuid,
    pub version_id: Uuid,
    pub manifest_rev: i32,
    pub plugin: Plugin,
    pub manifest: Manifest,
}

impl Loaded {
    pub fn source(&self) -> Source {
        Source::Plugin {
            owner: self.owner,
            version_id: self.version_id,
            name: self.plugin.name.clone(),
            version: self.plugin.version.clone(),
        }
    }
}

/// What produced a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    BuiltIn,
    Plugin {
        owner: Uuid,
        version_id: Uuid,
        name: String,
        version: String,
    },
}

/// A hook's result: the plugin's output, or the built-in one when no plugin is active or
/// the plugin failed (`error` then says why, for the invoice flag and the admin).
#[derive(Debug)]
pub struct Run<T> {
    pub output: T,
    pub source: Source,
    pub error: Option<PluginError>,
    pub usage: Option<Usage>,
    pub logs: Vec<LogLine>,
}

impl<T> Run<T> {
    fn built_in(output: T) -> Self {
        Self {
            output,
            source: Source::BuiltIn,
            error: None,
            usage: None,
            logs: Vec::new(),
        }
    }

    fn of(l: &Loaded, out: Outcome<T>, fallback: impl FnOnce() -> T) -> Self {
        let (output, error) = match out.result {
            Ok(v) => (v, None),
            Err(e) => (fallback(), Some(e)),
        };
        Self {
            output,
            source: l.source(),
            error,
            usage: Some(out.usage),
            logs: out.logs,
        }
    }
}

fn hook(s: &str) -> Hook {
    Hook::parse(s).unwrap_or_else(|e| unreachable!("{e}"))
}

impl Registry {
    /// The loaded plugin in force for `tenant` at `hook`, if any.
    pub async fn effective(&self, tenant: TenantId, hook: &Hook) -> Result<Option<Arc<Loaded>>> {
        let mut tx = TenantTx::begin(&self.0.db, Scope::single(tenant)).await?;
        let e = store::effective(&mut tx, hook.as_str()).await?;
        tx.commit().await?;
        match e {
            None => Ok(None),
            Some(e) => self
                .load(TenantId::from(e.owner), e.version_id, Some(e.manifest_rev))
                .await
                .map(Some),
        }
    }

    /// Loads a version of `owner`, reusing the loaded one when its manifest revision is
    /// current.
    pub async fn load(
        &self,
        owner: TenantId,
        version_id: Uuid,
        rev: Option<i32>,
    ) -> Result<Arc<Loaded>> {
        let cached = |rev: i32| {
            self.0
                .loaded
                .lock()
                .expect("registry cache lock")
                .get(&(version_id, rev))
                .cloned()
        };
        if let Some(l) = rev.and_then(cached) {
            return Ok(l);
        }
        let mut tx = TenantTx::begin(&self.0.db, Scope::single(owner)).await?;
        let row = store::load_row(&mut tx, version_id).await?;
        tx.commit().await?;
        if let Some(l) = cached(row.manifest_rev) {
            return Ok(l);
        }
        let mut manifest: Manifest = serde_json::from_value(row.manifest)
            .map_err(|e| Error::internal(format!("stored manifest of {version_id}: {e}")))?;
        if let Some(sealed) = &row.secrets_enc {
            let key = self.key().ok_or_else(|| {
                Error::unavailable(
                    "secrets.data_key is not configured: plugin secrets cannot be opened",
                )
            })?;
            manifest.secrets = serde_json::from_str(&key.open(owner, SECRETS_PURPOSE, sealed)?)
                .map_err(|e| Error::internal(format!("stored secrets of {version_id}: {e}")))?;
        }
        let world = World::parse(&row.world)
            .ok_or_else(|| Error::internal(format!("stored world {}", row.world)))?;
        let host = self.host().await?.clone();
        let (name, version, bytes) = (row.name, row.version, row.bytes);
        let plugin = tokio::task::spawn_blocking(move || host.load(&name, &version, world, &bytes))
            .await
            .map_err(|e| Error::internal(format!("loading a plugin: {e}")))?
            .map_err(|e| Error::internal(format!("a stored plugin no longer loads: {e}")))?;
        let l = Arc::new(Loaded {
            owner: owner.as_uuid(),
            version_id,
            manifest_rev: row.manifest_rev,
            plugin,
            manifest,
        });
        let mut cache = self.0.loaded.lock().expect("registry cache lock");
        cache.retain(|(v, _), _| *v != version_id);
        if cache.len() >= self.0.cfg.max_loaded
            && let Some(k) = cache.keys().next().copied()
        {
            cache.remove(&k);
        }
        cache.insert((version_id, l.manifest_rev), l.clone());
        Ok(l)
    }

    /// The pricing hook: adjustments to a contract's draft invoice.
    pub async fn price(
        &self,
        tenant: TenantId,
        mut input: PricingInput,
    ) -> Result<Run<Vec<Adjustment>>> {
        input.config.clear();
        self.sampled(tenant, Hook::PRICING, input, async |host, l, i| {
            host.price(&l.plugin, &l.manifest, i).await
        })
        .await
    }

    /// The commission hook: a partner's commission lines for a period.
    pub async fn commission(
        &self,
        tenant: TenantId,
        mut input: CommissionInput,
    ) -> Result<Run<Vec<CommissionLine>>> {
        input.config.clear();
        self.sampled(tenant, Hook::COMMISSION, input, async |host, l, i| {
            host.commission(&l.plugin, &l.manifest, i).await
        })
        .await
    }

    /// Runs the plugin in force at a sampled hook (pricing, commission) on an input without
    /// config, then counts a failure and offers the input to the sample; built-in (no
    /// lines) when no plugin is in force, and the fallback when it fails.
    async fn sampled<I: Serialize + Clone, O: Serialize>(
        &self,
        tenant: TenantId,
        name: &str,
        input: I,
        call: impl AsyncFnOnce(&Host, &Loaded, I) -> Outcome<Vec<O>>,
    ) -> Result<Run<Vec<O>>> {
        let h = hook(name);
        let Some(l) = self.effective(tenant, &h).await? else {
            return Ok(Run::built_in(Vec::new()));
        };
        let out = call(self.host().await?, &l, input.clone()).await;
        self.after(tenant, &h, &l, &input, &out).await;
        Ok(Run::of(&l, out, Vec::new))
    }

    /// A channel hook: delivers through the tenant's channel plugin; None when no plugin is
    /// active there. Channel calls are not sampled (they reach the outside world, so they
    /// are never replayed).
    pub async fn deliver(
        &self,
        tenant: TenantId,
        hook: &Hook,
        egress: Egress,
        n: Notification,
    ) -> Result<Option<(Source, Outcome<Delivery>)>> {
        let Some(l) = self.effective(tenant, hook).await? else {
            return Ok(None);
        };
        let out = self
            .host()
            .await?
            .deliver(&l.plugin, &l.manifest, egress, n)
            .await;
        if let Err(e) = &out.result {
            self.count_failure(&l, e).await;
        }
        Ok(Some((l.source(), out)))
    }

    /// Calls a loaded version on JSON inputs of its world, without bookkeeping (replay):
    /// one session, so the inputs share an instance (a JavaScript rule pays its start-up
    /// once, not per input); a failure on one input is that input's answer.
    pub async fn call_json_all(
        &self,
        l: &Loaded,
        inputs: &[&Value],
    ) -> Result<Vec<Result<Value, PluginError>>> {
        let host = self.host().await?;
        let bad = |e: serde_json::Error| {
            Error::invalid(
                "input",
                format!("not a {} input: {e}", l.plugin.world.name()),
            )
        };
        let mut session = host.session(&l.plugin, &l.manifest).await;
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let r = match l.plugin.world {
                World::Pricing => {
                    let i: PricingInput = serde_json::from_value((*input).clone()).map_err(bad)?;
                    session.price(i).await.result.map(to_json)
                }
                World::Commission => {
                    let i: CommissionInput =
                        serde_json::from_value((*input).clone()).map_err(bad)?;
                    session.commission(i).await.result.map(to_json)
                }
                World::Channel => {
                    return Err(Error::invalid("versionId", crate::hook::NOT_REPLAYED));
                }
            };
            out.push(r);
        }
        Ok(out)
    }

    async fn after<I: Serialize, O: Serialize>(
        &self,
        tenant: TenantId,
        hook: &Hook,
        l: &Loaded,
        input: &I,
        out: &Outcome<O>,
    ) {
        if let Err(e) = &out.result {
            self.count_failure(l, e).await;
        }
        let Some(slot) =
            self.0
                .reservoir
                .slot(tenant.as_uuid(), hook.as_str(), self.0.cfg.sample_size)
        else {
            return;
        };
        let r = async {
            let input = serde_json::to_value(input)?;
            let output = match &out.result {
                Ok(v) => Some(serde_json::to_value(v)?),
                Err(_) => None,
            };
            let error = out.result.as_ref().err().map(ToString::to_string);
            let mut tx = TenantTx::begin(&self.0.db, Scope::single(tenant)).await?;
            samples::put(
                &mut tx,
                hook.as_str(),
                slot,
                l.owner,
                l.version_id,
                &input,
                output.as_ref(),
                error.as_deref(),
            )
            .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(hook = %hook, error = %e.detail(), "recording a plugin sample failed");
        }
    }

    async fn count_failure(&self, l: &Loaded, e: &PluginError) {
        tracing::warn!(plugin = %e.plugin, version = %e.version, code = e.code(), error = %e, "plugin call failed");
        let r = async {
            let mut tx =
                TenantTx::begin(&self.0.db, Scope::single(TenantId::from(l.owner))).await?;
            store::count_failure(&mut tx, l.version_id, e.code(), &e.to_string()).await?;
            tx.commit().await
        }
        .await;
        if let Err(err) = r {
            tracing::warn!(error = %err.detail(), "counting a plugin failure failed");
        }
    }
}

fn to_json<T: Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}
