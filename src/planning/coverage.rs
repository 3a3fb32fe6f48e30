//! Coverage: the share of households and cardholders within distance bands of the nearest outlet.

use super::nearest::Nearest;
use super::{check_radius, describe, sphere, PlanContext, PlanError};
use crate::density::{Count, Real, Tally};
use crate::model::{Category, LonLat};
use crate::spatial::Filter;
use serde::Serialize;
use std::collections::BTreeMap;

/// The default distance bands, km.
pub const DEFAULT_BANDS_KM: [f64; 7] = [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0];

/// Households and cardholders within one band.
#[derive(Debug, Clone, Serialize)]
pub struct Band {
    /// Upper limit, metres.
    pub within_m: f64,
    /// Households within the limit.
    pub households: Count,
    /// Cardholders within the limit.
    pub cardholders: Count,
    /// Share of the row's households within the limit (0–1).
    pub share_households: Real,
    /// Share of the row's cardholders within the limit (0–1).
    pub share_cardholders: Real,
}

/// Coverage of one group of cells (the whole grid, or one municipality) by one set of outlets.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// What the row is: `all`, a chain id, a category, or a municipality code.
    pub key: String,
    /// A readable label.
    pub label: String,
    /// Outlets in the set.
    pub outlets: usize,
    /// Households in the row's cells.
    pub households: Count,
    /// Cardholders in the row's cells.
    pub cardholders: Count,
    /// Household-weighted median distance to the nearest outlet, metres.
    pub median_m: Real,
    /// One entry per band, ascending.
    pub bands: Vec<Band>,
}

/// The full coverage report.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageReport {
    /// The selection the report is for.
    pub selection: String,
    /// Band limits, metres.
    pub bands_m: Vec<f64>,
    /// The selected outlets together.
    pub total: CoverageRow,
    /// Each chain among the selected outlets on its own.
    pub by_chain: Vec<CoverageRow>,
    /// Each category among the selected outlets on its own.
    pub by_category: Vec<CoverageRow>,
    /// The selected outlets together, per municipality of the cells.
    pub by_municipality: Vec<CoverageRow>,
}

/// Validates and sorts band limits given in metres.
pub(crate) fn check_bands(bands_m: &[f64]) -> Result<Vec<f64>, PlanError> {
    if bands_m.is_empty() {
        return Err(super::bad("bands", "give at least one band"));
    }
    for &b in bands_m {
        check_radius("bands", b)?;
    }
    let mut v = bands_m.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    Ok(v)
}

/// Builds one row from (tally, distance) of its cells. Every count is the published figure of a
/// set of cells (the row's cells, those within a band), and shares are ratios of published
/// counts, so the row carries no figure the cell-key method has not perturbed.
pub(crate) fn row(
    key: String,
    label: String,
    outlets: usize,
    cells: impl Iterator<Item = (Tally, f64)>,
    bands_m: &[f64],
) -> CoverageRow {
    let mut all = Tally::default();
    let mut within = vec![Tally::default(); bands_m.len()];
    let mut dists = Vec::new();
    for (t, d) in cells {
        all += t;
        dists.push((d, t.hh()));
        // Bands are ascending: the first that holds d and every later one count the cell.
        if let Some(first) = bands_m.iter().position(|&b| d <= b) {
            for w in &mut within[first..] {
                *w += t;
            }
        }
    }
    let households = all.households();
    let cardholders = all.cardholders();
    // Published band figures are made cumulative and at most the row's figure again by clamping
    // (post-processing of published values only), as perturbation alone would not keep them so.
    let (mut lo_h, mut lo_c) = (None, None);
    let bands = bands_m
        .iter()
        .zip(&within)
        .map(|(&b, w)| {
            let wh = w.households().clamp_published(lo_h, households.shown());
            let wc = w.cardholders().clamp_published(lo_c, cardholders.shown());
            lo_h = wh.shown().or(lo_h);
            lo_c = wc.shown().or(lo_c);
            Band {
                within_m: b,
                share_households: Real::share(&wh, &households),
                share_cardholders: Real::share(&wc, &cardholders),
                households: wh,
                cardholders: wc,
            }
        })
        .collect();
    let median = super::weighted_quantile(dists, 0.5).unwrap_or(f64::INFINITY);
    CoverageRow {
        key,
        label,
        outlets,
        households,
        cardholders,
        median_m: Real::for_area(median, all.hh()),
        bands,
    }
}

fn dist(n: &Option<Nearest>) -> f64 {
    n.map_or(f64::INFINITY, |n| sphere::metres_from_dot(n.dot))
}

/// Coverage of the grid by the outlets `filter` selects, in bands of `bands_m` metres: for all of
/// them, per chain, per category, and per municipality.
pub fn coverage(
    ctx: &PlanContext,
    filter: &Filter,
    bands_m: &[f64],
) -> Result<CoverageReport, PlanError> {
    let bands_m = check_bands(bands_m)?;
    let outlets = ctx.select(filter);
    if outlets.is_empty() {
        return Err(PlanError::NoOutlets(describe(filter)));
    }
    let cells = ctx.grid().cells();
    let reg = ctx.registry();
    let set_row = |key: String, label: String, locs: Vec<LonLat>| {
        let near = ctx.assign(&locs);
        let r = row(
            key,
            label,
            locs.len(),
            cells.iter().zip(&near).map(|(c, n)| (c.tally(), dist(n))),
            &bands_m,
        );
        (r, near)
    };
    let (total, near) = set_row(
        "all".into(),
        describe(filter),
        outlets.iter().map(|o| o.location).collect(),
    );
    let mut chains: BTreeMap<String, (String, Vec<LonLat>)> = BTreeMap::new();
    let mut cats: BTreeMap<Category, Vec<LonLat>> = BTreeMap::new();
    for o in &outlets {
        let chain = reg.chain_of(o);
        chains
            .entry(o.chain.to_string())
            .or_insert_with(|| (chain.name.clone(), Vec::new()))
            .1
            .push(o.location);
        cats.entry(chain.category).or_default().push(o.location);
    }
    let by_chain = chains
        .into_iter()
        .map(|(k, (name, locs))| set_row(k, name, locs).0)
        .collect();
    let by_category = cats
        .into_iter()
        .map(|(k, locs)| set_row(k.to_string(), k.to_string(), locs).0)
        .collect();
    let mut per_muni: BTreeMap<Option<crate::model::MunicipalityCode>, Vec<(Tally, f64)>> =
        BTreeMap::new();
    for ((c, n), m) in cells.iter().zip(&near).zip(ctx.municipalities()) {
        per_muni.entry(*m).or_default().push((c.tally(), dist(n)));
    }
    let by_municipality = per_muni
        .into_iter()
        .map(|(m, v)| {
            let (key, label) = match m {
                Some(m) => (
                    m.to_string(),
                    ctx.municipality_name(m).unwrap_or("").to_string(),
                ),
                None => ("-".into(), "unknown".into()),
            };
            row(key, label, total.outlets, v.into_iter(), &bands_m)
        })
        .collect();
    Ok(CoverageReport {
        selection: describe(filter),
        bands_m,
        total,
        by_chain,
        by_category,
        by_municipality,
    })
}
