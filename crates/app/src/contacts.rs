//! A customer's contacts (who to call or write to, by role) and billing accounts (what
//! invoices are addressed to). Contacts are kept by staff with `customer:update` or by the
//! customer's own administrator (`self_service:update`); billing accounts by staff only, in
//! the tenant's currency. Every change is audited; a contact is removed, never edited in
//! place, so the audit log keeps who was reachable when.

use crate::customers::{check_name, check_own, reach};
use crate::record::record;
use crate::{App, Ctx};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::customers::{self as repo, BillingAccount, Contact};
use uuid::Uuid;

/// The roles a contact may have.
pub const CONTACT_ROLES: [&str; 4] = ["primary", "billing", "technical", "emergency"];

#[derive(Debug, Clone)]
pub struct ContactInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
}

/// The customer belongs to the acting tenant itself: a parent tenant reads its resellers'
/// customers but does not change them (NOT_FOUND, as for one it cannot see).
async fn own_customer(tx: &mut TenantTx, customer: Uuid) -> Result<()> {
    let c = repo::customer_get(tx, customer).await?;
    if c.tenant_id != tx.tenant_id().as_uuid() {
        return Err(Error::not_found("customer"));
    }
    Ok(())
}

pub async fn contact_add(
    app: &App,
    ctx: &Ctx,
    customer: Uuid,
    input: ContactInput,
) -> Result<Contact> {
    check_own(app, ctx, customer, "update").await?;
    let mut tx = app.tx(ctx).await?;
    let settings = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    let mut v = Validator::new();
    check_name(&mut v, &input.name);
    v.check(
        CONTACT_ROLES.contains(&input.role.as_str()),
        "input.role",
        "must be primary, billing, technical or emergency",
    );
    let (email, phone) = reach(
        &mut v,
        input.email.as_deref(),
        input.phone.as_deref(),
        &settings.country_calling_code,
    );
    let blank = |x: &Option<String>| x.as_deref().is_none_or(|s| s.trim().is_empty());
    v.check(
        !(blank(&input.email) && blank(&input.phone)),
        "input.email",
        "a contact needs an e-mail address or a phone number",
    );
    v.finish()?;
    own_customer(&mut tx, customer).await?;
    let c = repo::contact_insert(
        &mut tx,
        customer,
        input.name.trim(),
        email.as_deref(),
        phone.as_deref(),
        &input.role,
    )
    .await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("customer.contact_add", "customer", customer).after(&c),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn contact_remove(app: &App, ctx: &Ctx, customer: Uuid, contact: Uuid) -> Result<()> {
    check_own(app, ctx, customer, "update").await?;
    let mut tx = app.tx(ctx).await?;
    own_customer(&mut tx, customer).await?;
    let removed = repo::contact_delete(&mut tx, customer, contact)
        .await?
        .ok_or_else(|| Error::not_found("contact"))?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("customer.contact_remove", "customer", customer).before(&removed),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn billing_account_add(
    app: &App,
    ctx: &Ctx,
    customer: Uuid,
    name: String,
) -> Result<BillingAccount> {
    // Staff only: a customer login keeps its contacts, not what it is billed to (even where
    // a tenant rule grants its role `customer:update`).
    if ctx.principal.is_customer() {
        return Err(Error::forbidden(
            "billing accounts are opened by the operator's staff",
        ));
    }
    app.authz
        .check(&ctx.principal, "customer", "update")
        .await?;
    let mut v = Validator::new();
    check_name(&mut v, &name);
    v.finish()?;
    let name = name.trim();
    let mut tx = app.tx(ctx).await?;
    let settings = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    own_customer(&mut tx, customer).await?;
    let ba = repo::billing_account_insert(&mut tx, customer, name, &settings.currency).await?;
    record(
        &mut tx,
        ctx,
        AuditEntry::new("customer.billing_account_add", "customer", customer).after(&ba),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(ba)
}
