//! Density grid CSV (`density::Grid::load`): no panic; a field error names a real line; a loaded
//! grid has cells, in row-major order, each cell once.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use storenet::density::{DensityError, Grid, GridOptions, KeySecret};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("grid.csv", data);
    match Grid::load(
        &path,
        &GridOptions::new(KeySecret::public_for_synthetic_grids()),
    ) {
        Ok(g) => {
            assert!(!g.cells().is_empty(), "a grid with no cells");
            assert!(g.cell_size_m() > 0);
            // Row-major (south to north, west to east), duplicates merged.
            for w in g.cells().windows(2) {
                assert!(
                    (w[0].y, w[0].x) < (w[1].y, w[1].x),
                    "cells out of order or repeated"
                );
            }
        }
        Err(e @ (DensityError::BadField { line, .. } | DensityError::Csv { line, .. })) => {
            common::assert_line(line, data, &e)
        }
        Err(_) => {}
    }
});
