//! Rendering notifications with minijinja: every shipped template of every topic against
//! the topic's example, in Japanese and English, as the hub renders one message (context
//! built, subject and body rendered); and one typical message (a suspension). Run:
//! `cargo xtask bench --bench render`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;
use tsunagi_core::events::Topic;
use tsunagi_hub::Envelope;
use tsunagi_hub::message::{self, TenantInfo};
use tsunagi_hub::render::{Env, Lang, engine};

fn info() -> TenantInfo {
    TenantInfo {
        id: uuid::Uuid::nil(),
        slug: "sakura-mobile".into(),
        name: "さくらモバイル".into(),
        locale: "ja".into(),
        tz: chrono_tz::Asia::Tokyo,
    }
}

fn contexts() -> Vec<(Topic, Value)> {
    Topic::ALL
        .iter()
        .map(|t| {
            let ev = t.example();
            let env = Envelope::of(uuid::Uuid::nil(), &ev);
            let mut c = message::context(
                "https://portal.example",
                &info(),
                &env,
                Some(&ev),
                "田中 花子",
            );
            c["items"] = json!([env.payload.clone()]);
            c["count"] = json!(1);
            (*t, c)
        })
        .collect()
}

fn render(c: &mut Criterion) {
    let e = engine();
    let all = contexts();
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements((all.len() * 2) as u64));
    g.bench_function("every_shipped_template_ja_and_en", |b| {
        b.iter(|| {
            for (t, ctx) in &all {
                for lang in [Lang::Ja, Lang::En] {
                    let env = Env {
                        lang,
                        tz: chrono_tz::Asia::Tokyo,
                    };
                    black_box(e.render_shipped(t.as_str(), ctx, env).ok());
                }
            }
        })
    });
    let (_, suspension) = all
        .iter()
        .find(|(t, _)| *t == Topic::LineStatusChanged)
        .cloned()
        .unwrap_or((Topic::LineStatusChanged, Value::Null));
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_message_with_context", |b| {
        let ev = Topic::LineStatusChanged.example();
        let env = Envelope::of(uuid::Uuid::nil(), &ev);
        b.iter(|| {
            let ctx = message::context(
                "https://portal.example",
                &info(),
                &env,
                Some(&ev),
                "田中 花子",
            );
            let r = Env {
                lang: Lang::Ja,
                tz: chrono_tz::Asia::Tokyo,
            };
            black_box(e.render_shipped("line.status_changed", &ctx, r).ok())
        })
    });
    g.bench_function("one_tenant_template", |b| {
        let r = Env {
            lang: Lang::En,
            tz: chrono_tz::Asia::Tokyo,
        };
        b.iter(|| {
            black_box(
                e.render_source(
                    "[{{ tenant.name }}] {{ data.msisdn | msisdn }} is {{ data.to | label }}",
                    "{{ recipient.name }}: {{ data.from | label }} → {{ data.to | label }}\n{{ links.line }}\n",
                    &suspension,
                    r,
                )
                .ok(),
            )
        })
    });
    g.finish();
}

/// `BENCH_QUICK=1` (`cargo xtask bench --quick`, tests/src/load.rs): 1 s warm-up, 2 s measured.
fn config() -> Criterion {
    let c = Criterion::default();
    if std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1") {
        c.warm_up_time(std::time::Duration::from_secs(1))
            .measurement_time(std::time::Duration::from_secs(2))
    } else {
        c
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = render
}
criterion_main!(benches);
