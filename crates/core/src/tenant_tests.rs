//! Tenant settings: inheritance, validation by field, rounding rules.

use super::*;

#[test]
fn reseller_inherits_unless_it_overrides() {
    let mvno = TenantSettingsOverride {
        currency: Some("USD".into()),
        locale: Some("en".into()),
        ..Default::default()
    };
    let reseller = TenantSettingsOverride {
        locale: Some("ja-JP".into()),
        ..Default::default()
    };
    let s = resolve_settings(&[reseller, mvno]);
    assert_eq!(s.currency, "USD");
    assert_eq!(s.locale, "ja-JP");
    assert_eq!(s.time_zone, "Asia/Tokyo");
}

#[test]
fn validation_names_fields() {
    let bad = TenantSettingsOverride {
        currency: Some("YEN".into()),
        time_zone: Some("Mars/Olympus".into()),
        country_calling_code: Some("+81".into()),
        ..Default::default()
    };
    let Err(crate::Error::Validation(f)) = bad.validate("input.settings") else {
        panic!()
    };
    let fields: Vec<_> = f.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "input.settings.countryCallingCode",
            "input.settings.currency",
            "input.settings.timeZone"
        ]
    );
}

#[test]
fn data_limits_default_to_notify_and_inherit() {
    let d = resolve_settings(&[]);
    assert_eq!(
        (d.data_at_quota, d.throttle_kbps),
        (DataAtQuota::Notify, 128)
    );
    let mvno = TenantSettingsOverride {
        data_at_quota: Some(DataAtQuota::Throttle),
        throttle_kbps: Some(200),
        ..Default::default()
    };
    let reseller = TenantSettingsOverride {
        data_at_quota: Some(DataAtQuota::Block),
        ..Default::default()
    };
    let r = resolve_settings(&[reseller, mvno]);
    assert_eq!(
        (r.data_at_quota, r.throttle_kbps),
        (DataAtQuota::Block, 200)
    );
    for (kbps, ok) in [(0, false), (1, true), (100_000, true), (100_001, false)] {
        let s = TenantSettingsOverride {
            throttle_kbps: Some(kbps),
            ..Default::default()
        };
        assert_eq!(s.validate("s").is_ok(), ok, "{kbps} kbit/s");
    }
}

#[test]
fn rounding_rules() {
    use RoundingRule::*;
    assert_eq!(HalfUp.divide(25, 10), 3);
    assert_eq!(HalfUp.divide(-25, 10), -3);
    assert_eq!(HalfEven.divide(25, 10), 2);
    assert_eq!(HalfEven.divide(35, 10), 4);
    assert_eq!(Down.divide(29, 10), 2);
    assert_eq!(Up.divide(21, 10), 3);
    assert_eq!(Up.divide(-21, 10), -3);
    assert_eq!(Down.divide(30, 10), 3);
}
