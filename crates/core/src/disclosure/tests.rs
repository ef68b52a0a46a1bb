use super::*;
use crate::identifiers::luhn_check_digit;
use serde_json::json;

fn iccid() -> String {
    let body = "898110000000012345";
    format!("{body}{}", luhn_check_digit(body))
}

fn imei() -> String {
    let body = "49015420323751";
    format!("{body}{}", luhn_check_digit(body))
}

#[test]
fn names_say_what_an_identifier_is() {
    assert_eq!(IdKind::of_name("iccid"), Some(IdKind::Iccid));
    assert_eq!(IdKind::of_name("newIccid"), Some(IdKind::Iccid));
    assert_eq!(IdKind::of_name("imei_sv"), Some(IdKind::Imei));
    assert_eq!(IdKind::of_name("IMSI"), Some(IdKind::Imsi));
    assert_eq!(IdKind::of_name("eid"), Some(IdKind::Eid));
    assert_eq!(IdKind::of_name("simId"), None);
}

#[test]
fn masked_principals_see_only_the_visible_parts() {
    let m = Disclosure::MASKED;
    let ic = iccid();
    assert_eq!(
        m.id(IdKind::Iccid, &ic),
        format!("898110{}{}", "*".repeat(9), &ic[15..])
    );
    assert_eq!(m.id(IdKind::Imsi, "440101234567890"), "44010********90");
    assert_eq!(
        m.id(IdKind::Imei, &imei()),
        format!("{}{}", "*".repeat(11), &imei()[11..])
    );
    assert_eq!(Disclosure::FULL.id(IdKind::Iccid, &ic), ic);
}

#[test]
fn json_is_masked_by_key_and_secrets_never_leave() {
    let ic = iccid();
    let mut v = json!({
        "iccid": ic, "input": {"newIccid": ic, "pin": "1234", "note": format!("swap to {ic} now")},
        "items": [{"imei": imei()}], "activationCode": "LPA:1$smdp.example$ABC", "simId": "0193-x",
    });
    Disclosure::MASKED.json(&mut v);
    let text = v.to_string();
    assert!(!text.contains(&ic) && !text.contains(&imei()), "{text}");
    assert_eq!(v["input"]["pin"], REDACTED);
    assert_eq!(v["activationCode"], REDACTED);
    assert_eq!(v["simId"], "0193-x");
    let mut full = json!({"iccid": ic, "puk": "12345678", "code": "LPA:1$smdp$X"});
    Disclosure::FULL.json(&mut full);
    assert_eq!(
        full["iccid"],
        ic.as_str(),
        "unmasked principals see identifiers"
    );
    assert_eq!(full["puk"], REDACTED, "but never secrets");
    assert_eq!(full["code"], REDACTED);
}

#[test]
fn text_masks_identifier_shaped_runs_only() {
    let m = Disclosure::MASKED;
    let ic = iccid();
    let t = format!(
        "the carrier refused SIM {ic} (IMSI 440101234567890, IMEI {})",
        imei()
    );
    let out = m.text(&t);
    assert!(
        !out.contains(&ic) && !out.contains("440101234567890") && !out.contains(&imei()),
        "{out}"
    );
    // Hashes, UUIDs, amounts and phone numbers stay as they are.
    for keep in [
        "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "order 0193a5e0-7c1e-7000-8000-000000000000",
        "total 123456789012345678 yen",
        "call +819012345678",
    ] {
        assert_eq!(m.text(keep), keep);
    }
}

#[test]
fn typed_fields_keep_what_their_own_permission_guards() {
    // A typed secret read (simSecrets, esimActivationCode) is audited and allowed on its own.
    assert_eq!(
        Disclosure::MASKED.field("activationCode", "LPA:1$smdp$X"),
        "LPA:1$smdp$X"
    );
    assert_eq!(Disclosure::MASKED.field("secret", "whsec_abc"), "whsec_abc");
    assert_eq!(
        Disclosure::MASKED.field("iccid", &iccid()),
        Disclosure::MASKED.id(IdKind::Iccid, &iccid())
    );
}

proptest::proptest! {
    /// Masking never panics and keeps the text's length.
    #[test]
    fn text_never_panics(s in ".{0,300}") {
        let out = Disclosure::MASKED.text(&s);
        proptest::prop_assert_eq!(out.chars().count(), s.chars().count());
    }
}

#[test]
fn urls_show_their_origin_only() {
    assert_eq!(
        url_shown("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
        "https://hooks.slack.com/…"
    );
    assert_eq!(
        url_shown("https://user:pw@hooks.example:8443/x?token=abc"),
        "https://hooks.example:8443/…"
    );
    assert_eq!(
        url_shown("https://hooks.example?t=1"),
        "https://hooks.example/…"
    );
    assert_eq!(
        url_shown("https://hooks.example#t"),
        "https://hooks.example/…"
    );
    assert_eq!(
        url_shown("https://hooks.example/"),
        "https://hooks.example/"
    );
    assert_eq!(url_shown("https://hooks.example"), "https://hooks.example/");
    // Backslashes are path separators to a URL parser (and to the SSRF guard's).
    assert_eq!(
        url_shown("https://hooks.example\\T000\\SECRET"),
        "https://hooks.example/…"
    );
    assert_eq!(url_shown("https://[::1]:8080/x"), "https://[::1]:8080/…");
    assert_eq!(url_shown("not a url"), "…");
}
