//! Integration tests: one binary, a real server per test.

mod helpers;

mod appliance;
mod events;
mod foundation;
mod orders;
mod store_setup;
