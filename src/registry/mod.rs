//! The outlet registry: chains and outlets, loaded from CSV / GeoJSON and validated.
//!
//! Loading is all-or-nothing by default: a file with any bad row fails whole, and the error lists
//! EVERY bad row as `{path}:{line}: field `{field}`: {reason}` (GeoJSON:
//! `{path}: features[{i}].properties.{field}: {reason}`). With [`LoadOptions::skip_invalid`] the
//! good rows load and every skipped row's error comes back in [`Loaded::skipped`].
//!
//! Outlet files may give coordinates as `lat,lon` (WGS84) or as `x,y` with a `crs` column
//! (EPSG 3067 or 2393); the header decides. Every outlet must lie in Finland: inside the bundled
//! outline or within [`COAST_TOLERANCE_M`] of it.

pub mod csv;
mod error;
mod geojson;
mod query;
mod validate;

pub use error::{LoadError, Location, RowError};
pub use query::{check_import, ImportReport, OutletQuery, OutletRecord};
pub use validate::COAST_TOLERANCE_M;

use crate::model::{Chain, ChainId, Outlet, OutletId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The largest chains or outlets file read (64 MiB): over 100 times the bundled 3,100-outlet
/// `outlets.csv` (0.5 MB), and a GeoJSON file of [`MAX_IMPORT_ROWS`] features fits in it. The
/// file is read whole, so this bounds the memory a load takes.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The most rows (CSV records after the header, or GeoJSON features) a chains or outlets file may
/// hold: 100,000, 32 times the bundled registry.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// A file's bytes, refusing one over [`MAX_IMPORT_BYTES`] without reading past the bound (a
/// FIFO or `/dev/stdin` has no length to check first).
fn read_bounded(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let too_large = || LoadError::TooLarge {
        path: path.to_path_buf(),
        reason: format!(
            "the file is over {} MiB; split it",
            MAX_IMPORT_BYTES / (1024 * 1024)
        ),
    };
    if file.metadata().map_err(io)?.len() > MAX_IMPORT_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// How to treat bad rows while loading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Load the good outlet rows and report the bad ones in [`Loaded::skipped`] instead of failing.
    /// Default `false`: any bad row fails the whole load. Bad chain rows always fail the load,
    /// since every outlet depends on its chain.
    pub skip_invalid: bool,
}

/// The result of a load: the registry and the errors of the rows left out (empty unless
/// [`LoadOptions::skip_invalid`] was set).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated registry.
    pub registry: Registry,
    /// One error per problem in a skipped row, in file order.
    pub skipped: Vec<RowError>,
}

/// The in-memory catalogue of chains and outlets; outlets sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    chains: BTreeMap<ChainId, Chain>,
    outlets: Vec<Outlet>,
    by_id: HashMap<OutletId, usize>,
}

/// Loads `chains.csv` and `outlets.csv` from a data directory, failing on any bad row.
pub fn load_dir(dir: &Path) -> Result<Registry, LoadError> {
    load(
        &dir.join("chains.csv"),
        &dir.join("outlets.csv"),
        &LoadOptions::default(),
    )
    .map(|l| l.registry)
}

/// Loads chains from a CSV file and outlets from a CSV or GeoJSON file (GeoJSON when the name
/// ends in `.geojson` / `.json` or the text starts with `{`), validating every row.
pub fn load(
    chains_path: &Path,
    outlets_path: &Path,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let chains = csv::read_chains(chains_path)?;
    let known: HashSet<ChainId> = chains.iter().map(|c| c.id.clone()).collect();
    let (outlets, errors) = validate::read_outlet_file(outlets_path, Some(&known))?;
    if !errors.is_empty() && !opts.skip_invalid {
        return Err(LoadError::Invalid { errors });
    }
    let registry = Registry::new(chains, outlets)?;
    Ok(Loaded {
        registry,
        skipped: errors,
    })
}

impl Registry {
    /// Builds a registry, checking that ids are unique and every outlet's chain is known.
    pub fn new(chains: Vec<Chain>, mut outlets: Vec<Outlet>) -> Result<Self, LoadError> {
        let chains: BTreeMap<ChainId, Chain> =
            chains.into_iter().map(|c| (c.id.clone(), c)).collect();
        outlets.sort_by_key(|o| o.id);
        let mut by_id = HashMap::with_capacity(outlets.len());
        for (i, o) in outlets.iter().enumerate() {
            if by_id.insert(o.id, i).is_some() {
                return Err(LoadError::DuplicateId(o.id));
            }
            if !chains.contains_key(&o.chain) {
                return Err(LoadError::UnknownChain {
                    outlet: o.id,
                    chain: o.chain.clone(),
                });
            }
        }
        Ok(Registry {
            chains,
            outlets,
            by_id,
        })
    }

    /// All outlets, sorted by id.
    pub fn outlets(&self) -> &[Outlet] {
        &self.outlets
    }

    /// One outlet by id.
    pub fn outlet(&self, id: OutletId) -> Option<&Outlet> {
        self.by_id.get(&id).map(|&i| &self.outlets[i])
    }

    /// Where the outlet with this id is in [`outlets`](Self::outlets).
    pub fn position(&self, id: OutletId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// One chain by id.
    pub fn chain(&self, id: &ChainId) -> Option<&Chain> {
        self.chains.get(id)
    }

    /// All chains, sorted by id.
    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        self.chains.values()
    }

    /// The chain of an outlet (always present: checked when the registry was built).
    pub fn chain_of(&self, outlet: &Outlet) -> &Chain {
        &self.chains[&outlet.chain]
    }
}

#[cfg(test)]
mod tests;
