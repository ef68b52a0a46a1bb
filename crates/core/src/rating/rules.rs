//! The rating rules a catalog keeps beside a price version and an option, and the
//! [`Tariff`] they make for a contract: the price version's allowances and overage prices
//! (its columns) plus these rules (its `rating` JSON), plus the free-call options of the
//! contract. One place turns catalog rows into curves; rating never reads the catalog.

use super::{Curve, FreeCalls, Meter, Rate, Step, Tariff};
use crate::tenant::RoundingRule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bytes in a megabyte and a gigabyte as the catalog prices them (decimal, as carriers bill).
pub const MB: i64 = 1_000_000;
pub const GB: i64 = 1_000_000_000;

/// The voice billing increment when a price version names none.
pub const DEFAULT_VOICE_INCREMENT: i64 = 30;

/// One step of a tiered data price: from `from_mb` used in the period, the period's data
/// charge is `amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataStep {
    pub from_mb: i64,
    pub amount: i64,
}

/// A roaming zone's prices (no allowance: roaming is charged from the first unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoamingZone {
    pub zone: String,
    pub data_per_mb: i64,
    pub voice_per_min: i64,
    pub sms: i64,
}

/// A price version's rating rules (`plan_prices.rating`); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceRules {
    /// Calls are billed in whole increments of this many seconds, rounded up (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_increment_seconds: Option<i64>,
    /// A tiered data plan: the period's data charge by volume step, instead of allowance and
    /// overage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_steps: Vec<DataStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub international_voice_per_min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub international_sms: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roaming: Vec<RoamingZone>,
    /// The allowance is shared by all lines of a contract (family and share plans).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    /// Data left unused at the end of a period carries into the next (used first there).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carry_over: bool,
}

/// An option's rating rules (`options.rating`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionRules {
    /// The first seconds of every domestic call are free (5分かけ放題 = 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_call_seconds: Option<i64>,
    /// Domestic calls cost nothing (かけ放題).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlimited_domestic_calls: bool,
    /// A data add-on: bought once, it adds this much data to the period's allowance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_on_mb: Option<i64>,
}

/// A price version's own columns, as rating needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceColumns {
    pub data_mb: i64,
    pub voice_min: i64,
    pub sms: i64,
    pub overage_data_per_gb: i64,
    pub overage_voice_per_min: i64,
    pub overage_sms: i64,
}

/// A rule that cannot be used, with the field it is about (`rating.roaming[0].zone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: String,
    pub reason: String,
}

fn err<T>(field: impl Into<String>, reason: &str) -> Result<T, RuleError> {
    Err(RuleError {
        field: field.into(),
        reason: reason.into(),
    })
}

impl PriceRules {
    /// Reads and checks the rules (`field` names the JSON in errors).
    pub fn parse(v: &serde_json::Value, field: &str) -> Result<Self, RuleError> {
        let r: Self = serde_json::from_value(v.clone()).or_else(|e| err(field, &e.to_string()))?;
        r.check(field)?;
        Ok(r)
    }

    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        if let Some(s) = self.voice_increment_seconds
            && !(1..=3600).contains(&s)
        {
            return err(
                format!("{field}.voiceIncrementSeconds"),
                "must be 1 to 3600 seconds",
            );
        }
        for (i, s) in self.data_steps.iter().enumerate() {
            if s.from_mb < 1 || s.amount < 0 {
                return err(
                    format!("{field}.dataSteps[{i}]"),
                    "fromMb must be at least 1 and amount not negative",
                );
            }
            if i > 0
                && (s.from_mb <= self.data_steps[i - 1].from_mb
                    || s.amount < self.data_steps[i - 1].amount)
            {
                return err(
                    format!("{field}.dataSteps[{i}]"),
                    "steps must rise in fromMb with amounts that never fall",
                );
            }
        }
        let neg = [
            ("internationalVoicePerMin", self.international_voice_per_min),
            ("internationalSms", self.international_sms),
        ];
        if let Some((name, _)) = neg.iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
            return err(format!("{field}.{name}"), "must not be negative");
        }
        let mut zones = std::collections::BTreeSet::new();
        for (i, z) in self.roaming.iter().enumerate() {
            let ok = !z.zone.is_empty()
                && z.zone.len() <= 40
                && z.zone
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return err(
                    format!("{field}.roaming[{i}].zone"),
                    "must be 1 to 40 letters, digits, - or _",
                );
            }
            if !zones.insert(z.zone.as_str()) {
                return err(format!("{field}.roaming[{i}].zone"), "is named twice");
            }
            if z.data_per_mb < 0 || z.voice_per_min < 0 || z.sms < 0 {
                return err(
                    format!("{field}.roaming[{i}]"),
                    "prices must not be negative",
                );
            }
        }
        Ok(())
    }
}

impl OptionRules {
    pub fn parse(v: &serde_json::Value, field: &str) -> Result<Self, RuleError> {
        let r: Self = serde_json::from_value(v.clone()).or_else(|e| err(field, &e.to_string()))?;
        if r.free_call_seconds
            .is_some_and(|s| !(1..=86_400).contains(&s))
        {
            return err(
                format!("{field}.freeCallSeconds"),
                "must be 1 to 86400 seconds",
            );
        }
        if r.add_on_mb.is_some_and(|m| m < 1) {
            return err(format!("{field}.addOnMb"), "must be at least 1");
        }
        Ok(r)
    }
}

/// The tariff of a contract: its price version (columns and rules) and its options' rules.
pub fn tariff(
    cols: &PriceColumns,
    rules: &PriceRules,
    options: &[OptionRules],
    rounding: RoundingRule,
) -> Tariff {
    let mut curves = BTreeMap::new();
    let data = if rules.data_steps.is_empty() {
        Curve::Overage {
            included: cols.data_mb.saturating_mul(MB),
            rate: Rate {
                amount: cols.overage_data_per_gb,
                per: GB,
            },
        }
    } else {
        Curve::Steps(
            rules
                .data_steps
                .iter()
                .map(|s| Step {
                    from: s.from_mb.saturating_mul(MB),
                    amount: s.amount,
                })
                .collect(),
        )
    };
    curves.insert(Meter::Data, data);
    curves.insert(
        Meter::Voice,
        Curve::Overage {
            included: cols.voice_min.saturating_mul(60),
            rate: Rate {
                amount: cols.overage_voice_per_min,
                per: 60,
            },
        },
    );
    curves.insert(
        Meter::Sms,
        Curve::Overage {
            included: cols.sms,
            rate: Rate {
                amount: cols.overage_sms,
                per: 1,
            },
        },
    );
    let paid = |amount: i64, per: i64| Curve::Overage {
        included: 0,
        rate: Rate { amount, per },
    };
    if let Some(p) = rules.international_voice_per_min {
        curves.insert(Meter::VoiceInternational, paid(p, 60));
    }
    if let Some(p) = rules.international_sms {
        curves.insert(Meter::SmsInternational, paid(p, 1));
    }
    for z in &rules.roaming {
        curves.insert(Meter::RoamingData(z.zone.clone()), paid(z.data_per_mb, MB));
        curves.insert(
            Meter::RoamingVoice(z.zone.clone()),
            paid(z.voice_per_min, 60),
        );
        curves.insert(Meter::RoamingSms(z.zone.clone()), paid(z.sms, 1));
    }
    let free_calls = if options.iter().any(|o| o.unlimited_domestic_calls) {
        Some(FreeCalls { seconds: None })
    } else {
        options
            .iter()
            .filter_map(|o| o.free_call_seconds)
            .max()
            .map(|s| FreeCalls { seconds: Some(s) })
    };
    Tariff {
        voice_increment: rules
            .voice_increment_seconds
            .unwrap_or(DEFAULT_VOICE_INCREMENT),
        free_calls,
        curves,
        rounding,
    }
}

impl Meter {
    /// The meter's name as stored (`data`, `voice`, `roaming_data:asia`).
    pub fn key(&self) -> String {
        match self {
            Meter::Data => "data".into(),
            Meter::Voice => "voice".into(),
            Meter::Sms => "sms".into(),
            Meter::VoiceInternational => "voice_international".into(),
            Meter::SmsInternational => "sms_international".into(),
            Meter::RoamingData(z) => format!("roaming_data:{z}"),
            Meter::RoamingVoice(z) => format!("roaming_voice:{z}"),
            Meter::RoamingSms(z) => format!("roaming_sms:{z}"),
        }
    }

    /// The meter of a stored name.
    pub fn from_key(k: &str) -> Option<Self> {
        Some(match k.split_once(':') {
            None => match k {
                "data" => Meter::Data,
                "voice" => Meter::Voice,
                "sms" => Meter::Sms,
                "voice_international" => Meter::VoiceInternational,
                "sms_international" => Meter::SmsInternational,
                _ => return None,
            },
            Some(("roaming_data", z)) => Meter::RoamingData(z.into()),
            Some(("roaming_voice", z)) => Meter::RoamingVoice(z.into()),
            Some(("roaming_sms", z)) => Meter::RoamingSms(z.into()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLS: PriceColumns = PriceColumns {
        data_mb: 3000,
        voice_min: 0,
        sms: 0,
        overage_data_per_gb: 550,
        overage_voice_per_min: 44,
        overage_sms: 3,
    };

    #[test]
    fn a_plain_price_version_is_allowance_then_overage() {
        let t = tariff(&COLS, &PriceRules::default(), &[], RoundingRule::Down);
        assert!(t.check().is_ok());
        assert_eq!(t.voice_increment, 30);
        assert_eq!(t.included(&Meter::Data), 3 * GB);
        // 1 GB over: 550 yen; a 31-second call bills one minute: 44 yen.
        assert_eq!(t.charge_at(&Meter::Data, 4 * GB, 0), 550);
        assert_eq!(t.charge_at(&Meter::Voice, 60, 0), 44);
        assert_eq!(t.charge_at(&Meter::RoamingData("asia".into()), GB, 0), 0);
    }

    #[test]
    fn rules_add_tiers_roaming_international_and_free_calls() {
        let rules = PriceRules::parse(
            &json!({"voiceIncrementSeconds": 60, "dataSteps": [{"fromMb": 1, "amount": 0}, {"fromMb": 1000, "amount": 500}],
                    "internationalSms": 100, "roaming": [{"zone": "asia", "dataPerMb": 2, "voicePerMin": 100, "sms": 50}], "shared": true}),
            "rating",
        )
        .expect("rules");
        let five = OptionRules::parse(&json!({"freeCallSeconds": 300}), "o").expect("option");
        let t = tariff(&COLS, &rules, &[five], RoundingRule::Down);
        assert!(t.check().is_ok());
        assert_eq!(t.charge_at(&Meter::Data, 999 * MB, 0), 0);
        assert_eq!(t.charge_at(&Meter::Data, 1000 * MB, 0), 500);
        assert_eq!(
            t.charge_at(&Meter::RoamingData("asia".into()), 3 * MB, 0),
            6
        );
        assert_eq!(t.charge_at(&Meter::SmsInternational, 2, 0), 200);
        assert_eq!(t.free_calls, Some(FreeCalls { seconds: Some(300) }));
        assert!(rules.shared);
    }

    #[test]
    fn bad_rules_name_their_field() {
        let e = |v| PriceRules::parse(&v, "rating").expect_err("refused").field;
        assert_eq!(
            e(json!({"voiceIncrementSeconds": 0})),
            "rating.voiceIncrementSeconds"
        );
        assert_eq!(
            e(json!({"dataSteps": [{"fromMb": 5, "amount": 9}, {"fromMb": 4, "amount": 10}]})),
            "rating.dataSteps[1]"
        );
        assert_eq!(
            e(json!({"roaming": [{"zone": "a b", "dataPerMb": 1, "voicePerMin": 1, "sms": 1}]})),
            "rating.roaming[0].zone"
        );
        assert_eq!(
            e(json!({"internationalSms": -1})),
            "rating.internationalSms"
        );
        assert_eq!(e(json!({"colour": "blue"})), "rating");
        let o =
            OptionRules::parse(&json!({"addOnMb": 0}), "options[0].rating").expect_err("refused");
        assert_eq!(o.field, "options[0].rating.addOnMb");
    }

    #[test]
    fn meter_keys_read_back() {
        for m in [
            Meter::Data,
            Meter::Voice,
            Meter::Sms,
            Meter::VoiceInternational,
            Meter::SmsInternational,
            Meter::RoamingData("eu".into()),
            Meter::RoamingVoice("eu".into()),
            Meter::RoamingSms("eu".into()),
        ] {
            assert_eq!(Meter::from_key(&m.key()), Some(m));
        }
        assert_eq!(Meter::from_key("water"), None);
    }
}
