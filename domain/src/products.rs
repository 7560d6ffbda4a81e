//! products context (being written).
