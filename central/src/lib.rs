//! # mallbots-central
//!
//! The headless central service: the order saga, payments, depot and bot dispatch, notifications.
//! It keeps no database: its state lives in NATS JetStream streams and KV buckets.
