//! # mallbots-tests
//!
//! Harnesses for system tests that cross processes: real nats-server instances and clusters
//! ([`nats`]), spawned central and edge binaries ([`procs`]), and GUI end-to-end tests driving the
//! real Tauri app over WebDriver ([`gui`]). The tests themselves live in `tests/tests/`.

pub mod faults;
pub mod gui;
pub mod nats;
pub mod procs;
