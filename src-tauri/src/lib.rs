//! # mallbots-app (being written)
