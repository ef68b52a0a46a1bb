//! What the platform asks of a carrier, independent of any one carrier's API: commands on a
//! line (each carrying our idempotency key), the line as the carrier sees it, and its
//! inventory in pages. Failures say what the caller may do next: a `Rejected` command is
//! final (a person or a different command must follow), a `Transient` one was not applied
//! and may be retried with the same key, an `Unknown` one may or may not have been applied
//! (a timeout after sending): ask [`CarrierGateway::line`] before anything else.

use serde::{Deserialize, Serialize};

/// A line's state at the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierStatus {
    Active,
    Suspended,
    Terminated,
}

/// A line as the carrier sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CarrierLine {
    /// E.164 with `+`.
    pub msisdn: String,
    pub iccid: String,
    pub status: CarrierStatus,
    /// Data speed limit in kbit/s; None: unthrottled.
    pub speed_limit_kbps: Option<u32>,
    /// The number was ported to another operator (the line is terminated here).
    #[serde(default)]
    pub ported_out: bool,
    /// Increases with every change the carrier applies to the line (callbacks carry it, so
    /// a late message never overrides a newer state).
    pub sequence: u64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A command on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Activate {
        iccid: String,
    },
    /// A new line on a number ported in from another operator (MNP): with the donor's
    /// reservation number (10 digits) and its expiry, or by the one-stop method (the
    /// carrier asks the donor itself; no reservation number).
    PortIn {
        iccid: String,
        #[serde(
            default,
            rename = "reservationNumber",
            skip_serializing_if = "Option::is_none"
        )]
        reservation_number: Option<String>,
        #[serde(
            default,
            rename = "reservationExpiresOn",
            skip_serializing_if = "Option::is_none"
        )]
        reservation_expires_on: Option<chrono::NaiveDate>,
        #[serde(default, rename = "oneStop")]
        one_stop: bool,
    },
    Suspend,
    Resume,
    Terminate,
    SwapSim {
        iccid: String,
    },
    SetSpeedLimit {
        kbps: Option<u32>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Activate { .. } => "activate",
            Self::PortIn { .. } => "port_in",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Terminate => "terminate",
            Self::SwapSim { .. } => "swap_sim",
            Self::SetSpeedLimit { .. } => "set_speed_limit",
        }
    }
}

/// A command for one line, with our idempotency key: the carrier applies a key once, and
/// answers a repeat of it with the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineCommand {
    pub key: String,
    pub msisdn: String,
    #[serde(flatten)]
    pub command: Command,
}

/// What a carrier callback says: how a line is now (after a command of ours, whose key it
/// names, or a change of the carrier's own), or that its number was ported away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackEvent {
    /// The carrier's event id (repeated deliveries carry the same id).
    pub id: String,
    /// `line.updated` or `line.ported_out`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Our idempotency key when a command of ours caused it.
    #[serde(default)]
    pub key: Option<String>,
    pub line: CarrierLine,
}

/// One page of the carrier's inventory, in MSISDN order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryPage {
    pub lines: Vec<CarrierLine>,
    /// Pass as `after` for the next page; None: the last page.
    pub next: Option<String>,
}

/// One page of the carrier's usage feed: records in the fields of docs/usage.md's NDJSON
/// (`recordId`, `type`, `msisdn`, `time`, `bytesUp`, …), kept as JSON objects so a record the
/// platform refuses is refused naming its field, as a file's would be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePage {
    pub records: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The position after this page: pass as `after` for what follows (unchanged when the
    /// page is empty).
    pub next: String,
    /// More records are waiting now.
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// Refused for good: `code` is the carrier's (`invalid_state`, `not_found`,
    /// `already_exists`, `idempotency_conflict`, `bad_request`, `unauthorized`).
    Rejected { code: String, message: String },
    /// Not applied (refused connection, 5xx, 429): retry with the same key.
    Transient(String),
    /// Sent, but no answer (timeout, connection lost): may have been applied.
    Unknown(String),
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rejected { code, message } => {
                write!(f, "the carrier refused ({code}): {message}")
            }
            Self::Transient(m) => write!(f, "the carrier is unavailable, not applied: {m}"),
            Self::Unknown(m) => write!(f, "no answer from the carrier, outcome unknown: {m}"),
        }
    }
}

impl std::error::Error for GatewayError {}

/// A carrier, as the platform talks to it.
#[async_trait::async_trait]
pub trait CarrierGateway: Send + Sync {
    /// Applies a command once per key; the line after it.
    async fn submit(&self, cmd: &LineCommand) -> Result<CarrierLine, GatewayError>;
    /// The line as the carrier has it now (None: the carrier has no such line).
    async fn line(&self, msisdn: &str) -> Result<Option<CarrierLine>, GatewayError>;
    /// A page of the inventory after `after` (an MSISDN), at most `limit` lines.
    async fn inventory(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<InventoryPage, GatewayError>;
    /// The usage records after position `after` (None: from the start), at most `limit`.
    async fn usage(&self, after: Option<&str>, limit: u32) -> Result<UsagePage, GatewayError>;
}
