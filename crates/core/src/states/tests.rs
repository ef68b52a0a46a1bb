//! Properties of every machine: random command sequences never produce a forbidden pair,
//! terminal states stay terminal, and every state is reachable from the initial one.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn walk<S: StateMachine>(start: S, attempts: &[usize]) -> Vec<S> {
    let mut s = start;
    let mut seen = vec![s];
    for &i in attempts {
        let to = S::ALL[i % S::ALL.len()];
        match s.transition(to) {
            Ok(next) => {
                assert!(
                    S::TRANSITIONS.contains(&(s, next)),
                    "{:?} -> {:?} accepted but not in the table",
                    s,
                    next
                );
                s = next;
                seen.push(s);
            }
            Err(e) => {
                assert!(
                    !S::TRANSITIONS.contains(&(s, to)),
                    "{:?} -> {:?} refused but allowed",
                    s,
                    to
                );
                assert_eq!(e.code(), "CONFLICT");
            }
        }
    }
    seen
}

fn reachable<S: StateMachine>(start: S) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::from([start.as_str()]);
    let mut frontier = vec![start];
    while let Some(s) = frontier.pop() {
        for (f, t) in S::TRANSITIONS {
            if *f == s && out.insert(t.as_str()) {
                frontier.push(*t);
            }
        }
    }
    out
}

fn all_reachable<S: StateMachine>(start: S) {
    let all: BTreeSet<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(reachable(start), all, "{}: unreachable states", S::NAME);
    for s in S::ALL {
        assert_eq!(S::parse(s.as_str()), Some(*s));
    }
}

proptest! {
    #[test]
    fn lines_only_move_along_the_table(attempts in proptest::collection::vec(0usize..100, 0..60)) {
        let seen = walk(LineState::Requested, &attempts);
        // Once terminated, nothing else ever happens.
        if let Some(i) = seen.iter().position(|s| *s == LineState::Terminated) {
            prop_assert!(seen[i..].iter().all(|s| *s == LineState::Terminated));
        }
        // A line is only ever active after having been activated.
        if let Some(i) = seen.iter().position(|s| *s == LineState::Active) {
            prop_assert!(seen[..i].contains(&LineState::Activating));
        }
    }

    #[test]
    fn every_machine_respects_its_table(attempts in proptest::collection::vec(0usize..100, 0..60)) {
        walk(ContractState::Draft, &attempts);
        walk(OrderState::Acknowledged, &attempts);
        walk(KycState::NotStarted, &attempts);
        walk(ApprovalState::Pending, &attempts);
        walk(SimState::InStock, &attempts);
        walk(EsimState::Available, &attempts);
        walk(NumberState::Available, &attempts);
        walk(PlanState::Draft, &attempts);
    }

    #[test]
    fn approvals_execute_at_most_once(attempts in proptest::collection::vec(0usize..100, 0..40)) {
        let seen = walk(ApprovalState::Pending, &attempts);
        prop_assert!(seen.iter().filter(|s| **s == ApprovalState::Executed).count() <= 1);
    }
}

#[test]
fn machines_are_connected_and_terminals_are_final() {
    all_reachable(LineState::Requested);
    all_reachable(ContractState::Draft);
    all_reachable(OrderState::Acknowledged);
    all_reachable(KycState::NotStarted);
    all_reachable(ApprovalState::Pending);
    all_reachable(SimState::InStock);
    all_reachable(EsimState::Available);
    all_reachable(NumberState::Available);
    all_reachable(PlanState::Draft);
    assert!(LineState::Terminated.is_terminal());
    assert!(ContractState::Terminated.is_terminal());
    assert!(
        OrderState::Completed.is_terminal()
            && OrderState::Cancelled.is_terminal()
            && OrderState::Failed.is_terminal()
    );
    assert!(
        ApprovalState::Executed.is_terminal()
            && ApprovalState::Rejected.is_terminal()
            && ApprovalState::Expired.is_terminal()
    );
    assert!(
        !KycState::Rejected.is_terminal(),
        "a rejected customer may resubmit"
    );
    assert!(LineState::Activating.in_flight() && !LineState::Active.in_flight());
}

#[test]
fn forbidden_transition_names_both_states() {
    let e = LineState::Terminated
        .transition(LineState::Active)
        .expect_err("terminal");
    assert!(
        e.public_message()
            .contains("line cannot go from terminated to active")
    );
}
