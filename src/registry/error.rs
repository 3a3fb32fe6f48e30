//! The registry's errors: one per bad row or field, and the load error that gathers them.

use crate::model::{ChainId, OutletId};
use std::fmt;
use std::path::PathBuf;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line of a CSV file (the header is line 1).
    Line(u64),
    /// A 0-based index into a GeoJSON FeatureCollection's `features` array.
    Feature(usize),
}

/// One problem in one row (CSV) or feature (GeoJSON): file, place, field and reason.
///
/// Displays as `{path}:{line}: field `{field}`: {reason}` for CSV and as
/// `{path}: features[{i}].properties.{field}: {reason}` (or `.geometry`) for GeoJSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file.
    pub path: PathBuf,
    /// The line or feature.
    pub at: Location,
    /// The column / property, if the problem belongs to one.
    pub field: Option<String>,
    /// What is wrong, in words a user can act on.
    pub reason: String,
}

impl RowError {
    pub(crate) fn new(
        path: &std::path::Path,
        at: Location,
        field: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        RowError {
            path: path.to_path_buf(),
            at,
            field: field.map(str::to_string),
            reason: capped(reason.into()),
        }
    }

    /// The line number for CSV errors.
    pub fn line(&self) -> Option<u64> {
        match self.at {
            Location::Line(l) => Some(l),
            Location::Feature(_) => None,
        }
    }
}

/// The most characters of a reason kept: reasons quote the value at fault, and a value can be
/// megabytes long.
const MAX_REASON_CHARS: usize = 300;

fn capped(mut reason: String) -> String {
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON_CHARS) {
        reason.truncate(cut);
        reason.push_str("… (cut)");
    }
    reason
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (&self.at, self.field.as_deref()) {
            (Location::Line(l), Some(field)) => {
                write!(f, "{path}:{l}: field `{field}`: {}", self.reason)
            }
            (Location::Line(l), None) => write!(f, "{path}:{l}: {}", self.reason),
            (Location::Feature(i), Some("geometry")) => {
                write!(f, "{path}: features[{i}].geometry: {}", self.reason)
            }
            (Location::Feature(i), Some(field)) => {
                write!(
                    f,
                    "{path}: features[{i}].properties.{field}: {}",
                    self.reason
                )
            }
            (Location::Feature(i), None) => write!(f, "{path}: features[{i}]: {}", self.reason),
        }
    }
}

impl std::error::Error for RowError {}

/// Why a registry could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A field that failed validation.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    BadField {
        /// The file.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A file the CSV reader could not read at all.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 if unknown).
        line: u64,
        /// What the reader said.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An empty file, a header without rows, or a GeoJSON without features.
    #[error("{path}: {reason}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A file over [`super::MAX_IMPORT_BYTES`] or with more than [`super::MAX_IMPORT_ROWS`]
    /// rows (features).
    #[error("{path}: {reason}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Which bound it broke.
        reason: String,
    },
    /// A header (or GeoJSON document) the loader cannot use, e.g. a missing required column.
    #[error("{0}")]
    Header(RowError),
    /// One or more bad rows; the load was refused whole. Lists every problem.
    #[error("{} invalid {}:\n{}", errors.len(), if errors.len() == 1 { "entry" } else { "entries" }, list(errors))]
    Invalid {
        /// Every problem found, in file order.
        errors: Vec<RowError>,
    },
    /// Two outlets share an id.
    #[error("duplicate outlet id {0}")]
    DuplicateId(OutletId),
    /// An outlet names a chain the registry does not know.
    #[error("outlet {outlet}: unknown chain `{chain}`")]
    UnknownChain {
        /// The outlet.
        outlet: OutletId,
        /// The chain it names.
        chain: ChainId,
    },
}

fn list(errors: &[RowError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl LoadError {
    /// Every row-level problem this error carries (empty for file-level errors).
    pub fn row_errors(&self) -> &[RowError] {
        match self {
            LoadError::Invalid { errors } => errors,
            LoadError::Header(e) => std::slice::from_ref(e),
            _ => &[],
        }
    }
}
