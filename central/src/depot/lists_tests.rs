//! Unit tests of the list decisions.
