//! The templates shipped with Tsunagi (crates/hub/templates/{ja,en}.toml), in Japanese and
//! English, for every topic of the event contract, the digest of quota alerts and a generic
//! one. Each says what happened and what to do next. Tenants override them per topic,
//! channel and locale; the unit tests render every one against its topic's example.

use crate::render::Lang;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// One shipped template in both languages.
#[derive(Debug, Clone)]
pub struct Shipped {
    /// A topic, `<topic>#digest`, or `*`.
    pub key: String,
    ja: (String, String),
    en: (String, String),
}

impl Shipped {
    /// (subject, body) in a language.
    pub fn text(&self, lang: Lang) -> (&str, &str) {
        let (s, b) = match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        };
        (s, b)
    }
}

#[derive(serde::Deserialize)]
struct Entry {
    subject: String,
    body: String,
}

fn parse(src: &str) -> BTreeMap<String, Entry> {
    // The files are part of the build; the `shipped_files_cover_the_contract` test fails
    // on a malformed one before it can ship.
    toml::from_str(src).unwrap_or_default()
}

static SHIPPED: LazyLock<Vec<Shipped>> = LazyLock::new(|| {
    let ja = parse(include_str!("../templates/ja.toml"));
    let mut en = parse(include_str!("../templates/en.toml"));
    ja.into_iter()
        .filter_map(|(key, j)| {
            let e = en.remove(&key)?;
            Some(Shipped {
                key,
                ja: (j.subject, j.body),
                en: (e.subject, e.body),
            })
        })
        .collect()
});

/// Every shipped template.
pub fn all() -> &'static [Shipped] {
    &SHIPPED
}

/// The shipped template for a key, if there is one.
pub fn find(key: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.key == key)
}

/// Key of the digest template of a topic.
pub fn digest_topic(topic: &str) -> String {
    format!("{topic}#digest")
}

#[cfg(test)]
mod tests;
