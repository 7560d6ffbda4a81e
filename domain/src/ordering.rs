//! ordering context (being written).
