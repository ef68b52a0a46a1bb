//! The reconciliation rules: our side of a number against the carrier's, judged. Each
//! rule has a name (recorded with every item) and says whether repairing it is safe; the
//! list and its reasons are in docs/carrier-api.md. Pure: no I/O, unit-tested here.

use tsunagi_carrier::{CarrierLine, CarrierStatus};
use tsunagi_db::repo::reconcile::OurLine;

/// What to do about a drifted number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the carrier our state again (`suspend` or `terminate`).
    Resend(&'static str),
    /// The number was ported away: end the line here, keep the number out of our pool.
    EndPortedOut,
    /// Nothing is safe to do without a person.
    Person,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    InSync,
    /// A carrier step is open: its answer will settle the line.
    InFlight,
    Drift {
        kind: &'static str,
        rule: &'static str,
        action: Action,
        note: String,
    },
}

fn drift(kind: &'static str, rule: &'static str, action: Action, note: String) -> Verdict {
    Verdict::Drift {
        kind,
        rule,
        action,
        note,
    }
}

/// Judges one number. `ours`: our current line of it (None: we have none);
/// `theirs`: the carrier's line (None: the carrier has none).
pub fn judge(ours: Option<&OurLine>, theirs: Option<&CarrierLine>) -> Verdict {
    use CarrierStatus as C;
    let live_here = |o: &OurLine| o.status != "terminated";
    match (ours, theirs) {
        (None, None) => Verdict::InSync,
        // A port-out wins over an open step: the number is another operator's now.
        (Some(o), Some(t)) if t.ported_out && live_here(o) => drift(
            "ported_out",
            "ported_out_ends_line",
            Action::EndPortedOut,
            "the number was ported to another operator: the line ends here".into(),
        ),
        (Some(o), _) if o.in_flight => Verdict::InFlight,
        (Some(o), None) if !live_here(o) => Verdict::InSync,
        (Some(o), None) => drift(
            "missing_at_carrier",
            "missing_at_carrier",
            Action::Person,
            format!("our line is {} but the carrier has no such line", o.status),
        ),
        (None, Some(t)) if t.status == C::Terminated => Verdict::InSync,
        (None, Some(t)) => drift(
            "missing_here",
            "missing_here",
            Action::Person,
            format!("the carrier has the line {:?}; we have none", t.status).to_lowercase(),
        ),
        (Some(_), Some(t)) if t.ported_out => Verdict::InSync,
        (Some(o), Some(t)) => {
            let here = o.status.as_str();
            match (here, t.status) {
                ("active", C::Active) | ("suspended", C::Suspended) | ("terminated", C::Terminated) => {
                    if live_here(o) && o.iccid.as_deref() != Some(t.iccid.as_str()) {
                        drift(
                            "sim_differs",
                            "sim_differs",
                            Action::Person,
                            format!(
                                "the carrier has the line on SIM …{}, we have another SIM (possible SIM-swap fraud)",
                                last4(&t.iccid)
                            ),
                        )
                    } else {
                        Verdict::InSync
                    }
                }
                ("suspended", C::Active) => drift(
                    "state_differs",
                    "suspended_here_resend",
                    Action::Resend("suspend"),
                    "suspended here but active at the carrier (usable without paying): suspension sent again".into(),
                ),
                ("terminated", C::Active | C::Suspended) => drift(
                    "state_differs",
                    "terminated_here_resend",
                    Action::Resend("terminate"),
                    format!(
                        "terminated here but {:?} at the carrier: termination sent again",
                        t.status
                    )
                    .to_lowercase(),
                ),
                ("active", C::Suspended) => drift(
                    "state_differs",
                    "active_here_suspended_there",
                    Action::Person,
                    "active here (and billed) but suspended at the carrier: find out why before resuming".into(),
                ),
                (_, C::Terminated) => drift(
                    "state_differs",
                    "live_here_terminated_there",
                    Action::Person,
                    format!("{here} here (and billed) but terminated at the carrier"),
                ),
                _ => drift(
                    "state_differs",
                    "state_differs",
                    Action::Person,
                    format!("{here} here, {:?} at the carrier", t.status).to_lowercase(),
                ),
            }
        }
    }
}

fn last4(s: &str) -> &str {
    &s[s.len().saturating_sub(4)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(status: &str, iccid: &str) -> OurLine {
        OurLine {
            id: uuid::Uuid::nil(),
            msisdn: "819012345678".into(),
            status: status.into(),
            iccid: Some(iccid.into()),
            in_flight: false,
        }
    }

    fn theirs(status: CarrierStatus, iccid: &str) -> CarrierLine {
        CarrierLine {
            msisdn: "+819012345678".into(),
            iccid: iccid.into(),
            status,
            speed_limit_kbps: None,
            ported_out: false,
            sequence: 3,
            updated_at: chrono::Utc::now(),
        }
    }

    fn rule(v: &Verdict) -> &str {
        match v {
            Verdict::Drift { rule, .. } => rule,
            Verdict::InSync => "in_sync",
            Verdict::InFlight => "in_flight",
        }
    }

    #[test]
    fn each_pair_of_states_meets_its_rule() {
        use CarrierStatus::*;
        let sim = "8981100000000000001";
        let cases = [
            ("active", Active, "in_sync"),
            ("suspended", Suspended, "in_sync"),
            ("terminated", Terminated, "in_sync"),
            ("suspended", Active, "suspended_here_resend"),
            ("terminated", Active, "terminated_here_resend"),
            ("terminated", Suspended, "terminated_here_resend"),
            ("active", Suspended, "active_here_suspended_there"),
            ("active", Terminated, "live_here_terminated_there"),
            ("suspended", Terminated, "live_here_terminated_there"),
            ("needs_review", Active, "state_differs"),
        ];
        for (here, there, want) in cases {
            let v = judge(Some(&ours(here, sim)), Some(&theirs(there, sim)));
            assert_eq!(rule(&v), want, "{here} vs {there:?}");
        }
    }

    #[test]
    fn only_safe_drift_is_repaired() {
        use CarrierStatus::*;
        let sim = "8981100000000000001";
        let repairs = |v: Verdict| match v {
            Verdict::Drift { action, .. } => action != Action::Person,
            _ => false,
        };
        assert!(repairs(judge(
            Some(&ours("suspended", sim)),
            Some(&theirs(Active, sim))
        )));
        assert!(!repairs(judge(
            Some(&ours("active", sim)),
            Some(&theirs(Suspended, sim))
        )));
        // Another SIM at the carrier is never "fixed" by us.
        let v = judge(
            Some(&ours("active", sim)),
            Some(&theirs(Active, "8981100000000000002")),
        );
        assert_eq!(rule(&v), "sim_differs");
        assert!(!repairs(v));
    }

    #[test]
    fn missing_ported_and_in_flight_lines() {
        use CarrierStatus::*;
        let sim = "8981100000000000001";
        assert_eq!(
            rule(&judge(Some(&ours("active", sim)), None)),
            "missing_at_carrier"
        );
        assert_eq!(
            rule(&judge(Some(&ours("terminated", sim)), None)),
            "in_sync"
        );
        assert_eq!(
            rule(&judge(None, Some(&theirs(Active, sim)))),
            "missing_here"
        );
        assert_eq!(
            rule(&judge(None, Some(&theirs(Terminated, sim)))),
            "in_sync"
        );
        let mut ported = theirs(Terminated, sim);
        ported.ported_out = true;
        let v = judge(Some(&ours("active", sim)), Some(&ported));
        assert!(
            matches!(
                v,
                Verdict::Drift {
                    action: Action::EndPortedOut,
                    ..
                }
            ),
            "{v:?}"
        );
        assert_eq!(
            rule(&judge(Some(&ours("terminated", sim)), Some(&ported))),
            "in_sync"
        );
        let mut busy = ours("suspending", sim);
        busy.in_flight = true;
        assert_eq!(
            rule(&judge(Some(&busy), Some(&theirs(Active, sim)))),
            "in_flight"
        );
    }
}
