//! GUI end-to-end harness (being written).
