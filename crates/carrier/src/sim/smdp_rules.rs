//! The simulated SM-DP+'s rules: what an ES2+ call does to a profile, after SGP.22's
//! profile states. The stock is implicit: the first `DownloadOrder` of an unknown,
//! well-formed ICCID creates its profile.
//!
//! | call | applies when the profile is | then it is |
//! |---|---|---|
//! | `downloadOrder` | unknown or `available` | `allocated` (with the EID, if named) |
//! | `confirmOrder` | `allocated` | `released` (`releaseFlag`) or `confirmed`, with a matching ID |
//! | `releaseProfile` | `confirmed` or `error` | `released` |
//! | `cancelOrder` | `allocated`, `confirmed`, `released`, `error` | `available` or `unavailable` (no EID, no matching ID) |
//!
//! Refusals are `Failed` answers with the simulator's choice of SGP.22 codes:
//!
//! | subject/reason | when |
//! |---|---|
//! | `8.1/3.8` | the functionCallIdentifier was used for another call (see `smdp`) |
//! | `8.2.1/2.1` | the ICCID is not 18–20 digits |
//! | `8.1.1/2.1` | the EID is not 32 digits |
//! | `8.2.1/3.9` | no such profile (confirm, cancel, release) |
//! | `8.2.1/3.3` | ordered while in use (`allocated` … `installed`, `error`) |
//! | `8.2.1/3.7` | ordered while `unavailable` (cancelled for good) |
//! | `8.2.1/3.8` | the profile's state does not allow the call (the message names it) |

use super::smdp::{Es2Call, Profile, ProfileState, SMDP_ADDRESS};
use crate::es2plus::{ExecutionStatus, FinalProfileStatus, ResponseHeader};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The answer to `call` on the profiles as they are, and the profile after it (None: a
/// refusal, nothing changes).
pub fn decide(
    profiles: &BTreeMap<String, Profile>,
    call: &Es2Call,
    at: chrono::DateTime<chrono::Utc>,
) -> (Value, Option<Profile>) {
    use ProfileState::*;
    let iccid = call.iccid();
    if !iccid_ok(iccid) {
        return failed(
            "8.2.1",
            "2.1",
            format!("iccid {iccid:?} is not 18–20 digits"),
        );
    }
    if let Es2Call::DownloadOrder { eid: Some(e), .. } = call
        && !eid_ok(e)
    {
        return failed("8.1.1", "2.1", format!("eid {e:?} is not 32 digits"));
    }
    let Some(p) = profiles.get(iccid) else {
        return match call {
            Es2Call::DownloadOrder { eid, .. } => allocate(iccid, eid, at),
            _ => failed("8.2.1", "3.9", format!("no profile {iccid} at this SM-DP+")),
        };
    };
    let set = |state: ProfileState| Profile {
        state,
        updated_at: at,
        ..p.clone()
    };
    let state = p.state.as_str();
    let refused = |why: String| failed("8.2.1", "3.8", format!("profile {iccid} is {why}"));
    match (call, p.state) {
        (Es2Call::DownloadOrder { eid, .. }, Available) => allocate(iccid, eid, at),
        (Es2Call::DownloadOrder { .. }, Unavailable) => failed(
            "8.2.1",
            "3.7",
            format!("profile {iccid} is unavailable (cancelled for good)"),
        ),
        (Es2Call::DownloadOrder { .. }, _) => failed(
            "8.2.1",
            "3.3",
            format!("profile {iccid} is in use ({state})"),
        ),
        (Es2Call::ConfirmOrder { release_flag, .. }, Allocated) => {
            let m = matching_id();
            let next = Profile {
                matching_id: Some(m.clone()),
                ..set(if *release_flag { Released } else { Confirmed })
            };
            let mut fields = json!({ "matchingId": m, "smdpAddress": SMDP_ADDRESS });
            if let Some(e) = &p.eid {
                fields["eid"] = json!(e);
            }
            executed(fields, next)
        }
        (Es2Call::ConfirmOrder { .. }, _) => {
            refused(format!("{state}, not allocated: no order to confirm"))
        }
        (
            Es2Call::CancelOrder {
                final_profile_status_indicator: end,
                ..
            },
            Allocated | Confirmed | Released | Error,
        ) => {
            let to = match end {
                FinalProfileStatus::Available => Available,
                FinalProfileStatus::Unavailable => Unavailable,
            };
            let next = Profile {
                eid: None,
                matching_id: None,
                ..set(to)
            };
            executed(json!({}), next)
        }
        (Es2Call::CancelOrder { .. }, Downloaded | Installed) => {
            refused(format!("already {state}: too late to cancel"))
        }
        (Es2Call::CancelOrder { .. }, _) => refused(format!("{state}: no order to cancel")),
        (Es2Call::ReleaseProfile { .. }, Confirmed | Error) => executed(json!({}), set(Released)),
        (Es2Call::ReleaseProfile { .. }, _) => refused(format!(
            "{state}: only a confirmed profile, or one whose download failed, can be released"
        )),
    }
}

fn allocate(
    iccid: &str,
    eid: &Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> (Value, Option<Profile>) {
    let p = Profile {
        iccid: iccid.to_owned(),
        state: ProfileState::Allocated,
        eid: eid.clone(),
        matching_id: None,
        updated_at: at,
    };
    executed(json!({ "iccid": iccid }), p)
}

pub(super) fn iccid_ok(i: &str) -> bool {
    (18..=20).contains(&i.len()) && i.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn eid_ok(e: &str) -> bool {
    e.len() == 32 && e.bytes().all(|b| b.is_ascii_digit())
}

/// A fresh matching ID: four groups of four uppercase letters and digits.
pub(super) fn matching_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut n = rand::random::<u128>();
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[(n % 36) as usize]));
        n /= 36;
    }
    out
}

/// The answer to a call: its header, then its other fields.
pub(super) fn answer(status: ExecutionStatus, fields: Value) -> Value {
    let mut a = json!({ "header": ResponseHeader { function_execution_status: status } });
    if let (Some(a), Value::Object(f)) = (a.as_object_mut(), fields) {
        a.extend(f);
    }
    a
}

pub(super) fn failed(
    subject: &str,
    reason: &str,
    message: impl AsRef<str>,
) -> (Value, Option<Profile>) {
    let st = ExecutionStatus::failed(subject, reason, message.as_ref());
    (answer(st, json!({})), None)
}

pub(super) fn executed(fields: Value, profile: Profile) -> (Value, Option<Profile>) {
    (answer(ExecutionStatus::success(), fields), Some(profile))
}
