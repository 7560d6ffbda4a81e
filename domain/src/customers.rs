//! customers context (being written).
