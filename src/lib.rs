//! tableorder: restaurant table ordering on one self-contained box.
//!
//! Dependencies go one way (docs/architecture.md; `tests/api/architecture.rs` checks it):
//! - [`config`]: command line, environment and TOML settings
//! - [`app`]: builds the server (database, writer, fan-out, listener) and runs it
//! - [`db`]: SQLite pool, the group-committing writer, migrations, SQL per aggregate, and
//!   [`db::flows`], the changes that span several aggregates
//! - [`domain`]: validated values, the order status state machine, pricing, accounts
//! - [`wire`]: the event vocabulary and the box → hub contract, shared by both sides
//! - [`auth`]: tokens, passwords, live accounts
//! - [`events`]: the in-memory fan-out and Server-Sent Event streams
//! - [`http`]: one router per feature, the caller extractors, OpenAPI, the embedded web UI
//! - [`hub`]: the chain hub (PostgreSQL, Redis), `tableorder hub …`; [`uplink`]: the box's uploader to it
//! - [`kitchen`]: ESC/POS tickets and the printer tasks; [`receipt`]: what bills, receipts and day reports say
//! - [`cache`], [`ratelimit`], [`metrics`], [`clock`], [`crypto`], [`csv`]: supporting pieces
//! - [`serve`]: the accept loop, with a handle per connection to cut stalled streams
//! - [`mdns`]: LAN advertisement; [`cli`]: the non-server subcommands; [`tasks`]: background work
//! - [`update`]: signed releases, switching to one without refusing a connection, probation
//!   and going back; [`version`]: the version stamped in the binary

pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod csv;
pub mod db;
pub mod domain;
pub mod durable;
pub mod error;
pub mod events;
pub mod http;
#[cfg(feature = "hub")]
pub mod hub;
pub mod kitchen;
pub mod lockout;
pub mod mdns;
pub mod metrics;
pub mod photos;
pub mod ratelimit;
pub mod receipt;
pub mod serve;
pub mod state;
pub mod tasks;
pub mod update;
pub mod uplink;
pub mod version;
pub mod wire;
