//! The carrier, connected. `gateway`: what the platform asks of a carrier (commands with
//! our idempotency key, a line's state, the inventory in pages) and what a failure lets the
//! caller do next; `http`: the adapter for the documented carrier API (docs/carrier-api.md);
//! `sim`: `tsunagi carrier-sim`, a carrier as a real HTTP server with durable books and
//! fault injection, for the demo and the tests.
//!
//! Still to come here (issue 14): the SM-DP+ (ES2+) trait and simulator and number
//! portability. The provisioning workers, the callback receiver and reconciliation that
//! use the gateway live in the app (`tsunagi_app::carrier`).

pub mod gateway;
pub mod http;
pub mod sim;

pub use gateway::{
    CallbackEvent, CarrierGateway, CarrierLine, CarrierStatus, Command, GatewayError,
    InventoryPage, LineCommand,
};
pub use http::HttpCarrier;
