//! payments context (being written).
