//! What the platform asks of an SM-DP+ (the eSIM profile server), after GSMA SGP.22 §5.3
//! ES2+: `DownloadOrder` reserves a profile, `ConfirmOrder` binds it to a matching ID (the
//! activation code the customer scans) and, with `releaseFlag`, makes it downloadable,
//! `ReleaseProfile` makes a confirmed (or failed) profile downloadable again, and
//! `CancelOrder` gives it back. Each call carries our `functionCallIdentifier`, which the
//! SM-DP+ applies once (a repeat gets the first answer), so a call whose answer was lost is
//! simply made again. The SM-DP+ tells the operator how a download went through
//! `HandleDownloadProgressInfo` ([`DownloadProgress`]). Failures are [`GatewayError`]s: a
//! `Failed` execution status is `Rejected` with the SGP.22 subject and reason codes.

use crate::gateway::GatewayError;
use serde::{Deserialize, Serialize};

/// The `X-Admin-Protocol` header every ES2+ request and answer carries (SGP.22 v2.5).
pub const ADMIN_PROTOCOL: &str = "gsma/rsp/v2.5.0";

/// The ES2+ request and response header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestHeader {
    /// Who calls (the operator's identifier at the SM-DP+).
    pub function_requester_identifier: String,
    /// Our idempotency key for this call.
    pub function_call_identifier: String,
}

/// `Executed-Success`, `Executed-WithWarning`, `Failed` or `Expired`, with the SGP.22
/// status code data when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatus {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code_data: Option<StatusCodeData>,
}

impl ExecutionStatus {
    pub fn success() -> Self {
        Self {
            status: "Executed-Success".into(),
            status_code_data: None,
        }
    }

    pub fn failed(subject: &str, reason: &str, message: &str) -> Self {
        Self {
            status: "Failed".into(),
            status_code_data: Some(StatusCodeData {
                subject_code: subject.into(),
                reason_code: reason.into(),
                message: Some(message.into()),
            }),
        }
    }

    pub fn is_success(&self) -> bool {
        self.status.starts_with("Executed-")
    }

    /// `<subjectCode>/<reasonCode>` of a failure (the code of its `Rejected`), or the bare
    /// status when the SM-DP+ gave no status code data.
    pub fn code(&self) -> String {
        match &self.status_code_data {
            Some(d) => format!("{}/{}", d.subject_code, d.reason_code),
            None => self.status.clone(),
        }
    }
}

/// The header of every ES2+ answer: whether the function was executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseHeader {
    pub function_execution_status: ExecutionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCodeData {
    /// e.g. `8.2.1` (Profile ICCID).
    pub subject_code: String,
    /// e.g. `3.9` (Unknown), `3.8` (Refused), `3.3` (In use).
    pub reason_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What `ConfirmOrder` answers: where and under which matching ID the profile downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    pub matching_id: String,
    pub smdp_address: String,
}

impl Confirmed {
    /// The activation code (SGP.22 §4.1: `LPA:1$<SM-DP+ address>$<matching ID>`), which is
    /// also the QR code's payload.
    pub fn activation_code(&self) -> String {
        format!("LPA:1${}${}", self.smdp_address, self.matching_id)
    }
}

/// How the profile ends when an order is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinalProfileStatus {
    /// Back in the SM-DP+'s stock for another order.
    Available,
    /// Never used again.
    Unavailable,
}

/// SGP.22 notification points the platform acts on.
pub mod point {
    /// Eligibility and retry limit check.
    pub const ELIGIBILITY: u8 = 1;
    /// A confirmation code was wrong too often.
    pub const CONFIRMATION_FAILURE: u8 = 2;
    /// The bound profile package was downloaded to the device.
    pub const BPP_DOWNLOAD: u8 = 3;
    /// The profile was installed on the eUICC.
    pub const BPP_INSTALLATION: u8 = 4;
}

/// `HandleDownloadProgressInfo`: the SM-DP+ tells the operator how a download went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgress {
    pub header: RequestHeader,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    pub iccid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_type: Option<String>,
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub notification_point_id: u8,
    pub notification_point_status: ExecutionStatus,
}

/// An SM-DP+, as the platform talks to it. `call` is our function call identifier (the
/// idempotency key of that one call).
#[async_trait::async_trait]
pub trait Es2Plus: Send + Sync {
    /// Reserves the profile `iccid` (optionally for a known EID); the ICCID reserved.
    async fn download_order(
        &self,
        call: &str,
        iccid: &str,
        eid: Option<&str>,
    ) -> Result<String, GatewayError>;
    /// Confirms the order; with `release`, the profile can be downloaded at once.
    async fn confirm_order(
        &self,
        call: &str,
        iccid: &str,
        release: bool,
    ) -> Result<Confirmed, GatewayError>;
    /// Cancels the order of a profile not yet downloaded.
    async fn cancel_order(
        &self,
        call: &str,
        iccid: &str,
        end: FinalProfileStatus,
    ) -> Result<(), GatewayError>;
    /// Makes a confirmed profile (or one whose download failed) downloadable.
    async fn release_profile(&self, call: &str, iccid: &str) -> Result<(), GatewayError>;
}
