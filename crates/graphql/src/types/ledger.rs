//! The ledger's GraphQL types: catalog, customers, contracts, lines, inventory, orders,
//! approvals, search hits. State enums mirror the state machines in tsunagi-core.

use crate::{GqlResult, app_ctx};
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::{catalog, customers};
use tsunagi_core::states as st;
use tsunagi_core::states::StateMachine;

pub use super::ledger_lines::Contract;

macro_rules! state_enum {
    ($name:ident, $remote:ty, $remote_path:literal, [$($v:ident),+]) => {
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote_path)]
        pub enum $name { $($v),+ }
        impl $name {
            pub fn of(s: &str) -> async_graphql::Result<Self> {
                <$remote>::from_db(s).map(Into::into).gql()
            }
        }
    };
}

state_enum!(
    PlanStatus,
    st::PlanState,
    "tsunagi_core::states::PlanState",
    [Draft, Active, Retired]
);
state_enum!(
    KycStatus,
    st::KycState,
    "tsunagi_core::states::KycState",
    [NotStarted, Submitted, Verified, Rejected]
);
state_enum!(
    ContractStatus,
    st::ContractState,
    "tsunagi_core::states::ContractState",
    [Draft, Active, Suspended, Terminating, Terminated]
);
state_enum!(
    LineStatus,
    st::LineState,
    "tsunagi_core::states::LineState",
    [
        Requested,
        Activating,
        Active,
        Suspending,
        Suspended,
        Resuming,
        Terminating,
        Terminated,
        Pending,
        NeedsReview
    ]
);
state_enum!(
    OrderStatus,
    st::OrderState,
    "tsunagi_core::states::OrderState",
    [Acknowledged, Held, InProgress, Completed, Failed, Cancelled]
);
state_enum!(
    ApprovalStatus,
    st::ApprovalState,
    "tsunagi_core::states::ApprovalState",
    [Pending, Approved, Executed, Rejected, Expired, Failed]
);
state_enum!(
    NumberStatus,
    st::NumberState,
    "tsunagi_core::states::NumberState",
    [
        Available,
        Reserved,
        Assigned,
        Quarantined,
        PortedOut,
        PortingIn
    ]
);
state_enum!(
    SimStatus,
    st::SimState,
    "tsunagi_core::states::SimState",
    [InStock, Reserved, Assigned, Returned, Faulty, Lost]
);
state_enum!(
    EsimStatus,
    st::EsimState,
    "tsunagi_core::states::EsimState",
    [
        Available, Allocated, Confirmed, Downloaded, Installed, Failed, Deleted
    ]
);

pub(crate) fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

pub struct Plan(pub catalog::Plan);

#[Object]
impl Plan {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The tenant that owns the plan (an MVNO's plans are sold by its resellers).
    async fn tenant_id(&self) -> ID {
        id(self.0.tenant_id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> async_graphql::Result<PlanStatus> {
        PlanStatus::of(&self.0.status)
    }
    async fn allowed_option_ids(&self) -> Vec<ID> {
        self.0.allowed_options.iter().copied().map(id).collect()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Price versions, oldest first.
    async fn prices(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanPrice>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(tsunagi_app::catalog::plan_get(app, &c, self.0.id)
            .await
            .gql()?
            .1
            .into_iter()
            .map(PlanPrice)
            .collect())
    }
}

pub struct PlanPrice(pub catalog::PlanPrice);

#[Object]
impl PlanPrice {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Minor units of `currency` (yen for JPY).
    async fn monthly_fee(&self) -> i64 {
        self.0.monthly_fee
    }
    async fn data_mb(&self) -> i64 {
        self.0.data_mb
    }
    async fn voice_min(&self) -> i32 {
        self.0.voice_min
    }
    async fn sms(&self) -> i32 {
        self.0.sms
    }
    async fn overage_data_per_gb(&self) -> i64 {
        self.0.overage_data_per_gb
    }
    async fn overage_voice_per_min(&self) -> i64 {
        self.0.overage_voice_per_min
    }
    async fn overage_sms(&self) -> i64 {
        self.0.overage_sms
    }
    async fn valid_from(&self) -> DateTime<Utc> {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<DateTime<Utc>> {
        self.0.valid_to
    }
    /// When this version reaches existing contracts: `immediately` or `next_term`.
    async fn applies(&self) -> &str {
        &self.0.applies
    }
    /// How this version rates usage beyond allowances and overage prices.
    async fn rating(&self) -> crate::types::rating::PriceRating {
        crate::types::rating::shown(&self.0.rating)
    }
}

#[derive(SimpleObject)]
pub struct CatalogOption {
    pub id: ID,
    pub code: String,
    pub name: String,
    pub currency: String,
    pub monthly_fee: i64,
    pub status: String,
    pub rating: crate::types::rating::OptionRating,
}

impl From<catalog::CatalogOption> for CatalogOption {
    fn from(o: catalog::CatalogOption) -> Self {
        Self {
            id: id(o.id),
            code: o.code,
            name: o.name,
            currency: o.currency,
            monthly_fee: o.monthly_fee,
            status: o.status,
            rating: crate::types::rating::shown(&o.rating),
        }
    }
}

pub struct Customer(pub customers::Customer);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn tenant_id(&self) -> ID {
        id(self.0.tenant_id)
    }
    /// `individual` or `business`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The language of the customer's messages (`ja`, `en`); null: the tenant's.
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }
    /// E.164 with '+'.
    async fn phone(&self) -> Option<String> {
        self.0.phone.as_ref().map(|p| format!("+{p}"))
    }
    async fn kyc_status(&self) -> async_graphql::Result<KycStatus> {
        KycStatus::of(&self.0.kyc_status)
    }
    async fn kyc_note(&self) -> Option<&str> {
        self.0.kyc_note.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn contacts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Contact>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(tsunagi_app::customers::customer_details(app, &c, self.0.id)
            .await
            .gql()?
            .0
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn billing_accounts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<BillingAccount>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(tsunagi_app::customers::customer_details(app, &c, self.0.id)
            .await
            .gql()?
            .1
            .into_iter()
            .map(Into::into)
            .collect())
    }
    async fn contracts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Contract>> {
        let (app, c) = app_ctx(ctx)?;
        Ok(tsunagi_app::lines::contracts_of(app, &c, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Contract)
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct Contact {
    pub id: ID,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
}

impl From<customers::Contact> for Contact {
    fn from(c: customers::Contact) -> Self {
        Self {
            id: id(c.id),
            name: c.name,
            email: c.email,
            phone: c.phone.map(|p| format!("+{p}")),
            role: c.role,
        }
    }
}

#[derive(SimpleObject)]
pub struct BillingAccount {
    pub id: ID,
    pub name: String,
    pub currency: String,
}

impl From<customers::BillingAccount> for BillingAccount {
    fn from(b: customers::BillingAccount) -> Self {
        Self {
            id: id(b.id),
            name: b.name,
            currency: b.currency,
        }
    }
}
