//! Customers, their contacts and billing accounts, and KYC: not_started → submitted →
//! verified | rejected. Confirming `verified` is a critical action (approval); once
//! verified, the customer's new-line orders held for KYC go ahead.

use crate::approvals::{self, ApprovalCommand, ApprovalLink, Executor};
use crate::record::record_event;
use crate::tenants::valid_email;
use crate::{App, Ctx};
use serde_json::{Value, json};
use tsunagi_core::events::{self as ev, Event};
use tsunagi_core::identifiers::Msisdn;
use tsunagi_core::states::{KycState, StateMachine};
use tsunagi_core::{Error, Result, Validator};
use tsunagi_db::TenantTx;
use tsunagi_db::audit::AuditEntry;
use tsunagi_db::repo::Page;
use tsunagi_db::repo::approvals::ApprovalRequest;
use tsunagi_db::repo::customers::{self as repo, BillingAccount, Contact, Customer, NewCustomer};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct CustomerCreate {
    /// `individual` or `business`.
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A billing account in the tenant's currency is opened with the customer.
    pub billing_account_name: Option<String>,
    /// `ja` or `en`; None: the tenant's language.
    pub locale: Option<String>,
}

/// A person's or company's name: 1–200 characters (`input.name`).
pub(crate) fn check_name(v: &mut Validator, name: &str) {
    let name = name.trim();
    v.check(
        !name.is_empty() && name.chars().count() <= 200,
        "input.name",
        "must be 1-200 characters",
    );
}

/// How to reach someone, normalised: the e-mail address lower-cased and checked
/// (`input.email`), the phone as E.164 digits in the tenant's country (`input.phone`);
/// blanks are None.
pub(crate) fn reach(
    v: &mut Validator,
    email: Option<&str>,
    phone: Option<&str>,
    country_calling_code: &str,
) -> (Option<String>, Option<String>) {
    let email = email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    if let Some(e) = &email {
        v.check(
            valid_email(e),
            "input.email",
            "is not a valid e-mail address",
        );
    }
    let phone = match phone.filter(|p| !p.trim().is_empty()) {
        Some(p) => match Msisdn::parse("input.phone", p, country_calling_code) {
            Ok(m) => Some(m.as_str().to_owned()),
            Err(_) => {
                v.push(
                    "input.phone",
                    "is not a valid phone number (E.164 or national with a leading 0)",
                );
                None
            }
        },
        None => None,
    };
    (email, phone)
}

pub async fn customer_create(
    app: &App,
    ctx: &Ctx,
    input: CustomerCreate,
) -> Result<(Customer, BillingAccount)> {
    app.authz
        .check(&ctx.principal, "customer", "create")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let settings = crate::tenants::effective_settings(&mut tx, ctx.principal.tenant_id).await?;
    let mut v = Validator::new();
    v.check(
        input.kind == "individual" || input.kind == "business",
        "input.kind",
        "must be individual or business",
    );
    check_name(&mut v, &input.name);
    let (email, phone) = reach(
        &mut v,
        input.email.as_deref(),
        input.phone.as_deref(),
        &settings.country_calling_code,
    );
    tsunagi_core::tenant::check_message_locale(&mut v, "input.locale", input.locale.as_deref());
    v.finish()?;
    let c = repo::customer_insert(
        &mut tx,
        NewCustomer {
            id: Uuid::now_v7(),
            kind: &input.kind,
            name: input.name.trim(),
            email: email.as_deref(),
            phone: phone.as_deref(),
            locale: input.locale.as_deref(),
        },
    )
    .await?;
    if email.is_some() || phone.is_some() {
        repo::contact_insert(
            &mut tx,
            c.id,
            &c.name,
            email.as_deref(),
            phone.as_deref(),
            "primary",
        )
        .await?;
    }
    let ba_name = input.billing_account_name.unwrap_or_else(|| c.name.clone());
    let ba = repo::billing_account_insert(&mut tx, c.id, &ba_name, &settings.currency).await?;
    record_event(
        &mut tx,
        ctx,
        AuditEntry::new("customer.create", "customer", c.id).after(&c),
        Event::CustomerCreated(ev::CustomerCreated {
            customer_id: c.id,
            kind: c.kind.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            kyc_status: c.kyc_status.clone(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok((c, ba))
}

/// Staff with `customer:<action>`, or the customer's own principals with
/// `self_service:<action>` (a customer never reaches another customer: NOT_FOUND).
pub(crate) async fn check_own(app: &App, ctx: &Ctx, id: Uuid, action: &str) -> Result<()> {
    match ctx.principal.customer {
        Some(scope) if ctx.principal.is_customer() => {
            app.authz
                .check(&ctx.principal, "self_service", action)
                .await?;
            if scope.customer_id != id {
                return Err(Error::not_found("customer"));
            }
            Ok(())
        }
        _ => app.authz.check(&ctx.principal, "customer", action).await,
    }
}

async fn check_read(app: &App, ctx: &Ctx, id: Uuid) -> Result<()> {
    check_own(app, ctx, id, "read").await
}

/// Sets the language of a customer's messages (to its own address and to its portal users
/// who chose none): staff, or the customer's own administrator in self-service.
pub async fn customer_locale_set(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    locale: Option<String>,
    version: i32,
) -> Result<Customer> {
    check_own(app, ctx, id, "update").await?;
    let mut v = Validator::new();
    tsunagi_core::tenant::check_message_locale(&mut v, "input.locale", locale.as_deref());
    v.finish()?;
    let mut tx = app.tx(ctx).await?;
    let before = repo::customer_get(&mut tx, id).await?;
    let c = repo::customer_set_locale(&mut tx, id, locale.as_deref(), version).await?;
    let entry = AuditEntry::new("customer.locale_set", "customer", id)
        .before(json!({ "locale": before.locale }))
        .after(json!({ "locale": c.locale }));
    crate::record::record(&mut tx, ctx, entry, None).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn customer_get(app: &App, ctx: &Ctx, id: Uuid) -> Result<Customer> {
    check_read(app, ctx, id).await?;
    let mut tx = app.tx(ctx).await?;
    let c = repo::customer_get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn customer_list(app: &App, ctx: &Ctx, page: Page) -> Result<Vec<Customer>> {
    app.authz.check(&ctx.principal, "customer", "read").await?;
    let mut tx = app.tx(ctx).await?;
    let c = repo::customer_list(&mut tx, page).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn customer_details(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
) -> Result<(Vec<Contact>, Vec<BillingAccount>)> {
    check_read(app, ctx, id).await?;
    let mut tx = app.tx(ctx).await?;
    let contacts = repo::contacts_of(&mut tx, id).await?;
    let accounts = repo::billing_accounts_of(&mut tx, id).await?;
    tx.commit().await?;
    Ok((contacts, accounts))
}

async fn kyc_move(
    tx: &mut TenantTx,
    ctx: &Ctx,
    id: Uuid,
    to: KycState,
    note: Option<&str>,
    link: Option<&ApprovalLink>,
) -> Result<Customer> {
    let c = repo::customer_lock(tx, id).await?;
    let from = KycState::from_db(&c.kyc_status)?;
    from.transition(to)?;
    let c = repo::customer_set_kyc(tx, id, to.as_str(), note, c.version).await?;
    let event = Event::KycStatusChanged(ev::KycStatusChanged {
        customer_id: id,
        name: c.name.clone(),
        from: from.as_str().into(),
        to: to.as_str().into(),
        note: note.map(str::to_owned),
    });
    let entry = AuditEntry::new("customer.kyc_change", "customer", id)
        .before(json!({ "kycStatus": from.as_str() }))
        .after(json!({ "kycStatus": to.as_str(), "note": note }));
    let entry = match link {
        Some(l) => l.stamp(entry),
        None => entry,
    };
    record_event(tx, ctx, entry, event).await?;
    Ok(c)
}

/// Documents received: not_started|rejected → submitted.
pub async fn kyc_submit(app: &App, ctx: &Ctx, id: Uuid, note: Option<String>) -> Result<Customer> {
    app.authz
        .check(&ctx.principal, "customer", "update")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let c = kyc_move(&mut tx, ctx, id, KycState::Submitted, note.as_deref(), None).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn kyc_reject(app: &App, ctx: &Ctx, id: Uuid, note: String) -> Result<Customer> {
    app.authz
        .check(&ctx.principal, "customer", "update")
        .await?;
    if note.trim().is_empty() {
        return Err(Error::invalid(
            "input.note",
            "must say why the documents were rejected",
        ));
    }
    let mut tx = app.tx(ctx).await?;
    let c = kyc_move(&mut tx, ctx, id, KycState::Rejected, Some(&note), None).await?;
    tx.commit().await?;
    Ok(c)
}

/// Asks for `verified`; a second person approves.
pub async fn kyc_verify_request(
    app: &App,
    ctx: &Ctx,
    id: Uuid,
    note: Option<String>,
) -> Result<ApprovalRequest> {
    app.authz
        .check(&ctx.principal, "customer", "update")
        .await?;
    let mut tx = app.tx(ctx).await?;
    let c = repo::customer_lock(&mut tx, id).await?;
    KycState::from_db(&c.kyc_status)?.transition(KycState::Verified)?;
    let summary = format!(
        "confirm KYC of customer {} as verified, requested by {}",
        c.name,
        ctx.principal.actor.label()
    );
    let a = approvals::request(
        app,
        &mut tx,
        ctx,
        "customer",
        id,
        summary,
        &KycVerify {
            customer_id: id,
            note,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// A KYC confirmation waiting for its approval.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KycVerify {
    pub customer_id: Uuid,
    pub note: Option<String>,
}

impl ApprovalCommand for KycVerify {
    const KIND: &'static str = "kyc_verify";
    fn action(&self) -> String {
        "customer.kyc_verify".into()
    }
}

pub struct KycVerifyExecutor;

#[async_trait::async_trait]
impl Executor for KycVerifyExecutor {
    async fn execute(
        &self,
        app: &App,
        tx: &mut TenantTx,
        ctx: &Ctx,
        link: &ApprovalLink,
        command: Value,
    ) -> Result<Value> {
        let c: KycVerify = approvals::read_command(command)?;
        kyc_verify_execute(app, tx, ctx, link, c.customer_id, c.note).await
    }
}

pub async fn kyc_verify_execute(
    app: &App,
    tx: &mut TenantTx,
    ctx: &Ctx,
    link: &ApprovalLink,
    id: Uuid,
    note: Option<String>,
) -> Result<Value> {
    kyc_move(tx, ctx, id, KycState::Verified, note.as_deref(), Some(link)).await?;
    let released = crate::orders::release_kyc_held(app, tx, ctx, id).await?;
    Ok(json!({ "customerId": id, "kycStatus": "verified", "releasedOrders": released }))
}
