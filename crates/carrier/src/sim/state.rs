//! The simulated carrier's books: its lines and its idempotency log, kept durable in an
//! append-only journal (one JSON line per key, written and flushed before the answer
//! leaves) and rebuilt from it at start. A key is applied once; its repeat gets the first
//! answer; the same key with another command is refused (`idempotency_conflict`).

use super::journal::Journal;
use crate::gateway::{CarrierLine, CarrierStatus, Command};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What the carrier answered a key: the line after it, or a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Answer {
    Line(CarrierLine),
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub key: String,
    pub msisdn: String,
    pub command: Command,
    /// SHA-256 of (msisdn, command): what the key was first used for.
    pub hash: String,
    pub answer: Answer,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub struct Books {
    pub lines: BTreeMap<String, CarrierLine>,
    keys: HashMap<String, usize>,
    pub journal: Vec<Entry>,
    file: Journal,
}

fn refused(status: u16, code: &str, message: impl Into<String>) -> Answer {
    Answer::Refused {
        status,
        code: code.into(),
        message: message.into(),
    }
}

fn hash(msisdn: &str, cmd: &Command) -> String {
    let body = serde_json::to_string(&(msisdn, cmd)).unwrap_or_default();
    hex::encode(Sha256::digest(body.as_bytes()))
}

fn e164(m: &str) -> bool {
    m.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Why the donor refuses a port-in (code, reason), after the Japanese MNP rules: a
/// reservation number is 10 digits and still valid; the one-stop method has none. The
/// simulator's donor knows no reservation number starting with `000` (for tests of a
/// refused port-in).
fn port_in_refusal(
    number: Option<&str>,
    expires: Option<chrono::NaiveDate>,
    one_stop: bool,
) -> Option<(&'static str, String)> {
    match (number, one_stop) {
        (None, true) => None,
        (Some(_), true) => Some((
            "bad_request",
            "a one-stop port-in carries no reservation number".into(),
        )),
        (None, false) => Some((
            "bad_request",
            "reservationNumber: required without oneStop".into(),
        )),
        (Some(n), false) if n.len() != 10 || !n.bytes().all(|b| b.is_ascii_digit()) => Some((
            "bad_request",
            format!("reservationNumber {n:?} is not 10 digits"),
        )),
        (Some(n), false) if n.starts_with("000") => Some((
            "port_refused",
            format!("the donor operator does not know reservation number {n}"),
        )),
        (Some(_), false) => match expires {
            Some(d) if d < chrono::Utc::now().date_naive() => Some((
                "port_refused",
                format!("the reservation number expired on {d}"),
            )),
            _ => None,
        },
    }
}

fn iccid_ok(i: &str) -> bool {
    (18..=20).contains(&i.len()) && i.bytes().all(|b| b.is_ascii_digit())
}

impl Books {
    /// Opens (creating) the journal and replays it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let (file, entries) = Journal::open::<Entry>(path)?;
        let mut books = Self {
            lines: BTreeMap::new(),
            keys: HashMap::new(),
            journal: Vec::new(),
            file,
        };
        entries.into_iter().for_each(|e| books.remember(e));
        Ok(books)
    }

    fn remember(&mut self, e: Entry) {
        if let Answer::Line(l) = &e.answer {
            self.lines.insert(l.msisdn.clone(), l.clone());
        }
        self.keys.insert(e.key.clone(), self.journal.len());
        self.journal.push(e);
    }

    /// Applies `cmd` under `key` (once), journals it, and returns the answer and whether it
    /// was applied now (false: a repeat answered from the log).
    pub fn apply(
        &mut self,
        key: &str,
        msisdn: &str,
        cmd: &Command,
    ) -> std::io::Result<(Answer, bool)> {
        let h = hash(msisdn, cmd);
        if let Some(i) = self.keys.get(key) {
            let first = &self.journal[*i];
            let answer = if first.hash == h {
                first.answer.clone()
            } else {
                refused(
                    409,
                    "idempotency_conflict",
                    format!("key {key} was used for another command"),
                )
            };
            return Ok((answer, false));
        }
        let answer = self.decide(msisdn, cmd);
        let e = Entry {
            key: key.to_owned(),
            msisdn: msisdn.to_owned(),
            command: cmd.clone(),
            hash: h,
            answer: answer.clone(),
            at: chrono::Utc::now(),
        };
        self.file.append(&e)?;
        self.remember(e);
        Ok((answer, true))
    }

    /// Changes a line behind the platform's back (drift, for reconciliation tests).
    pub fn force(&mut self, line: CarrierLine) {
        self.lines.insert(line.msisdn.clone(), line);
    }

    fn decide(&self, msisdn: &str, cmd: &Command) -> Answer {
        use CarrierStatus::{Active, Suspended, Terminated};
        if !e164(msisdn) {
            return refused(
                400,
                "bad_request",
                format!("msisdn {msisdn:?} is not E.164"),
            );
        }
        if let Command::PortIn {
            reservation_number,
            reservation_expires_on,
            one_stop,
            ..
        } = cmd
            && let Some((code, why)) = port_in_refusal(
                reservation_number.as_deref(),
                *reservation_expires_on,
                *one_stop,
            )
        {
            return refused(if code == "bad_request" { 400 } else { 409 }, code, why);
        }
        let now = chrono::Utc::now();
        let current = self.lines.get(msisdn);
        let next = |l: &CarrierLine, f: &dyn Fn(&mut CarrierLine)| {
            let mut n = l.clone();
            f(&mut n);
            n.sequence += 1;
            n.updated_at = now;
            Answer::Line(n)
        };
        let state = |l: &CarrierLine, what: &str| {
            refused(
                409,
                "invalid_state",
                format!("cannot {what} a line that is {:?}", l.status).to_lowercase(),
            )
        };
        match (cmd, current) {
            (Command::Activate { iccid }, _) if !iccid_ok(iccid) => refused(
                400,
                "bad_request",
                format!("iccid {iccid:?} is not 18–20 digits"),
            ),
            (Command::Activate { iccid }, None) => Answer::Line(CarrierLine {
                msisdn: msisdn.to_owned(),
                iccid: iccid.clone(),
                status: Active,
                speed_limit_kbps: None,
                ported_out: false,
                sequence: 1,
                updated_at: now,
            }),
            (Command::PortIn { iccid, .. }, _) if !iccid_ok(iccid) => refused(
                400,
                "bad_request",
                format!("iccid {iccid:?} is not 18–20 digits"),
            ),
            (Command::PortIn { iccid, .. }, l) if l.is_none_or(|l| l.ported_out) => {
                Answer::Line(CarrierLine {
                    msisdn: msisdn.to_owned(),
                    iccid: iccid.clone(),
                    status: Active,
                    speed_limit_kbps: None,
                    ported_out: false,
                    sequence: l.map_or(1, |l| l.sequence + 1),
                    updated_at: now,
                })
            }
            (Command::Activate { .. } | Command::PortIn { .. }, Some(l)) => refused(
                409,
                "already_exists",
                format!("{msisdn} is already {:?}", l.status).to_lowercase(),
            ),
            (_, None) => refused(404, "not_found", format!("no line {msisdn}")),
            (Command::Suspend, Some(l)) if l.status == Active => next(l, &|n| n.status = Suspended),
            (Command::Suspend, Some(l)) => state(l, "suspend"),
            (Command::Resume, Some(l)) if l.status == Suspended => next(l, &|n| n.status = Active),
            (Command::Resume, Some(l)) => state(l, "resume"),
            (Command::Terminate, Some(l)) if l.status != Terminated => {
                next(l, &|n| n.status = Terminated)
            }
            (Command::Terminate, Some(l)) => state(l, "terminate"),
            (Command::SwapSim { iccid }, Some(_)) if !iccid_ok(iccid) => refused(
                400,
                "bad_request",
                format!("iccid {iccid:?} is not 18–20 digits"),
            ),
            (Command::SwapSim { iccid }, Some(l)) if l.status != Terminated => {
                next(l, &|n| n.iccid = iccid.clone())
            }
            (Command::SwapSim { .. }, Some(l)) => state(l, "swap the SIM of"),
            (Command::SetSpeedLimit { kbps }, Some(l)) if l.status != Terminated => {
                next(l, &|n| n.speed_limit_kbps = *kbps)
            }
            (Command::SetSpeedLimit { .. }, Some(l)) => state(l, "throttle"),
        }
    }
}
