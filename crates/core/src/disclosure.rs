//! The one masking rule: what of a telecom identifier or a secret a principal may see.
//! Identifiers (ICCID, IMSI, IMEI, EID) are shown in full only to principals allowed
//! `identifier:unmask`; secrets (PIN, PUK, eSIM activation codes, credentials) never leave
//! except through their audited reads. Applied to typed fields by name, to JSON by key, and
//! to free text by shape (a digit run that is an ICCID, IMSI or IMEI), so a value stored
//! before a field was known to be sensitive is masked too.

use crate::identifiers::luhn_valid;
use serde_json::Value;
use std::borrow::Cow;

/// Shown instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// Keys (lower case, without `_`, `-`, `.`) whose values are never shown.
const SECRET_KEYS: &[&str] = &[
    "pin",
    "pin1",
    "pin2",
    "puk",
    "puk1",
    "puk2",
    "activationcode",
    "matchingid",
    "ki",
    "opc",
    "password",
    "passwordhash",
    "secret",
    "secrethash",
    "token",
    "privatekey",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Iccid,
    Imsi,
    Imei,
    Eid,
}

impl IdKind {
    /// The kind a field or key name stands for (`iccid`, `newIccid`, `imei_sv`, …).
    pub fn of_name(name: &str) -> Option<Self> {
        let n: String = name
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        if n.ends_with("iccid") {
            Some(Self::Iccid)
        } else if n.ends_with("imsi") {
            Some(Self::Imsi)
        } else if n.ends_with("imei") || n.ends_with("imeisv") {
            Some(Self::Imei)
        } else if n == "eid" || n == "esimeid" {
            Some(Self::Eid)
        } else {
            None
        }
    }

    fn keep(self) -> (usize, usize) {
        match self {
            Self::Iccid => (6, 4),
            Self::Imsi => (5, 2),
            Self::Imei => (0, 4),
            Self::Eid => (6, 4),
        }
    }
}

/// Stars all but `head` leading and `tail` trailing characters (all of a short value).
pub fn mask(s: &str, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    if n <= head + tail {
        return "*".repeat(n);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// A URL as events and messages show it: scheme, host and port as a URL parser reads them
/// (so `\\` and other spellings cannot smuggle a path through); credentials dropped; any
/// path, query or fragment (where chat and webhook services put their tokens) shown as `…`.
pub fn url_shown(raw: &str) -> String {
    let Ok(u) = url::Url::parse(raw.trim()) else {
        return "…".into();
    };
    let Some(host) = u.host_str() else {
        return "…".into();
    };
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let bare = u.path() == "/" && u.query().is_none() && u.fragment().is_none();
    let tail = if bare { "/" } else { "/…" };
    format!("{}://{host}{port}{tail}", u.scheme())
}

fn secret_key(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.contains(&n.as_str())
}

/// What one principal may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disclosure {
    /// `identifier:unmask`.
    pub unmask: bool,
}

impl Disclosure {
    pub const FULL: Self = Self { unmask: true };
    pub const MASKED: Self = Self { unmask: false };

    /// An identifier of a known kind.
    pub fn id(&self, kind: IdKind, raw: &str) -> String {
        if self.unmask {
            return raw.to_owned();
        }
        let (h, t) = kind.keep();
        mask(raw, h, t)
    }

    /// A typed field's value by its name: identifiers masked, text scrubbed. (Typed secret
    /// fields are guarded by their own permission and audited reads; they pass unchanged.)
    pub fn field(&self, name: &str, raw: &str) -> String {
        match IdKind::of_name(name) {
            Some(k) => self.id(k, raw),
            None => self.text(raw).into_owned(),
        }
    }

    /// A JSON member: secrets redacted for everyone, identifiers masked, text scrubbed.
    fn member(&self, key: &str, raw: &str) -> String {
        if secret_key(key) && !raw.is_empty() {
            return REDACTED.to_owned();
        }
        match IdKind::of_name(key) {
            Some(k) => self.id(k, raw),
            None => without_activation_codes(&self.text(raw)),
        }
    }

    /// Free text: for masked principals, every digit run shaped like an ICCID (89…, 19–20
    /// digits, Luhn), an IMEI (15 digits, Luhn) or an IMSI (15 digits, a valid MCC start)
    /// is masked. Runs touching letters or digits (hashes, UUIDs) are left alone.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if self.unmask || s.bytes().filter(u8::is_ascii_digit).nth(14).is_none() {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len());
        let b = s.as_bytes();
        let mut i = 0;
        let mut changed = false;
        while i < b.len() {
            if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let end = (i..b.len())
                    .find(|&j| !b[j].is_ascii_digit())
                    .unwrap_or(b.len());
                let run = &s[i..end];
                let bounded = end == b.len() || !b[end].is_ascii_alphanumeric();
                match shape(run).filter(|_| bounded) {
                    Some(k) => {
                        out.push_str(&self.id(k, run));
                        changed = true;
                    }
                    None => out.push_str(run),
                }
                i = end;
                continue;
            }
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
        if changed {
            Cow::Owned(out)
        } else {
            Cow::Borrowed(s)
        }
    }

    /// A JSON value: keys name identifiers and secrets; other strings are text.
    pub fn json(&self, v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match x {
                        Value::String(s) => *s = self.member(k, s),
                        Value::Number(n) if IdKind::of_name(k).is_some() && !self.unmask => {
                            *x = Value::String(self.member(k, &n.to_string()));
                        }
                        other => self.json(other),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.json(x)),
            Value::String(s) => *s = without_activation_codes(&self.text(s)),
            _ => {}
        }
    }
}

/// Text with eSIM activation codes (`LPA:1$…`) redacted: they never travel in JSON.
fn without_activation_codes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("LPA:1$") {
        out.push_str(&rest[..i]);
        out.push_str(REDACTED);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || c == '"')
            .map_or(rest.len(), |e| i + e);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The identifier a digit run is shaped like, if any.
fn shape(run: &str) -> Option<IdKind> {
    match run.len() {
        19 | 20 if run.starts_with("89") && luhn_valid(run) => Some(IdKind::Iccid),
        15 if luhn_valid(run) => Some(IdKind::Imei),
        15 if matches!(run.as_bytes()[0], b'2'..=b'7') => Some(IdKind::Imsi),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
