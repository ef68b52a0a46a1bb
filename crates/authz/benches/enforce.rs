//! Authorization with 1,000 tenant policies (on top of the defaults), nothing cached: the
//! compiled rules that decide, and Casbin's matcher over every rule (the reference and the
//! old path), for an allowed request and a denied one, and for a tenant role that inherits a
//! default role. Run: `cargo xtask bench --bench enforce`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tsunagi_authz::TenantEnforcer;
use tsunagi_core::TenantId;
use tsunagi_db::repo::policies::PolicyRule;

fn rules(n: usize) -> Vec<PolicyRule> {
    let mut senior = rule(0);
    senior.ptype = "g".into();
    senior.subject = "role_senior".into();
    senior.object = "support".into();
    (0..n).map(rule).chain([senior]).collect()
}

fn rule(i: usize) -> PolicyRule {
    PolicyRule {
        tenant_id: uuid::Uuid::nil(),
        id: uuid::Uuid::nil(),
        ptype: "p".into(),
        subject: format!("role_{}", i % 50),
        object: format!("object_{i}"),
        action: if i.is_multiple_of(2) {
            "read".into()
        } else {
            "update".into()
        },
        effect: "allow".into(),
        created_at: chrono::Utc::now(),
    }
}

fn enforce(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let e = rt
        .block_on(TenantEnforcer::build(TenantId::new(), &rules(1000)))
        .expect("enforcer");
    let mut g = c.benchmark_group("enforce_1000_policies");
    g.bench_function("compiled_allowed", |b| {
        b.iter(|| e.enforce(black_box("role_7"), black_box("object_857"), "update"))
    });
    g.bench_function("compiled_denied", |b| {
        b.iter(|| e.enforce(black_box("role_7"), black_box("object_999"), "delete"))
    });
    g.bench_function("compiled_inherited_default_role", |b| {
        b.iter(|| e.enforce(black_box("role_senior"), black_box("line_history"), "read"))
    });
    g.bench_function("casbin_allowed", |b| {
        b.iter(|| e.enforce_casbin(black_box("role_7"), black_box("object_857"), "update"))
    });
    g.bench_function("casbin_denied", |b| {
        b.iter(|| e.enforce_casbin(black_box("role_7"), black_box("object_999"), "delete"))
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
    targets = enforce
}
criterion_main!(benches);
