//! Integration tests: one binary, a real server per test.

#[path = "../support/mod.rs"]
mod support;
use support::{proc, services};

mod helpers;
mod sse;

mod appliance;
mod architecture;
mod attacks;
mod checkout;
mod events;
mod faults;
mod foundation;
mod hub;
mod kitchen;
mod options;
mod orders;
#[cfg(target_os = "linux")]
mod powercut;
#[cfg(target_os = "linux")]
mod powercut_fs;
mod printer;
mod reliability;
mod security;
mod staff;
mod store_setup;
mod tablets;
mod update;
