//! # mallbots-tests
//!
//! Harnesses for system tests that cross processes: real nats-server instances and clusters
//! ([`nats`]), spawned central and edge binaries ([`procs`]), and GUI end-to-end tests driving the
//! real Tauri app over WebDriver ([`gui`]), and a mall of CLI devices enrolled as an operator
//! enrolls them ([`cli_mall`]), the OpenMetrics check of `/metrics` ([`openmetrics`]), and what
//! the benchmark programs share ([`bench`]). The tests
//! themselves live in `tests/tests/`.

pub mod bench;
pub mod cli_mall;
pub mod faults;
pub mod gui;
pub mod nats;
pub mod openmetrics;
pub mod procs;
