//! tableorder: restaurant table ordering on one self-contained box.
//!
//! - [`config`]: command line, environment and TOML settings
//! - [`app`]: builds the server (database, writer, hub, listener) and runs it
//! - [`db`]: SQLite pool, the group-committing writer, migrations, SQL per aggregate
//! - [`domain`]: validated values and the order status state machine
//! - [`auth`]: tokens, passwords, the `AdminUser` / `TableUser` extractors
//! - [`events`]: the fan-out hub and Server-Sent Event streams
//! - [`http`]: one router per feature, OpenAPI, the embedded web UI
//! - [`hub`]: the chain hub (PostgreSQL, Redis), `tableorder hub …`; [`uplink`]: the box's uploader to it
//! - [`kitchen`]: stations, printed tickets (ESC/POS), the kitchen display's bumps
//! - [`cache`], [`ratelimit`], [`metrics`], [`clock`]: supporting pieces
//! - [`serve`]: the accept loop, with a handle per connection to cut stalled streams
//! - [`mdns`]: LAN advertisement; [`cli`]: the non-server subcommands; [`tasks`]: background work

pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
#[cfg(feature = "hub")]
pub mod hub;
pub mod kitchen;
pub mod mdns;
pub mod metrics;
pub mod ratelimit;
pub mod serve;
pub mod state;
pub mod tasks;
pub mod uplink;
