use super::*;
use serde_json::Value;

fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn topics_are_unique_and_parse_back() {
    let mut names: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Topic::ALL.len());
    for t in Topic::ALL {
        assert_eq!(Topic::parse(t.as_str()), Some(*t));
        assert!(!t.description().is_empty(), "{t} has no description");
    }
    assert_eq!(Topic::parse("line.nope"), None);
}

#[test]
fn every_example_round_trips_through_the_outbox_shape() {
    for t in Topic::ALL {
        let ev = t.example();
        assert_eq!(ev.topic(), *t);
        let written = ev.to_payload();
        assert_eq!(written["schemaVersion"], t.version(), "{t}");
        assert_eq!(Event::decode(*t, &written).as_ref(), Ok(&ev), "{t}");
        let de = DomainEvent::new(crate::TenantId::new(), ev.clone());
        assert_eq!(de.topic, *t);
        assert_eq!(de.aggregate_type(), t.resource());
        assert_eq!(de.aggregate_id, ev.facts().aggregate_id());
    }
}

#[test]
fn decoding_refuses_another_version_or_shape() {
    let t = Topic::LineStatusChanged;
    let mut p = t.example().to_payload();
    p["schemaVersion"] = 2.into();
    assert!(Event::decode(t, &p).unwrap_err().contains("schemaVersion"));
    let mut p = t.example().to_payload();
    p.as_object_mut().map(|o| o.remove("msisdn"));
    assert!(Event::decode(t, &p).unwrap_err().contains("msisdn"));
    // The pre-contract shape the hub used to guess at is not a line.status_changed.
    let old = serde_json::json!({"schemaVersion": 1, "after": {"status": "suspended"}});
    assert!(Event::decode(t, &old).is_err());
}

#[test]
fn payloads_follow_the_conventions() {
    const SECRETS: &[&str] = &[
        "iccid",
        "imsi",
        "imei",
        "pin",
        "puk",
        "activationcode",
        "eid",
    ];
    for t in Topic::ALL {
        let written = t.example().to_payload();
        let mut ks = Vec::new();
        keys(&written, &mut ks);
        for k in &ks {
            assert!(
                !k.contains('_') && k.chars().next().is_some_and(|c| c.is_ascii_lowercase()),
                "{t}: key {k} is not camelCase"
            );
            assert!(
                !SECRETS.contains(&k.to_ascii_lowercase().as_str()),
                "{t}: payloads never carry {k}"
            );
        }
        if let Some(m) = written.get("msisdn") {
            assert!(m.as_str().is_some_and(|m| m.starts_with('+')), "{t}: {m}");
        }
        // Every documented property is present in what is written (null, never absent).
        let schema = schema::payload_schema(*t);
        let props = schema["properties"].as_object().expect("properties");
        for p in props.keys() {
            assert!(
                written.get(p).is_some(),
                "{t}: {p} missing from the payload"
            );
        }
        for k in written.as_object().expect("object").keys() {
            assert!(
                props.contains_key(k),
                "{t}: {k} is written but undocumented"
            );
        }
    }
}

#[test]
fn criticality_is_decided_by_the_contract() {
    assert!(Topic::PaymentFailed.example().is_critical());
    assert!(Topic::LineStatusChanged.example().is_critical());
    let Event::LineStatusChanged(mut p) = Topic::LineStatusChanged.example() else {
        panic!("example of another topic");
    };
    p.to = "active".into();
    assert!(!Event::LineStatusChanged(p).is_critical());
    assert!(!Topic::QuotaThresholdReached.example().is_critical());
}

/// docs/events.md and docs/events/*.json are what the types say (`cargo xtask schema`
/// writes them again).
#[test]
fn generated_docs_match_the_types() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stale = Vec::new();
    for (path, want) in schema::files() {
        let have = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        if have != want {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "generated event docs are stale; run `cargo xtask schema`: {stale:?}"
    );
}
