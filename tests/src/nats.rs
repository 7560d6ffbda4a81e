//! nats-server harness (being written).
