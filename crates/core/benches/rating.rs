//! Rating in process, the tariff and the pools' counters in memory: what one core rates per
//! second — the work of a rating worker between reading records and writing charges. 100,000
//! records (70 % data, 20 % calls, 10 % messages; one in ten roaming) over 1,000 pools, on a
//! tariff with allowances, overage, a voice increment, free calls, international and
//! roaming prices. Run: `cargo xtask bench --bench rating`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tsunagi_core::rating::rules::{OptionRules, PriceColumns, PriceRules, RoamingZone, tariff};
use tsunagi_core::rating::{Metered, Pool, rate};
use tsunagi_core::tenant::RoundingRule;
use tsunagi_core::usage::{Destination, UsageKind};

struct Rec {
    kind: UsageKind,
    bytes: i64,
    seconds: i64,
    destination: Option<Destination>,
    zone: Option<&'static str>,
    pool: usize,
}

impl Metered for Rec {
    fn kind(&self) -> UsageKind {
        self.kind
    }
    fn bytes(&self) -> i64 {
        self.bytes
    }
    fn seconds(&self) -> i64 {
        self.seconds
    }
    fn destination(&self) -> Option<Destination> {
        self.destination
    }
    fn roaming_zone(&self) -> Option<&str> {
        self.zone
    }
}

const RECORDS: usize = 100_000;
const POOLS: usize = 1_000;

fn records() -> Vec<Rec> {
    (0..RECORDS)
        .map(|i| {
            let zone = (i % 10 == 9).then_some("asia");
            let pool = (i * 7919) % POOLS;
            match i % 10 {
                0..=6 | 9 => Rec {
                    kind: UsageKind::Data,
                    bytes: 1_000_000 + (i as i64 % 977) * 10_000,
                    seconds: 0,
                    destination: None,
                    zone,
                    pool,
                },
                7 => Rec {
                    kind: UsageKind::Voice,
                    bytes: 0,
                    seconds: 20 + i as i64 % 600,
                    destination: Some(if i % 3 == 0 {
                        Destination::International
                    } else {
                        Destination::Domestic
                    }),
                    zone: None,
                    pool,
                },
                _ => Rec {
                    kind: UsageKind::Sms,
                    bytes: 0,
                    seconds: 0,
                    destination: Some(Destination::Domestic),
                    zone: None,
                    pool,
                },
            }
        })
        .collect()
}

fn rating(c: &mut Criterion) {
    let cols = PriceColumns {
        data_mb: 3_000,
        voice_min: 10,
        sms: 20,
        overage_data_per_gb: 550,
        overage_voice_per_min: 44,
        overage_sms: 3,
    };
    let rules = PriceRules {
        voice_increment_seconds: Some(30),
        international_voice_per_min: Some(180),
        international_sms: Some(100),
        roaming: vec![RoamingZone {
            zone: "asia".into(),
            data_per_mb: 2,
            voice_per_min: 140,
            sms: 100,
        }],
        ..PriceRules::default()
    };
    let five = OptionRules {
        free_call_seconds: Some(300),
        ..OptionRules::default()
    };
    let t = tariff(&cols, &rules, &[five], RoundingRule::Down);
    t.check().expect("tariff");
    let recs = records();
    let mut g = c.benchmark_group("rating");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("rate_100k_records_1k_pools", |b| {
        b.iter(|| {
            let mut pools = vec![Pool::default(); POOLS];
            let mut charged = 0i64;
            for r in &recs {
                charged += rate(&t, &mut pools[r.pool], r).charge;
            }
            black_box(charged)
        })
    });
    g.finish();
}

criterion_group!(benches, rating);
criterion_main!(benches);
