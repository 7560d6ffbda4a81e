//! baskets context (being written).
