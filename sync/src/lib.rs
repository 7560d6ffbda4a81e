//! # mallbots-sync
//!
//! The SQLite event store with its transactional outbox and inbox, projections, the event codec,
//! the NATS transport and the sync engine. Not the use cases (see `mallbots-edge`).

pub mod engine;
pub mod store;
