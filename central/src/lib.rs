//! # mallbots-central
//!
//! The headless central service: the order saga, payments, depot and bot dispatch, notifications.
//! It keeps no database: its state lives in NATS JetStream streams and KV buckets, so any number
//! of replicas can share the durable consumers.
//!
//! This crate is the infrastructure around the pure decisions in `mallbots-domain`:
//! [`config`] (layered settings), [`topology`] (names of streams, buckets, consumers), [`provision`] (creating them), [`worker`] (the
//! consumer loop with explicit outcomes), [`dlq`] (dead letters), [`publish`] (msg-id and
//! expected-sequence headers, timers), [`metrics`], [`http`] (health, metrics, DLQ) and
//! [`service`] (start-up and graceful shutdown). It is not the domain: no business rule lives
//! here.

pub mod app;
pub mod auth;
pub mod bots_sim;
pub mod catalog;
pub mod commands;
pub mod config;
pub mod customers;
pub mod depot;
pub mod desk;
pub mod diag;
pub mod dlq;
pub mod enrollment;
pub mod envelope;
pub mod error;
pub mod http;
pub mod inflight;
pub mod metrics;
pub mod notifications;
pub mod ordering;
pub mod payments;
pub mod provision;
pub mod publish;
pub mod roles;
pub mod saga;
pub mod service;
pub mod telemetry;
pub mod topology;
pub mod views;
pub mod worker;

pub use config::Settings;
pub use error::CentralError;
pub use roles::{HandlerRegistry, ServiceRole};
pub use service::run;
pub use topology::{ensure_topology, Topology};
pub use worker::{Delivery, Handler, Outcome};
