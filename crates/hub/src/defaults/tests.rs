use super::*;
use crate::message::{self, TenantInfo};
use crate::render::{Env, Lang, engine};
use serde_json::{Value, json};
use tsunagi_core::events::Topic;

fn info() -> TenantInfo {
    TenantInfo {
        id: uuid::Uuid::nil(),
        slug: "sakura-mobile".into(),
        name: "さくらモバイル".into(),
        locale: "ja".into(),
        tz: chrono_tz::Asia::Tokyo,
    }
}

/// The context the hub builds for a topic's example event.
fn ctx_of(topic: Topic, recipient: &str) -> Value {
    let event = topic.example();
    let ev = crate::Envelope::of(uuid::Uuid::nil(), &event);
    let mut ctx = message::context(
        "https://portal.example",
        &info(),
        &ev,
        Some(&event),
        recipient,
    );
    ctx["items"] = json!([ev.payload.clone(), ev.payload]);
    ctx["count"] = json!(2);
    ctx
}

const NEXT: [(Lang, &str); 2] = [
    (Lang::Ja, "次に行っていただくこと"),
    (Lang::En, "What to do next"),
];

#[test]
fn shipped_files_cover_the_contract() {
    for t in Topic::ALL {
        assert!(find(t.as_str()).is_some(), "{t} has no shipped template");
    }
    assert!(find("*").is_some());
    assert!(find(&digest_topic(Topic::QuotaThresholdReached.as_str())).is_some());
    for s in all() {
        let known = s.key == "*" || Topic::parse(s.key.trim_end_matches("#digest")).is_some();
        assert!(known, "template {} is for no topic", s.key);
    }
}

/// Every shipped template renders against its topic's example in both languages, says
/// what to do next with a link, and leaves nothing unrendered.
#[test]
fn every_shipped_template_renders_its_example() {
    for t in Topic::ALL {
        for key in [t.as_str().to_owned(), digest_topic(t.as_str())] {
            if find(&key).is_none() {
                continue;
            }
            for recipient in ["田中 花子", ""] {
                let ctx = ctx_of(*t, recipient);
                for (lang, next) in NEXT {
                    let env = Env {
                        lang,
                        tz: chrono_tz::Asia::Tokyo,
                    };
                    let (s, b) = engine()
                        .render_shipped(&key, &ctx, env)
                        .unwrap_or_else(|e| panic!("{key}/{lang:?}: {e}"));
                    assert!(!s.is_empty() && !s.contains('\n'), "{key}: subject {s:?}");
                    assert!(b.contains(next), "{key}/{lang:?} says what to do next: {b}");
                    assert!(b.contains("https://portal.example"), "{key}: a link: {b}");
                    for junk in ["{{", "{%", "None", "null", "undefined"] {
                        assert!(
                            !s.contains(junk) && !b.contains(junk),
                            "{key}/{lang:?}: {junk} in {s} / {b}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn payment_failed_says_when_in_the_tenants_time_zone() {
    let env = Env {
        lang: Lang::Ja,
        tz: chrono_tz::Asia::Tokyo,
    };
    let (s, b) = engine()
        .render_shipped("payment.failed", &ctx_of(Topic::PaymentFailed, "田中"), env)
        .expect("renders");
    assert!(s.contains("5,280円"), "{s}");
    assert!(
        b.contains("https://portal.example/billing/payment-method"),
        "{b}"
    );
    assert!(b.contains("2026年11月21日 10:00"), "next retry in JST: {b}");
    assert!(
        b.contains("2026年11月22日 00:00 までに"),
        "suspension deadline: {b}"
    );
}

#[test]
fn a_suspension_reads_as_people_say_it() {
    let ctx = ctx_of(Topic::LineStatusChanged, "田中 花子");
    let ja = Env {
        lang: Lang::Ja,
        tz: chrono_tz::Asia::Tokyo,
    };
    let (s, b) = engine()
        .render_shipped("line.status_changed", &ctx, ja)
        .expect("ja");
    assert_eq!(
        s,
        "【さくらモバイル】回線 090-1234-5678 の状態が「利用停止中」になりました"
    );
    assert!(b.starts_with("田中 花子 様"), "{b}");
    assert!(b.contains("「停止処理中」から「利用停止中」"), "{b}");
    let en = Env {
        lang: Lang::En,
        tz: chrono_tz::Asia::Tokyo,
    };
    let (s, _) = engine()
        .render_shipped("line.status_changed", &ctx, en)
        .expect("en");
    assert_eq!(s, "[さくらモバイル] Line +81 90-1234-5678 is now suspended");
}
