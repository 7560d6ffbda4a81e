//! notifications context (being written).
