//! Integration tests: crs.
