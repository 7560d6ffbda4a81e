//! The platform every role runs on. It never imports a role ([`crate::roles`]): settings
//! ([`config`]), the names of streams, buckets and consumers ([`topology`]) and their creation
//! ([`provision`]), publishing with msg-id and expected-sequence headers ([`publish`],
//! [`envelope`]), the handler contract ([`handler`]) and the consumer loop ([`worker`]), dead
//! letters ([`dlq`]), lazily opened views ([`views`]), the saga's reply protocol
//! ([`saga_reply`]), metrics, the HTTP listener and start-up and shutdown ([`service`]).
//!
//! The modules form layers, lowest first; a module imports only from layers below it, and
//! `tests/module_layers.rs` fails the build on any import circle:
//! 1. `error`, `metrics`, `telemetry`, `commands`, `handler`
//! 2. `service_role`, `inflight`, `diag`
//! 3. `config` → `topology`
//! 4. `provision`, `publish`, `registry`
//! 5. `dlq`, `envelope`, `order_history` → `worker`, `http`
//! 6. `service` → `views`, `saga_reply`

pub mod commands;
pub mod config;
pub mod diag;
pub mod dlq;
pub mod envelope;
pub mod error;
pub mod forget;
pub mod handler;
pub mod http;
pub mod inflight;
pub mod metrics;
pub mod order_history;
pub mod provision;
pub mod publish;
pub mod registry;
pub mod retry;
pub mod saga_reply;
pub mod service;
pub mod service_role;
pub mod telemetry;
pub mod topology;
pub mod trace;
pub mod views;
pub mod worker;

pub use registry::HandlerRegistry;
pub use service_role::ServiceRole;
