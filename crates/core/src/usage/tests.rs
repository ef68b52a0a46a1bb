use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn data() -> Submitted<'static> {
    let mut s = Submitted::default();
    s.set(Field::RecordId, "cdr-1");
    s.set(Field::Type, "data");
    s.set(Field::Msisdn, "090-1234-5678");
    s.set(Field::Time, "2026-11-29T09:30:00+09:00");
    s.set(Field::BytesUp, "1200");
    s.set(Field::BytesDown, "34000");
    s.set(Field::Apn, "internet.example");
    s
}

fn voice() -> Submitted<'static> {
    let mut s = Submitted::default();
    s.set(Field::RecordId, "cdr-2");
    s.set(Field::Type, "voice");
    s.set(Field::Msisdn, "+81 90 1234 5678");
    s.set(Field::Time, "2026-11-29T00:30:00Z");
    s.set(Field::Seconds, "61");
    s.set(Field::Destination, "international");
    s.set(Field::RoamingZone, "zone-1");
    s
}

#[test]
fn a_data_session_is_read_with_its_time_in_utc_and_a_national_msisdn_in_e164() {
    let r = check(&data(), "81", now()).expect("valid");
    assert_eq!(r.kind, UsageKind::Data);
    assert_eq!(r.msisdn.as_str(), "819012345678");
    assert_eq!(
        r.occurred_at,
        Utc.with_ymd_and_hms(2026, 11, 29, 0, 30, 0).unwrap()
    );
    assert_eq!((r.bytes_up, r.bytes_down), (1200, 34000));
    assert_eq!(r.apn.as_deref(), Some("internet.example"));
    assert_eq!((r.seconds, r.destination, r.roaming_zone), (0, None, None));
}

#[test]
fn a_roaming_international_call_keeps_its_zone_and_destination() {
    let r = check(&voice(), "81", now()).expect("valid");
    assert_eq!(r.seconds, 61);
    assert_eq!(r.destination, Some(Destination::International));
    assert_eq!(r.roaming_zone.as_deref(), Some("zone-1"));
}

#[test]
fn each_bad_field_is_named_with_its_reason() {
    let cases: Vec<(Submitted<'static>, Field, &str)> = vec![
        (
            {
                let mut s = data();
                s.set(Field::RecordId, "");
                s
            },
            Field::RecordId,
            "required",
        ),
        (
            {
                let mut s = data();
                s.set(Field::Type, "mms");
                s
            },
            Field::Type,
            "data, voice or sms",
        ),
        (
            {
                let mut s = data();
                s.set(Field::Msisdn, "12ab");
                s
            },
            Field::Msisdn,
            "digits",
        ),
        (
            {
                let mut s = data();
                s.set(Field::Time, "2026-11-29 09:30");
                s
            },
            Field::Time,
            "RFC 3339",
        ),
        (
            {
                let mut s = data();
                s.set(Field::Time, "2026-11-29T12:06:00Z");
                s
            },
            Field::Time,
            "future",
        ),
        (
            {
                let mut s = data();
                s.set(Field::BytesUp, "-1");
                s
            },
            Field::BytesUp,
            "between 0 and",
        ),
        (
            {
                let mut s = data();
                s.set(Field::BytesDown, "1.5");
                s
            },
            Field::BytesDown,
            "whole number",
        ),
        (
            {
                let mut s = data();
                s.set(Field::Seconds, "3");
                s
            },
            Field::Seconds,
            "not a field of a data record",
        ),
        (
            {
                let mut s = voice();
                s.set(Field::Seconds, "86401");
                s
            },
            Field::Seconds,
            "between 0 and 86400",
        ),
        (
            {
                let mut s = voice();
                s.set(Field::Destination, "moon");
                s
            },
            Field::Destination,
            "domestic or international",
        ),
        (
            {
                let mut s = voice();
                s.set(Field::Apn, "internet");
                s
            },
            Field::Apn,
            "not a field of a voice record",
        ),
        (
            {
                let mut s = voice();
                s.set(Field::RoamingZone, "zone one");
                s
            },
            Field::RoamingZone,
            "zone code",
        ),
    ];
    for (s, field, words) in cases {
        if field == Field::RecordId {
            assert_eq!(
                s.record_id(),
                None,
                "an invalid id is not kept as the rejection's key"
            );
        }
        let e = check(&s, "81", now()).expect_err("must be rejected");
        assert_eq!(e.code, RejectCode::Malformed);
        assert_eq!(e.field, Some(field), "{e:?}");
        assert!(
            e.reason.contains(words),
            "{field:?}: {} lacks {words}",
            e.reason
        );
    }
}

#[test]
fn an_sms_needs_a_destination_and_no_seconds() {
    let mut s = Submitted::default();
    s.set(Field::RecordId, "sms-1");
    s.set(Field::Type, "sms");
    s.set(Field::Msisdn, "+819012345678");
    s.set(Field::Time, "2026-11-29T00:30:00Z");
    let e = check(&s, "81", now()).expect_err("no destination");
    assert_eq!(e.field, Some(Field::Destination));
    s.set(Field::Destination, "domestic");
    let r = check(&s, "81", now()).expect("valid");
    assert_eq!((r.kind, r.seconds), (UsageKind::Sms, 0));
}

#[test]
fn field_names_round_trip_in_both_formats() {
    for f in Field::ALL {
        assert_eq!(Field::from_json_name(f.json_name()), Some(f));
        assert_eq!(Field::from_csv_name(f.csv_name()), Some(f));
    }
    for c in [
        RejectCode::Malformed,
        RejectCode::UnknownMsisdn,
        RejectCode::LineNotActive,
        RejectCode::PeriodClosed,
    ] {
        assert_eq!(RejectCode::parse(c.as_str()), Some(c));
    }
}

proptest! {
    /// Whatever text arrives in whatever field, the check answers (never panics), and an
    /// accepted record has non-negative amounts within the limits.
    #[test]
    fn any_input_is_accepted_within_limits_or_rejected_with_a_reason(
        values in proptest::collection::vec(proptest::option::of(".{0,30}"), 10),
    ) {
        let mut s = Submitted::default();
        for (f, v) in Field::ALL.into_iter().zip(values.iter()) {
            if let Some(v) = v {
                s.set(f, v.clone());
            }
        }
        match check(&s, "81", now()) {
            Ok(r) => {
                prop_assert!((0..=MAX_BYTES).contains(&r.bytes_up));
                prop_assert!((0..=MAX_BYTES).contains(&r.bytes_down));
                prop_assert!((0..=MAX_SECONDS).contains(&r.seconds));
                prop_assert!(r.occurred_at <= now() + MAX_CLOCK_SKEW);
            }
            Err(e) => prop_assert!(!e.reason.is_empty()),
        }
    }

    /// Any well-formed data record is accepted with exactly the amounts sent.
    #[test]
    fn well_formed_data_keeps_its_amounts(up in 0..=MAX_BYTES, down in 0..=MAX_BYTES, secs in 0i64..86_400) {
        let mut s = data();
        s.set(Field::BytesUp, up.to_string());
        s.set(Field::BytesDown, down.to_string());
        let t = now() - Duration::seconds(secs);
        s.set(Field::Time, t.to_rfc3339());
        let r = check(&s, "81", now()).expect("valid");
        prop_assert_eq!((r.bytes_up, r.bytes_down, r.occurred_at), (up, down, t));
    }
}
