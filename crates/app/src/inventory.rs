//! Resources in stock: numbers, SIM cards (PIN/PUK encrypted), eSIM profiles (activation
//! code encrypted) and devices, added in batches. A bad identifier names its row and field;
//! a duplicate names the existing object when the caller may see it. Identifiers are masked
//! for roles without `identifier:unmask`; secrets need `inventory_secret:read`.

use crate::record::record_event;
use crate::{App, Ctx};
use serde_json::json;
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::identifiers::{Iccid, Imei, Imsi, Msisdn};
use tsunagi_core::{Error, FieldError, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::inventory::{self as repo, Device, Esim, NewSim, Number, Sim, Table};
use uuid::Uuid;

pub const MAX_BATCH: usize = 10_000;

/// Collects identifier errors from a batch into one VALIDATION error.
fn collect<T>(v: &mut Vec<FieldError>, r: Result<T>) -> Option<T> {
    match r {
        Ok(x) => Some(x),
        Err(Error::Validation(f)) => {
            v.extend(f);
            None
        }
        Err(_) => None,
    }
}

fn finish(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

fn check_batch(n: usize) -> Result<()> {
    let mut v = Validator::new();
    v.check(n > 0, "input.items", "must not be empty");
    v.check(
        n <= MAX_BATCH,
        "input.items",
        format!("at most {MAX_BATCH} per batch"),
    );
    v.finish()
}

/// Refuses duplicates inside the batch and against what exists, naming them.
async fn check_unique(
    tx: &mut TenantTx,
    table: Table,
    what: &str,
    field: &str,
    values: &[String],
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut v = Validator::new();
    for (i, x) in values.iter().enumerate() {
        if !seen.insert(x) {
            v.push(
                &format!("input.items[{i}].{field}"),
                format!("{what} {x} appears twice in this batch"),
            );
        }
    }
    v.finish()?;
    let visible = repo::existing(tx, table, values).await?;
    if let Some((value, key)) = visible.first() {
        return Err(Error::conflict(format!(
            "{what} {value} already exists ({key})"
        )));
    }
    Ok(())
}

/// Maps a unique violation against rows the caller cannot see to a CONFLICT without detail.
fn hidden_duplicate(what: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::Internal { detail } if detail.contains("duplicate key") => Error::conflict(format!(
            "a {what} in this batch is already registered on the platform"
        )),
        other => other,
    }
}

pub async fn numbers_add(app: &App, ctx: &Ctx, msisdns: &[String]) -> Result<u64> {
    app.authz
        .check(&ctx.principal, "inventory", "create")
        .await?;
    check_batch(msisdns.len())?;
    let mut tx = app.tx(ctx).await?;
    let cc = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id)
        .await?
        .country_calling_code;
    let mut errors = Vec::new();
    let parsed: Vec<String> = msisdns
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            collect(
                &mut errors,
                Msisdn::parse(&format!("input.items[{i}].msisdn"), m, &cc),
            )
            .map(|m| m.as_str().to_owned())
        })
        .collect();
    finish(errors)?;
    check_unique(&mut tx, Table::Numbers, "number", "msisdn", &parsed).await?;
    let n = repo::numbers_insert(&mut tx, &parsed)
        .await
        .map_err(hidden_duplicate("number"))?;
    let batch = Uuid::now_v7();
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("inventory.numbers_add", "number_batch", batch)
            .after(json!({ "count": n, "first": parsed.first(), "last": parsed.last() })),
        Event::NumbersAdded(ev::InventoryAdded {
            batch_id: batch,
            kind: "number".into(),
            count: n as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// One SIM to add: identifiers in clear, secrets optional.
#[derive(Debug, Clone)]
pub struct SimInput {
    pub iccid: String,
    pub imsi: String,
    pub pin: Option<String>,
    pub puk: Option<String>,
}

pub async fn sims_add(app: &App, ctx: &Ctx, items: &[SimInput]) -> Result<u64> {
    app.authz
        .check(&ctx.principal, "inventory", "create")
        .await?;
    check_batch(items.len())?;
    let tenant = ctx.principal.tenant_id;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    for (i, s) in items.iter().enumerate() {
        let iccid = collect(
            &mut errors,
            Iccid::parse(&format!("input.items[{i}].iccid"), &s.iccid),
        );
        let imsi = collect(
            &mut errors,
            Imsi::parse(&format!("input.items[{i}].imsi"), &s.imsi),
        );
        for (name, val, len) in [("pin", &s.pin, 4..=8), ("puk", &s.puk, 8..=8)] {
            if let Some(x) = val
                && (!len.contains(&x.len()) || !x.bytes().all(|b| b.is_ascii_digit()))
            {
                errors.push(FieldError {
                    field: format!("input.items[{i}].{name}"),
                    reason: format!("must be {}-{} digits", len.start(), len.end()),
                });
            }
        }
        if let (Some(iccid), Some(imsi)) = (iccid, imsi) {
            rows.push((iccid, imsi, s.pin.clone(), s.puk.clone()));
        }
    }
    finish(errors)?;
    let k = crate::crypto::data_key(app)?;
    let mut sims = Vec::with_capacity(rows.len());
    for (iccid, imsi, pin, puk) in rows {
        sims.push(NewSim {
            id: Uuid::now_v7(),
            iccid: iccid.as_str().to_owned(),
            imsi: imsi.as_str().to_owned(),
            pin_enc: pin.map(|p| k.seal(tenant, "sim.pin", &p)).transpose()?,
            puk_enc: puk.map(|p| k.seal(tenant, "sim.puk", &p)).transpose()?,
        });
    }
    let mut tx = app.tx(ctx).await?;
    let iccids: Vec<String> = sims.iter().map(|s| s.iccid.clone()).collect();
    let imsis: Vec<String> = sims.iter().map(|s| s.imsi.clone()).collect();
    check_unique(&mut tx, Table::SimsIccid, "ICCID", "iccid", &iccids).await?;
    check_unique(&mut tx, Table::SimsImsi, "IMSI", "imsi", &imsis).await?;
    let n = repo::sims_insert(&mut tx, &sims)
        .await
        .map_err(hidden_duplicate("SIM"))?;
    let batch = Uuid::now_v7();
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("inventory.sims_add", "sim_batch", batch).after(json!({ "count": n })),
        Event::SimsAdded(ev::InventoryAdded {
            batch_id: batch,
            kind: "sim".into(),
            count: n as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn esims_add(app: &App, ctx: &Ctx, items: &[(String, String, String)]) -> Result<u64> {
    app.authz
        .check(&ctx.principal, "inventory", "create")
        .await?;
    check_batch(items.len())?;
    let k = crate::crypto::data_key(app)?;
    let tenant = ctx.principal.tenant_id;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, (iccid, imsi, code)) in items.iter().enumerate() {
        let a = collect(
            &mut errors,
            Iccid::parse(&format!("input.items[{i}].iccid"), iccid),
        );
        let b = collect(
            &mut errors,
            Imsi::parse(&format!("input.items[{i}].imsi"), imsi),
        );
        if !code.starts_with("LPA:1$") {
            errors.push(FieldError {
                field: format!("input.items[{i}].activationCode"),
                reason: "must be an LPA activation code (LPA:1$<SM-DP+ address>$<matching id>)"
                    .into(),
            });
        }
        if let (Some(a), Some(b)) = (a, b) {
            rows.push((
                Uuid::now_v7(),
                a.as_str().to_owned(),
                b.as_str().to_owned(),
                k.seal(tenant, "esim.activation_code", code)?,
            ));
        }
    }
    finish(errors)?;
    let mut tx = app.tx(ctx).await?;
    let iccids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    check_unique(&mut tx, Table::EsimIccid, "ICCID", "iccid", &iccids).await?;
    let n = repo::esims_insert(&mut tx, &rows)
        .await
        .map_err(hidden_duplicate("eSIM profile"))?;
    let batch = Uuid::now_v7();
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("inventory.esims_add", "esim_batch", batch).after(json!({ "count": n })),
        Event::EsimProfilesAdded(ev::InventoryAdded {
            batch_id: batch,
            kind: "esim_profile".into(),
            count: n as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn devices_add(app: &App, ctx: &Ctx, items: &[(String, String)]) -> Result<u64> {
    app.authz
        .check(&ctx.principal, "inventory", "create")
        .await?;
    check_batch(items.len())?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, (imei, model)) in items.iter().enumerate() {
        if model.trim().is_empty() {
            errors.push(FieldError {
                field: format!("input.items[{i}].model"),
                reason: "must not be empty".into(),
            });
        }
        if let Some(imei) = collect(
            &mut errors,
            Imei::parse(&format!("input.items[{i}].imei"), imei),
        ) {
            rows.push((
                Uuid::now_v7(),
                imei.as_str().to_owned(),
                model.trim().to_owned(),
            ));
        }
    }
    finish(errors)?;
    let mut tx = app.tx(ctx).await?;
    let imeis: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    check_unique(&mut tx, Table::DevicesImei, "IMEI", "imei", &imeis).await?;
    let n = repo::devices_insert(&mut tx, &rows).await?;
    let batch = Uuid::now_v7();
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("inventory.devices_add", "device_batch", batch)
            .after(json!({ "count": n })),
        Event::DevicesAdded(ev::InventoryAdded {
            batch_id: batch,
            kind: "device".into(),
            count: n as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Whether identifiers are shown in full to this principal.
pub async fn can_unmask(app: &App, ctx: &Ctx) -> Result<bool> {
    Ok(disclosure(app, &ctx.principal).await?.unmask)
}

/// What of identifiers and secrets this principal may see: the one masking rule
/// (`tsunagi_core::disclosure`), decided by `identifier:unmask`.
pub async fn disclosure(
    app: &App,
    principal: &tsunagi_core::Principal,
) -> Result<tsunagi_core::disclosure::Disclosure> {
    let unmask = app.authz.allowed(principal, "identifier", "unmask").await?;
    Ok(tsunagi_core::disclosure::Disclosure { unmask })
}

pub async fn number_list(
    app: &App,
    ctx: &Ctx,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Number>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::number_list(&mut tx, status, after, limit).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn sim_list(app: &App, ctx: &Ctx, status: Option<&str>, page: Page) -> Result<Vec<Sim>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::sim_list(&mut tx, status, page).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn esim_list(app: &App, ctx: &Ctx, page: Page) -> Result<Vec<Esim>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::esim_list(&mut tx, page).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn device_list(app: &App, ctx: &Ctx, page: Page) -> Result<Vec<Device>> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::device_list(&mut tx, page).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn device_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Device> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::device_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn sim_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Sim> {
    app.authz.check(&ctx.principal, "inventory", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let r = repo::sim_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(r)
}

/// Records what the SM-DP+ (or a person) reports about an eSIM profile: downloaded,
/// installed, deleted — along the profile's state machine.
pub async fn esim_set_status(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    to: tsunagi_core::states::EsimState,
) -> Result<Esim> {
    use tsunagi_core::states::{EsimState, StateMachine};
    app.authz
        .check(&ctx.principal, "inventory", "update")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let e = repo::esim_lock(&mut tx, id).await?;
    EsimState::from_db(&e.status)?.transition(to)?;
    repo::esim_set_status(&mut tx, id, to.as_str()).await?;
    crate::carrier::esim::profile_moved(&mut tx, ctx, &e, to, "esim.status_change", json!(null))
        .await?;
    let e = repo::esim_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(e)
}
