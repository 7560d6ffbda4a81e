//! # mallbots-central
//!
//! The headless central service: the order saga, payments, depot and bot dispatch, notifications.
//! It keeps no database: its state lives in NATS JetStream streams and KV buckets, so any number
//! of replicas can share the durable consumers.
//!
//! This crate is the infrastructure around the pure decisions in `mallbots-domain`, in two parts:
//! [`platform`] (settings, topology, publishing, the handler contract and consumer loop, dead
//! letters, metrics, HTTP, start-up and shutdown), which never imports a role, and [`roles`]
//! (saga, ordering, payments, depot, bots simulator, notifications, desk), each registering its
//! handlers. [`app`] wires the roles a replica runs; [`auth`] and [`enrollment`] render the
//! NATS authorization and enroll devices. No business rule lives here: decisions are the
//! domain's.

pub mod app;
pub mod auth;
pub mod enrollment;
pub mod platform;
pub mod roles;

pub use platform::config::Settings;
pub use platform::error::CentralError;
pub use platform::handler::{Delivery, Handler, Outcome};
pub use platform::provision::ensure_topology;
pub use platform::service::run;
pub use platform::topology::Topology;
pub use platform::{HandlerRegistry, ServiceRole};
