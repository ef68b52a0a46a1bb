//! Tenant settings that later capabilities read (numbering, money, language, time). A tenant
//! stores only what it overrides; the effective settings walk up to the MVNO and the
//! platform, and finally to the built-in defaults.

use crate::error::{Result, Validator};
use serde::{Deserialize, Serialize};

/// How an amount with a fractional minor unit becomes an integer, applied once per amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingRule {
    /// 0.5 away from zero (四捨五入).
    HalfUp,
    /// 0.5 to the even neighbour (banker's rounding).
    HalfEven,
    /// Toward zero (切り捨て) — the most common rule for Japanese consumption tax.
    Down,
    /// Away from zero (切り上げ).
    Up,
}

impl RoundingRule {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::HalfUp => "half_up",
            Self::HalfEven => "half_even",
            Self::Down => "down",
            Self::Up => "up",
        }
    }
    /// Rounds `numerator / denominator` (denominator > 0) to an integer by this rule.
    pub fn divide(&self, numerator: i128, denominator: i128) -> i128 {
        assert!(denominator > 0, "denominator must be positive");
        let q = numerator / denominator;
        let r = numerator % denominator;
        if r == 0 {
            return q;
        }
        let sign = if numerator < 0 { -1 } else { 1 };
        let twice = 2 * r.abs();
        match self {
            Self::Down => q,
            Self::Up => q + sign,
            Self::HalfUp => {
                if twice >= denominator {
                    q + sign
                } else {
                    q
                }
            }
            Self::HalfEven => {
                if twice > denominator || (twice == denominator && q % 2 != 0) {
                    q + sign
                } else {
                    q
                }
            }
        }
    }
}

/// What happens when a pool's data allowance is used up in the current bill period (the
/// customer is told in every case, through `quota.threshold_reached` at 100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataAtQuota {
    /// Nothing beyond the notice: data goes on, charged as overage.
    Notify,
    /// Data is slowed to `throttleKbps` at the carrier until the period ends or an add-on.
    Throttle,
    /// Data is stopped at the carrier (speed limit 0); calls and SMS go on.
    Block,
}

impl DataAtQuota {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Throttle => "throttle",
            Self::Block => "block",
        }
    }
}

/// What a tenant stores: each field optional, `None` meaning "inherit".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettingsOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_calling_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<RoundingRule>,
    /// Whether a line may be activated only for a customer whose KYC is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_before_activation: Option<bool>,
    /// Days a number rests in quarantine after its line is terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_quarantine_days: Option<i32>,
    /// Hours before an undecided approval request expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_ttl_hours: Option<i32>,
    /// Until a carrier is connected: complete carrier steps locally (marked so in history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_provisioning_locally: Option<bool>,
    /// Minutes without a carrier answer before an in-flight line shows `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_pending_after_minutes: Option<i32>,
    /// Minutes without a carrier answer before the line goes to `needs_review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_review_after_minutes: Option<i32>,
    /// Days an MNP reservation number must still be valid when a port-in is ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnp_min_days_left: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_at_quota: Option<DataAtQuota>,
    /// The speed a throttled line gets, kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle_kbps: Option<i32>,
}

/// The settings in force for a tenant, every field resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub country_calling_code: String,
    pub currency: String,
    pub locale: String,
    pub time_zone: String,
    pub rounding: RoundingRule,
    pub kyc_before_activation: bool,
    pub number_quarantine_days: i32,
    pub approval_ttl_hours: i32,
    pub complete_provisioning_locally: bool,
    pub carrier_pending_after_minutes: i32,
    pub carrier_review_after_minutes: i32,
    pub mnp_min_days_left: i32,
    pub data_at_quota: DataAtQuota,
    pub throttle_kbps: i32,
}

impl TenantSettings {
    /// The tenant's time zone (validated when set; Tokyo if a stored value no longer parses).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Tokyo)
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            country_calling_code: "81".into(),
            currency: "JPY".into(),
            locale: "ja-JP".into(),
            time_zone: "Asia/Tokyo".into(),
            rounding: RoundingRule::Down,
            kyc_before_activation: true,
            number_quarantine_days: 90,
            approval_ttl_hours: 72,
            complete_provisioning_locally: true,
            carrier_pending_after_minutes: 15,
            carrier_review_after_minutes: 24 * 60,
            // Japanese MVNOs commonly ask for 10 of the reservation's 15 days to be left.
            mnp_min_days_left: 10,
            data_at_quota: DataAtQuota::Notify,
            // The speed Japanese MVNOs commonly throttle to (低速 128 kbps).
            throttle_kbps: 128,
        }
    }
}

/// ISO 4217 codes accepted for a tenant's currency (active codes in use by operators).
const CURRENCIES: &[&str] = &[
    "AED", "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "IDR", "INR",
    "JPY", "KRW", "MXN", "MYR", "NOK", "NZD", "PHP", "PLN", "SEK", "SGD", "THB", "TRY", "TWD",
    "USD", "VND", "ZAR",
];

impl TenantSettingsOverride {
    /// Checks every present field; `prefix` is the input path (`input.settings`).
    pub fn validate(&self, prefix: &str) -> Result<()> {
        let mut v = Validator::new();
        if let Some(cc) = &self.country_calling_code {
            v.check(
                !cc.is_empty()
                    && cc.len() <= 3
                    && cc.bytes().all(|b| b.is_ascii_digit())
                    && !cc.starts_with('0'),
                &format!("{prefix}.countryCallingCode"),
                "must be 1-3 digits without '+' or a leading zero (e.g. 81)",
            );
        }
        if let Some(c) = &self.currency {
            v.check(
                CURRENCIES.contains(&c.as_str()),
                &format!("{prefix}.currency"),
                format!(
                    "must be an ISO 4217 code this platform supports, one of {}",
                    CURRENCIES.join(", ")
                ),
            );
        }
        if let Some(l) = &self.locale {
            v.check(
                valid_locale(l),
                &format!("{prefix}.locale"),
                "must be a BCP 47 tag like ja-JP or en",
            );
        }
        if let Some(tz) = &self.time_zone {
            v.check(
                tz.parse::<chrono_tz::Tz>().is_ok(),
                &format!("{prefix}.timeZone"),
                "must be an IANA time zone name like Asia/Tokyo",
            );
        }
        if let Some(d) = self.number_quarantine_days {
            v.check(
                (0..=3650).contains(&d),
                &format!("{prefix}.numberQuarantineDays"),
                "must be between 0 and 3650 days",
            );
        }
        if let Some(h) = self.approval_ttl_hours {
            v.check(
                (1..=24 * 90).contains(&h),
                &format!("{prefix}.approvalTtlHours"),
                "must be between 1 hour and 90 days",
            );
        }
        if let Some(m) = self.carrier_pending_after_minutes {
            v.check(
                (1..=24 * 60).contains(&m),
                &format!("{prefix}.carrierPendingAfterMinutes"),
                "must be between 1 minute and 1 day",
            );
        }
        if let Some(m) = self.carrier_review_after_minutes {
            v.check(
                (5..=30 * 24 * 60).contains(&m),
                &format!("{prefix}.carrierReviewAfterMinutes"),
                "must be between 5 minutes and 30 days",
            );
            v.check(
                self.carrier_pending_after_minutes.is_none_or(|p| m > p),
                &format!("{prefix}.carrierReviewAfterMinutes"),
                "must be longer than carrierPendingAfterMinutes",
            );
        }
        if let Some(d) = self.mnp_min_days_left {
            v.check(
                (1..=15).contains(&d),
                &format!("{prefix}.mnpMinDaysLeft"),
                "must be between 1 and 15 days (a reservation number is valid for 15 days)",
            );
        }
        if let Some(k) = self.throttle_kbps {
            v.check(
                (1..=100_000).contains(&k),
                &format!("{prefix}.throttleKbps"),
                "must be between 1 and 100000 kbit/s (block data with dataAtQuota: block)",
            );
        }
        v.finish()
    }
}

/// The languages messages are written in (`ja`, `en`): what a user or customer may choose.
pub const MESSAGE_LOCALES: &[&str] = &["ja", "en"];

/// Checks a recipient's chosen language.
pub fn check_message_locale(v: &mut crate::Validator, field: &str, locale: Option<&str>) {
    if let Some(l) = locale {
        v.check(MESSAGE_LOCALES.contains(&l), field, "ja or en");
    }
}

fn valid_locale(l: &str) -> bool {
    let mut parts = l.split('-');
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Resolves effective settings from a chain ordered nearest first (the tenant, its parent, …).
pub fn resolve_settings(chain: &[TenantSettingsOverride]) -> TenantSettings {
    let d = TenantSettings::default();
    let pick = |f: &dyn Fn(&TenantSettingsOverride) -> Option<String>, default: String| {
        chain.iter().find_map(f).unwrap_or(default)
    };
    TenantSettings {
        country_calling_code: pick(&|s| s.country_calling_code.clone(), d.country_calling_code),
        currency: pick(&|s| s.currency.clone(), d.currency),
        locale: pick(&|s| s.locale.clone(), d.locale),
        time_zone: pick(&|s| s.time_zone.clone(), d.time_zone),
        rounding: chain.iter().find_map(|s| s.rounding).unwrap_or(d.rounding),
        kyc_before_activation: chain
            .iter()
            .find_map(|s| s.kyc_before_activation)
            .unwrap_or(d.kyc_before_activation),
        number_quarantine_days: chain
            .iter()
            .find_map(|s| s.number_quarantine_days)
            .unwrap_or(d.number_quarantine_days),
        approval_ttl_hours: chain
            .iter()
            .find_map(|s| s.approval_ttl_hours)
            .unwrap_or(d.approval_ttl_hours),
        complete_provisioning_locally: chain
            .iter()
            .find_map(|s| s.complete_provisioning_locally)
            .unwrap_or(d.complete_provisioning_locally),
        carrier_pending_after_minutes: chain
            .iter()
            .find_map(|s| s.carrier_pending_after_minutes)
            .unwrap_or(d.carrier_pending_after_minutes),
        carrier_review_after_minutes: chain
            .iter()
            .find_map(|s| s.carrier_review_after_minutes)
            .unwrap_or(d.carrier_review_after_minutes),
        mnp_min_days_left: chain
            .iter()
            .find_map(|s| s.mnp_min_days_left)
            .unwrap_or(d.mnp_min_days_left),
        data_at_quota: chain
            .iter()
            .find_map(|s| s.data_at_quota)
            .unwrap_or(d.data_at_quota),
        throttle_kbps: chain
            .iter()
            .find_map(|s| s.throttle_kbps)
            .unwrap_or(d.throttle_kbps),
    }
}

#[cfg(test)]
#[path = "tenant_tests.rs"]
mod tests;
