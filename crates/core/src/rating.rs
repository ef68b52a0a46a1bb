//! Rating: what a usage record costs under a tariff, given what its allowance pool used
//! before it in the bill period. Pure: the tariff, the pool's counters and the record in,
//! the charge and the new counters out.
//!
//! Every meter (home data, domestic calls, each roaming zone, …) has a price curve `F`: the
//! period's charge for `U` cumulative units, rounded once by the tenant's rule. A record of
//! `u` units that finds `U` already used costs `F(U + u) − F(U)`. Because `F` is
//! non-decreasing, no charge is negative; because the differences telescope, the period's
//! charges add up to `F(total)` whatever order the records arrive in, and the remaining
//! allowance is `included − total` (never below zero) — the properties CGRateS users found
//! broken (balances deducted wrongly, negative costs) hold by construction and are
//! property-tested. Which single record pays for crossing the allowance depends on the
//! order; the total does not.
//!
//! Rates are exact ratios (`amount` minor units per `per` units: 22 yen per 30 seconds,
//! 550 yen per GiB) computed in i128 and rounded once by [`RoundingRule::divide`], as the
//! rest of the platform's money; a decimal would have to round 22/30 before using it.

pub mod rules;

use crate::tenant::RoundingRule;
use crate::usage::{Destination, UsageKind, UsageRecord};
use std::collections::BTreeMap;

/// What the counters of a pool are kept by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Meter {
    /// Bytes on the home network (up + down).
    Data,
    /// Billed seconds of domestic calls on the home network.
    Voice,
    /// Domestic messages on the home network.
    Sms,
    VoiceInternational,
    SmsInternational,
    /// Bytes, seconds and messages in a roaming zone (calls and messages whatever their
    /// destination: the zone's rate applies).
    RoamingData(String),
    RoamingVoice(String),
    RoamingSms(String),
}

/// `amount` minor units per `per` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub amount: i64,
    pub per: i64,
}

/// One step of a tiered price: once the period's usage reaches `from` units, the period's
/// charge for the meter is `amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub from: i64,
    pub amount: i64,
}

/// The price of a meter over a period, as a function of its cumulative units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Curve {
    /// `included` units free (the allowance), then `rate` for every unit beyond.
    Overage { included: i64, rate: Rate },
    /// A tiered plan: the charge of the highest step reached (steps sorted, amounts
    /// non-decreasing; below the first step nothing is charged).
    Steps(Vec<Step>),
}

/// Calls free up to a length: the first `seconds` of each domestic call cost nothing
/// (5分かけ放題); `None` = unlimited domestic calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeCalls {
    pub seconds: Option<i64>,
}

/// Everything rating needs from a contract at a record's time: its plan's price version in
/// force and its options, as curves per meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Calls are billed in whole increments, rounded up (30 s: a 31-second call bills 60).
    pub voice_increment: i64,
    pub free_calls: Option<FreeCalls>,
    pub curves: BTreeMap<Meter, Curve>,
    pub rounding: RoundingRule,
}

/// Why a tariff cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffError(pub String);

impl Tariff {
    /// Checks the tariff: positive increments and rate denominators, no negative amounts or
    /// allowances, steps sorted with non-decreasing amounts (so no curve ever falls).
    pub fn check(&self) -> Result<(), TariffError> {
        let bad = |m: String| Err(TariffError(m));
        if self.voice_increment < 1 {
            return bad("the voice billing increment must be at least one second".into());
        }
        if let Some(FreeCalls { seconds: Some(s) }) = self.free_calls
            && s < 0
        {
            return bad("free call seconds cannot be negative".into());
        }
        for (m, c) in &self.curves {
            match c {
                Curve::Overage { included, rate } => {
                    if *included < 0 || rate.amount < 0 || rate.per < 1 {
                        return bad(format!(
                            "{m:?}: allowance and rate must not be negative, per must be positive"
                        ));
                    }
                }
                Curve::Steps(steps) => {
                    let sorted = steps
                        .windows(2)
                        .all(|w| w[0].from < w[1].from && w[0].amount <= w[1].amount);
                    if !sorted || steps.iter().any(|s| s.from < 1 || s.amount < 0) {
                        return bad(format!(
                            "{m:?}: steps must start at one unit or more and rise in units with amounts that never fall"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// `F(units)`: the period's charge for a meter at `units` cumulative units. A meter the
    /// tariff does not price costs nothing.
    pub fn charge_at(&self, meter: &Meter, units: i64, extra_allowance: i64) -> i64 {
        let units = units.max(0);
        match self.curves.get(meter) {
            None => 0,
            Some(Curve::Overage { included, rate }) => {
                let over = (units - included - extra_allowance.max(0)).max(0);
                let total = self.rounding.divide(
                    i128::from(over) * i128::from(rate.amount),
                    i128::from(rate.per),
                );
                i64::try_from(total).unwrap_or(i64::MAX)
            }
            Some(Curve::Steps(steps)) => steps
                .iter()
                .take_while(|s| s.from <= units)
                .last()
                .map_or(0, |s| s.amount),
        }
    }

    /// The allowance of a meter (0 for tiered and unpriced meters).
    pub fn included(&self, meter: &Meter) -> i64 {
        match self.curves.get(meter) {
            Some(Curve::Overage { included, .. }) => *included,
            _ => 0,
        }
    }

    /// The meter a record counts on and its units: bytes, billed seconds (whole increments,
    /// less the free part of a domestic call), or one message.
    pub fn meter_of(&self, r: &impl Metered) -> (Meter, i64) {
        let zone = r.roaming_zone().map(str::to_owned);
        match (r.kind(), zone) {
            (UsageKind::Data, None) => (Meter::Data, r.bytes()),
            (UsageKind::Data, Some(z)) => (Meter::RoamingData(z), r.bytes()),
            (UsageKind::Voice, zone) => {
                let inc = self.voice_increment.max(1);
                let billed = (r.seconds() + inc - 1) / inc * inc;
                match (zone, r.destination()) {
                    (Some(z), _) => (Meter::RoamingVoice(z), billed),
                    (None, Some(Destination::International)) => (Meter::VoiceInternational, billed),
                    (None, _) => {
                        let free = match self.free_calls {
                            Some(FreeCalls { seconds: None }) => billed,
                            Some(FreeCalls { seconds: Some(s) }) => s.min(billed),
                            None => 0,
                        };
                        (Meter::Voice, billed - free)
                    }
                }
            }
            (UsageKind::Sms, Some(z)) => (Meter::RoamingSms(z), 1),
            (UsageKind::Sms, None) => match r.destination() {
                Some(Destination::International) => (Meter::SmsInternational, 1),
                _ => (Meter::Sms, 1),
            },
        }
    }
}

/// What rating reads of a usage record (a checked submission, or a stored record).
pub trait Metered {
    fn kind(&self) -> UsageKind;
    /// Bytes up and down (data).
    fn bytes(&self) -> i64;
    /// Seconds as the carrier measured them (voice).
    fn seconds(&self) -> i64;
    fn destination(&self) -> Option<Destination>;
    fn roaming_zone(&self) -> Option<&str>;
}

impl Metered for UsageRecord {
    fn kind(&self) -> UsageKind {
        self.kind
    }
    fn bytes(&self) -> i64 {
        self.bytes_up.saturating_add(self.bytes_down)
    }
    fn seconds(&self) -> i64 {
        i64::from(self.seconds)
    }
    fn destination(&self) -> Option<Destination> {
        self.destination
    }
    fn roaming_zone(&self) -> Option<&str> {
        self.roaming_zone.as_deref()
    }
}

/// What a pool (a line, or the lines of a shared contract) has used in the period, and the
/// data allowance it has beyond the plan's: carried over from last period (used first) and
/// bought as add-ons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    pub used: BTreeMap<Meter, i64>,
    pub carried_bytes: i64,
    pub added_bytes: i64,
}

impl Pool {
    fn extra(&self, meter: &Meter) -> i64 {
        match meter {
            Meter::Data => self
                .carried_bytes
                .max(0)
                .saturating_add(self.added_bytes.max(0)),
            _ => 0,
        }
    }

    /// A meter's allowance in this pool: the tariff's, plus carried-over and added data.
    pub fn allowance(&self, t: &Tariff, meter: &Meter) -> i64 {
        t.included(meter).saturating_add(self.extra(meter))
    }

    pub fn used(&self, meter: &Meter) -> i64 {
        self.used.get(meter).copied().unwrap_or(0)
    }

    /// The allowance left on a meter (never below zero).
    pub fn remaining(&self, t: &Tariff, meter: &Meter) -> i64 {
        self.allowance(t, meter)
            .saturating_sub(self.used(meter))
            .max(0)
    }

    /// The carried-over data still unused (it is used before the period's own allowance).
    pub fn carried_left(&self) -> i64 {
        (self.carried_bytes - self.used(&Meter::Data)).max(0)
    }

    /// What may carry into the next period: the period's own allowance left unused
    /// (carried-over data does not carry twice; add-ons last one period).
    pub fn carry_next(&self, t: &Tariff) -> i64 {
        let own_used = (self.used(&Meter::Data) - self.carried_bytes.max(0)).max(0);
        (t.included(&Meter::Data) - own_used).max(0)
    }
}

/// A rated record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    pub meter: Meter,
    pub units: i64,
    /// Minor units, never negative.
    pub charge: i64,
    pub used_before: i64,
    pub used_after: i64,
    /// Thresholds of the allowance (percent: 80, 100) this record crossed.
    pub crossed: Vec<u8>,
}

/// The allowance thresholds announced (`quota.threshold_reached`).
pub const THRESHOLDS: [u8; 2] = [80, 100];

/// Rates one record against the pool and counts it in. The caller makes sure a record is
/// rated once (usage is de-duplicated on intake; rated records are stored by key) and that
/// the tariff passed [`Tariff::check`] (a curve that falls would make totals depend on order).
pub fn rate(t: &Tariff, pool: &mut Pool, r: &impl Metered) -> Rated {
    let (meter, units) = t.meter_of(r);
    let before = pool.used(&meter);
    let after = before.saturating_add(units);
    let extra = pool.extra(&meter);
    let charge = (t.charge_at(&meter, after, extra) - t.charge_at(&meter, before, extra)).max(0);
    let allowance = pool.allowance(t, &meter);
    let crossed = if allowance > 0 {
        THRESHOLDS
            .into_iter()
            .filter(|p| {
                // The first unit at or past p percent (rounded up, so 80 % of 3 is 3).
                let at = (i128::from(allowance) * i128::from(*p) + 99) / 100;
                i128::from(before) < at && at <= i128::from(after)
            })
            .collect()
    } else {
        Vec::new()
    };
    pool.used.insert(meter.clone(), after);
    Rated {
        meter,
        units,
        charge,
        used_before: before,
        used_after: after,
        crossed,
    }
}

#[cfg(test)]
mod tests;
