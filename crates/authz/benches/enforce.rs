//! Casbin enforce with 1,000 tenant policies (on top of the defaults): through the decision
//! cache and straight to Casbin, for an allowed request and for a denied one (the worst case:
//! every rule is evaluated). Run: `cargo xtask bench --bench enforce`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tsunagi_authz::TenantEnforcer;
use tsunagi_core::TenantId;
use tsunagi_db::repo::policies::PolicyRule;

fn rules(n: usize) -> Vec<PolicyRule> {
    (0..n)
        .map(|i| PolicyRule {
            tenant_id: uuid::Uuid::nil(),
            id: uuid::Uuid::nil(),
            ptype: "p".into(),
            subject: format!("role_{}", i % 50),
            object: format!("object_{i}"),
            action: if i % 2 == 0 {
                "read".into()
            } else {
                "update".into()
            },
            effect: "allow".into(),
            created_at: chrono::Utc::now(),
        })
        .collect()
}

fn enforce(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let e = rt
        .block_on(TenantEnforcer::build(TenantId::new(), &rules(1000)))
        .expect("enforcer");
    let mut g = c.benchmark_group("casbin_enforce_1000_policies");
    g.bench_function("uncached_allowed", |b| {
        b.iter(|| e.enforce_uncached(black_box("role_7"), black_box("object_857"), "update"))
    });
    g.bench_function("uncached_denied", |b| {
        b.iter(|| e.enforce_uncached(black_box("role_7"), black_box("object_999"), "delete"))
    });
    g.bench_function("cached_allowed", |b| {
        b.iter(|| e.enforce(black_box("role_7"), black_box("object_857"), "update"))
    });
    g.bench_function("cached_denied", |b| {
        b.iter(|| e.enforce(black_box("role_7"), black_box("object_999"), "delete"))
    });
    g.finish();
}

criterion_group!(benches, enforce);
criterion_main!(benches);
