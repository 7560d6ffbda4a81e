//! depot context (being written).
