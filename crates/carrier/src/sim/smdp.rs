//! The simulated SM-DP+'s books: its eSIM profiles, keyed by ICCID, in the SGP.22 states,
//! and the ES2+ calls it answered. Durable in an append-only journal beside the carrier's
//! (`<carrier journal>.smdp`): one JSON line per ES2+ call (under its
//! `functionCallIdentifier`) and per step of a device's download, flushed before the
//! answer leaves or a notice is sent, and replayed at start (a torn last line is skipped).
//!
//! A `functionCallIdentifier` is applied once; its repeat gets the first answer (a success
//! or a refusal) and changes nothing; the same identifier for another call is refused.
//! The rules a call is judged by, and their refusals, are in `smdp_rules`.

use super::journal::Journal;
use super::smdp_rules::{self as rules, eid_ok, failed};
use crate::es2plus::{ExecutionStatus, FinalProfileStatus, point};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The SM-DP+ address of the simulator's activation codes (`LPA:1$<address>$<matching
/// ID>`); a reserved `.example` name, since no device downloads from the simulator.
pub const SMDP_ADDRESS: &str = "rsp.carrier-sim.example";

/// A profile's state at the SM-DP+ (SGP.22's profile states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileState {
    Available,
    Allocated,
    Confirmed,
    Released,
    Downloaded,
    Installed,
    Error,
    Unavailable,
}

impl ProfileState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Allocated => "allocated",
            Self::Confirmed => "confirmed",
            Self::Released => "released",
            Self::Downloaded => "downloaded",
            Self::Installed => "installed",
            Self::Error => "error",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A profile as the SM-DP+ has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub iccid: String,
    pub state: ProfileState,
    pub eid: Option<String>,
    pub matching_id: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// An ES2+ call without its header: what a functionCallIdentifier was first used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "function",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Es2Call {
    DownloadOrder {
        iccid: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eid: Option<String>,
    },
    ConfirmOrder {
        iccid: String,
        release_flag: bool,
    },
    CancelOrder {
        iccid: String,
        final_profile_status_indicator: FinalProfileStatus,
    },
    ReleaseProfile {
        iccid: String,
    },
}

impl Es2Call {
    pub fn function(&self) -> &'static str {
        match self {
            Self::DownloadOrder { .. } => "downloadOrder",
            Self::ConfirmOrder { .. } => "confirmOrder",
            Self::CancelOrder { .. } => "cancelOrder",
            Self::ReleaseProfile { .. } => "releaseProfile",
        }
    }

    pub fn iccid(&self) -> &str {
        match self {
            Self::DownloadOrder { iccid, .. }
            | Self::ConfirmOrder { iccid, .. }
            | Self::CancelOrder { iccid, .. }
            | Self::ReleaseProfile { iccid } => iccid,
        }
    }
}

/// One journal line: an ES2+ call (with its identifier, request and answer) or a step of
/// a device's download (`download`, `install`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmdpEntry {
    /// `downloadOrder`, `confirmOrder`, `cancelOrder`, `releaseProfile`; `download` or
    /// `install` for the device's steps.
    pub function: String,
    pub iccid: String,
    /// The functionCallIdentifier (ES2+ calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Es2Call>,
    /// SHA-256 of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The whole answer, header included (ES2+ calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
    /// The notification point and its status (device steps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<(u8, ExecutionStatus)>,
    /// The profile after it, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Where the SM-DP+ keeps its journal, beside the carrier's.
pub fn journal_path(carrier: &Path) -> PathBuf {
    PathBuf::from(format!("{}.smdp", carrier.display()))
}

/// Now, to the millisecond (what a notice's timestamp says; later steps are later).
pub fn now_ms() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

fn hash(call: &Es2Call) -> String {
    let body = serde_json::to_string(call).unwrap_or_default();
    hex::encode(Sha256::digest(body.as_bytes()))
}

pub struct Books {
    pub profiles: BTreeMap<String, Profile>,
    calls: HashMap<String, usize>,
    pub journal: Vec<SmdpEntry>,
    file: Journal,
}

impl Books {
    /// Opens (creating) the journal at `path` and replays it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let (file, entries) = Journal::open::<SmdpEntry>(path)?;
        let mut books = Self {
            profiles: BTreeMap::new(),
            calls: HashMap::new(),
            journal: Vec::new(),
            file,
        };
        entries.into_iter().for_each(|e| books.remember(e));
        Ok(books)
    }

    fn remember(&mut self, e: SmdpEntry) {
        if let Some(p) = &e.profile {
            self.profiles.insert(p.iccid.clone(), p.clone());
        }
        if let Some(c) = &e.call {
            self.calls.insert(c.clone(), self.journal.len());
        }
        self.journal.push(e);
    }

    /// Writes and flushes `e`, then takes it into the books.
    fn append(&mut self, e: SmdpEntry) -> std::io::Result<()> {
        self.file.append(&e)?;
        self.remember(e);
        Ok(())
    }

    /// Applies `call` under the identifier `id` (once) and journals it; the answer, and
    /// the profile it changed now (None: a refusal, or a repeat answered from the journal).
    pub fn apply(&mut self, id: &str, call: &Es2Call) -> std::io::Result<(Value, Option<Profile>)> {
        let h = hash(call);
        if let Some(first) = self.calls.get(id).and_then(|i| self.journal.get(*i)) {
            if first.hash.as_deref() == Some(h.as_str())
                && let Some(a) = &first.answer
            {
                return Ok((a.clone(), None));
            }
            let message = format!("functionCallIdentifier {id} was used for another call");
            return Ok(failed("8.1", "3.8", message));
        }
        let at = now_ms();
        let (answer, profile) = rules::decide(&self.profiles, call, at);
        self.append(SmdpEntry {
            function: call.function().into(),
            iccid: call.iccid().into(),
            call: Some(id.to_owned()),
            request: Some(call.clone()),
            hash: Some(h),
            answer: Some(answer.clone()),
            notice: None,
            profile: profile.clone(),
            at,
        })?;
        Ok((answer, profile))
    }

    /// The device (EID `eid`, else the one the order named, else a made-up one) downloads
    /// the released profile `iccid` and installs it, unless `fail` says where that fails.
    /// Each step is journalled; the steps in order (their notices are the caller's to send).
    pub fn download(
        &mut self,
        iccid: &str,
        eid: Option<&str>,
        fail: Option<Fail>,
    ) -> Result<Vec<Step>, Refusal> {
        use ProfileState::{Downloaded, Error, Installed, Released};
        let Some(p) = self.profiles.get(iccid).cloned() else {
            return Err(Refusal::new(
                404,
                "not_found",
                format!("no profile {iccid}"),
            ));
        };
        if p.state != Released {
            let m = format!(
                "profile {iccid} is {}, not released: nothing to download",
                p.state.as_str()
            );
            return Err(Refusal::new(409, "invalid_state", m));
        }
        if let Some(e) = eid {
            if !eid_ok(e) {
                let m = format!("eid {e:?} is not 32 digits");
                return Err(Refusal::new(400, "bad_request", m));
            }
            if let Some(o) = p.eid.as_deref().filter(|o| *o != e) {
                let m = format!("profile {iccid} was ordered for EID {o}, not {e}");
                return Err(Refusal::new(409, "invalid_state", m));
            }
        }
        let eid = eid
            .map(str::to_owned)
            .or_else(|| p.eid.clone())
            .unwrap_or_else(|| format!("89049032{:024}", rand::random::<u128>() % 10u128.pow(24)));
        let at = now_ms();
        let got = if fail == Some(Fail::Download) {
            let st = ExecutionStatus::failed("8.1", "4.8", "bound profile package download failed");
            (Error, st)
        } else {
            (Downloaded, ExecutionStatus::success())
        };
        let first = self.step("download", &p, &eid, got, point::BPP_DOWNLOAD, at)?;
        let mut steps = vec![first];
        if steps[0].profile.state == Downloaded {
            let got = if fail == Some(Fail::Install) {
                let st = ExecutionStatus::failed(
                    "8.2.5",
                    "4.2",
                    "profile installation failed on the eUICC",
                );
                (Error, st)
            } else {
                (Installed, ExecutionStatus::success())
            };
            // Strictly later than the download, so the notices order by time.
            let at = now_ms().max(at + chrono::Duration::milliseconds(1));
            let p = steps[0].profile.clone();
            steps.push(self.step("install", &p, &eid, got, point::BPP_INSTALLATION, at)?);
        }
        Ok(steps)
    }

    fn step(
        &mut self,
        function: &str,
        p: &Profile,
        eid: &str,
        (state, status): (ProfileState, ExecutionStatus),
        point: u8,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Step, Refusal> {
        let profile = Profile {
            state,
            eid: Some(eid.to_owned()),
            updated_at: at,
            ..p.clone()
        };
        self.append(SmdpEntry {
            function: function.into(),
            iccid: p.iccid.clone(),
            call: None,
            request: None,
            hash: None,
            answer: None,
            notice: Some((point, status.clone())),
            profile: Some(profile.clone()),
            at,
        })
        .map_err(|e| Refusal::new(500, "journal", e.to_string()))?;
        Ok(Step {
            profile,
            point,
            status,
        })
    }
}

/// Where the device's download fails (`fail` of `POST /admin/esim/{iccid}/download`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fail {
    /// At the download of the bound profile package (point 3 fails).
    Download,
    /// At the installation on the eUICC (point 3 succeeds, point 4 fails).
    Install,
}

/// One step of a download: the profile after it and its notice's point and status.
#[derive(Debug, Clone)]
pub struct Step {
    pub profile: Profile,
    pub point: u8,
    pub status: ExecutionStatus,
}

/// Why a download cannot start, as the problem answered.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub(super) fn new(status: u16, code: &'static str, message: String) -> Self {
        Self {
            status,
            code,
            message,
        }
    }
}
