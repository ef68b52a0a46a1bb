//! What can go wrong in a call, typed: every failure names the plugin, its version and,
//! for a limit, which limit and its value. The host and other tenants carry on.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// Not a component, or not implementing a supported world and version.
    Invalid {
        reason: String,
    },
    InputTooLarge {
        size: usize,
        limit: usize,
    },
    OutputTooLarge {
        size: usize,
        limit: usize,
    },
    /// Ran out of fuel (instructions): an endless loop or simply too much work.
    Fuel {
        limit: u64,
    },
    /// Asked for more linear memory than the limit.
    Memory {
        limit_bytes: u64,
    },
    /// Recursed past the stack limit.
    StackOverflow,
    Timeout {
        limit_ms: u64,
    },
    /// The guest trapped (a panic aborts; `stderr` holds its message).
    Trap {
        message: String,
        stderr: String,
    },
    /// The component could not be instantiated: it needs more than a plugin instance may
    /// hold (memories, tables, core instances; see docs/plugin-authoring.md), or linking
    /// failed.
    Instantiate {
        reason: String,
    },
    /// The guest returned data the host refuses (invalid values, broken invariants).
    Malformed {
        reason: String,
    },
    /// The plugin itself answered with an error.
    Plugin {
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginError {
    pub plugin: String,
    pub version: String,
    #[serde(flatten)]
    pub failure: Failure,
}

impl PluginError {
    /// A stable code for metrics and the API (`fuel`, `memory`, `trap`, …).
    pub fn code(&self) -> &'static str {
        match self.failure {
            Failure::Invalid { .. } => "invalid",
            Failure::InputTooLarge { .. } => "input_too_large",
            Failure::OutputTooLarge { .. } => "output_too_large",
            Failure::Fuel { .. } => "fuel",
            Failure::Memory { .. } => "memory",
            Failure::StackOverflow => "stack_overflow",
            Failure::Timeout { .. } => "timeout",
            Failure::Trap { .. } => "trap",
            Failure::Instantiate { .. } => "instantiate",
            Failure::Malformed { .. } => "malformed",
            Failure::Plugin { .. } => "plugin",
        }
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = format!("plugin {} version {}", self.plugin, self.version);
        match &self.failure {
            Failure::Invalid { reason } => write!(f, "{who} is not usable: {reason}"),
            Failure::InputTooLarge { size, limit } => {
                write!(
                    f,
                    "{who}: input of {size} bytes exceeds the input limit of {limit} bytes"
                )
            }
            Failure::OutputTooLarge { size, limit } => {
                write!(
                    f,
                    "{who}: output of {size} bytes exceeds the output limit of {limit} bytes"
                )
            }
            Failure::Fuel { limit } => {
                write!(
                    f,
                    "{who} ran out of fuel (limit {limit} instructions): an endless loop or too much work"
                )
            }
            Failure::Memory { limit_bytes } => {
                write!(f, "{who} exceeded the memory limit of {limit_bytes} bytes")
            }
            Failure::StackOverflow => {
                write!(f, "{who} overflowed its stack (unbounded recursion?)")
            }
            Failure::Timeout { limit_ms } => {
                write!(f, "{who} exceeded the time limit of {limit_ms} ms")
            }
            Failure::Trap { message, stderr } if stderr.is_empty() => {
                write!(f, "{who} trapped: {message}")
            }
            Failure::Trap { message, stderr } => {
                write!(f, "{who} trapped: {message}; stderr: {}", stderr.trim())
            }
            Failure::Instantiate { reason } => {
                write!(f, "{who} could not be instantiated: {reason}")
            }
            Failure::Malformed { reason } => write!(f, "{who} returned malformed data: {reason}"),
            Failure::Plugin { message } => write!(f, "{who} returned an error: {message}"),
        }
    }
}

impl std::error::Error for PluginError {}
