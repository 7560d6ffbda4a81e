//! saga context (being written).
