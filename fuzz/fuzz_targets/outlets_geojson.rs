//! Outlet GeoJSON (`registry::load` with a `.geojson` file): no panic, and every skipped feature's
//! error names a feature that exists.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use storenet::registry::{load, LoadError, LoadOptions, Location};

const CHAINS: &[u8] = include_bytes!("../../data/chains.csv");

fuzz_target!(|data: &[u8]| {
    let chains = common::scratch("chains.csv", CHAINS);
    let path = common::scratch("outlets.geojson", data);
    let features = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("features").and_then(|f| f.as_array()).map(Vec::len));
    let errors = match load(&chains, &path, &LoadOptions { skip_invalid: true }) {
        Ok(loaded) => loaded.skipped,
        Err(LoadError::Invalid { errors }) => errors,
        Err(_) => return,
    };
    for e in &errors {
        match (&e.at, features) {
            (Location::Feature(i), Some(n)) => {
                assert!(*i < n, "error names feature {i} of {n}: {e}")
            }
            (at, n) => panic!("a GeoJSON error at {at:?} in a file with {n:?} features: {e}"),
        }
    }
});
