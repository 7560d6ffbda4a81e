//! Spawned binaries harness (being written).
