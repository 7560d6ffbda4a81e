//! dispatch context (being written).
