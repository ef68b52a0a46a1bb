//! The catalog: plans with price versions, and options. Resellers read their MVNO's rows
//! (the catalog read policy includes ancestors); only the owner writes.

use super::{ok_or_not_found, stale_or_missing};
use crate::{TenantTx, on_constraint};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::{Error, Result};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Plan {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub status: String,
    pub allowed_options: Vec<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PlanPrice {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub plan_id: Uuid,
    pub currency: String,
    pub monthly_fee: i64,
    pub data_mb: i64,
    pub voice_min: i32,
    pub sms: i32,
    pub overage_data_per_gb: i64,
    pub overage_voice_per_min: i64,
    pub overage_sms: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub applies: String,
    pub created_at: DateTime<Utc>,
    /// The rating rules (tsunagi_core::rating::rules::PriceRules as JSON).
    pub rating: serde_json::Value,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CatalogOption {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub currency: String,
    pub monthly_fee: i64,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    /// The rating rules (tsunagi_core::rating::rules::OptionRules as JSON).
    pub rating: serde_json::Value,
}

pub async fn plan_insert(
    tx: &mut TenantTx,
    id: Uuid,
    code: &str,
    name: &str,
    allowed_options: &[Uuid],
) -> Result<Plan> {
    sqlx::query_as("INSERT INTO plans (tenant_id, id, code, name, allowed_options) VALUES ($1,$2,$3,$4,$5) RETURNING *")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(allowed_options)
        .fetch_one(tx.conn())
        .await
        .map_err(on_constraint("plans_code_key", || Error::invalid("input.code", "another plan already has this code")))
}

/// A plan of the tenant or of an ancestor (the catalog it sells).
pub async fn plan_get(tx: &mut TenantTx, id: Uuid) -> Result<Plan> {
    let p = sqlx::query_as("SELECT * FROM plans WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(p, "plan")
}

pub async fn plan_list(tx: &mut TenantTx, status: Option<&str>) -> Result<Vec<Plan>> {
    Ok(sqlx::query_as("SELECT * FROM plans WHERE ($1::text IS NULL OR status = $1) ORDER BY code, tenant_id LIMIT 500")
        .bind(status)
        .fetch_all(tx.conn())
        .await?)
}

pub async fn plan_set_status(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    version: i32,
) -> Result<Plan> {
    let tenant = tx.tenant_id().as_uuid();
    let p = sqlx::query_as(
        "UPDATE plans SET status = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND version = $4 RETURNING *",
    )
    .bind(tenant)
    .bind(id)
    .bind(status)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match p {
        Some(p) => Ok(p),
        None => {
            let v =
                sqlx::query_scalar("SELECT version FROM plans WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(tx.conn())
                    .await?;
            Err(stale_or_missing(v, "plan", version))
        }
    }
}

pub async fn price_insert(tx: &mut TenantTx, p: &PlanPrice) -> Result<PlanPrice> {
    Ok(sqlx::query_as(
        "INSERT INTO plan_prices (tenant_id, id, plan_id, currency, monthly_fee, data_mb, voice_min, sms, overage_data_per_gb, \
         overage_voice_per_min, overage_sms, valid_from, valid_to, applies, rating) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(p.id)
    .bind(p.plan_id)
    .bind(&p.currency)
    .bind(p.monthly_fee)
    .bind(p.data_mb)
    .bind(p.voice_min)
    .bind(p.sms)
    .bind(p.overage_data_per_gb)
    .bind(p.overage_voice_per_min)
    .bind(p.overage_sms)
    .bind(p.valid_from)
    .bind(p.valid_to)
    .bind(&p.applies)
    .bind(&p.rating)
    .fetch_one(tx.conn())
    .await?)
}

/// Price versions of a plan, oldest first.
pub async fn prices_of(tx: &mut TenantTx, plan: Uuid) -> Result<Vec<PlanPrice>> {
    Ok(
        sqlx::query_as("SELECT * FROM plan_prices WHERE plan_id = $1 ORDER BY valid_from")
            .bind(plan)
            .fetch_all(tx.conn())
            .await?,
    )
}

pub async fn price_get(tx: &mut TenantTx, id: Uuid) -> Result<PlanPrice> {
    let p = sqlx::query_as("SELECT * FROM plan_prices WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(p, "plan price")
}

/// The price version in force at `at`.
pub async fn price_at(
    tx: &mut TenantTx,
    plan: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<PlanPrice>> {
    Ok(sqlx::query_as(
        "SELECT * FROM plan_prices WHERE plan_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(plan)
    .bind(at)
    .fetch_optional(tx.conn())
    .await?)
}

/// Ends the open-ended version(s) of a plan at `at` (a new version starts then).
pub async fn prices_close_open(tx: &mut TenantTx, plan: Uuid, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE plan_prices SET valid_to = $3 WHERE tenant_id = $1 AND plan_id = $2 AND valid_to IS NULL AND valid_from < $3")
        .bind(tx.tenant_id().as_uuid())
        .bind(plan)
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn option_insert(
    tx: &mut TenantTx,
    id: Uuid,
    code: &str,
    name: &str,
    currency: &str,
    fee: i64,
    rating: &serde_json::Value,
) -> Result<CatalogOption> {
    sqlx::query_as("INSERT INTO options (tenant_id, id, code, name, currency, monthly_fee, status, rating) VALUES ($1,$2,$3,$4,$5,$6,'active',$7) RETURNING *")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(currency)
        .bind(fee)
        .bind(rating)
        .fetch_one(tx.conn())
        .await
        .map_err(on_constraint("options_code_key", || Error::invalid("input.code", "another option already has this code")))
}

pub async fn option_list(tx: &mut TenantTx) -> Result<Vec<CatalogOption>> {
    Ok(
        sqlx::query_as("SELECT * FROM options ORDER BY code LIMIT 500")
            .fetch_all(tx.conn())
            .await?,
    )
}

pub async fn options_get(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<CatalogOption>> {
    Ok(sqlx::query_as("SELECT * FROM options WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(tx.conn())
        .await?)
}
