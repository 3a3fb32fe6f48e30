//! Searching the registry and the flat records and reports the front ends print.

use super::{load, LoadError, LoadOptions, Registry};
use crate::model::{Category, ChainId, MunicipalityCode, Outlet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A search over outlets; every field that is set must match (an empty `chains` matches all).
#[derive(Debug, Clone, Default)]
pub struct OutletQuery {
    /// Outlets of any of these chains.
    pub chains: Vec<ChainId>,
    /// Outlets whose chain has this category.
    pub category: Option<Category>,
    /// Outlets in this municipality.
    pub municipality: Option<MunicipalityCode>,
    /// Outlets whose name contains this text, ignoring case.
    pub name: Option<String>,
}

impl Registry {
    /// The outlets matching `q`, sorted by id.
    pub fn search(&self, q: &OutletQuery) -> Vec<&Outlet> {
        let needle = q.name.as_deref().map(str::to_lowercase);
        self.outlets()
            .iter()
            .filter(|o| q.chains.is_empty() || q.chains.contains(&o.chain))
            .filter(|o| q.category.is_none_or(|c| self.chain_of(o).category == c))
            .filter(|o| q.municipality.is_none_or(|m| o.municipality == m))
            .filter(|o| {
                needle
                    .as_deref()
                    .is_none_or(|n| o.name.to_lowercase().contains(n))
            })
            .collect()
    }
}

/// An outlet as one flat record with numeric `lat` / `lon` (WGS84 degrees), for JSON output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutletRecord {
    /// Outlet id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Chain id.
    pub chain: String,
    /// `store` or `partner`.
    pub kind: &'static str,
    /// Street address.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Municipality code, three digits.
    pub municipality: String,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Phone number (may be empty).
    pub phone: String,
    /// Opening hours, canonical form.
    pub opening_hours: String,
    /// Service tags.
    pub services: Vec<String>,
}

impl From<&Outlet> for OutletRecord {
    fn from(o: &Outlet) -> Self {
        OutletRecord {
            id: o.id.0,
            name: o.name.clone(),
            chain: o.chain.to_string(),
            kind: o.kind.as_str(),
            street: o.address.street.clone(),
            postal_code: o.address.postal_code.clone(),
            city: o.address.city.clone(),
            municipality: o.municipality.to_string(),
            lat: o.location.lat(),
            lon: o.location.lon(),
            phone: o.phone.clone(),
            opening_hours: o.hours.to_string(),
            services: o.services.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What an import check found: counts of good outlets per chain and every problem.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The outlets file checked.
    pub file: String,
    /// Outlets that passed validation.
    pub loaded: usize,
    /// Good outlets per chain id.
    pub per_chain: BTreeMap<String, usize>,
    /// Every problem found, `file:line: field ...: reason`.
    pub errors: Vec<String>,
}

/// Validates an outlets file (CSV or GeoJSON) against a chains file and reports, without
/// failing on bad rows: the caller decides whether any error is fatal. File-level problems
/// (unreadable, empty, bad header, bad chains file) are still errors.
pub fn check_import(chains_path: &Path, outlets_path: &Path) -> Result<ImportReport, LoadError> {
    let loaded = load(
        chains_path,
        outlets_path,
        &LoadOptions { skip_invalid: true },
    )?;
    let mut per_chain = BTreeMap::new();
    for o in loaded.registry.outlets() {
        *per_chain.entry(o.chain.to_string()).or_insert(0) += 1;
    }
    Ok(ImportReport {
        file: outlets_path.display().to_string(),
        loaded: loaded.registry.outlets().len(),
        per_chain,
        errors: loaded.skipped.iter().map(|e| e.to_string()).collect(),
    })
}
