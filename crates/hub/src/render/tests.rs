use super::*;
use serde_json::json;

fn env(lang: Lang) -> Env {
    Env {
        lang,
        tz: chrono_tz::Asia::Tokyo,
    }
}

fn body(src: &str, ctx: &Value, lang: Lang) -> Result<String, RenderError> {
    engine()
        .render_source("s", src, ctx, env(lang))
        .map(|(_, b)| b)
}

#[test]
fn variables_filters_blocks() {
    let src = "{{ data.amount | money }} by {{data.at|datetime}}{% if data.vip %} VIP{% else %} std{% endif %}:{% for l in data.lines %} {{l.n}}{% endfor %} {{ data.msisdn | msisdn }}";
    let d = json!({"data": {"amount": {"minor": 1234567, "currency": "JPY"},
        "at": "2026-11-24T10:00:00Z", "vip": false, "lines": [{"n": 1}, {"n": 2}],
        "msisdn": "+819012345678"}});
    assert_eq!(
        body(src, &d, Lang::Ja).expect("ja"),
        "1,234,567円 by 2026年11月24日 19:00 std: 1 2 090-1234-5678"
    );
    assert_eq!(
        body(src, &d, Lang::En).expect("en"),
        "¥1,234,567 by 24 Nov 2026 19:00 JST std: 1 2 +81 90-1234-5678"
    );
}

#[test]
fn a_missing_value_is_named_with_its_line() {
    let d = json!({"data": {"after": {}}});
    let e = body("Hello\n{{ data.after.msisdn }}", &d, Lang::En).unwrap_err();
    assert_eq!(e.part, Part::Body);
    assert_eq!(e.message, "no value for `data.after.msisdn` (line 2)");
    let e = engine()
        .render_source("{{ recipient.name }}", "x", &d, env(Lang::En))
        .unwrap_err();
    assert_eq!(e.part, Part::Subject);
    assert!(e.message.contains("`recipient"), "{e:?}");
}

#[test]
fn nulls_render_as_nothing_and_are_false() {
    let d = json!({"data": {"reason": null}});
    let out = body(
        "[{{ data.reason }}]{% if data.reason %}R{% endif %}",
        &d,
        Lang::Ja,
    );
    assert_eq!(out.expect("renders"), "[]");
}

#[test]
fn syntax_and_filter_errors_say_what() {
    let d = json!({"data": {}});
    let e = body("{% if x %}open", &d, Lang::En).unwrap_err();
    assert!(e.message.starts_with("syntax error"), "{e:?}");
    let e = body("{{ 'a' | shout }}", &d, Lang::En).unwrap_err();
    assert!(e.message.contains("unknown filter"), "{e:?}");
    let e = body("{{ data | money }}", &d, Lang::En).unwrap_err();
    assert!(e.message.contains("money expects"), "{e:?}");
}

#[test]
fn work_and_output_are_bounded() {
    let d = json!({});
    let e = body(
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        &d,
        Lang::En,
    )
    .unwrap_err();
    assert!(e.message.contains("too much work"), "{e:?}");
    let e = body("{{ 'x' * 70000 }}", &d, Lang::En).unwrap_err();
    assert!(e.message.contains("exceeds"), "{e:?}");
}

#[test]
fn no_code_runs_and_no_html_escaping_in_text() {
    let d = json!({"data": {"name": "<b>&"}});
    assert_eq!(body("{{ data.name }}", &d, Lang::En).expect("r"), "<b>&");
    let e = body("{{ data.__class__ }}", &d, Lang::En).unwrap_err();
    assert!(e.message.contains("no value"), "{e:?}");
}

#[test]
fn money_in_minor_units() {
    assert_eq!(money(-1205, "USD", Lang::En), "-$12.05");
    assert_eq!(money(5, "GBP", Lang::En), "GBP 0.05");
    assert_eq!(money(5280, "JPY", Lang::Ja), "5,280円");
}

#[test]
fn msisdns_read_as_people_write_them() {
    assert_eq!(msisdn("+819012345678", Lang::Ja), "090-1234-5678");
    assert_eq!(msisdn("+4915112345678", Lang::Ja), "+4915112345678");
}

proptest::proptest! {
    /// Text without template syntax renders to itself; no input makes the engine panic.
    #[test]
    fn plain_text_round_trips(s in "[^{}%#]{0,200}", junk in ".{0,200}") {
        let out = body(&s, &json!({}), Lang::Ja).expect("plain text renders");
        proptest::prop_assert_eq!(out, s);
        let _ = body(&junk, &json!({}), Lang::En);
    }
}
