//! Integration tests: one binary, a real server per test.

mod helpers;

mod foundation;
mod store_setup;
mod events;
