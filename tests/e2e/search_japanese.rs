//! The search box as Japanese support staff use it: a surname of two kanji, a reading typed
//! in hiragana for a name stored in katakana, half-width kana from an old system, full-width
//! Latin letters — each finds the customer, and only the caller's tenant's customers.

use serde_json::{Value, json};
use tsunagi_tests::{Client, TestEnv, code};

async fn customer(admin: &Client, name: &str, email: &str) {
    admin
        .ok(
            "mutation($n: String!, $e: String!) { customerCreate(input: {kind: \"individual\", name: $n, email: $e}) { customer { id } } }",
            json!({ "n": name, "e": email }),
        )
        .await;
}

async fn names(c: &Client, q: &str) -> Vec<String> {
    let v: Value = c
        .ok(
            "query($q: String!) { search(query: $q) { kind label } }",
            json!({ "q": q }),
        )
        .await;
    v["search"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["kind"] == "customer")
        .map(|h| h["label"].as_str().expect("label").to_owned())
        .collect()
}

#[tokio::test]
async fn kanji_kana_and_width_variants_find_the_customer() {
    let env = TestEnv::start().await.expect("env");
    let s = env.seed().await.expect("seed");
    let admin = s.as_role("sakura-mobile", "tenant_admin").await;
    customer(&admin, "佐藤 花子", "hanako.sato@example.jp").await;
    customer(&admin, "サトウ ハナコ", "kana@example.jp").await;
    customer(&admin, "ｽｽﾞｷ ｲﾁﾛｳ", "ichiro@example.jp").await;
    customer(&admin, "Tanaka Taro", "taro@example.jp").await;
    let fuji = s.as_role("fuji-telecom", "tenant_admin").await;
    customer(&fuji, "佐藤 一郎", "ichiro.sato@example.jp").await;

    let support = s.as_role("sakura-mobile", "support").await;
    // Two kanji: the surname, from the start of the name; not another tenant's 佐藤.
    assert_eq!(names(&support, "佐藤").await, vec!["佐藤 花子"]);
    // A reading in hiragana finds the name kept in katakana, and the other way round.
    assert_eq!(names(&support, "さとう").await, vec!["サトウ ハナコ"]);
    assert_eq!(names(&support, "サトウ").await, vec!["サトウ ハナコ"]);
    // Anywhere in the name from three characters: the given name.
    assert_eq!(names(&support, "はなこ").await, vec!["サトウ ハナコ"]);
    // Full-width katakana finds half-width kana (and the reverse).
    assert_eq!(names(&support, "スズキ").await, vec!["ｽｽﾞｷ ｲﾁﾛｳ"]);
    assert_eq!(names(&support, "ｲﾁﾛｳ").await, vec!["ｽｽﾞｷ ｲﾁﾛｳ"]);
    // Full-width Latin letters and any case.
    assert_eq!(names(&support, "ＴＡＮＡＫＡ").await, vec!["Tanaka Taro"]);
    // A LIKE wildcard typed into the box is a character, not a pattern.
    assert!(names(&support, "%%%").await.is_empty());
    // Two Latin letters are still too few, and the error says so.
    let short = support
        .gql("query { search(query: \"ta\") { id } }", json!({}))
        .await;
    assert_eq!(code(&short).as_deref(), Some("VALIDATION"), "{short}");
    assert!(short.to_string().contains("2 in Japanese"), "{short}");
    let one = support
        .gql("query { search(query: \"佐\") { id } }", json!({}))
        .await;
    assert_eq!(code(&one).as_deref(), Some("VALIDATION"), "{one}");
}
