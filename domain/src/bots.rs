//! bots context (being written).
