//! Every state machine of the ledger, defined once: its states, its allowed transitions, and
//! nothing else. Services ask `transition(from, to)` before writing a new state; the
//! database stores the state's `as_str`. Property tests (below) show that no sequence of
//! commands reaches a pair the table forbids and that terminal states stay terminal.
//!
//! The state names follow ../shared/DOMAIN.md; `tmf()` gives the TM Forum equivalent for
//! integrators.

use crate::error::{Error, Result};

/// A finite state machine over `Self`.
pub trait StateMachine: Copy + Eq + std::fmt::Debug + 'static {
    /// What the machine describes, for error messages ("line", "SIM").
    const NAME: &'static str;
    const ALL: &'static [Self];
    const TRANSITIONS: &'static [(Self, Self)];
    fn as_str(&self) -> &'static str;
    /// The TM Forum Open API state this maps to.
    fn tmf(&self) -> &'static str;

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }
    fn can_become(&self, to: Self) -> bool {
        Self::TRANSITIONS.contains(&(*self, to))
    }
    fn is_terminal(&self) -> bool {
        !Self::TRANSITIONS.iter().any(|(f, _)| f == self)
    }
    /// The one gate for state changes: CONFLICT naming both states when forbidden.
    fn transition(self, to: Self) -> Result<Self> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(Error::conflict(format!(
                "{} cannot go from {} to {}",
                Self::NAME,
                self.as_str(),
                to.as_str()
            )))
        }
    }
    /// Parses a stored value; an unknown one is a bug (Internal), not the client's fault.
    fn from_db(s: &str) -> Result<Self> {
        Self::parse(s).ok_or_else(|| {
            Error::internal(format!(
                "unknown {} state '{s}' in the database",
                Self::NAME
            ))
        })
    }
}

/// Declares a state enum with its string names, TMF names and transition table.
macro_rules! state_machine {
    ($(#[$doc:meta])* $name:ident, $label:literal, { $($variant:ident = $s:literal / $tmf:literal),+ $(,)? }, [ $(($from:ident, $to:ident)),* $(,)? ]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $crate::states::StateMachine for $name {
            const NAME: &'static str = $label;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const TRANSITIONS: &'static [(Self, Self)] = &[$((Self::$from, Self::$to)),*];
            fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
            fn tmf(&self) -> &'static str {
                match self { $(Self::$variant => $tmf),+ }
            }
        }
    };
}

mod ledger;
mod resources;

pub use ledger::{ApprovalState, ContractState, KycState, LineState, OrderState, PlanState};
pub use resources::{EsimState, NumberState, SimState};

#[cfg(test)]
mod tests;
