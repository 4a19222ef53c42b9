//! Integration tests: one binary, a real server per test.

mod helpers;
mod proc;
mod services;
mod sse;

mod appliance;
mod events;
mod faults;
mod foundation;
mod hub;
mod kitchen;
mod options;
mod orders;
mod printer;
mod reliability;
mod security;
mod store_setup;
mod tablets;
