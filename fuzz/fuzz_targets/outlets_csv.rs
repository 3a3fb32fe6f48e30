//! Outlet and chain CSV (`registry::csv`): no panic, and every row error names a real line of the
//! file (and a field when it is about one).
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use storenet::registry::{csv, LoadError, Location, RowError};

fn check_row(e: &RowError, data: &[u8]) {
    match e.at {
        Location::Line(l) => common::assert_line(l, data, e),
        Location::Feature(_) => panic!("a CSV error names a GeoJSON feature: {e}"),
    }
}

fn check(err: &LoadError, data: &[u8]) {
    match err {
        LoadError::Invalid { errors } => {
            assert!(!errors.is_empty(), "Invalid without errors");
            for e in errors {
                check_row(e, data);
            }
        }
        LoadError::Header(e) => check_row(e, data),
        LoadError::BadField { line, .. } | LoadError::Csv { line, .. } => {
            common::assert_line(*line, data, err)
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("outlets.csv", data);
    match csv::read_outlets(&path) {
        Ok(outlets) => assert!(!outlets.is_empty(), "an outlet file read with no outlets"),
        Err(e) => check(&e, data),
    }
    if let Err(e) = csv::read_chains(&path) {
        check(&e, data);
    }
});
