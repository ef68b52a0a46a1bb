//! The template language of notifications: small on purpose (no code runs in a template).
//! `{{ path }}` and `{{ path | money }}` / `| date` / `| datetime` (in the tenant's time zone
//! and the recipient's language), `{{#if path}}…{{else}}…{{/if}}`, and
//! `{{#each path}}…{{this.field}}…{{/each}}`. A missing value is an error that names it, so a
//! preview shows exactly what a template needs.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

const MAX_OUTPUT: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var {
        path: String,
        filter: Option<String>,
    },
    If {
        path: String,
        then: Vec<Node>,
        other: Vec<Node>,
    },
    Each {
        path: String,
        body: Vec<Node>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Vec<Node>);

/// Language and time zone of one rendering.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub lang: Lang,
    pub tz: Tz,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// `ja`, `ja-JP` → Ja; anything else → En.
    pub fn of(locale: &str) -> Self {
        if locale.starts_with("ja") {
            Self::Ja
        } else {
            Self::En
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }
}

const FILTERS: &[&str] = &["money", "date", "datetime"];

impl Template {
    pub fn parse(src: &str) -> Result<Self, String> {
        let mut pos = 0;
        let (nodes, end) = parse_block(src, &mut pos)?;
        if let Some(tag) = end {
            return Err(format!("unexpected {{{{{tag}}}}} without an opening block"));
        }
        Ok(Self(nodes))
    }

    pub fn render(&self, data: &Value, env: Env) -> Result<String, String> {
        let mut out = String::new();
        render_nodes(&self.0, data, None, env, &mut out)?;
        Ok(out)
    }
}

/// Parses until the end of input or a closing/else tag, which is returned.
fn parse_block(src: &str, pos: &mut usize) -> Result<(Vec<Node>, Option<String>), String> {
    let mut nodes = Vec::new();
    while *pos < src.len() {
        let rest = &src[*pos..];
        let Some(open) = rest.find("{{") else {
            nodes.push(Node::Text(rest.to_owned()));
            *pos = src.len();
            break;
        };
        if open > 0 {
            nodes.push(Node::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("unclosed {{{{ at byte {}", *pos + open))?;
        let tag = after[..close].trim().to_owned();
        *pos += open + 2 + close + 2;
        if let Some(path) = tag.strip_prefix("#if ") {
            let (then, end) = parse_block(src, pos)?;
            let other = match end.as_deref() {
                Some("else") => {
                    let (o, end2) = parse_block(src, pos)?;
                    expect_close(end2, "/if")?;
                    o
                }
                e => {
                    expect_close(e.map(str::to_owned), "/if")?;
                    Vec::new()
                }
            };
            nodes.push(Node::If {
                path: check_path(path)?,
                then,
                other,
            });
        } else if let Some(path) = tag.strip_prefix("#each ") {
            let (body, end) = parse_block(src, pos)?;
            expect_close(end, "/each")?;
            nodes.push(Node::Each {
                path: check_path(path)?,
                body,
            });
        } else if tag == "else" || tag.starts_with('/') {
            return Ok((nodes, Some(tag)));
        } else {
            let (path, filter) = match tag.split_once('|') {
                Some((p, f)) => (p.trim(), Some(f.trim().to_owned())),
                None => (tag.as_str(), None),
            };
            if let Some(f) = &filter
                && !FILTERS.contains(&f.as_str())
            {
                return Err(format!(
                    "unknown filter `{f}` (known: {})",
                    FILTERS.join(", ")
                ));
            }
            nodes.push(Node::Var {
                path: check_path(path)?,
                filter,
            });
        }
    }
    Ok((nodes, None))
}

fn expect_close(end: Option<String>, want: &str) -> Result<(), String> {
    match end {
        Some(t) if t == want => Ok(()),
        Some(t) => Err(format!("expected {{{{{want}}}}}, found {{{{{t}}}}}")),
        None => Err(format!("missing {{{{{want}}}}}")),
    }
}

fn check_path(p: &str) -> Result<String, String> {
    let p = p.trim();
    let ok = !p.is_empty()
        && p.split('.')
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if ok {
        Ok(p.to_owned())
    } else {
        Err(format!("`{p}` is not a valid name"))
    }
}

fn lookup<'a>(data: &'a Value, this: Option<&'a Value>, path: &str) -> Option<&'a Value> {
    let mut segs = path.split('.');
    let first = segs.next()?;
    let mut cur = if first == "this" {
        this?
    } else {
        data.get(first)?
    };
    for s in segs {
        cur = match cur {
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            v => v.get(s)?,
        };
    }
    Some(cur)
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => true,
    }
}

fn render_nodes(
    nodes: &[Node],
    data: &Value,
    this: Option<&Value>,
    env: Env,
    out: &mut String,
) -> Result<(), String> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Var { path, filter } => {
                let v = lookup(data, this, path).ok_or_else(|| format!("no value for `{path}`"))?;
                out.push_str(
                    &format_value(v, filter.as_deref(), env)
                        .map_err(|e| format!("`{path}`: {e}"))?,
                );
            }
            Node::If { path, then, other } => {
                let branch = if truthy(lookup(data, this, path)) {
                    then
                } else {
                    other
                };
                render_nodes(branch, data, this, env, out)?;
            }
            Node::Each { path, body } => {
                let items = lookup(data, this, path)
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("`{path}` is not a list"))?;
                for it in items {
                    render_nodes(body, data, Some(it), env, out)?;
                }
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(format!("output exceeds {MAX_OUTPUT} bytes"));
        }
    }
    Ok(())
}

fn format_value(v: &Value, filter: Option<&str>, env: Env) -> Result<String, String> {
    match filter {
        None => Ok(match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }),
        Some("money") => money(v, env.lang),
        Some(f) => {
            let s = v.as_str().ok_or("expected a timestamp")?;
            let t: DateTime<Utc> = s
                .parse()
                .map_err(|_| format!("`{s}` is not an RFC 3339 timestamp"))?;
            let local = t.with_timezone(&env.tz);
            Ok(match (f, env.lang) {
                ("date", Lang::Ja) => local.format("%Y年%-m月%-d日").to_string(),
                ("date", Lang::En) => local.format("%-d %b %Y").to_string(),
                (_, Lang::Ja) => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
                (_, Lang::En) => local.format("%-d %b %Y %H:%M %Z").to_string(),
            })
        }
    }
}

/// `{"minor": 5280, "currency": "JPY"}` → `5,280円` (ja) / `¥5,280` (en).
pub fn money(v: &Value, lang: Lang) -> Result<String, String> {
    let minor = v
        .get("minor")
        .and_then(Value::as_i64)
        .ok_or("expected {minor, currency}")?;
    let cur = v
        .get("currency")
        .and_then(Value::as_str)
        .ok_or("expected {minor, currency}")?;
    let digits = match cur {
        "JPY" | "KRW" | "VND" => 0,
        _ => 2,
    };
    let neg = minor < 0;
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(digits);
    let mut whole = group(abs / scale);
    if digits > 0 {
        whole = format!("{whole}.{:0width$}", abs % scale, width = digits as usize);
    }
    let sign = if neg { "-" } else { "" };
    Ok(match (cur, lang) {
        ("JPY", Lang::Ja) => format!("{sign}{whole}円"),
        ("JPY", Lang::En) => format!("{sign}¥{whole}"),
        ("USD", _) => format!("{sign}${whole}"),
        ("EUR", _) => format!("{sign}€{whole}"),
        _ => format!("{sign}{cur} {whole}"),
    })
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(lang: Lang) -> Env {
        Env {
            lang,
            tz: chrono_tz::Asia::Tokyo,
        }
    }

    #[test]
    fn variables_filters_blocks() {
        let t = Template::parse(
            "{{ data.amount | money }} by {{data.at|datetime}}{{#if data.vip}} VIP{{else}} std{{/if}}:{{#each data.lines}} {{this.n}}{{/each}}",
        )
        .expect("parse");
        let d = json!({"data": {"amount": {"minor": 1234567, "currency": "JPY"},
            "at": "2026-11-24T10:00:00Z", "vip": false, "lines": [{"n": 1}, {"n": 2}]}});
        assert_eq!(
            t.render(&d, env(Lang::Ja)).expect("ja"),
            "1,234,567円 by 2026年11月24日 19:00 std: 1 2"
        );
        assert_eq!(
            t.render(&d, env(Lang::En)).expect("en"),
            "¥1,234,567 by 24 Nov 2026 19:00 JST std: 1 2"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(Template::parse("{{#if a}}x").unwrap_err().contains("/if"));
        assert!(
            Template::parse("{{a|shout}}")
                .unwrap_err()
                .contains("shout")
        );
        assert!(
            Template::parse("{{a b}}")
                .unwrap_err()
                .contains("valid name")
        );
        assert!(Template::parse("{{a").unwrap_err().contains("unclosed"));
        let t = Template::parse("{{data.missing}}").expect("parse");
        assert!(
            t.render(&json!({"data": {}}), env(Lang::En))
                .unwrap_err()
                .contains("data.missing")
        );
    }

    #[test]
    fn money_in_minor_units() {
        let usd = json!({"minor": -1205, "currency": "USD"});
        assert_eq!(money(&usd, Lang::En).expect("usd"), "-$12.05");
        assert_eq!(
            money(&json!({"minor": 5, "currency": "GBP"}), Lang::En).expect("gbp"),
            "GBP 0.05"
        );
    }

    proptest::proptest! {
        /// Text without braces renders to itself; parsing never panics on any input.
        #[test]
        fn plain_text_round_trips(s in "[^{}]{0,200}", junk in ".{0,200}") {
            let t = Template::parse(&s).expect("plain text parses");
            proptest::prop_assert_eq!(t.render(&json!({}), env(Lang::Ja)).expect("renders"), s);
            let _ = Template::parse(&junk);
        }
    }
}
