//! The guest side of Tsunagi plugins. Enable the feature of the one world the plugin
//! implements (`pricing`, `commission` or `channel`), implement its `Guest` trait and export
//! it:
//!
//! ```ignore
//! use tsunagi_plugin_sdk::pricing::{Guest, PricingInput, Adjustment};
//! struct Rule;
//! impl Guest for Rule {
//!     fn price(input: PricingInput) -> Result<Vec<Adjustment>, String> { Ok(vec![]) }
//! }
//! tsunagi_plugin_sdk::pricing::export_pricing!(Rule);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --release`; try it with
//! `tsunagi plugin test --wasm target/wasm32-wasip2/release/<name>.wasm --world pricing
//! --input fixture.json`.

/// Helpers every world module gets: settings lookup and logging.
macro_rules! helpers {
    () => {
        pub use tsunagi::plugins::log::Level;
        pub use tsunagi::plugins::types::Setting;

        /// The value of a manifest setting, if present.
        pub fn setting<'a>(settings: &'a [Setting], key: &str) -> Option<&'a str> {
            settings
                .iter()
                .find(|s| s.key == key)
                .map(|s| s.value.as_str())
        }

        /// A required setting parsed as `T`, or an error naming the key and why.
        pub fn parse_setting<T: core::str::FromStr>(
            settings: &[Setting],
            key: &str,
        ) -> Result<T, String> {
            let v = setting(settings, key).ok_or_else(|| format!("config `{key}` is missing"))?;
            v.parse()
                .map_err(|_| format!("config `{key}`: {v:?} is not a valid value"))
        }

        pub fn log(level: Level, message: &str) {
            tsunagi::plugins::log::log(level, message);
        }
        pub fn info(message: &str) {
            log(Level::Info, message);
        }
        pub fn warn(message: &str) {
            log(Level::Warn, message);
        }
    };
}

#[cfg(feature = "pricing")]
pub mod pricing {
    wit_bindgen::generate!({
        world: "pricing",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_pricing",
        default_bindings_module: "tsunagi_plugin_sdk::pricing",
        generate_all,
    });
    pub use tsunagi::plugins::pricing_types::*;
    helpers!();
}

#[cfg(feature = "commission")]
pub mod commission {
    wit_bindgen::generate!({
        world: "commission",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_commission",
        default_bindings_module: "tsunagi_plugin_sdk::commission",
        generate_all,
    });
    pub use tsunagi::plugins::commission_types::*;
    helpers!();
}

#[cfg(feature = "channel")]
pub mod channel {
    wit_bindgen::generate!({
        world: "channel",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "export_channel",
        default_bindings_module: "tsunagi_plugin_sdk::channel",
        generate_all,
    });
    pub use tsunagi::plugins::channel_types::*;
    pub use tsunagi::plugins::http::*;
    helpers!();
}
