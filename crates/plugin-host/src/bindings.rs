//! Host bindings of the three worlds of `plugins/wit` (`tsunagi:plugins@0.1.0`). The shared
//! `log` and `types` interfaces are generated once (with the pricing world) and reused.
//! Every generated type derives serde, so fixtures and replay samples are JSON.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod pricing {
    wasmtime::component::bindgen!({
        world: "pricing",
        path: "../../plugins/wit",
        exports: { default: async },
        additional_derives: [serde::Deserialize, serde::Serialize, PartialEq],
    });
}

pub mod commission {
    wasmtime::component::bindgen!({
        world: "commission",
        path: "../../plugins/wit",
        exports: { default: async },
        with: {
            "tsunagi:plugins/log": crate::bindings::pricing::tsunagi::plugins::log,
            "tsunagi:plugins/types": crate::bindings::pricing::tsunagi::plugins::types,
        },
        additional_derives: [serde::Deserialize, serde::Serialize, PartialEq],
    });
}

pub mod channel {
    wasmtime::component::bindgen!({
        world: "channel",
        path: "../../plugins/wit",
        imports: { "tsunagi:plugins/http.send": async },
        exports: { default: async },
        with: {
            "tsunagi:plugins/log": crate::bindings::pricing::tsunagi::plugins::log,
            "tsunagi:plugins/types": crate::bindings::pricing::tsunagi::plugins::types,
        },
        additional_derives: [serde::Deserialize, serde::Serialize, PartialEq],
    });
}

pub use pricing::tsunagi::plugins::log::Level;
pub use pricing::tsunagi::plugins::types::{Period, Setting};
