//! Integration tests: spatial.
