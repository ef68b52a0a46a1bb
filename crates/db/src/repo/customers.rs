//! Customers (individual or business), their contacts and billing accounts, and KYC state.

use super::{Page, ok_or_not_found, stale_or_missing};
use crate::TenantTx;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use tsunagi_core::Result;
use uuid::Uuid;

#[derive(Debug, Clone, FromRow, Serialize, serde::Deserialize)]
pub struct Customer {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub kyc_status: String,
    pub kyc_note: Option<String>,
    /// The language of its messages (`ja`, `en`); None: the tenant's.
    pub locale: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Contact {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct BillingAccount {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub currency: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

pub struct NewCustomer<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub locale: Option<&'a str>,
}

pub async fn customer_insert(tx: &mut TenantTx, c: NewCustomer<'_>) -> Result<Customer> {
    Ok(sqlx::query_as("INSERT INTO customers (tenant_id, id, kind, name, email, phone, locale) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *")
        .bind(tx.tenant_id().as_uuid())
        .bind(c.id)
        .bind(c.kind)
        .bind(c.name)
        .bind(c.email)
        .bind(c.phone)
        .bind(c.locale)
        .fetch_one(tx.conn())
        .await?)
}

/// Sets a customer's language (`None`: the tenant's); versioned.
pub async fn customer_set_locale(
    tx: &mut TenantTx,
    id: Uuid,
    locale: Option<&str>,
    version: i32,
) -> Result<Customer> {
    let c = sqlx::query_as(
        "UPDATE customers SET locale = $3, version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND version = $4 RETURNING *",
    )
    .bind(tx.tenant_id().as_uuid())
    .bind(id)
    .bind(locale)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match c {
        Some(c) => Ok(c),
        None => {
            let v: Option<i32> = sqlx::query_scalar(
                "SELECT version FROM customers WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tx.tenant_id().as_uuid())
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
            Err(stale_or_missing(v, "customer", version))
        }
    }
}

pub async fn customer_get(tx: &mut TenantTx, id: Uuid) -> Result<Customer> {
    let c = sqlx::query_as("SELECT * FROM customers WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(c, "customer")
}

/// Locks a customer of the transaction's own tenant.
pub async fn customer_lock(tx: &mut TenantTx, id: Uuid) -> Result<Customer> {
    let c = sqlx::query_as("SELECT * FROM customers WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
        .bind(tx.tenant_id().as_uuid())
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    ok_or_not_found(c, "customer")
}

pub async fn customer_list(tx: &mut TenantTx, page: Page) -> Result<Vec<Customer>> {
    Ok(sqlx::query_as(
        "SELECT * FROM customers WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(page.after)
    .bind(page.limit)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn customer_set_kyc(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    note: Option<&str>,
    version: i32,
) -> Result<Customer> {
    let tenant = tx.tenant_id().as_uuid();
    let c = sqlx::query_as(
        "UPDATE customers SET kyc_status = $3, kyc_note = coalesce($4, kyc_note), version = version + 1, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2 AND version = $5 RETURNING *",
    )
    .bind(tenant)
    .bind(id)
    .bind(status)
    .bind(note)
    .bind(version)
    .fetch_optional(tx.conn())
    .await?;
    match c {
        Some(c) => Ok(c),
        None => {
            let v = sqlx::query_scalar(
                "SELECT version FROM customers WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
            Err(stale_or_missing(v, "customer", version))
        }
    }
}

pub async fn contact_insert(
    tx: &mut TenantTx,
    customer: Uuid,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    role: &str,
) -> Result<Contact> {
    Ok(sqlx::query_as("INSERT INTO contacts (tenant_id, id, customer_id, name, email, phone, role) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *")
        .bind(tx.tenant_id().as_uuid())
        .bind(Uuid::now_v7())
        .bind(customer)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(role)
        .fetch_one(tx.conn())
        .await?)
}

pub async fn contacts_of(tx: &mut TenantTx, customer: Uuid) -> Result<Vec<Contact>> {
    Ok(
        sqlx::query_as("SELECT * FROM contacts WHERE customer_id = $1 ORDER BY created_at")
            .bind(customer)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Removes one contact of `customer`; None when it has no such contact.
pub async fn contact_delete(
    tx: &mut TenantTx,
    customer: Uuid,
    contact: Uuid,
) -> Result<Option<Contact>> {
    Ok(
        sqlx::query_as("DELETE FROM contacts WHERE customer_id = $1 AND id = $2 RETURNING *")
            .bind(customer)
            .bind(contact)
            .fetch_optional(tx.conn())
            .await?,
    )
}

pub async fn billing_account_insert(
    tx: &mut TenantTx,
    customer: Uuid,
    name: &str,
    currency: &str,
) -> Result<BillingAccount> {
    Ok(sqlx::query_as("INSERT INTO billing_accounts (tenant_id, id, customer_id, name, currency) VALUES ($1,$2,$3,$4,$5) RETURNING *")
        .bind(tx.tenant_id().as_uuid())
        .bind(Uuid::now_v7())
        .bind(customer)
        .bind(name)
        .bind(currency)
        .fetch_one(tx.conn())
        .await?)
}

pub async fn billing_accounts_of(tx: &mut TenantTx, customer: Uuid) -> Result<Vec<BillingAccount>> {
    Ok(
        sqlx::query_as("SELECT * FROM billing_accounts WHERE customer_id = $1 ORDER BY created_at")
            .bind(customer)
            .fetch_all(tx.conn())
            .await?,
    )
}
