//! The outlet registry: chains and outlets, loaded from CSV / GeoJSON and validated.
//!
//! INTERFACE SKELETON: the registry work adds loading and validation (file:line:field errors).

pub mod csv;

use crate::model::{Chain, ChainId, Outlet, OutletId};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

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
    /// A row the CSV reader could not read.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 if unknown).
        line: u64,
        /// What the reader said.
        reason: String,
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

/// The in-memory catalogue of chains and outlets; outlets sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    chains: BTreeMap<ChainId, Chain>,
    outlets: Vec<Outlet>,
    by_id: HashMap<OutletId, usize>,
}

/// Loads `chains.csv` and `outlets.csv` from a data directory.
pub fn load_dir(dir: &Path) -> Result<Registry, LoadError> {
    let chains = csv::read_chains(&dir.join("chains.csv"))?;
    let outlets = csv::read_outlets(&dir.join("outlets.csv"))?;
    Registry::new(chains, outlets)
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
