//! Integration tests: planning.
