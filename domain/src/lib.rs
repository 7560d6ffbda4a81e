//! # mallbots-domain
//!
//! The pure MallBots domain: every bounded context's aggregates, commands, events and specific
//! errors, the order saga as a state machine and bot dispatch as a decision.
//!
//! What it is not: storage, transport, clocks or randomness. Ids and timestamps arrive inside
//! commands, so every decision is deterministic and testable as given / when / then
//! ([`testing::AggregateTest`]). The I/O around it (SQLite on the edge, NATS JetStream in central)
//! lives in `mallbots-sync`, `mallbots-edge` and `mallbots-central`.

pub mod aggregate;
pub mod error;
pub mod ids;
pub mod money;
pub mod testing;
pub mod time;

pub mod baskets;
pub mod bots;
pub mod customers;
pub mod depot;
pub mod desk;
pub mod dispatch;
pub mod mall_map;
pub mod notifications;
pub mod ordering;
pub mod payments;
pub mod products;
pub mod saga;
pub mod stores;

pub use aggregate::{execute, Aggregate, DomainEvent};
pub use error::{decide, DomainError, ErrorCode};
pub use ids::*;
pub use money::{Currency, Money};
pub use time::Timestamp;
