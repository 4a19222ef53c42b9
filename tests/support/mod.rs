//! What the integration tests, the benchmarks and the soak example share to drive the box
//! from outside: the real binary as a child process (`proc`), PostgreSQL, Redis and HAProxy
//! for the hub (`services`), a real systemd in namespaces of its own (`systemd`), and a small client: JSON requests, raw event streams, and
//! readings of a process's memory, descriptors and threads (`client`).
//!
//! Each user includes it with `#[path = "…/tests/support/mod.rs"] mod support;`.
#![allow(dead_code)]

pub mod client;
pub mod proc;
pub mod releases;
pub mod services;
pub mod systemd;
