//! The catalog: plans (draft → active → retired) with price versions, and options. Each
//! price version says when it reaches existing contracts: immediately or at the end of the
//! current term; which version a contract pays is resolved here (`contract_price`) by the
//! rule in `tsunagi_core::pricing`. Resellers sell their MVNO's active plans.

use crate::payloads;
use crate::record::record_event;
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::pricing::{self, Applies, Period, Version};
use tsunagi_core::rating::rules::{OptionRules, PriceRules};
use tsunagi_core::states::{PlanState, StateMachine};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::catalog::{self as repo, CatalogOption, Plan, PlanPrice};
use tsunagi_db::repo::contracts::Contract;
use uuid::Uuid;

/// A price version's terms (money in minor units of the tenant's currency).
#[derive(Debug, Clone)]
pub struct PriceInput {
    pub monthly_fee: i64,
    pub data_mb: i64,
    pub voice_min: i32,
    pub sms: i32,
    pub overage_data_per_gb: i64,
    pub overage_voice_per_min: i64,
    pub overage_sms: i64,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    /// `immediately` or `next_term`.
    pub applies: String,
    /// Rating rules beyond the columns (tsunagi_core::rating::rules::PriceRules as JSON).
    pub rating: serde_json::Value,
}

/// A catalog code: what sales and invoices show, unique per tenant.
fn check_code(code: &str, v: &mut Validator) {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    v.check(ok, "input.code", "must be 1-40 of A-Z, a-z, 0-9, '-', '_'");
}

fn check_price(p: &PriceInput, prefix: &str, v: &mut Validator) {
    for (name, value) in [
        ("monthlyFee", p.monthly_fee),
        ("dataMb", p.data_mb),
        ("voiceMin", i64::from(p.voice_min)),
        ("sms", i64::from(p.sms)),
        ("overageDataPerGb", p.overage_data_per_gb),
        ("overageVoicePerMin", p.overage_voice_per_min),
        ("overageSms", p.overage_sms),
    ] {
        v.check(
            value >= 0,
            &format!("{prefix}.{name}"),
            "must not be negative",
        );
    }
    v.check(
        p.applies == "immediately" || p.applies == "next_term",
        &format!("{prefix}.applies"),
        "must be immediately or next_term",
    );
    if let Err(e) = PriceRules::parse(&p.rating, &format!("{prefix}.rating")) {
        v.check(false, &e.field, e.reason);
    }
}

async fn insert_price(
    tx: &mut tsunagi_db::TenantTx,
    plan: Uuid,
    currency: &str,
    p: &PriceInput,
) -> Result<PlanPrice> {
    let from = p.valid_from.unwrap_or_else(Utc::now);
    repo::prices_close_open(tx, plan, from).await?;
    repo::price_insert(
        tx,
        &PlanPrice {
            tenant_id: tx.tenant_id().as_uuid(),
            id: Uuid::now_v7(),
            plan_id: plan,
            currency: currency.into(),
            monthly_fee: p.monthly_fee,
            data_mb: p.data_mb,
            voice_min: p.voice_min,
            sms: p.sms,
            overage_data_per_gb: p.overage_data_per_gb,
            overage_voice_per_min: p.overage_voice_per_min,
            overage_sms: p.overage_sms,
            valid_from: from,
            valid_to: None,
            applies: p.applies.clone(),
            created_at: Utc::now(),
            rating: p.rating.clone(),
        },
    )
    .await
}

/// A new plan in `draft`, with its first price version.
pub async fn plan_create(
    app: &App,
    ctx: &Ctx,
    code: &str,
    name: &str,
    allowed_options: Vec<Uuid>,
    price: PriceInput,
) -> Result<(Plan, PlanPrice)> {
    app.authz.check(&ctx.principal, "catalog", "create").await?;
    let mut v = Validator::new();
    check_code(code, &mut v);
    v.check(
        !name.trim().is_empty() && name.len() <= 200,
        "input.name",
        "must be 1-200 characters",
    );
    check_price(&price, "input.price", &mut v);
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let found = repo::options_get(&mut tx, &allowed_options).await?;
    let mut v = Validator::new();
    for (i, o) in allowed_options.iter().enumerate() {
        v.check(
            found.iter().any(|f| f.id == *o),
            &format!("input.allowedOptionIds[{i}]"),
            "no such option",
        );
    }
    v.finish()?;
    let currency = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id)
        .await?
        .currency;
    let plan =
        repo::plan_insert(&mut tx, Uuid::now_v7(), code, name.trim(), &allowed_options).await?;
    let p = insert_price(&mut tx, plan.id, &currency, &price).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plan.create", "plan", plan.id)
            .after(json!({ "plan": &plan, "price": &p })),
        Event::PlanCreated(payloads::plan(&plan, Some(&p))),
    )
    .await?;
    tx.commit().await?;
    Ok((plan, p))
}

/// A new price version from `valid_from`; the previous open-ended version ends then.
pub async fn plan_price_add(
    app: &App,
    ctx: &Ctx,
    plan_id: Uuid,
    price: PriceInput,
) -> Result<PlanPrice> {
    app.authz.check(&ctx.principal, "catalog", "update").await?;
    let mut v = Validator::new();
    check_price(&price, "input.price", &mut v);
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let plan = repo::plan_get(&mut tx, plan_id).await?;
    if plan.tenant_id != ctx.principal.tenant_id.as_uuid() {
        return Err(Error::forbidden(
            "the plan belongs to your MVNO; only it can change its prices",
        ));
    }
    if PlanState::from_db(&plan.status)? == PlanState::Retired {
        return Err(Error::conflict("a retired plan gets no new prices"));
    }
    let last = repo::prices_of(&mut tx, plan_id).await?.pop();
    if let (Some(last), Some(from)) = (&last, price.valid_from)
        && from <= last.valid_from
    {
        return Err(Error::invalid(
            "input.price.validFrom",
            "must be after the current version's start",
        ));
    }
    let currency = last.map(|l| l.currency).unwrap_or_else(|| "JPY".into());
    let p = insert_price(&mut tx, plan_id, &currency, &price).await?;
    // Contracts sold earlier are not rewritten: which version they pay is resolved when
    // asked (`contract_price`), so a future or next-term change needs no job.
    let tz = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id)
        .await?
        .tz();
    let applies = Applies::parse(&p.applies).unwrap_or(Applies::Immediately);
    let reaches = pricing::reaches_existing(p.valid_from, applies, tz);
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plan.price_add", "plan", plan_id)
            .after(json!({ "price": &p, "reachesExistingContractsAt": reaches })),
        Event::PlanPriceChanged(ev::PlanPriceChanged {
            plan_id,
            price: payloads::price(&p),
            reaches_existing_contracts_at: reaches,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// draft → active, or active → retired.
pub async fn plan_set_status(
    app: &App,
    ctx: &Ctx,
    plan_id: Uuid,
    to: PlanState,
    version: i32,
) -> Result<Plan> {
    app.authz.check(&ctx.principal, "catalog", "update").await?;
    let mut tx = app.tx(ctx).await?;
    let plan = repo::plan_get(&mut tx, plan_id).await?;
    if plan.tenant_id != ctx.principal.tenant_id.as_uuid() {
        return Err(Error::forbidden("the plan belongs to your MVNO"));
    }
    let from = PlanState::from_db(&plan.status)?;
    from.transition(to)?;
    let plan = repo::plan_set_status(&mut tx, plan_id, to.as_str(), version).await?;
    let payload = payloads::plan(&plan, None);
    let event = match to {
        PlanState::Retired => Event::PlanRetired(payload),
        _ => Event::PlanActivated(payload),
    };
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("plan.status_change", "plan", plan_id)
            .before(json!({ "status": from.as_str() }))
            .after(json!({ "status": to.as_str() })),
        event,
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

pub async fn plan_list(app: &App, ctx: &Ctx, status: Option<PlanState>) -> Result<Vec<Plan>> {
    app.authz.check(&ctx.principal, "catalog", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let p = repo::plan_list(&mut tx, status.map(|s| s.as_str())).await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn plan_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<(Plan, Vec<PlanPrice>)> {
    app.authz.check(&ctx.principal, "catalog", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let p = repo::plan_get(&mut tx, id).await?;
    let prices = repo::prices_of(&mut tx, id).await?;
    tx.commit().await?;
    Ok((p, prices))
}

pub async fn option_create(
    app: &App,
    ctx: &Ctx,
    code: &str,
    name: &str,
    monthly_fee: i64,
    rating: serde_json::Value,
) -> Result<CatalogOption> {
    app.authz.check(&ctx.principal, "catalog", "create").await?;
    let mut v = Validator::new();
    check_code(code, &mut v);
    v.check(!name.trim().is_empty(), "input.name", "must not be empty");
    v.check(monthly_fee >= 0, "input.monthlyFee", "must not be negative");
    if let Err(e) = OptionRules::parse(&rating, "input.rating") {
        v.check(false, &e.field, e.reason);
    }
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let currency = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id)
        .await?
        .currency;
    let o = repo::option_insert(
        &mut tx,
        Uuid::now_v7(),
        code,
        name.trim(),
        &currency,
        monthly_fee,
        &rating,
    )
    .await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("option.create", "option", o.id).after(&o),
        Event::OptionCreated(ev::OptionCreated {
            option_id: o.id,
            code: o.code.clone(),
            name: o.name.clone(),
            monthly_fee: ev::Money {
                minor: o.monthly_fee,
                currency: o.currency.clone(),
            },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(o)
}

pub async fn option_list(app: &App, ctx: &Ctx) -> Result<Vec<CatalogOption>> {
    app.authz.check(&ctx.principal, "catalog", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let o = repo::option_list(&mut tx).await?;
    tx.commit().await?;
    Ok(o)
}

/// What a contract pays at an instant: the version in force, the billing period holding the
/// instant, and the next announced change (version and when it reaches the contract).
#[derive(Debug, Clone)]
pub struct ContractPrice {
    pub price: PlanPrice,
    pub period: Period,
    pub next: Option<(PlanPrice, DateTime<Utc>)>,
    /// The contract tenant's time zone (the period's calendar).
    pub tz: chrono_tz::Tz,
}

/// Resolves a contract's price at `at` in the contract tenant's time zone (no authorization:
/// for services that already asked).
pub async fn contract_price_in(
    tx: &mut TenantTx,
    c: &Contract,
    at: DateTime<Utc>,
) -> Result<ContractPrice> {
    let tz = crate::tenants::effective_settings(tx, tsunagi_core::TenantId::from(c.tenant_id))
        .await?
        .tz();
    let prices = repo::prices_of(tx, c.plan_id).await?;
    let versions: Vec<Version> = prices
        .iter()
        .map(|p| Version {
            valid_from: p.valid_from,
            applies: Applies::parse(&p.applies).unwrap_or(Applies::Immediately),
        })
        .collect();
    let base = prices
        .iter()
        .position(|p| p.id == c.plan_price_id)
        .ok_or_else(|| Error::internal("the contract's price version is missing"))?;
    let now = pricing::in_force(&versions, base, at, tz);
    let next = pricing::next_change(&versions, base, at, tz).map(|(i, w)| (prices[i].clone(), w));
    Ok(ContractPrice {
        price: prices[now].clone(),
        period: pricing::period_of(at, tz),
        next,
        tz,
    })
}

pub async fn contract_price(
    app: &App,
    ctx: &Ctx,
    contract_id: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<ContractPrice> {
    // Staff need `contract:read`; a customer reads the price of a contract in their scope
    // (their own line's, for a customer user).
    let c = crate::lines::contract_get(app, ctx, contract_id).await?;
    let mut tx = app.tx(ctx).await?;
    let p = contract_price_in(&mut tx, &c, at.unwrap_or_else(Utc::now)).await?;
    tx.commit().await?;
    Ok(p)
}
