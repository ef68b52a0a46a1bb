//! Usage records, their rejections and the batches they came in.

use super::ledger::id;
use async_graphql::{Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tsunagi_app::usage as repo;
use tsunagi_app::usage::ingest::{RejectionBrief, Summary};
use tsunagi_core::usage::RejectCode;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UsageKind {
    Data,
    Voice,
    Sms,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UsageRejectionCode {
    /// A field is missing, of the wrong form or out of range (`field` names it), or the
    /// record could not be read at all.
    Malformed,
    /// No line of the tenant has ever had the MSISDN.
    UnknownMsisdn,
    /// The MSISDN's line had no contract in service at the record's time.
    LineNotActive,
    /// The record's month is closed (billed): discard it, or bill it by hand.
    PeriodClosed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UsageRejectionStatus {
    Open,
    Reprocessed,
    Discarded,
}

impl UsageRejectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Reprocessed => "reprocessed",
            Self::Discarded => "discarded",
        }
    }
}

impl UsageRejectionCode {
    /// The stored code (the codes are defined once, in `tsunagi_core::usage::RejectCode`).
    pub fn as_str(self) -> &'static str {
        RejectCode::from(self).as_str()
    }

    fn of(s: &str) -> Self {
        match RejectCode::parse(s) {
            Some(RejectCode::UnknownMsisdn) => Self::UnknownMsisdn,
            Some(RejectCode::LineNotActive) => Self::LineNotActive,
            Some(RejectCode::PeriodClosed) => Self::PeriodClosed,
            Some(RejectCode::Malformed) | None => Self::Malformed,
        }
    }
}

impl From<UsageRejectionCode> for RejectCode {
    fn from(c: UsageRejectionCode) -> Self {
        match c {
            UsageRejectionCode::Malformed => Self::Malformed,
            UsageRejectionCode::UnknownMsisdn => Self::UnknownMsisdn,
            UsageRejectionCode::LineNotActive => Self::LineNotActive,
            UsageRejectionCode::PeriodClosed => Self::PeriodClosed,
        }
    }
}

pub struct UsageRecord(pub repo::Record);

#[Object]
impl UsageRecord {
    /// Where the record came from; `recordId` is unique within it (per month).
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn record_id(&self) -> &str {
        &self.0.record_id
    }
    async fn kind(&self) -> UsageKind {
        match self.0.kind.as_str() {
            "voice" => UsageKind::Voice,
            "sms" => UsageKind::Sms,
            _ => UsageKind::Data,
        }
    }
    /// E.164 with '+'.
    async fn msisdn(&self) -> String {
        format!("+{}", self.0.msisdn)
    }
    async fn line_id(&self) -> ID {
        id(self.0.line_id)
    }
    async fn contract_id(&self) -> ID {
        id(self.0.contract_id)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn bytes_up(&self) -> i64 {
        self.0.bytes_up
    }
    async fn bytes_down(&self) -> i64 {
        self.0.bytes_down
    }
    async fn apn(&self) -> Option<&str> {
        self.0.apn.as_deref()
    }
    async fn seconds(&self) -> i32 {
        self.0.seconds
    }
    /// `domestic` or `international` (calls and messages).
    async fn destination(&self) -> Option<&str> {
        self.0.destination.as_deref()
    }
    /// Null on the home network.
    async fn roaming_zone(&self) -> Option<&str> {
        self.0.roaming_zone.as_deref()
    }
    async fn batch_id(&self) -> ID {
        id(self.0.batch_id)
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
}

pub struct UsageRejection(pub repo::Rejection);

#[Object]
impl UsageRejection {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn tenant_id(&self) -> ID {
        id(self.0.tenant_id)
    }
    /// The submission it was last sent in.
    async fn batch_id(&self) -> ID {
        id(self.0.batch_id)
    }
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// Where it was in that submission: NDJSON line, CSV data row, list index (from 1).
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn record_id(&self) -> Option<&str> {
        self.0.record_id.as_deref()
    }
    /// The record as submitted, each field as text, named as in NDJSON.
    async fn fields(&self) -> Json<serde_json::Value> {
        Json(self.0.fields.clone())
    }
    /// The raw text of a record that could not be read.
    async fn raw(&self) -> Option<&str> {
        self.0.raw.as_deref()
    }
    async fn code(&self) -> UsageRejectionCode {
        UsageRejectionCode::of(&self.0.code)
    }
    /// The field at fault (NDJSON name), when one is.
    async fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn status(&self) -> UsageRejectionStatus {
        match self.0.status.as_str() {
            "reprocessed" => UsageRejectionStatus::Reprocessed,
            "discarded" => UsageRejectionStatus::Discarded,
            _ => UsageRejectionStatus::Open,
        }
    }
    /// How many times the record was sent or re-processed and refused.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// How it was closed (the discard reason, or what re-processing did).
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    async fn resolved_by(&self) -> Option<&str> {
        self.0.resolved_by.as_deref()
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One rejection of a submission, in brief.
#[derive(SimpleObject)]
pub struct UsageRejectionBrief {
    pub id: ID,
    pub position: i64,
    pub record_id: Option<String>,
    pub code: UsageRejectionCode,
    pub field: Option<String>,
    pub reason: String,
}

/// What a submission did.
#[derive(SimpleObject)]
pub struct UsageSubmission {
    pub batch_id: ID,
    pub received: i64,
    pub accepted: i64,
    /// Records already taken (sent before, or twice in this submission).
    pub duplicates: i64,
    pub rejected: i64,
    /// The first rejections, in submission order (all of them: `usageRejections(batchId:)`).
    pub rejections: Vec<UsageRejectionBrief>,
}

impl From<Summary> for UsageSubmission {
    fn from(s: Summary) -> Self {
        Self {
            batch_id: id(s.batch_id),
            received: s.received,
            accepted: s.accepted,
            duplicates: s.duplicates,
            rejected: s.rejected,
            rejections: s.rejections.into_iter().map(brief).collect(),
        }
    }
}

fn brief(r: RejectionBrief) -> UsageRejectionBrief {
    UsageRejectionBrief {
        id: id(r.id),
        position: r.position,
        record_id: r.record_id,
        code: UsageRejectionCode::of(&r.code),
        field: r.field,
        reason: r.reason,
    }
}

/// A submission: where from, how, by whom, and its counts.
#[derive(SimpleObject)]
pub struct UsageBatch {
    pub id: ID,
    pub source: String,
    /// ndjson, csv, graphql, feed or reprocess.
    pub format: String,
    pub submitted_by: String,
    /// receiving, completed or failed.
    pub status: String,
    pub received: i64,
    pub accepted: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<repo::Batch> for UsageBatch {
    fn from(b: repo::Batch) -> Self {
        Self {
            id: id(b.id),
            source: b.source,
            format: b.format,
            submitted_by: b.submitted_by,
            status: b.status,
            received: b.received,
            accepted: b.accepted,
            duplicates: b.duplicates,
            rejected: b.rejected,
            failure: b.failure,
            created_at: b.created_at,
            finished_at: b.finished_at,
        }
    }
}

/// One meter of a line's allowance in the current bill period.
#[derive(SimpleObject)]
pub struct MeterAllowance {
    /// `data` (bytes), `voice` (billed seconds), `sms` (messages), `voice_international`,
    /// `sms_international`, `roaming_data:<zone>`, `roaming_voice:<zone>`, `roaming_sms:<zone>`.
    pub meter: String,
    /// Included in the period; for data with carried-over and added data.
    pub included: i64,
    /// Used by the pool (every line of the contract when the allowance is shared).
    pub used: i64,
    /// Left of the allowance (never below zero).
    pub remaining: i64,
    /// What this line used of the meter in the period.
    pub line_units: i64,
    /// What this line was charged beyond the allowance, in minor units of `currency`.
    pub line_charge: i64,
}

/// A line's allowance in the current bill period, as rated so far.
#[derive(SimpleObject)]
pub struct LineAllowance {
    pub line_id: ID,
    /// The first day of the bill period.
    pub period: chrono::NaiveDate,
    /// Whether the allowance is shared by the lines of the contract.
    pub shared: bool,
    pub currency: String,
    /// Data carried over from the previous period (used first), bytes.
    pub carried_bytes: i64,
    /// Data added by add-ons this period, bytes.
    pub added_bytes: i64,
    pub meters: Vec<MeterAllowance>,
    /// When a record was last counted (none yet: null).
    pub updated_at: Option<DateTime<Utc>>,
    /// The data limit in force (the allowance was used up and the tenant's `dataAtQuota`
    /// slowed or stopped data); null when data runs at full speed.
    pub limit: Option<DataLimit>,
}

/// A data limit in force on a line's allowance pool.
#[derive(SimpleObject)]
pub struct DataLimit {
    /// `THROTTLE` or `BLOCK`.
    pub action: crate::types::tenant::DataAtQuota,
    /// The speed the carrier was asked for, kbit/s (0: data blocked).
    pub kbps: i32,
    pub since: DateTime<Utc>,
}

impl From<tsunagi_app::usage::allowance::Allowance> for LineAllowance {
    fn from(a: tsunagi_app::usage::allowance::Allowance) -> Self {
        Self {
            line_id: id(a.line_id),
            period: a.period,
            shared: a.shared,
            currency: a.currency,
            carried_bytes: a.carried_bytes,
            added_bytes: a.added_bytes,
            meters: a
                .meters
                .into_iter()
                .map(|m| MeterAllowance {
                    meter: m.meter,
                    included: m.included,
                    used: m.used,
                    remaining: m.remaining,
                    line_units: m.line_units,
                    line_charge: m.line_charge,
                })
                .collect(),
            updated_at: a.updated_at,
            limit: a.limit.map(|l| DataLimit {
                action: if l.action == "block" {
                    crate::types::tenant::DataAtQuota::Block
                } else {
                    crate::types::tenant::DataAtQuota::Throttle
                },
                kbps: l.kbps,
                since: l.since,
            }),
        }
    }
}
