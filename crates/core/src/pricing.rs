//! Which price version a contract pays, and the billing period it pays it for.
//!
//! A plan's price versions each say when they reach contracts sold before them:
//! `immediately` (from the version's start) or `next_term` (from the first billing period
//! that starts at or after the version's start). Billing periods are calendar months in the
//! tenant's time zone. A contract's base version is the one it was sold on (or moved to by
//! a plan change); only versions that start after it can reach it, and of those reached the
//! latest-starting one is in force. The answer is computed, never stored: a future price
//! change needs no job to take effect and rewrites no contract row.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// When a price version reaches contracts sold before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    Immediately,
    NextTerm,
}

impl Applies {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "immediately" => Some(Self::Immediately),
            "next_term" => Some(Self::NextTerm),
            _ => None,
        }
    }
}

/// A billing period: `[start, end)`, `days` calendar days long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub days: i64,
}

fn midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A day that starts inside a DST gap begins at the first instant that exists.
    let local = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
    });
    local.map_or_else(|| naive.and_utc(), |l| l.with_timezone(&Utc))
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// The billing period (the calendar month in `tz`) that contains `at`.
pub fn period_of(at: DateTime<Utc>, tz: Tz) -> Period {
    let day = at.with_timezone(&tz).date_naive();
    let first = day.with_day(1).unwrap_or(day);
    let next = first_of_next_month(first);
    Period {
        start: midnight(first, tz),
        end: midnight(next, tz),
        days: (next - first).num_days(),
    }
}

/// Calendar days of `period` from the day holding `at` (included) to its end.
pub fn days_remaining(period: &Period, at: DateTime<Utc>, tz: Tz) -> i64 {
    let today = at.with_timezone(&tz).date_naive();
    let last = period.end.with_timezone(&tz).date_naive();
    (last - today).num_days().clamp(0, period.days)
}

/// The instant a version starting at `valid_from` reaches contracts sold before it.
pub fn reaches_existing(valid_from: DateTime<Utc>, applies: Applies, tz: Tz) -> DateTime<Utc> {
    match applies {
        Applies::Immediately => valid_from,
        Applies::NextTerm => {
            let p = period_of(valid_from, tz);
            if p.start == valid_from {
                valid_from
            } else {
                p.end
            }
        }
    }
}

/// A price version as resolution needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub valid_from: DateTime<Utc>,
    pub applies: Applies,
}

/// The index of the version in force at `at` for a contract whose base version is
/// `versions[base]`. `versions` are one plan's versions in any order.
pub fn in_force(versions: &[Version], base: usize, at: DateTime<Utc>, tz: Tz) -> usize {
    let from = versions[base].valid_from;
    versions
        .iter()
        .enumerate()
        .filter(|(_, v)| v.valid_from > from && reaches_existing(v.valid_from, v.applies, tz) <= at)
        .max_by_key(|(_, v)| v.valid_from)
        .map_or(base, |(i, _)| i)
}

/// The next change after `at`: (index of the version that will be in force, when).
pub fn next_change(
    versions: &[Version],
    base: usize,
    at: DateTime<Utc>,
    tz: Tz,
) -> Option<(usize, DateTime<Utc>)> {
    let now = versions[in_force(versions, base, at, tz)].valid_from;
    let mut whens: Vec<DateTime<Utc>> = versions
        .iter()
        .map(|v| reaches_existing(v.valid_from, v.applies, tz))
        .filter(|w| *w > at)
        .collect();
    whens.sort();
    // A reach may change nothing (an older version arriving late): the first that does.
    whens.into_iter().find_map(|w| {
        let i = in_force(versions, base, w, tz);
        (versions[i].valid_from > now).then_some((i, w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn periods_are_calendar_months_in_the_tenants_zone() {
        // 2026-11-30 16:00 UTC is already 1 December in Tokyo.
        let p = period_of(t("2026-11-30T16:00:00Z"), TOKYO);
        assert_eq!(p.start, t("2026-11-30T15:00:00Z"));
        assert_eq!(p.end, t("2026-12-31T15:00:00Z"));
        assert_eq!(p.days, 31);
        let feb = period_of(t("2028-02-10T00:00:00Z"), TOKYO);
        assert_eq!(feb.days, 29, "leap year");
        assert_eq!(days_remaining(&p, t("2026-12-30T16:00:00Z"), TOKYO), 1);
        let ny = period_of(t("2026-03-08T12:00:00Z"), chrono_tz::America::New_York);
        assert_eq!(ny.start, t("2026-03-01T05:00:00Z"));
        assert_eq!(ny.end, t("2026-04-01T04:00:00Z"), "DST moved the offset");
    }

    #[test]
    fn next_term_waits_for_the_next_period_and_immediately_does_not() {
        let sold = Version {
            valid_from: t("2026-01-01T00:00:00Z"),
            applies: Applies::Immediately,
        };
        let later = Version {
            valid_from: t("2026-11-21T03:00:00Z"),
            applies: Applies::NextTerm,
        };
        let vs = [sold, later];
        assert_eq!(in_force(&vs, 0, t("2026-11-25T00:00:00Z"), TOKYO), 0);
        assert_eq!(in_force(&vs, 0, t("2026-11-30T14:59:59Z"), TOKYO), 0);
        assert_eq!(in_force(&vs, 0, t("2026-11-30T15:00:00Z"), TOKYO), 1);
        assert_eq!(
            next_change(&vs, 0, t("2026-11-25T00:00:00Z"), TOKYO),
            Some((1, t("2026-11-30T15:00:00Z")))
        );
        // A version starting exactly at a period's start reaches everyone then.
        let on_start = Version {
            valid_from: t("2026-11-30T15:00:00Z"),
            applies: Applies::NextTerm,
        };
        assert_eq!(
            reaches_existing(on_start.valid_from, on_start.applies, TOKYO),
            on_start.valid_from
        );
        // An immediate change after a pending next_term one wins at once, and the pending
        // one (older) never takes over.
        let now = Version {
            valid_from: t("2026-11-22T00:00:00Z"),
            applies: Applies::Immediately,
        };
        let vs = [sold, later, now];
        assert_eq!(in_force(&vs, 0, t("2026-11-23T00:00:00Z"), TOKYO), 2);
        assert_eq!(in_force(&vs, 0, t("2026-12-05T00:00:00Z"), TOKYO), 2);
        assert_eq!(next_change(&vs, 0, t("2026-11-23T00:00:00Z"), TOKYO), None);
        // A contract sold on the newest version is not reached by older ones.
        assert_eq!(in_force(&vs, 1, t("2026-12-05T00:00:00Z"), TOKYO), 2);
        assert_eq!(in_force(&vs, 2, t("2027-12-05T00:00:00Z"), TOKYO), 2);
    }

    fn versions() -> impl Strategy<Value = (Vec<Version>, usize)> {
        prop::collection::vec((0i64..400 * 24, any::<bool>()), 1..8).prop_flat_map(|raw| {
            let base = t("2026-01-01T00:00:00Z");
            let vs: Vec<Version> = raw
                .into_iter()
                .map(|(h, imm)| Version {
                    valid_from: base + Duration::hours(h),
                    applies: if imm {
                        Applies::Immediately
                    } else {
                        Applies::NextTerm
                    },
                })
                .collect();
            let n = vs.len();
            (Just(vs), 0..n)
        })
    }

    proptest! {
        #[test]
        fn prices_only_move_forward((vs, base) in versions(), a in 0i64..500 * 24, b in 0i64..500 * 24) {
            let origin = t("2026-01-01T00:00:00Z");
            let (a, b) = (origin + Duration::hours(a.min(b)), origin + Duration::hours(a.max(b)));
            let (ia, ib) = (in_force(&vs, base, a, TOKYO), in_force(&vs, base, b, TOKYO));
            prop_assert!(vs[ia].valid_from <= vs[ib].valid_from);
            prop_assert!(vs[ia].valid_from >= vs[base].valid_from);
        }

        #[test]
        fn a_version_in_force_has_reached_the_contract((vs, base) in versions(), h in 0i64..500 * 24) {
            let at = t("2026-01-01T00:00:00Z") + Duration::hours(h);
            let i = in_force(&vs, base, at, TOKYO);
            if i != base {
                let reach = reaches_existing(vs[i].valid_from, vs[i].applies, TOKYO);
                prop_assert!(reach <= at);
                if vs[i].applies == Applies::NextTerm {
                    prop_assert_eq!(period_of(reach, TOKYO).start, reach, "next_term lands on a period start");
                }
            }
        }

        #[test]
        fn the_announced_change_happens_then_and_not_before((vs, base) in versions(), h in 0i64..500 * 24) {
            let at = t("2026-01-01T00:00:00Z") + Duration::hours(h);
            let now = in_force(&vs, base, at, TOKYO);
            match next_change(&vs, base, at, TOKYO) {
                Some((i, when)) => {
                    prop_assert!(when > at);
                    prop_assert_eq!(in_force(&vs, base, when, TOKYO), i);
                    prop_assert_eq!(vs[in_force(&vs, base, when - Duration::seconds(1), TOKYO)].valid_from, vs[now].valid_from);
                }
                None => {
                    let far = t("2030-01-01T00:00:00Z");
                    prop_assert_eq!(vs[in_force(&vs, base, far, TOKYO)].valid_from, vs[now].valid_from);
                }
            }
        }

        #[test]
        fn periods_tile_time(h in 0i64..3 * 365 * 24) {
            let at = t("2026-01-01T00:00:00Z") + Duration::hours(h);
            let p = period_of(at, TOKYO);
            prop_assert!(p.start <= at && at < p.end);
            prop_assert!((28..=31).contains(&p.days));
            prop_assert_eq!(period_of(p.end, TOKYO).start, p.end);
            let left = days_remaining(&p, at, TOKYO);
            prop_assert!((1..=p.days).contains(&left));
        }
    }
}
