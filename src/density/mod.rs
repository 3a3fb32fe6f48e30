//! Household density: grid cells in EPSG:3067 (our 1 km grid or Statistics Finland's own 1 km /
//! 250 m grid files), and the privacy floor every output goes through.

mod blocks;
mod grid;
mod privacy;
pub mod secret;

pub use blocks::{blocks, Block, Blocks};
pub use grid::{Cell, Grid, GridOptions, CARDHOLDERS_PER_HOUSEHOLD, PERSONS_PER_HOUSEHOLD};
pub use privacy::{
    perturbation, CellKey, Count, KeySecret, Real, Tally, MAX_PERTURBATION, PRIVACY_FLOOR,
    SUPPRESSED,
};

use std::path::PathBuf;

/// Why a density grid could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DensityError {
    /// The file could not be read.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A row the CSV reader could not read.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// What the reader said.
        reason: String,
    },
    /// A field that failed validation.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    BadField {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The header lacks a column the grid needs.
    #[error("{path}: no {wanted} column (header: {header})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// What was looked for.
        wanted: &'static str,
        /// The header found.
        header: String,
    },
    /// No cell with households.
    #[error("{path}: the grid has no cells with households")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The coordinates are in no CRS we can recognise and none was given.
    #[error(
        "{path}: cannot tell the grid's CRS ({reason}); give it with --grid-crs 3067|4326|2393"
    )]
    UnknownCrs {
        /// The file.
        path: PathBuf,
        /// What was seen.
        reason: String,
    },
    /// An option outside its range.
    #[error("grid option `{option}`: {reason}")]
    BadOption {
        /// The option.
        option: &'static str,
        /// What is allowed.
        reason: String,
    },
}
