//! Hooks: where a plugin runs. `pricing` and `commission` are one per tenant; channels are
//! named (`channel:chat`), and notification rules route to them as `plugin:<name>`.

use serde::Serialize;
use tsunagi_plugin_host::World;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Hook(String);

impl From<Hook> for String {
    fn from(h: Hook) -> Self {
        h.0
    }
}

/// Why a channel plugin is not replayed.
pub const NOT_REPLAYED: &str = "channel plugins deliver to the outside world and are not replayed; try them with `tsunagi plugin test`";

impl Hook {
    pub const PRICING: &'static str = "pricing";
    pub const COMMISSION: &'static str = "commission";

    /// The hook whose samples a version of `world` is replayed on (pricing, commission).
    pub fn replayed_at(world: World) -> Result<Self, &'static str> {
        match world {
            World::Pricing => Ok(Self(Self::PRICING.into())),
            World::Commission => Ok(Self(Self::COMMISSION.into())),
            World::Channel => Err(NOT_REPLAYED),
        }
    }

    /// Parses a hook; the error says what a hook looks like.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = match s.strip_prefix("channel:") {
            Some(name) => valid_channel_name(name),
            None => s == Self::PRICING || s == Self::COMMISSION,
        };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a hook: `pricing`, `commission` or `channel:<name>` (name: 1–32 lowercase letters, digits, '-')"
            ))
        }
    }

    /// The hook a notification channel `plugin:<name>` runs.
    pub fn for_channel(channel: &str) -> Option<Self> {
        let name = channel.strip_prefix("plugin:")?;
        valid_channel_name(name).then(|| Self(format!("channel:{name}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The world a plugin must implement to run at this hook.
    pub fn world(&self) -> World {
        match self.0.as_str() {
            Self::PRICING => World::Pricing,
            Self::COMMISSION => World::Commission,
            _ => World::Channel,
        }
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_channel_name(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_and_their_worlds() {
        assert_eq!(
            Hook::parse("pricing").map(|h| h.world()),
            Ok(World::Pricing)
        );
        assert_eq!(
            Hook::parse("commission").map(|h| h.world()),
            Ok(World::Commission)
        );
        assert_eq!(
            Hook::parse("channel:chat-1").map(|h| h.world()),
            Ok(World::Channel)
        );
        for bad in [
            "",
            "channel:",
            "channel:-x",
            "channel:Chat",
            "price",
            "channel:*",
        ] {
            assert!(Hook::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Hook::for_channel("plugin:chat").map(|h| h.0),
            Some("channel:chat".into())
        );
        assert_eq!(Hook::for_channel("email"), None);
    }
}
