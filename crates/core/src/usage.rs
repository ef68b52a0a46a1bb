//! Usage records as the carrier sends them: data sessions, voice calls and SMS, the fields
//! each kind needs, and the one check that turns a submitted record (from NDJSON, CSV or
//! GraphQL, all as text fields) into a typed [`UsageRecord`] or a [`Rejection`] naming the
//! field and why. Routing a record to a line and rating it happen elsewhere; this is pure.

use crate::identifiers::Msisdn;
use chrono::{DateTime, Duration, Utc};
use std::borrow::Cow;

/// How far ahead of the receiver's clock a record's time may be (clock skew at the carrier).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// The largest byte count one data record may carry (1 TB up or down).
pub const MAX_BYTES: i64 = 1_000_000_000_000;
/// The longest voice call one record may carry (a day; carriers cut longer calls into parts).
pub const MAX_SECONDS: i32 = 86_400;
/// How old a record may be when it arrives (older ones are refused as malformed: no carrier
/// sends usage more than a year late, and each month of records is a partition).
pub const MAX_AGE: Duration = Duration::days(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageKind {
    Data,
    Voice,
    Sms,
}

impl UsageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Voice => "voice",
            Self::Sms => "sms",
        }
    }
}

/// Where a call or message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    Domestic,
    International,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domestic => "domestic",
            Self::International => "international",
        }
    }
}

/// The fields of a submitted record. Each format names them its own way: NDJSON and
/// GraphQL in camelCase, CSV headers in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    RecordId,
    Type,
    Msisdn,
    Time,
    BytesUp,
    BytesDown,
    Apn,
    Seconds,
    Destination,
    RoamingZone,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::RecordId,
        Field::Type,
        Field::Msisdn,
        Field::Time,
        Field::BytesUp,
        Field::BytesDown,
        Field::Apn,
        Field::Seconds,
        Field::Destination,
        Field::RoamingZone,
    ];

    /// The name in NDJSON and GraphQL.
    pub fn json_name(self) -> &'static str {
        match self {
            Self::RecordId => "recordId",
            Self::Type => "type",
            Self::Msisdn => "msisdn",
            Self::Time => "time",
            Self::BytesUp => "bytesUp",
            Self::BytesDown => "bytesDown",
            Self::Apn => "apn",
            Self::Seconds => "seconds",
            Self::Destination => "destination",
            Self::RoamingZone => "roamingZone",
        }
    }

    /// The column name in CSV.
    pub fn csv_name(self) -> &'static str {
        match self {
            Self::RecordId => "record_id",
            Self::Type => "type",
            Self::Msisdn => "msisdn",
            Self::Time => "time",
            Self::BytesUp => "bytes_up",
            Self::BytesDown => "bytes_down",
            Self::Apn => "apn",
            Self::Seconds => "seconds",
            Self::Destination => "destination",
            Self::RoamingZone => "roaming_zone",
        }
    }

    pub fn from_json_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.json_name() == s)
    }

    pub fn from_csv_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.csv_name() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A record as submitted: each field as text, `None` when absent or empty.
#[derive(Debug, Clone, Default)]
pub struct Submitted<'a> {
    fields: [Option<Cow<'a, str>>; 10],
}

impl<'a> Submitted<'a> {
    /// Sets a field; an empty or all-blank value counts as absent.
    pub fn set(&mut self, f: Field, value: impl Into<Cow<'a, str>>) {
        let v = value.into();
        self.fields[f.index()] = if v.trim().is_empty() { None } else { Some(v) };
    }

    pub fn get(&self, f: Field) -> Option<&str> {
        self.fields[f.index()].as_deref()
    }

    /// The record id, if one was given and is a valid one (kept with a rejection so a
    /// re-send finds it; an invalid id stays in the rejection's fields only).
    pub fn record_id(&self) -> Option<&str> {
        self.get(Field::RecordId)
            .map(str::trim)
            .filter(|id| valid_record_id(id))
    }
}

/// Why a record cannot be accepted. `code` is stable (API filters and reports use it);
/// `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: RejectCode,
    pub field: Option<Field>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectCode {
    /// A field is missing, of the wrong form or out of range.
    Malformed,
    /// No line of the tenant has ever had this MSISDN.
    UnknownMsisdn,
    /// The MSISDN belongs to a line whose contract was not in service at the record's time.
    LineNotActive,
    /// The record's month (in the tenant's time zone) is closed: billed.
    PeriodClosed,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownMsisdn => "unknown_msisdn",
            Self::LineNotActive => "line_not_active",
            Self::PeriodClosed => "period_closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "malformed" => Some(Self::Malformed),
            "unknown_msisdn" => Some(Self::UnknownMsisdn),
            "line_not_active" => Some(Self::LineNotActive),
            "period_closed" => Some(Self::PeriodClosed),
            _ => None,
        }
    }
}

impl Rejection {
    pub fn malformed(field: Field, reason: impl Into<String>) -> Self {
        Self {
            code: RejectCode::Malformed,
            field: Some(field),
            reason: reason.into(),
        }
    }

    /// A record that could not even be read (bad JSON, a CSV row of the wrong width).
    pub fn unreadable(reason: impl Into<String>) -> Self {
        Self {
            code: RejectCode::Malformed,
            field: None,
            reason: reason.into(),
        }
    }
}

/// A record that passed the check: typed, with the MSISDN in E.164 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub record_id: String,
    pub kind: UsageKind,
    pub msisdn: Msisdn,
    pub occurred_at: DateTime<Utc>,
    /// Data only (0 for calls and messages).
    pub bytes_up: i64,
    pub bytes_down: i64,
    pub apn: Option<String>,
    /// Voice only (0 otherwise).
    pub seconds: i32,
    /// Voice and SMS only.
    pub destination: Option<Destination>,
    /// The roaming zone the record was made in; `None` on the home network.
    pub roaming_zone: Option<String>,
}

/// At most 128 characters, none of them control characters.
pub fn valid_record_id(id: &str) -> bool {
    !id.is_empty() && id.chars().count() <= 128 && !id.chars().any(char::is_control)
}

fn required<'s>(s: &'s Submitted<'_>, f: Field) -> Result<&'s str, Rejection> {
    s.get(f)
        .map(str::trim)
        .ok_or_else(|| Rejection::malformed(f, "is required"))
}

fn not_for(s: &Submitted<'_>, f: Field, kind: UsageKind) -> Result<(), Rejection> {
    match s.get(f) {
        Some(_) => Err(Rejection::malformed(
            f,
            format!("is not a field of a {} record", kind.as_str()),
        )),
        None => Ok(()),
    }
}

fn whole<T: TryFrom<i64>>(s: &Submitted<'_>, f: Field, max: i64) -> Result<T, Rejection> {
    let v = required(s, f)?;
    let n: i64 = v.parse().map_err(|_| {
        Rejection::malformed(f, format!("must be a whole number, found {:?}", clip(v)))
    })?;
    if !(0..=max).contains(&n) {
        return Err(Rejection::malformed(
            f,
            format!("must be between 0 and {max}, found {n}"),
        ));
    }
    T::try_from(n).map_err(|_| Rejection::malformed(f, "is out of range"))
}

fn clip(v: &str) -> String {
    v.chars().take(40).collect()
}

fn code_like(v: &str, max: usize) -> bool {
    !v.is_empty()
        && v.len() <= max
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Checks a submitted record against the rules of its kind. `country_code` reads national
/// MSISDNs; `now` bounds the record's time (at most [`MAX_CLOCK_SKEW`] ahead).
pub fn check(
    s: &Submitted<'_>,
    country_code: &str,
    now: DateTime<Utc>,
) -> Result<UsageRecord, Rejection> {
    for f in Field::ALL {
        if s.get(f).is_some_and(|v| v.chars().any(char::is_control)) {
            return Err(Rejection::malformed(
                f,
                "must not contain control characters",
            ));
        }
    }
    let record_id = required(s, Field::RecordId)?;
    if !valid_record_id(record_id) {
        return Err(Rejection::malformed(
            Field::RecordId,
            "must be at most 128 characters without control characters",
        ));
    }
    let kind = match required(s, Field::Type)? {
        "data" => UsageKind::Data,
        "voice" => UsageKind::Voice,
        "sms" => UsageKind::Sms,
        other => {
            return Err(Rejection::malformed(
                Field::Type,
                format!("must be data, voice or sms, found {:?}", clip(other)),
            ));
        }
    };
    let msisdn = Msisdn::parse("msisdn", required(s, Field::Msisdn)?, country_code)
        .map_err(|e| Rejection::malformed(Field::Msisdn, first_reason(&e)))?;
    let time = required(s, Field::Time)?;
    let occurred_at = DateTime::parse_from_rfc3339(time)
        .map_err(|_| {
            Rejection::malformed(
                Field::Time,
                format!(
                    "must be an RFC 3339 time with its offset (2026-11-01T09:30:00+09:00), found {:?}",
                    clip(time)
                ),
            )
        })?
        .with_timezone(&Utc);
    if occurred_at > now + MAX_CLOCK_SKEW {
        return Err(Rejection::malformed(Field::Time, "is in the future"));
    }
    if occurred_at < now - MAX_AGE {
        return Err(Rejection::malformed(
            Field::Time,
            format!("is more than {} days old", MAX_AGE.num_days()),
        ));
    }
    let roaming_zone = match s.get(Field::RoamingZone).map(str::trim) {
        None => None,
        Some(z) if code_like(z, 20) => Some(z.to_owned()),
        Some(_) => {
            return Err(Rejection::malformed(
                Field::RoamingZone,
                "must be a zone code of at most 20 letters, digits, '-', '_', '.' or ':'",
            ));
        }
    };
    let mut r = UsageRecord {
        record_id: record_id.to_owned(),
        kind,
        msisdn,
        occurred_at,
        bytes_up: 0,
        bytes_down: 0,
        apn: None,
        seconds: 0,
        destination: None,
        roaming_zone,
    };
    match kind {
        UsageKind::Data => {
            r.bytes_up = whole(s, Field::BytesUp, MAX_BYTES)?;
            r.bytes_down = whole(s, Field::BytesDown, MAX_BYTES)?;
            r.apn = match s.get(Field::Apn).map(str::trim) {
                None => None,
                Some(a) if a.len() <= 100 && a.bytes().all(|b| b.is_ascii_graphic()) => {
                    Some(a.to_owned())
                }
                Some(_) => {
                    return Err(Rejection::malformed(
                        Field::Apn,
                        "must be at most 100 printable ASCII characters",
                    ));
                }
            };
            not_for(s, Field::Seconds, kind)?;
            not_for(s, Field::Destination, kind)?;
        }
        UsageKind::Voice | UsageKind::Sms => {
            if kind == UsageKind::Voice {
                r.seconds = whole(s, Field::Seconds, i64::from(MAX_SECONDS))?;
            } else {
                not_for(s, Field::Seconds, kind)?;
            }
            r.destination = Some(match required(s, Field::Destination)? {
                "domestic" => Destination::Domestic,
                "international" => Destination::International,
                other => {
                    return Err(Rejection::malformed(
                        Field::Destination,
                        format!("must be domestic or international, found {:?}", clip(other)),
                    ));
                }
            });
            not_for(s, Field::BytesUp, kind)?;
            not_for(s, Field::BytesDown, kind)?;
            not_for(s, Field::Apn, kind)?;
        }
    }
    Ok(r)
}

fn first_reason(e: &crate::Error) -> String {
    match e {
        crate::Error::Validation(fs) => fs
            .first()
            .map_or_else(|| "is not a valid MSISDN".into(), |f| f.reason.clone()),
        other => other.public_message(),
    }
}

#[cfg(test)]
mod tests;
