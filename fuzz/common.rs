//! Shared by the targets. Most of our readers take a path (they are fed files by the CLI), so the
//! fuzz input goes through one scratch file per process; `run.sh` points TMPDIR at /dev/shm.

#![allow(dead_code)]

use std::path::PathBuf;

/// Writes `data` to a scratch file named `name` (the name matters: `.geojson` picks the reader).
pub fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("storenet-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("writing the scratch file");
    path
}

/// The last line number a CSV reader can name in `data`: every `\n` and every lone `\r` starts a
/// line, so this is an upper bound however the reader counts.
pub fn last_line(data: &[u8]) -> u64 {
    1 + data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64
}

/// Asserts that `line` is a line of `data` (1-based); `what` is the error for the message.
pub fn assert_line(line: u64, data: &[u8], what: &dyn std::fmt::Display) {
    assert!(
        (1..=last_line(data)).contains(&line),
        "error names line {line}, the input has {} lines: {what}",
        last_line(data)
    );
}
