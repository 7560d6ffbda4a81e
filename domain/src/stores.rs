//! stores context (being written).
