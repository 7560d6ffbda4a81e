//! # mallbots-wire
//!
//! The contract between the edge and central on NATS, in one place: the headers of an event
//! message ([`headers`]), what a device is on the wire (its role, its two durable consumers, its
//! NATS permissions and the subject patterns they are made of: [`devices`]) and the credentials
//! file enrollment hands to a device ([`credentials`]), the event subjects themselves, typed
//! ([`subjects`]), central's own subjects and the filter patterns of its streams and consumers
//! ([`service_subjects`]), the trace context every message carries ([`trace`]), TLS set-up
//! ([`tls`]) and the process figures every binary's metrics endpoint reports
//! ([`process_metrics`]). Every subject string is written here. No storage, no runtime: central
//! depends on this crate, not on the edge's SQLite store.

pub mod credentials;
pub mod devices;
pub mod headers;
pub mod process_metrics;
pub mod service_subjects;
pub mod subjects;
pub mod tls;
pub mod trace;
