//! The `mallbots` command line.

pub mod sync;
