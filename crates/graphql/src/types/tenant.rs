//! Tenant types: the tree, status, settings (stored overrides and effective values).

use crate::{GqlResult, app_ctx};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::views::Tenant as Row;
use tsunagi_core::TenantId;
use tsunagi_core::tenant::{
    DataAtQuota as CoreDataAtQuota, RoundingRule as CoreRounding, TenantSettings as CoreSettings,
    TenantSettingsOverride,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TenantKind {
    Platform,
    Mvno,
    Reseller,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TenantStatus {
    Active,
    Suspended,
}

/// How fractional amounts become integer minor units, applied once per amount.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RoundingRule {
    HalfUp,
    HalfEven,
    Down,
    Up,
}

impl From<CoreRounding> for RoundingRule {
    fn from(r: CoreRounding) -> Self {
        match r {
            CoreRounding::HalfUp => Self::HalfUp,
            CoreRounding::HalfEven => Self::HalfEven,
            CoreRounding::Down => Self::Down,
            CoreRounding::Up => Self::Up,
        }
    }
}

impl From<RoundingRule> for CoreRounding {
    fn from(r: RoundingRule) -> Self {
        match r {
            RoundingRule::HalfUp => Self::HalfUp,
            RoundingRule::HalfEven => Self::HalfEven,
            RoundingRule::Down => Self::Down,
            RoundingRule::Up => Self::Up,
        }
    }
}

/// What happens when a line's data allowance is used up in the current bill period.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DataAtQuota {
    /// The customer is told; data goes on as overage.
    Notify,
    /// Data slows to `throttleKbps` at the carrier until the period ends or an add-on.
    Throttle,
    /// Data stops at the carrier (calls and SMS go on) until the period ends or an add-on.
    Block,
}

impl From<CoreDataAtQuota> for DataAtQuota {
    fn from(r: CoreDataAtQuota) -> Self {
        match r {
            CoreDataAtQuota::Notify => Self::Notify,
            CoreDataAtQuota::Throttle => Self::Throttle,
            CoreDataAtQuota::Block => Self::Block,
        }
    }
}

impl From<DataAtQuota> for CoreDataAtQuota {
    fn from(r: DataAtQuota) -> Self {
        match r {
            DataAtQuota::Notify => Self::Notify,
            DataAtQuota::Throttle => Self::Throttle,
            DataAtQuota::Block => Self::Block,
        }
    }
}

/// Settings with every value resolved (own override, else the parent's, else the default).
#[derive(SimpleObject)]
pub struct TenantSettings {
    pub country_calling_code: String,
    pub currency: String,
    pub locale: String,
    pub time_zone: String,
    pub rounding: RoundingRule,
    /// Lines are activated only for customers whose KYC is verified.
    pub kyc_before_activation: bool,
    pub number_quarantine_days: i32,
    pub approval_ttl_hours: i32,
    /// Carrier steps complete locally (no carrier connected yet); marked so in history.
    pub complete_provisioning_locally: bool,
    /// Minutes without a carrier answer before an in-flight line shows `PENDING`.
    pub carrier_pending_after_minutes: i32,
    /// Minutes without a carrier answer before the line goes to `NEEDS_REVIEW`.
    pub carrier_review_after_minutes: i32,
    /// Days an MNP reservation number must still be valid when a port-in is ordered.
    pub mnp_min_days_left: i32,
    /// What happens when a line's data allowance is used up.
    pub data_at_quota: DataAtQuota,
    /// The speed a throttled line gets, kbit/s.
    pub throttle_kbps: i32,
}

impl From<CoreSettings> for TenantSettings {
    fn from(s: CoreSettings) -> Self {
        Self {
            country_calling_code: s.country_calling_code,
            currency: s.currency,
            locale: s.locale,
            time_zone: s.time_zone,
            rounding: s.rounding.into(),
            kyc_before_activation: s.kyc_before_activation,
            number_quarantine_days: s.number_quarantine_days,
            approval_ttl_hours: s.approval_ttl_hours,
            complete_provisioning_locally: s.complete_provisioning_locally,
            carrier_pending_after_minutes: s.carrier_pending_after_minutes,
            carrier_review_after_minutes: s.carrier_review_after_minutes,
            mnp_min_days_left: s.mnp_min_days_left,
            data_at_quota: s.data_at_quota.into(),
            throttle_kbps: s.throttle_kbps,
        }
    }
}

/// What a tenant sets itself; a null field is inherited.
#[derive(SimpleObject, InputObject, Default, Clone)]
#[graphql(input_name = "TenantSettingsInput")]
pub struct TenantSettingsOverrides {
    pub country_calling_code: Option<String>,
    pub currency: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub rounding: Option<RoundingRule>,
    pub kyc_before_activation: Option<bool>,
    pub number_quarantine_days: Option<i32>,
    pub approval_ttl_hours: Option<i32>,
    pub complete_provisioning_locally: Option<bool>,
    pub carrier_pending_after_minutes: Option<i32>,
    pub carrier_review_after_minutes: Option<i32>,
    pub mnp_min_days_left: Option<i32>,
    pub data_at_quota: Option<DataAtQuota>,
    pub throttle_kbps: Option<i32>,
}

impl From<TenantSettingsOverrides> for TenantSettingsOverride {
    fn from(s: TenantSettingsOverrides) -> Self {
        Self {
            country_calling_code: s.country_calling_code,
            currency: s.currency,
            locale: s.locale,
            time_zone: s.time_zone,
            rounding: s.rounding.map(Into::into),
            kyc_before_activation: s.kyc_before_activation,
            number_quarantine_days: s.number_quarantine_days,
            approval_ttl_hours: s.approval_ttl_hours,
            complete_provisioning_locally: s.complete_provisioning_locally,
            carrier_pending_after_minutes: s.carrier_pending_after_minutes,
            carrier_review_after_minutes: s.carrier_review_after_minutes,
            mnp_min_days_left: s.mnp_min_days_left,
            data_at_quota: s.data_at_quota.map(Into::into),
            throttle_kbps: s.throttle_kbps,
        }
    }
}

impl From<TenantSettingsOverride> for TenantSettingsOverrides {
    fn from(s: TenantSettingsOverride) -> Self {
        Self {
            country_calling_code: s.country_calling_code,
            currency: s.currency,
            locale: s.locale,
            time_zone: s.time_zone,
            rounding: s.rounding.map(Into::into),
            kyc_before_activation: s.kyc_before_activation,
            number_quarantine_days: s.number_quarantine_days,
            approval_ttl_hours: s.approval_ttl_hours,
            complete_provisioning_locally: s.complete_provisioning_locally,
            carrier_pending_after_minutes: s.carrier_pending_after_minutes,
            carrier_review_after_minutes: s.carrier_review_after_minutes,
            mnp_min_days_left: s.mnp_min_days_left,
            data_at_quota: s.data_at_quota.map(Into::into),
            throttle_kbps: s.throttle_kbps,
        }
    }
}

pub struct Tenant(pub Row);

#[Object]
impl Tenant {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(|p| ID(p.to_string()))
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> TenantKind {
        match self.0.kind.as_str() {
            "platform" => TenantKind::Platform,
            "mvno" => TenantKind::Mvno,
            _ => TenantKind::Reseller,
        }
    }
    async fn status(&self) -> TenantStatus {
        if self.0.status == "active" {
            TenantStatus::Active
        } else {
            TenantStatus::Suspended
        }
    }
    /// What this tenant overrides itself.
    async fn setting_overrides(&self) -> TenantSettingsOverrides {
        serde_json::from_value::<TenantSettingsOverride>(self.0.settings.clone())
            .unwrap_or_default()
            .into()
    }
    /// The settings in force, inheritance resolved.
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<TenantSettings> {
        let (app, c) = app_ctx(ctx)?;
        tsunagi_app::tenants::tenant_settings(app, &c, TenantId(self.0.id))
            .await
            .gql()
            .map(Into::into)
    }
    /// Increases with every change; send it back to update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
