//! Customers, their contacts and billing accounts, and KYC.

use crate::app_ctx;
use crate::error::{GqlResult, parse_id};
use crate::pagination::{IdCursor, forward_connection, forward_page};
use crate::types::ledger::Customer;
use crate::types::ledger_lines::ApprovalRequest;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use tsunagi_app::contacts::{self, ContactInput};
use tsunagi_app::customers::{self, CustomerCreate};

#[derive(InputObject)]
pub struct CustomerCreateInput {
    /// `individual` or `business`.
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    /// E.164 or national (leading 0) in the tenant's country.
    pub phone: Option<String>,
    pub billing_account_name: Option<String>,
    /// The language of the customer's messages: `ja` or `en` (default: the tenant's).
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct KycInput {
    pub customer_id: ID,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct CustomerLocaleInput {
    pub customer_id: ID,
    pub version: i32,
    /// `ja`, `en`, or null for the tenant's language.
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct CustomerContactAddInput {
    pub customer_id: ID,
    pub name: String,
    pub email: Option<String>,
    /// E.164 or national (leading 0) in the tenant's country.
    pub phone: Option<String>,
    /// `primary`, `billing`, `technical` or `emergency`.
    pub role: String,
}

#[derive(InputObject)]
pub struct CustomerContactRemoveInput {
    pub customer_id: ID,
    pub contact_id: ID,
}

#[derive(InputObject)]
pub struct CustomerBillingAccountAddInput {
    pub customer_id: ID,
    /// What invoices are addressed to (the account's currency is the tenant's).
    pub name: String,
}

#[derive(SimpleObject)]
pub struct CustomerPayload {
    pub customer: Customer,
}

#[derive(SimpleObject)]
pub struct ApprovalPayload {
    /// The request a second person must decide.
    pub approval_request: ApprovalRequest,
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Customer> {
        let (app, c) = app_ctx(ctx)?;
        customers::customer_get(app, &c, parse_id(&id, "id")?)
            .await
            .gql()
            .map(Customer)
    }
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Customer, EmptyFields, EmptyFields>> {
        let (app, c) = app_ctx(ctx)?;
        let page = forward_page(first, after)?;
        let rows = customers::customer_list(app, &c, page).await.gql()?;
        Ok(forward_connection(rows, page, |r| r.id, Customer))
    }
}

/// The customer as it is after a change.
async fn refetched(ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<CustomerPayload> {
    let (app, c) = app_ctx(ctx)?;
    customers::customer_get(app, &c, id)
        .await
        .gql()
        .map(|cu| CustomerPayload {
            customer: Customer(cu),
        })
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    async fn customer_create(
        &self,
        ctx: &Context<'_>,
        input: CustomerCreateInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let i = CustomerCreate {
            kind: input.kind,
            name: input.name,
            email: input.email,
            phone: input.phone,
            billing_account_name: input.billing_account_name,
            locale: input.locale,
        };
        let (cu, _) = customers::customer_create(app, &c, i).await.gql()?;
        Ok(CustomerPayload {
            customer: Customer(cu),
        })
    }
    /// The language of the customer's messages; the customer's own administrator may set it.
    async fn customer_locale_set(
        &self,
        ctx: &Context<'_>,
        input: CustomerLocaleInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.customer_id, "input.customerId")?;
        customers::customer_locale_set(app, &c, id, input.locale, input.version)
            .await
            .gql()
            .map(|cu| CustomerPayload {
                customer: Customer(cu),
            })
    }
    /// Adds a contact (an e-mail address or a phone number, or both) to a customer; the
    /// customer's own administrator may add to its own. Returns the customer as it now is.
    async fn customer_contact_add(
        &self,
        ctx: &Context<'_>,
        input: CustomerContactAddInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.customer_id, "input.customerId")?;
        let i = ContactInput {
            name: input.name,
            email: input.email,
            phone: input.phone,
            role: input.role,
        };
        contacts::contact_add(app, &c, id, i).await.gql()?;
        refetched(ctx, id).await
    }
    /// Removes a contact (audited with what it was).
    async fn customer_contact_remove(
        &self,
        ctx: &Context<'_>,
        input: CustomerContactRemoveInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.customer_id, "input.customerId")?;
        let contact = parse_id(&input.contact_id, "input.contactId")?;
        contacts::contact_remove(app, &c, id, contact).await.gql()?;
        refetched(ctx, id).await
    }
    /// Opens another billing account for a customer, in the tenant's currency (staff only).
    async fn customer_billing_account_add(
        &self,
        ctx: &Context<'_>,
        input: CustomerBillingAccountAddInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let id = parse_id(&input.customer_id, "input.customerId")?;
        contacts::billing_account_add(app, &c, id, input.name)
            .await
            .gql()?;
        refetched(ctx, id).await
    }
    /// Documents received: KYC becomes `submitted`.
    async fn kyc_submit(
        &self,
        ctx: &Context<'_>,
        input: KycInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        customers::kyc_submit(
            app,
            &c,
            parse_id(&input.customer_id, "input.customerId")?,
            input.note,
        )
        .await
        .gql()
        .map(|cu| CustomerPayload {
            customer: Customer(cu),
        })
    }
    async fn kyc_reject(
        &self,
        ctx: &Context<'_>,
        input: KycInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let (app, c) = app_ctx(ctx)?;
        let note = input.note.unwrap_or_default();
        customers::kyc_reject(
            app,
            &c,
            parse_id(&input.customer_id, "input.customerId")?,
            note,
        )
        .await
        .gql()
        .map(|cu| CustomerPayload {
            customer: Customer(cu),
        })
    }
    /// Asks to confirm KYC as verified: a second person approves.
    async fn kyc_verify(
        &self,
        ctx: &Context<'_>,
        input: KycInput,
    ) -> async_graphql::Result<ApprovalPayload> {
        let (app, c) = app_ctx(ctx)?;
        let a = customers::kyc_verify_request(
            app,
            &c,
            parse_id(&input.customer_id, "input.customerId")?,
            input.note,
        )
        .await
        .gql()?;
        Ok(ApprovalPayload {
            approval_request: ApprovalRequest(a),
        })
    }
}
