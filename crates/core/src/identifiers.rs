//! Telecom identifiers, parsed at the edge into newtypes. A bad identifier is a VALIDATION
//! error naming the field and the reason; past the edge, an `Iccid` is always valid.
//!
//! - MSISDN: E.164, up to 15 digits, stored without '+'; national input (leading 0) takes
//!   the tenant's country calling code.
//! - ICCID: 19–20 digits starting 89, Luhn check digit.
//! - IMSI: 15 digits, MCC (3) + MNC (2–3) + MSIN.
//! - IMEI: 15 digits with Luhn check digit; IMEISV: 16 digits, no check digit.

use crate::disclosure::{Disclosure, IdKind};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The Luhn check over all digits (the last one is the check digit).
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The digit that makes `body` + digit pass Luhn.
pub fn luhn_check_digit(body: &str) -> char {
    (b'0'..=b'9')
        .map(char::from)
        .find(|c| luhn_valid(&format!("{body}{c}")))
        .unwrap_or('0')
}

/// Removes the separators people type: spaces, hyphens, dots, parentheses.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{3000}'))
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::invalid(field, reason)
}

/// An MSISDN in E.164 without the '+'.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msisdn(String);

impl Msisdn {
    /// Parses `+81 90-1234-5678`, `819012345678`, `00819012345678` or national
    /// `090-1234-5678` (with `country_code` "81").
    pub fn parse(field: &str, input: &str, country_code: &str) -> Result<Self> {
        let s = compact(input.trim());
        let digits = if let Some(rest) = s.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = s.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(national) = s.strip_prefix('0') {
            format!("{country_code}{national}")
        } else {
            s.clone()
        };
        if !all_digits(&digits) {
            return Err(invalid(
                field,
                "must contain only digits, spaces, hyphens and an optional leading +",
            ));
        }
        if digits.starts_with('0') {
            return Err(invalid(
                field,
                "the country calling code cannot start with 0",
            ));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(invalid(
                field,
                format!(
                    "must have 8-15 digits in E.164 form, found {}",
                    digits.len()
                ),
            ));
        }
        Ok(Self(digits))
    }

    /// Digits without '+', as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Search input normalised the same way (for partial matches), or `None` if it holds
    /// no digits at all.
    pub fn search_digits(input: &str) -> Option<String> {
        let s = compact(input.trim());
        let s = s.strip_prefix('+').unwrap_or(&s);
        all_digits(s).then(|| s.to_owned())
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msisdn(+{})", self.0)
    }
}

macro_rules! digit_id {
    ($name:ident) => {
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Trusts a value read back from the database (it was parsed on the way in).
            pub fn from_db(s: String) -> Self {
                Self(s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

digit_id!(Iccid);
digit_id!(Imsi);
digit_id!(Imei);

impl Iccid {
    pub fn parse(field: &str, input: &str) -> Result<Self> {
        let s = compact(input.trim());
        if !all_digits(&s) {
            return Err(invalid(field, "an ICCID has only digits"));
        }
        if !(19..=20).contains(&s.len()) {
            return Err(invalid(
                field,
                format!("an ICCID has 19 or 20 digits, found {}", s.len()),
            ));
        }
        if !s.starts_with("89") {
            return Err(invalid(
                field,
                "an ICCID starts with 89 (the telecom industry identifier)",
            ));
        }
        if !luhn_valid(&s) {
            return Err(invalid(
                field,
                "the ICCID's check digit is wrong (Luhn); check for a mistyped digit",
            ));
        }
        Ok(Self(s))
    }

    /// For roles that may not see full identifiers (`tsunagi_core::disclosure`): `894410*********1234`.
    pub fn masked(&self) -> String {
        Disclosure::MASKED.id(IdKind::Iccid, &self.0)
    }
}

impl Imsi {
    pub fn parse(field: &str, input: &str) -> Result<Self> {
        let s = compact(input.trim());
        if !all_digits(&s) || s.len() != 15 {
            return Err(invalid(
                field,
                "an IMSI has exactly 15 digits (MCC + MNC + MSIN)",
            ));
        }
        if !matches!(s.as_bytes()[0], b'2'..=b'7') {
            return Err(invalid(
                field,
                "the IMSI's mobile country code (first 3 digits) is not a valid MCC",
            ));
        }
        Ok(Self(s))
    }

    pub fn mcc(&self) -> &str {
        &self.0[..3]
    }

    pub fn masked(&self) -> String {
        Disclosure::MASKED.id(IdKind::Imsi, &self.0)
    }
}

impl Imei {
    /// 15 digits with a Luhn check digit, or a 16-digit IMEISV (no check digit).
    pub fn parse(field: &str, input: &str) -> Result<Self> {
        let s = compact(input.trim());
        if !all_digits(&s) {
            return Err(invalid(field, "an IMEI has only digits"));
        }
        match s.len() {
            15 if luhn_valid(&s) => Ok(Self(s)),
            15 => Err(invalid(
                field,
                "the IMEI's check digit is wrong (Luhn); check for a mistyped digit",
            )),
            16 => Ok(Self(s)),
            n => Err(invalid(
                field,
                format!("an IMEI has 15 digits (or 16 for IMEISV), found {n}"),
            )),
        }
    }

    pub fn masked(&self) -> String {
        Disclosure::MASKED.id(IdKind::Imei, &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn msisdn_forms() {
        for input in [
            "+81 90-1234-5678",
            "819012345678",
            "00819012345678",
            "090-1234-5678",
            "(090) 1234 5678",
        ] {
            assert_eq!(
                Msisdn::parse("msisdn", input, "81").expect(input).as_str(),
                "819012345678",
                "{input}"
            );
        }
        assert_eq!(
            Msisdn::parse("m", "+819012345678", "1")
                .expect("ok")
                .to_string(),
            "+819012345678"
        );
        let e = Msisdn::parse("input.msisdn", "090-1234-567x", "81").expect_err("letters");
        assert_eq!(e.code(), "VALIDATION");
        assert!(e.public_message().contains("input.msisdn"));
        assert!(Msisdn::parse("m", "+81 90", "81").is_err(), "too short");
        assert!(
            Msisdn::parse("m", "+1234567890123456", "81").is_err(),
            "too long"
        );
        assert_eq!(Msisdn::search_digits("+81 90-12"), Some("819012".into()));
        assert_eq!(Msisdn::search_digits("tanaka"), None);
    }

    #[test]
    fn iccid_rules() {
        let body = "898100000000000001";
        let good = format!("{body}{}", luhn_check_digit(body));
        assert_eq!(good.len(), 19);
        assert!(Iccid::parse("iccid", &good).is_ok());
        assert!(
            Iccid::parse("iccid", "8981000000000000012").is_err()
                || luhn_valid("8981000000000000012")
        );
        let e = Iccid::parse("input.iccid", "1981000000000000010").expect_err("prefix");
        assert!(e.public_message().contains("starts with 89"));
        let e = Iccid::parse("input.iccid", "89810").expect_err("length");
        assert!(e.public_message().contains("19 or 20 digits"));
        let iccid = Iccid::parse("i", &good).expect("ok");
        assert_eq!(iccid.masked(), format!("898100*********{}", &good[15..]));
    }

    #[test]
    fn imsi_and_imei() {
        assert_eq!(
            Imsi::parse("imsi", "440101234567890").expect("ok").mcc(),
            "440"
        );
        assert!(Imsi::parse("imsi", "44010123456789").is_err());
        assert!(Imsi::parse("imsi", "040101234567890").is_err());
        let body = "35693803564380";
        let imei = format!("{body}{}", luhn_check_digit(body));
        assert!(Imei::parse("imei", &imei).is_ok());
        assert!(Imei::parse("imei", "3569380356438012").is_ok(), "IMEISV");
        let wrong = format!("{body}{}", (luhn_check_digit(body) as u8 - b'0' + 1) % 10);
        assert!(Imei::parse("imei", &wrong).is_err());
        assert_eq!(
            Imei::parse("imei", &imei).expect("ok").masked(),
            format!("***********{}", &imei[11..])
        );
    }

    proptest! {
        #[test]
        fn luhn_catches_every_single_digit_error(body in "89[0-9]{16,17}", pos in 0usize..19, delta in 1u8..10) {
            let good = format!("{body}{}", luhn_check_digit(&body));
            prop_assert!(Iccid::parse("iccid", &good).is_ok());
            let mut bytes = good.clone().into_bytes();
            let p = pos % bytes.len();
            bytes[p] = b'0' + (bytes[p] - b'0' + delta) % 10;
            let bad = String::from_utf8(bytes).expect("ascii");
            prop_assert!(!luhn_valid(&bad));
        }

        #[test]
        fn msisdn_parse_is_idempotent(cc in "[1-9][0-9]{0,2}", national in "[1-9][0-9]{6,10}") {
            if let Ok(m) = Msisdn::parse("m", &format!("0{national}"), &cc) {
                let again = Msisdn::parse("m", &m.to_string(), "99").expect("E.164 round-trips");
                prop_assert_eq!(again, m);
            }
        }
    }
}
