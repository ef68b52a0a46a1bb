//! Rendering notification templates with minijinja (a maintained, sandboxed Jinja engine:
//! no code runs in a template, every render is bounded by fuel and an output cap).
//!
//! One engine per process holds the shipped templates compiled once and the house filters:
//! `money` (`{"minor", "currency"}` → `5,280円` / `¥5,280`), `date` and `datetime` (an RFC 3339
//! time in the tenant's time zone and the recipient's language) and `msisdn` (E.164 as the
//! recipient reads it). A value the data lacks is an error that names it
//! (`no value for data.msisdn (line 3)`), so a preview shows exactly what a template needs;
//! a `null` renders as nothing and may be tested with `{% if data.reason %}`.

use crate::defaults;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::value::{Object, Value as JValue};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

/// The longest message a template may produce.
pub const MAX_OUTPUT: usize = 64 * 1024;
/// The longest template source accepted.
pub const MAX_SOURCE: usize = 20_000;
/// Instructions one render may execute (a loop over a thousand items fits many times).
const FUEL: u64 = 200_000;

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

/// Language and time zone of one rendering.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub lang: Lang,
    pub tz: Tz,
}

impl Object for Env {}

/// Which part of a message failed, and why (the missing value, the syntax error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub part: Part,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Subject,
    Body,
}

impl Part {
    /// The input field a preview names.
    pub fn field(self) -> &'static str {
        match self {
            Self::Subject => "input.subject",
            Self::Body => "input.body",
        }
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = match self.part {
            Part::Subject => "subject",
            Part::Body => "body",
        };
        write!(f, "{p}: {}", self.message)
    }
}

/// The process's template engine: house filters and the shipped templates.
#[derive(Debug)]
pub struct Engine {
    env: Environment<'static>,
}

static ENGINE: LazyLock<Arc<Engine>> = LazyLock::new(|| Arc::new(Engine::build()));

/// The shared engine (built on first use).
pub fn engine() -> Arc<Engine> {
    ENGINE.clone()
}

fn shipped_name(key: &str, lang: Lang, part: Part) -> String {
    format!("{key}/{}/{part:?}", lang.code())
}

impl Engine {
    fn build() -> Self {
        let mut env = Environment::new();
        // Debug info would put the context's values (personal data) into error texts.
        env.set_debug(false);
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_fuel(Some(FUEL));
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_formatter(|out, state, v| {
            let v = if v.is_none() { &JValue::UNDEFINED } else { v };
            minijinja::escape_formatter(out, state, v)
        });
        env.add_filter("money", money_filter);
        env.add_filter("date", |s: &State, v: JValue| time_filter(s, v, false));
        env.add_filter("datetime", |s: &State, v: JValue| time_filter(s, v, true));
        env.add_filter("msisdn", msisdn_filter);
        env.add_filter("label", |s: &State, v: JValue| {
            let word = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            crate::labels::label(&word, render_env(s).lang)
        });
        for t in defaults::all() {
            for lang in [Lang::Ja, Lang::En] {
                let (subject, body) = t.text(lang);
                for (part, src) in [(Part::Subject, subject), (Part::Body, body)] {
                    // A shipped template that does not compile is a build defect; the
                    // `shipped_templates_compile` test catches it before release.
                    if let Err(e) =
                        env.add_template_owned(shipped_name(&t.key, lang, part), src.to_owned())
                    {
                        tracing::error!(key = t.key, error = %e, "shipped template invalid");
                    }
                }
            }
        }
        Self { env }
    }

    /// Renders the shipped template for a topic (or `<topic>#digest`, or the generic `*`).
    pub fn render_shipped(
        &self,
        key: &str,
        ctx: &Value,
        env: Env,
    ) -> Result<(String, String), RenderError> {
        let key = if defaults::find(key).is_some() {
            key
        } else {
            "*"
        };
        let ctx = context(ctx, env);
        let run = |part: Part| {
            let name = shipped_name(key, env.lang, part);
            let t = self.env.get_template(&name).map_err(|e| RenderError {
                part,
                message: e.to_string(),
            })?;
            finish(t.render(&ctx), t.source(), part)
        };
        Ok((run(Part::Subject)?.trim().to_owned(), run(Part::Body)?))
    }

    /// Renders a tenant's own (subject, body).
    pub fn render_source(
        &self,
        subject: &str,
        body: &str,
        ctx: &Value,
        env: Env,
    ) -> Result<(String, String), RenderError> {
        let ctx = context(ctx, env);
        Ok((
            self.render_part(Part::Subject, subject, &ctx)?
                .trim()
                .to_owned(),
            self.render_part(Part::Body, body, &ctx)?,
        ))
    }

    /// Renders both parts of a tenant's template, reporting every part that fails.
    pub fn check_source(
        &self,
        subject: &str,
        body: &str,
        ctx: &Value,
        env: Env,
    ) -> Result<(String, String), Vec<RenderError>> {
        let ctx = context(ctx, env);
        let s = self.render_part(Part::Subject, subject, &ctx);
        let b = self.render_part(Part::Body, body, &ctx);
        match (s, b) {
            (Ok(s), Ok(b)) => Ok((s.trim().to_owned(), b)),
            (s, b) => Err([s.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    fn render_part(&self, part: Part, src: &str, ctx: &JValue) -> Result<String, RenderError> {
        if src.len() > MAX_SOURCE {
            return Err(RenderError {
                part,
                message: format!("longer than {MAX_SOURCE} bytes"),
            });
        }
        let t = self.env.template_from_str(src).map_err(|e| RenderError {
            part,
            message: describe(&e, src),
        })?;
        finish(t.render(ctx), src, part)
    }
}

fn context(ctx: &Value, env: Env) -> JValue {
    minijinja::context! { _env => JValue::from_object(env), ..JValue::from_serialize(ctx) }
}

fn finish(r: Result<String, Error>, src: &str, part: Part) -> Result<String, RenderError> {
    let out = r.map_err(|e| RenderError {
        part,
        message: describe(&e, src),
    })?;
    if out.len() > MAX_OUTPUT {
        return Err(RenderError {
            part,
            message: format!("output exceeds {MAX_OUTPUT} bytes"),
        });
    }
    Ok(out)
}

/// A client-safe description: for a missing value, the full dotted name the template used
/// (minijinja reports only where); the line; never the context's values.
fn describe(e: &Error, src: &str) -> String {
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    match e.kind() {
        ErrorKind::UndefinedError => {
            let name = e
                .range()
                .and_then(|r| expression_at(src, r))
                .unwrap_or_else(|| "a value".into());
            format!("no value for `{name}`{line}")
        }
        ErrorKind::OutOfFuel => format!("template does too much work{line}"),
        _ => {
            let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
            format!("{}{detail}{line}", kind_text(e.kind()))
        }
    }
}

fn kind_text(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::SyntaxError => "syntax error",
        ErrorKind::UnknownFilter => "unknown filter",
        ErrorKind::UnknownFunction => "unknown function",
        ErrorKind::UnknownTest => "unknown test",
        ErrorKind::UnknownMethod => "unknown method",
        ErrorKind::TooManyArguments => "too many arguments",
        ErrorKind::MissingArgument => "missing argument",
        ErrorKind::InvalidOperation => "invalid operation",
        _ => "template error",
    }
}

/// The dotted expression around a failing lookup: minijinja's span of `data.after.msisdn`
/// covers `.after.msisdn`; the name before it is read back from the source.
fn expression_at(src: &str, r: std::ops::Range<usize>) -> Option<String> {
    let span = src.get(r.clone())?;
    let head: String = src
        .get(..r.start)?
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let full = format!("{head}{}", span.trim());
    let ok = !full.is_empty()
        && full
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    ok.then_some(full)
}

fn render_env(state: &State) -> Env {
    state
        .lookup("_env")
        .and_then(|v| v.downcast_object_ref::<Env>().copied())
        .unwrap_or(Env {
            lang: Lang::En,
            tz: chrono_tz::UTC,
        })
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn money_filter(state: &State, v: JValue) -> Result<String, Error> {
    let minor = v
        .get_attr("minor")?
        .as_i64()
        .ok_or_else(|| invalid("money expects {minor, currency}"))?;
    let cur = v.get_attr("currency")?;
    let cur = cur
        .as_str()
        .ok_or_else(|| invalid("money expects {minor, currency}"))?;
    Ok(money(minor, cur, render_env(state).lang))
}

fn time_filter(state: &State, v: JValue, with_time: bool) -> Result<String, Error> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid("expected an RFC 3339 timestamp"))?;
    let t: DateTime<Utc> = s
        .parse()
        .map_err(|_| invalid(format!("`{s}` is not an RFC 3339 timestamp")))?;
    let env = render_env(state);
    let local = t.with_timezone(&env.tz);
    Ok(match (with_time, env.lang) {
        (false, Lang::Ja) => local.format("%Y年%-m月%-d日").to_string(),
        (false, Lang::En) => local.format("%-d %b %Y").to_string(),
        (true, Lang::Ja) => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
        (true, Lang::En) => local.format("%-d %b %Y %H:%M %Z").to_string(),
    })
}

fn msisdn_filter(state: &State, v: JValue) -> Result<String, Error> {
    let s = v.as_str().ok_or_else(|| invalid("expected an MSISDN"))?;
    Ok(msisdn(s, render_env(state).lang))
}

/// `+819012345678` → `090-1234-5678` (ja) / `+81 90-1234-5678` (en); other numbers as given.
pub fn msisdn(e164: &str, lang: Lang) -> String {
    let Some(national) = e164.strip_prefix("+81") else {
        return e164.to_owned();
    };
    if national.len() != 10 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return e164.to_owned();
    }
    let (a, b, c) = (&national[..2], &national[2..6], &national[6..]);
    match lang {
        Lang::Ja => format!("0{a}-{b}-{c}"),
        Lang::En => format!("+81 {a}-{b}-{c}"),
    }
}

/// 5280 JPY → `5,280円` (ja) / `¥5,280` (en); currencies with cents get two decimals.
pub fn money(minor: i64, cur: &str, lang: Lang) -> String {
    let digits = match cur {
        "JPY" | "KRW" | "VND" => 0,
        _ => 2,
    };
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(digits);
    let mut whole = group(abs / scale);
    if digits > 0 {
        whole = format!("{whole}.{:0width$}", abs % scale, width = digits as usize);
    }
    match (cur, lang) {
        ("JPY", Lang::Ja) => format!("{sign}{whole}円"),
        ("JPY", Lang::En) => format!("{sign}¥{whole}"),
        ("USD", _) => format!("{sign}${whole}"),
        ("EUR", _) => format!("{sign}€{whole}"),
        _ => format!("{sign}{cur} {whole}"),
    }
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
mod tests;
