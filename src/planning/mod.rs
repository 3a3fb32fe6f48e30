//! Network planning against household density: coverage by distance bands, catchments, gaps,
//! what-if open/close, site suggestion (maximal covering, p-median) and Huff market share.
//!
//! Every analysis is a library function returning a serialisable report whose household figures
//! are [`crate::density::Count`]s (and [`crate::density::Real`]s) of sets of cells, published
//! through the cell-key method and the privacy floor (see `density::privacy`). Distances are
//! great-circle metres on the sphere of [`sphere::EARTH_RADIUS_M`] (see [`sphere`] for the error
//! against the ellipsoid). Work is spread over cores with rayon.

mod areas;
mod catchment;
mod coverage;
mod gaps;
mod huff;
pub mod map;
pub mod nearest;
pub mod output;
mod points;
pub mod site;
pub mod sphere;
mod whatif;

pub use areas::{cells_geojson, Connectivity};
pub use catchment::{catchments, catchments_geojson, CatchmentReport, CatchmentRow};
pub use coverage::{coverage, Band, CoverageReport, CoverageRow, DEFAULT_BANDS_KM};
pub use gaps::{gaps, gaps_geojson, Gap, GapReport};
pub use huff::{default_attractiveness, huff, HuffArea, HuffOptions, HuffOutlet, HuffReport};
pub use points::{
    read_candidates, read_competitors, read_municipality_centres, Competitor, Municipality,
};
pub use site::{suggest_sites, Objective, SiteOptions, SiteReport, SuggestedSite};
pub use whatif::{what_if, NewOutlet, OutletChange, WhatIfReport};

use crate::density::{DensityError, Grid};
use crate::model::{LonLat, MunicipalityCode, Outlet, OutletId};
use crate::registry::Registry;
use crate::spatial::Filter;
use nearest::{Nearest, NearestIndex};
use rayon::prelude::*;
use sphere::Unit;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a planning request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The density grid could not be loaded.
    #[error(transparent)]
    Density(#[from] DensityError),
    /// A parameter outside its range.
    #[error("{field}: {reason}")]
    BadParam {
        /// Which parameter.
        field: &'static str,
        /// What is allowed.
        reason: String,
    },
    /// A what-if names an outlet the registry does not have.
    #[error("unknown outlet id {0}: nothing to close")]
    UnknownOutlet(OutletId),
    /// The filter leaves no outlet to plan with.
    #[error("no outlets match the selection ({0})")]
    NoOutlets(String),
    /// A points file (candidates, competitors, municipal centres) could not be read.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A bad row in a points file.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    BadField {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The column.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing a map failed.
    #[error("drawing the map: {0}")]
    Map(String),
}

pub(crate) fn bad(field: &'static str, reason: impl Into<String>) -> PlanError {
    PlanError::BadParam {
        field,
        reason: reason.into(),
    }
}

/// A radius must be a positive finite number of metres.
pub(crate) fn check_radius(field: &'static str, m: f64) -> Result<(), PlanError> {
    if m.is_finite() && m > 0.0 {
        Ok(())
    } else {
        Err(bad(field, format!("{m} m: must be > 0")))
    }
}

/// The grid, the registry and what is derived from them once: cell unit vectors and each cell's
/// municipality. Build once, run many analyses.
#[derive(Debug, Clone)]
pub struct PlanContext {
    grid: Arc<Grid>,
    registry: Arc<Registry>,
    units: Vec<Unit>,
    municipality: Vec<Option<MunicipalityCode>>,
    municipality_names: std::collections::HashMap<MunicipalityCode, String>,
}

impl PlanContext {
    /// Prepares a grid and registry. Cells without a municipality code take that of their nearest
    /// municipal centre (`data/sources/fi_municipality_centres.csv`) when `centres` is given.
    pub fn new(grid: Arc<Grid>, registry: Arc<Registry>, centres: &[Municipality]) -> Self {
        let units: Vec<Unit> = grid
            .cells()
            .par_iter()
            .map(|c| sphere::unit(c.centre))
            .collect();
        let idx = NearestIndex::new(centres.iter().map(|m| sphere::unit(m.centre)).collect());
        let near = idx.assign(&units);
        let municipality = grid
            .cells()
            .iter()
            .zip(near)
            .map(|(c, n)| {
                c.municipality
                    .or_else(|| n.map(|n| centres[n.site as usize].code))
            })
            .collect();
        let municipality_names = centres.iter().map(|m| (m.code, m.name.clone())).collect();
        PlanContext {
            grid,
            registry,
            units,
            municipality,
            municipality_names,
        }
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Unit vectors of the cell centres, in grid order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Municipality of each cell, in grid order.
    pub fn municipalities(&self) -> &[Option<MunicipalityCode>] {
        &self.municipality
    }

    /// A municipality's name, if known.
    pub fn municipality_name(&self, m: MunicipalityCode) -> Option<&str> {
        self.municipality_names.get(&m).map(String::as_str)
    }

    /// The outlets a filter selects.
    pub fn select(&self, filter: &Filter) -> Vec<&Outlet> {
        self.registry
            .outlets()
            .iter()
            .filter(|o| filter.matches(&self.registry, o))
            .collect()
    }

    /// Every cell's nearest site among `sites`, in grid order.
    pub fn assign(&self, sites: &[LonLat]) -> Vec<Option<Nearest>> {
        NearestIndex::new(sites.iter().map(|p| sphere::unit(*p)).collect()).assign(&self.units)
    }
}

/// Describes a filter for report headings: `chains=k-market; categories=food`.
pub fn describe(filter: &Filter) -> String {
    let mut parts = Vec::new();
    if !filter.chains.is_empty() {
        let v: Vec<&str> = filter.chains.iter().map(|c| c.as_str()).collect();
        parts.push(format!("chains={}", v.join(",")));
    }
    if !filter.categories.is_empty() {
        let v: Vec<&str> = filter.categories.iter().map(|c| c.as_str()).collect();
        parts.push(format!("categories={}", v.join(",")));
    }
    if parts.is_empty() {
        "all outlets".into()
    } else {
        parts.join("; ")
    }
}

/// Household-weighted quantile of distances (`q` in 0..=1); `None` for no weight.
pub(crate) fn weighted_quantile(mut v: Vec<(f64, u64)>, q: f64) -> Option<f64> {
    let total: u64 = v.iter().map(|x| x.1).sum();
    if total == 0 {
        return None;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let target = (q * total as f64).ceil().max(1.0) as u64;
    let mut acc = 0;
    for (d, w) in &v {
        acc += w;
        if acc >= target {
            return Some(*d);
        }
    }
    v.last().map(|x| x.0)
}
