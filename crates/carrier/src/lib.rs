//! The carrier, connected. `gateway`: what the platform asks of a carrier (commands with
//! our idempotency key, a line's state, the inventory in pages) and what a failure lets the
//! caller do next; `http`: the adapter for the documented carrier API (docs/carrier-api.md);
//! `es2plus`: what the platform asks of an SM-DP+ (GSMA SGP.22 ES2+: order, confirm,
//! release and cancel eSIM profiles, and the download notices it sends back); `smdp_http`:
//! the adapter for ES2+ over HTTP/JSON; `sim`: `tsunagi carrier-sim`, a carrier and its
//! SM-DP+ as a real HTTP server with durable books and fault injection, for the demo and
//! the tests.
//!
//! The provisioning workers, the callback and notice receivers and reconciliation that use
//! these live in the app (`tsunagi_app::carrier`).

pub mod es2plus;
pub mod gateway;
pub mod http;
pub mod sim;
pub mod smdp_http;

pub use es2plus::{
    Confirmed, DownloadProgress, Es2Plus, ExecutionStatus, FinalProfileStatus, RequestHeader,
};
pub use gateway::{
    CallbackEvent, CarrierGateway, CarrierLine, CarrierStatus, Command, GatewayError,
    InventoryPage, LineCommand, UsagePage,
};
pub use http::HttpCarrier;
pub use smdp_http::HttpSmdp;
