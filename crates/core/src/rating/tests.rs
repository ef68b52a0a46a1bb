use super::*;
use crate::identifiers::Msisdn;
use crate::usage::{Destination, UsageKind, UsageRecord};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use std::collections::HashSet;

fn rec(
    id: &str,
    kind: UsageKind,
    amount: i64,
    dest: Option<Destination>,
    zone: Option<&str>,
) -> UsageRecord {
    UsageRecord {
        record_id: id.into(),
        kind,
        msisdn: Msisdn::parse("msisdn", "+819012345678", "81").expect("msisdn"),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap(),
        bytes_up: if kind == UsageKind::Data {
            amount / 3
        } else {
            0
        },
        bytes_down: if kind == UsageKind::Data {
            amount - amount / 3
        } else {
            0
        },
        apn: None,
        seconds: if kind == UsageKind::Voice {
            amount as i32
        } else {
            0
        },
        destination: dest,
        roaming_zone: zone.map(str::to_owned),
    }
}

fn data(id: &str, bytes: i64) -> UsageRecord {
    rec(id, UsageKind::Data, bytes, None, None)
}

fn call(id: &str, secs: i64, dest: Destination) -> UsageRecord {
    rec(id, UsageKind::Voice, secs, Some(dest), None)
}

fn tariff() -> Tariff {
    let mut curves = BTreeMap::new();
    curves.insert(
        Meter::Data,
        Curve::Overage {
            included: 1_000,
            rate: Rate {
                amount: 550,
                per: 1_000,
            },
        },
    );
    curves.insert(
        Meter::Voice,
        Curve::Overage {
            included: 0,
            rate: Rate {
                amount: 22,
                per: 30,
            },
        },
    );
    curves.insert(
        Meter::VoiceInternational,
        Curve::Overage {
            included: 0,
            rate: Rate {
                amount: 40,
                per: 30,
            },
        },
    );
    curves.insert(
        Meter::Sms,
        Curve::Overage {
            included: 0,
            rate: Rate { amount: 3, per: 1 },
        },
    );
    curves.insert(
        Meter::RoamingData("zone-1".into()),
        Curve::Overage {
            included: 0,
            rate: Rate {
                amount: 1_000,
                per: 1_000,
            },
        },
    );
    Tariff {
        voice_increment: 30,
        free_calls: None,
        curves,
        rounding: RoundingRule::Down,
    }
}

#[test]
fn overage_starts_where_the_allowance_ends_and_rounds_once() {
    let t = tariff();
    let mut p = Pool::default();
    assert_eq!(rate(&t, &mut p, &data("a", 600)).charge, 0);
    let b = rate(&t, &mut p, &data("b", 601));
    // 201 units over at 0.55 each: 110.55, rounded down once on the cumulative amount.
    assert_eq!((b.charge, b.used_before, b.used_after), (110, 600, 1_201));
    // The next unit brings the cumulative amount to 111.1: one more yen, not 0.55 rounded.
    assert_eq!(rate(&t, &mut p, &data("c", 1)).charge, 1);
    assert_eq!(p.remaining(&t, &Meter::Data), 0);
}

#[test]
fn calls_bill_in_whole_increments_and_free_calls_take_their_first_minutes() {
    let mut t = tariff();
    let mut p = Pool::default();
    let r = rate(&t, &mut p, &call("v1", 31, Destination::Domestic));
    assert_eq!(
        (r.units, r.charge),
        (60, 44),
        "31 s bills two 30-second increments"
    );
    let r = rate(&t, &mut p, &call("v2", 31, Destination::International));
    assert_eq!((r.meter, r.charge), (Meter::VoiceInternational, 80));
    t.free_calls = Some(FreeCalls { seconds: Some(300) });
    let mut p = Pool::default();
    assert_eq!(
        rate(&t, &mut p, &call("v3", 299, Destination::Domestic)).charge,
        0
    );
    let r = rate(&t, &mut p, &call("v4", 301, Destination::Domestic));
    assert_eq!(
        (r.units, r.charge),
        (30, 22),
        "the part past five minutes, in increments"
    );
    let r = rate(&t, &mut p, &call("v5", 301, Destination::International));
    assert_eq!(r.charge, 440, "international calls are not free");
    t.free_calls = Some(FreeCalls { seconds: None });
    assert_eq!(
        rate(
            &t,
            &mut Pool::default(),
            &call("v6", 3_600, Destination::Domestic)
        )
        .charge,
        0
    );
}

#[test]
fn roaming_has_its_own_rates_and_does_not_touch_the_home_allowance() {
    let t = tariff();
    let mut p = Pool::default();
    let r = rate(
        &t,
        &mut p,
        &rec("r1", UsageKind::Data, 500, None, Some("zone-1")),
    );
    assert_eq!(
        (r.meter.clone(), r.charge),
        (Meter::RoamingData("zone-1".into()), 500)
    );
    assert_eq!(p.remaining(&t, &Meter::Data), 1_000);
    let unpriced = rate(
        &t,
        &mut p,
        &rec("r2", UsageKind::Data, 500, None, Some("zone-9")),
    );
    assert_eq!(
        unpriced.charge, 0,
        "a zone the tariff does not price costs nothing"
    );
}

#[test]
fn a_tiered_plan_charges_the_step_the_month_reached() {
    let mut t = tariff();
    t.curves.insert(
        Meter::Data,
        Curve::Steps(vec![
            Step {
                from: 1,
                amount: 1_078,
            },
            Step {
                from: 1_000,
                amount: 2_178,
            },
            Step {
                from: 3_000,
                amount: 3_278,
            },
        ]),
    );
    assert!(t.check().is_ok());
    let mut p = Pool::default();
    assert_eq!(rate(&t, &mut p, &data("a", 500)).charge, 1_078);
    assert_eq!(rate(&t, &mut p, &data("b", 499)).charge, 0);
    assert_eq!(rate(&t, &mut p, &data("c", 2)).charge, 1_100);
    assert_eq!(rate(&t, &mut p, &data("d", 5_000)).charge, 1_100);
    t.curves.insert(
        Meter::Data,
        Curve::Steps(vec![
            Step {
                from: 1,
                amount: 500,
            },
            Step {
                from: 2,
                amount: 400,
            },
        ]),
    );
    assert!(
        t.check().is_err(),
        "a step that is cheaper than the one below is refused"
    );
}

#[test]
fn carried_over_data_is_used_first_and_only_the_own_allowance_carries_on() {
    let t = tariff();
    let mut p = Pool {
        carried_bytes: 500,
        ..Default::default()
    };
    assert_eq!(rate(&t, &mut p, &data("a", 700)).charge, 0);
    assert_eq!((p.carried_left(), p.remaining(&t, &Meter::Data)), (0, 800));
    assert_eq!(p.carry_next(&t), 800);
    let r = rate(&t, &mut p, &data("b", 900));
    assert_eq!(r.charge, 55, "100 units past 1,500 at 0.55");
    p.added_bytes = 1_000;
    assert_eq!(
        p.remaining(&t, &Meter::Data),
        900,
        "an add-on raises the allowance"
    );
}

#[test]
fn thresholds_are_crossed_once_each() {
    let t = tariff();
    let mut p = Pool::default();
    let seen: Vec<Vec<u8>> = [700, 99, 1, 150, 100, 1_000]
        .iter()
        .enumerate()
        .map(|(i, b)| rate(&t, &mut p, &data(&i.to_string(), *b)).crossed)
        .collect();
    assert_eq!(
        seen,
        vec![vec![], vec![], vec![80], vec![], vec![100], vec![]]
    );
    let mut p = Pool::default();
    assert_eq!(rate(&t, &mut p, &data("big", 5_000)).crossed, vec![80, 100]);
}

fn any_record() -> impl Strategy<Value = UsageRecord> {
    (0u8..6, 0i64..3_000, 0u32..1_000_000).prop_map(|(k, amount, id)| {
        let id = format!("r{id}");
        match k {
            0 | 1 => data(&id, amount),
            2 => call(&id, amount % 4_000, Destination::Domestic),
            3 => call(&id, amount % 4_000, Destination::International),
            4 => rec(&id, UsageKind::Sms, 1, Some(Destination::Domestic), None),
            _ => rec(&id, UsageKind::Data, amount, None, Some("zone-1")),
        }
    })
}

fn any_tariff() -> impl Strategy<Value = Tariff> {
    (
        0i64..5_000,
        1i64..2_000,
        1i64..5_000,
        1i64..120,
        proptest::option::of(0i64..600),
        0u8..4,
        any::<bool>(),
    )
        .prop_map(|(included, amount, per, inc, free, rounding, steps)| {
            let mut t = tariff();
            t.voice_increment = inc;
            t.free_calls = free.map(|s| FreeCalls { seconds: Some(s) });
            t.rounding = [
                RoundingRule::Down,
                RoundingRule::Up,
                RoundingRule::HalfUp,
                RoundingRule::HalfEven,
            ][rounding as usize];
            t.curves.insert(
                Meter::Data,
                if steps {
                    Curve::Steps(vec![
                        Step { from: 1, amount },
                        Step {
                            from: included + 2,
                            amount: amount * 2,
                        },
                    ])
                } else {
                    Curve::Overage {
                        included,
                        rate: Rate { amount, per },
                    }
                },
            );
            t
        })
}

/// Rates each record once (by id), as intake and storage guarantee: (total, pool, charges).
fn run(t: &Tariff, records: &[UsageRecord], carried: i64) -> (i64, Pool, Vec<Rated>) {
    let mut pool = Pool {
        carried_bytes: carried,
        ..Default::default()
    };
    let mut seen = HashSet::new();
    let rated: Vec<Rated> = records
        .iter()
        .filter(|r| seen.insert(r.record_id.clone()))
        .map(|r| rate(t, &mut pool, r))
        .collect();
    (rated.iter().map(|r| r.charge).sum(), pool, rated)
}

proptest! {
    /// The same records in any order and with any duplication give the same total charge
    /// and the same counters; no charge is negative; no allowance goes below zero; each
    /// threshold is crossed at most once per meter.
    #[test]
    fn order_and_duplication_change_nothing(
        t in any_tariff(),
        records in proptest::collection::vec(any_record(), 0..60),
        order in proptest::collection::vec(any::<u32>(), 60),
        dups in proptest::collection::vec(0usize..60, 0..20),
        carried in 0i64..2_000,
    ) {
        // First occurrence of each id wins in the reference run; give duplicates the same content.
        let mut by_id = std::collections::HashMap::new();
        let records: Vec<UsageRecord> = records
            .into_iter()
            .map(|r| by_id.entry(r.record_id.clone()).or_insert(r).clone())
            .collect();
        prop_assert!(t.check().is_ok());
        let (total, pool, rated) = run(&t, &records, carried);
        let mut shuffled: Vec<(u32, UsageRecord)> = records
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, r)| (order[i % order.len()], r))
            .collect();
        for d in dups {
            if let Some(r) = records.get(d) {
                shuffled.push((order[d % order.len()] ^ 0x5555, r.clone()));
            }
        }
        shuffled.sort_by_key(|(k, _)| *k);
        let again: Vec<UsageRecord> = shuffled.into_iter().map(|(_, r)| r).collect();
        let (total2, pool2, rated2) = run(&t, &again, carried);
        prop_assert_eq!(total, total2);
        prop_assert_eq!(&pool.used, &pool2.used);
        prop_assert!(rated.iter().chain(&rated2).all(|r| r.charge >= 0));
        for m in pool.used.keys() {
            prop_assert!(pool.remaining(&t, m) >= 0);
            let crossings: Vec<u8> = rated2.iter().filter(|r| &r.meter == m).flat_map(|r| r.crossed.clone()).collect();
            let unique: HashSet<u8> = crossings.iter().copied().collect();
            prop_assert_eq!(crossings.len(), unique.len(), "a threshold crossed twice on {:?}", m);
        }
        // The total is the curve at the final counters.
        let expected: i64 = pool.used.iter().map(|(m, u)| t.charge_at(m, *u, if *m == Meter::Data { carried } else { 0 })).sum();
        prop_assert_eq!(total, expected);
    }
}
