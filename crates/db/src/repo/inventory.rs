//! Resources: the number pool, SIM cards, eSIM profiles and devices. Added in batches (one
//! statement per batch); secrets arrive here already encrypted.

use super::{Page, ok_or_not_found};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Number {
    pub tenant_id: Uuid,
    pub msisdn: String,
    pub status: String,
    pub quarantine_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Ported in from another operator.
    pub ported_in: bool,
}

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Sim {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub iccid: String,
    pub imsi: String,
    #[serde(skip_serializing, default)]
    pub pin_enc: Option<Vec<u8>>,
    #[serde(skip_serializing, default)]
    pub puk_enc: Option<Vec<u8>>,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Esim {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub iccid: String,
    pub imsi: String,
    #[serde(skip)]
    pub activation_code_enc: Vec<u8>,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The eUICC the profile went to, as the SM-DP+ reported it.
    pub eid: Option<String>,
    /// When the SM-DP+ confirmed the order (the activation code is then the SM-DP+'s).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The time of the last SM-DP+ download notice applied.
    pub notice_at: Option<DateTime<Utc>>,
    /// Why the last download or installation failed.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Device {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub imei: String,
    pub model: String,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Which of `values` already exist in `column` of `table` (visible to this transaction),
/// with their row key — to name the existing object in a CONFLICT.
pub async fn existing(
    tx: &mut TenantTx,
    table: Table,
    values: &[String],
) -> Result<Vec<(String, String)>> {
    let (t, col, key) = match table {
        Table::Numbers => ("numbers", "msisdn", "msisdn"),
        Table::SimsIccid => ("sims", "iccid", "id::text"),
        Table::SimsImsi => ("sims", "imsi", "id::text"),
        Table::EsimIccid => ("esim_profiles", "iccid", "id::text"),
        Table::DevicesImei => ("devices", "imei", "id::text"),
    };
    let sql = format!("SELECT {col}, {key} FROM {t} WHERE {col} = ANY($1)");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(values)
        .fetch_all(tx.conn())
        .await?)
}

#[derive(Debug, Clone, Copy)]
pub enum Table {
    Numbers,
    SimsIccid,
    SimsImsi,
    EsimIccid,
    DevicesImei,
}

pub async fn numbers_insert(tx: &mut TenantTx, msisdns: &[String]) -> Result<u64> {
    Ok(
        sqlx::query("INSERT INTO numbers (tenant_id, msisdn) SELECT $1, unnest($2::text[])")
            .bind(tx.tenant_id().as_uuid())
            .bind(msisdns)
            .execute(tx.conn())
            .await?
            .rows_affected(),
    )
}

/// Locks a number of the tenant's pool, releasing it first if its quarantine is over (a
/// number asked for by name is as available as one the pool would pick).
pub async fn number_lock(tx: &mut TenantTx, msisdn: &str) -> Result<Number> {
    sqlx::query("UPDATE numbers SET status = 'available', quarantine_until = NULL, version = version + 1, updated_at = now() \
                 WHERE tenant_id = $1 AND msisdn = $2 AND status = 'quarantined' AND quarantine_until <= now()")
        .bind(tx.tenant_id().as_uuid())
        .bind(msisdn)
        .execute(tx.conn())
        .await?;
    let n = sqlx::query_as("SELECT * FROM numbers WHERE tenant_id = $1 AND msisdn = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(msisdn)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(n, "number")
}

/// Releases numbers whose quarantine is over, then takes the first available one.
pub async fn number_pick(tx: &mut TenantTx) -> Result<Option<Number>> {
    let tenant = tx.tenant_id().as_uuid();
    sqlx::query("UPDATE numbers SET status = 'available', quarantine_until = NULL, version = version + 1 WHERE tenant_id = $1 AND status = 'quarantined' AND quarantine_until <= now()")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_as("SELECT * FROM numbers WHERE tenant_id = $1 AND status = 'available' ORDER BY msisdn LIMIT 1 FOR UPDATE SKIP LOCKED")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn number_set(
    tx: &mut TenantTx,
    msisdn: &str,
    status: &str,
    quarantine_until: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query("UPDATE numbers SET status = $3, quarantine_until = $4, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND msisdn = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(msisdn)
        .bind(status)
        .bind(quarantine_until)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn number_list(
    tx: &mut TenantTx,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Number>> {
    Ok(sqlx::query_as(
        "SELECT * FROM numbers WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR msisdn > $2) ORDER BY msisdn LIMIT $3",
    )
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

pub struct NewSim {
    pub id: Uuid,
    pub iccid: String,
    pub imsi: String,
    pub pin_enc: Option<Vec<u8>>,
    pub puk_enc: Option<Vec<u8>>,
}

pub async fn sims_insert(tx: &mut TenantTx, sims: &[NewSim]) -> Result<u64> {
    let ids: Vec<Uuid> = sims.iter().map(|s| s.id).collect();
    let iccids: Vec<&str> = sims.iter().map(|s| s.iccid.as_str()).collect();
    let imsis: Vec<&str> = sims.iter().map(|s| s.imsi.as_str()).collect();
    let pins: Vec<Option<Vec<u8>>> = sims.iter().map(|s| s.pin_enc.clone()).collect();
    let puks: Vec<Option<Vec<u8>>> = sims.iter().map(|s| s.puk_enc.clone()).collect();
    Ok(sqlx::query(
        "INSERT INTO sims (tenant_id, id, iccid, imsi, pin_enc, puk_enc) \
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bytea[], $6::bytea[])",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(ids)
    .bind(iccids)
    .bind(imsis)
    .bind(pins)
    .bind(puks)
    .execute(tx.conn())
    .await?
    .rows_affected())
}

pub async fn sim_get(tx: &mut TenantTx, id: Uuid) -> Result<Sim> {
    let s = sqlx::query_as("SELECT * FROM sims WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(s, "SIM")
}

pub async fn sim_lock_by_iccid(tx: &mut TenantTx, iccid: &str) -> Result<Sim> {
    let s = sqlx::query_as("SELECT * FROM sims WHERE tenant_id = $1 AND iccid = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(iccid)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(s, "SIM")
}

pub async fn sim_set_status(tx: &mut TenantTx, id: Uuid, status: &str) -> Result<()> {
    sqlx::query("UPDATE sims SET status = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn sim_list(tx: &mut TenantTx, status: Option<&str>, page: Page) -> Result<Vec<Sim>> {
    Ok(sqlx::query_as("SELECT * FROM sims WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3")
        .bind(status)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(tx.conn())
        .await?)
}

pub async fn esims_insert(
    tx: &mut TenantTx,
    rows: &[(Uuid, String, String, Vec<u8>)],
) -> Result<u64> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let iccids: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let imsis: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let codes: Vec<Vec<u8>> = rows.iter().map(|r| r.3.clone()).collect();
    Ok(sqlx::query(
        "INSERT INTO esim_profiles (tenant_id, id, iccid, imsi, activation_code_enc) SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bytea[])",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(ids)
    .bind(iccids)
    .bind(imsis)
    .bind(codes)
    .execute(tx.conn())
    .await?
    .rows_affected())
}

pub async fn esim_get(tx: &mut TenantTx, id: Uuid) -> Result<Esim> {
    let s = sqlx::query_as("SELECT * FROM esim_profiles WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(s, "eSIM profile")
}

pub async fn esim_lock(tx: &mut TenantTx, id: Uuid) -> Result<Esim> {
    let e =
        sqlx::query_as("SELECT * FROM esim_profiles WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tx.tenant_id().as_uuid())
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    ok_or_not_found(e, "eSIM profile")
}

/// The live line an eSIM profile serves, if any.
pub async fn line_of_esim(tx: &mut TenantTx, esim: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM lines WHERE tenant_id = $1 AND esim_id = $2 AND status <> 'terminated' LIMIT 1",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(esim)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn esim_pick(tx: &mut TenantTx) -> Result<Option<Esim>> {
    Ok(sqlx::query_as("SELECT * FROM esim_profiles WHERE tenant_id = $1 AND status = 'available' ORDER BY iccid LIMIT 1 FOR UPDATE SKIP LOCKED")
        .bind(tx.tenant_id().as_uuid())
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn esim_set_status(tx: &mut TenantTx, id: Uuid, status: &str) -> Result<()> {
    sqlx::query("UPDATE esim_profiles SET status = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn esim_list(tx: &mut TenantTx, page: Page) -> Result<Vec<Esim>> {
    Ok(sqlx::query_as(
        "SELECT * FROM esim_profiles WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn devices_insert(tx: &mut TenantTx, rows: &[(Uuid, String, String)]) -> Result<u64> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let imeis: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let models: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    Ok(sqlx::query("INSERT INTO devices (tenant_id, id, imei, model) SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[])")
        .bind(tx.tenant_id().as_uuid())
        .bind(ids)
        .bind(imeis)
        .bind(models)
        .execute(tx.conn())
        .await?
        .rows_affected())
}

pub async fn device_lock(tx: &mut TenantTx, id: Uuid) -> Result<Device> {
    let d = sqlx::query_as("SELECT * FROM devices WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(d, "device")
}

pub async fn device_get(tx: &mut TenantTx, id: Uuid) -> Result<Device> {
    let d = sqlx::query_as("SELECT * FROM devices WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(d, "device")
}

pub async fn device_set_status(tx: &mut TenantTx, id: Uuid, status: &str) -> Result<()> {
    sqlx::query(
        "UPDATE devices SET status = $3, version = version + 1 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn device_list(tx: &mut TenantTx, page: Page) -> Result<Vec<Device>> {
    Ok(sqlx::query_as(
        "SELECT * FROM devices WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}
