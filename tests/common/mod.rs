//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A path inside the repository.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A path inside tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    repo_path("tests/fixtures").join(rel)
}
