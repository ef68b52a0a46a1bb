//! Replay sources and replays: the samples each hook recorded, fixture sets uploaded by the
//! tenant, and a candidate version replayed against the version in force. Also the one
//! pricing call made today outside billing: a contract's monthly price quote, which runs
//! the pricing hook exactly as billing will.

use crate::record::record_event;
use crate::{App, Ctx};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::{Error, Result, TenantId, Validator};
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::{Page, catalog, contracts, customers};
use tsunagi_registry::host::World;
use tsunagi_registry::host::bindings::Period;
use tsunagi_registry::host::bindings::pricing::tsunagi::plugins::pricing_types::{
    Adjustment, Contract, InvoiceLine, OptionItem, Plan, PricingInput,
};
use tsunagi_registry::samples::{self as store_samples};
use tsunagi_registry::store::{FixtureSetRow, SampleRow};
use tsunagi_registry::{Hook, ReplayInput, ReplayReport, Source, normalize_input};
use uuid::Uuid;

/// Fixture inputs per set, and inputs per replay.
pub const MAX_FIXTURES: usize = 500;
pub const MAX_REPLAY_INPUTS: usize = 1000;

pub async fn samples(app: &App, ctx: &Ctx, hook: &str, first: i64) -> Result<Vec<SampleRow>> {
    app.authz.check(&ctx.principal, "plugin", "replay").await?;
    let hook = super::activation::parse_hook("hook", hook)?;
    let mut tx = app.tx(ctx).await?;
    let r = store_samples::list(&mut tx, hook.as_str(), first.clamp(1, 1000)).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn fixture_sets(app: &App, ctx: &Ctx) -> Result<Vec<FixtureSetRow>> {
    app.authz.check(&ctx.principal, "plugin", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = store_samples::fixtures(&mut tx).await?;
    tx.commit().await?;
    Ok(r)
}

/// Stores a named set of inputs of one world; each is checked against the world's input
/// type (errors name `input.inputs[i]`), and `config` is dropped from each.
pub async fn create_fixture_set(
    app: &App,
    ctx: &Ctx,
    world: &str,
    name: &str,
    inputs: Value,
) -> Result<FixtureSetRow> {
    app.authz.check(&ctx.principal, "plugin", "update").await?;
    let mut v = Validator::new();
    let world_ok = World::parse(world).filter(|w| *w != World::Channel);
    v.check(
        world_ok.is_some(),
        "input.world",
        "pricing or commission (channel plugins are not replayed)",
    );
    v.check(
        !name.trim().is_empty() && name.chars().count() <= 100,
        "input.name",
        "1–100 characters",
    );
    let items = inputs.as_array().cloned().unwrap_or_default();
    v.check(
        inputs.is_array() && !items.is_empty() && items.len() <= MAX_FIXTURES,
        "input.inputs",
        format!("a list of 1–{MAX_FIXTURES} inputs"),
    );
    let mut normalized = Vec::with_capacity(items.len());
    if let Some(w) = world_ok {
        for (i, item) in items.iter().enumerate() {
            match normalize_input(w, item) {
                Ok(n) => normalized.push(n),
                Err(e) => v.push(
                    &format!("input.inputs[{i}]"),
                    format!("not a {} input: {e}", w.name()),
                ),
            }
        }
    }
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let row = store_samples::fixture_insert(
        &mut tx,
        world,
        name.trim(),
        &Value::Array(normalized),
        &ctx.principal.actor.label(),
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plugin.fixture_set_create", "plugin_fixture_set", row.id).after(
            serde_json::json!({ "name": row.name, "world": row.world, "inputs": items.len() }),
        ),
        Event::PluginFixtureSetCreated(ev::PluginFixtureSetChanged {
            fixture_set_id: row.id,
            name: row.name.clone(),
            world: row.world.clone(),
            inputs: items.len() as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete_fixture_set(app: &App, ctx: &Ctx, id: Uuid) -> Result<FixtureSetRow> {
    app.authz.check(&ctx.principal, "plugin", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let row = store_samples::fixture_delete(&mut tx, id).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plugin.fixture_set_delete", "plugin_fixture_set", row.id)
            .before(serde_json::json!({ "name": row.name, "world": row.world })),
        Event::PluginFixtureSetDeleted(ev::PluginFixtureSetChanged {
            fixture_set_id: row.id,
            name: row.name.clone(),
            world: row.world.clone(),
            inputs: row.inputs.as_array().map_or(0, |a| a.len() as i64),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Replays one of this tenant's versions against the version in force for this tenant (or
/// the built-in rule), on the hook's samples (`use_samples`) and/or a fixture set.
pub async fn replay(
    app: &App,
    ctx: &Ctx,
    version_id: Uuid,
    fixture_set: Option<Uuid>,
    use_samples: bool,
) -> Result<ReplayReport> {
    app.authz.check(&ctx.principal, "plugin", "replay").await?;
    let tenant = ctx.principal.tenant_id;
    let mut tx = app.tx(ctx).await?;
    let v = tsunagi_registry::store::version_get(&mut tx, version_id).await?;
    let world = World::parse(&v.world)
        .ok_or_else(|| Error::internal(format!("stored world {}", v.world)))?;
    let hook = Hook::replayed_at(world).map_err(|why| Error::invalid("input.versionId", why))?;
    let mut inputs = Vec::new();
    if use_samples {
        for s in store_samples::list(&mut tx, hook.as_str(), MAX_REPLAY_INPUTS as i64).await? {
            inputs.push(ReplayInput {
                source: format!("sample:{}/{}", s.tenant_id, s.slot),
                input: s.input,
            });
        }
    }
    if let Some(id) = fixture_set {
        let f = store_samples::fixture_get(&mut tx, id).await?;
        if f.world != v.world {
            return Err(Error::invalid(
                "input.fixtureSetId",
                format!(
                    "fixture set {} holds {} inputs; the version is {}",
                    f.name, f.world, v.world
                ),
            ));
        }
        for (i, input) in f
            .inputs
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            inputs.push(ReplayInput {
                source: format!("fixture:{}#{i}", f.name),
                input,
            });
        }
    }
    tx.commit().await?;
    if inputs.is_empty() {
        return Err(Error::invalid(
            "input",
            "nothing to replay: no samples recorded at this hook yet and no fixture set given",
        ));
    }
    inputs.truncate(MAX_REPLAY_INPUTS);
    let candidate = app.plugins.load(tenant, version_id, None).await?;
    let baseline = app.plugins.effective(tenant, &hook).await?;
    app.plugins
        .replay(&candidate, baseline.as_deref(), inputs)
        .await
}

/// A contract's price for the current month: the draft lines (plan and options), the
/// pricing hook's adjustments, and what produced them.
#[derive(Debug, Clone, Serialize)]
pub struct PriceQuote {
    pub contract_id: Uuid,
    pub currency: String,
    pub period_start: String,
    pub period_end: String,
    pub lines: Vec<InvoiceLine>,
    pub adjustments: Vec<Adjustment>,
    pub subtotal: i64,
    pub total: i64,
    pub source: Source,
    /// Set when the plugin failed: the built-in price applies and the quote is flagged.
    pub plugin_error: Option<String>,
}

pub async fn contract_pricing(app: &App, ctx: &Ctx, contract_id: Uuid) -> Result<PriceQuote> {
    app.authz.check(&ctx.principal, "contract", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let c = contracts::contract_get(&mut tx, contract_id).await?;
    let plan = catalog::plan_get(&mut tx, c.plan_id).await?;
    let priced = crate::catalog::contract_price_in(&mut tx, &c, Utc::now()).await?;
    let price = priced.price;
    let options = catalog::options_get(&mut tx, &c.option_ids).await?;
    let customer = customers::customer_get(&mut tx, c.customer_id).await?;
    let filter = contracts::LineFilter {
        contract_id: Some(c.id),
        ..Default::default()
    };
    let lines = contracts::line_list(
        &mut tx,
        &filter,
        Page {
            after: None,
            limit: 1000,
        },
    )
    .await?;
    tx.commit().await?;
    let local = |t: chrono::DateTime<Utc>| t.with_timezone(&priced.tz).date_naive();
    let (start, end) = (local(priced.period.start), local(priced.period.end));
    let mut draft = vec![InvoiceLine {
        code: format!("plan:{}", plan.code),
        description: format!("{} (monthly fee)", plan.name),
        quantity: 1,
        amount: price.monthly_fee,
    }];
    draft.extend(options.iter().map(|o| InvoiceLine {
        code: format!("option:{}", o.code),
        description: format!("{} (option)", o.name),
        quantity: 1,
        amount: o.monthly_fee,
    }));
    let input = PricingInput {
        tenant: c.tenant_id.to_string(),
        currency: price.currency.clone(),
        period: Period {
            start: start.to_string(),
            end: end.to_string(),
        },
        contract: Contract {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            customer_kind: customer.kind.clone(),
            started_at: c.started_at.unwrap_or(c.created_at).to_rfc3339(),
            line_count: u32::try_from(lines.iter().filter(|l| l.status != "terminated").count())
                .unwrap_or(u32::MAX),
        },
        plan: Plan {
            code: plan.code,
            name: plan.name,
            monthly_fee: price.monthly_fee,
        },
        options: options
            .into_iter()
            .map(|o| OptionItem {
                code: o.code,
                name: o.name,
                monthly_fee: o.monthly_fee,
            })
            .collect(),
        usage: Vec::new(),
        lines: draft.clone(),
        config: Vec::new(),
    };
    let run = app
        .plugins
        .price(TenantId::from(c.tenant_id), input)
        .await?;
    let subtotal: i64 = draft.iter().map(|l| l.amount).sum();
    let total = subtotal + run.output.iter().map(|a| a.amount).sum::<i64>();
    Ok(PriceQuote {
        contract_id: c.id,
        currency: price.currency,
        period_start: start.to_string(),
        period_end: end.to_string(),
        lines: draft,
        adjustments: run.output,
        subtotal,
        total,
        source: run.source,
        plugin_error: run.error.map(|e| e.to_string()),
    })
}
