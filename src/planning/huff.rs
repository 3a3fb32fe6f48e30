//! Huff gravity model: households shop at each outlet with probability ∝ attractiveness / d^λ.

use super::{bad, check_radius, describe, sphere, Competitor, PlanContext, PlanError};
use crate::density::{CellKey, Count, Real, Tally};
use crate::model::{Chain, ChainId, MunicipalityCode, OutletId};
use crate::spatial::Filter;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Options of the Huff model.
#[derive(Debug, Clone)]
pub struct HuffOptions {
    /// Distance decay exponent λ (default 2).
    pub lambda: f64,
    /// Attractiveness per chain; chains not listed use [`default_attractiveness`].
    pub attractiveness: HashMap<ChainId, f64>,
    /// Competitors' outlets.
    pub competitors: Vec<Competitor>,
    /// Outlets farther than this from a cell are not considered for it, metres (default 30 km).
    pub cutoff_m: f64,
    /// Distances below this count as this, metres, so a cell's own outlet is finite (default 500).
    pub min_distance_m: f64,
}

impl Default for HuffOptions {
    fn default() -> Self {
        HuffOptions {
            lambda: 2.0,
            attractiveness: HashMap::new(),
            competitors: Vec::new(),
            cutoff_m: 30_000.0,
            min_distance_m: 500.0,
        }
    }
}

/// Attractiveness of a chain's format (our default scale: a neighbourhood store is 1, a
/// hypermarket 10), by chain id, else by category.
pub fn default_attractiveness(chain: &Chain) -> f64 {
    match chain.id.as_str() {
        "k-citymarket" => 10.0,
        "k-supermarket" => 4.0,
        "k-market" => 1.0,
        "k-rauta" | "kodin-ykkonen" => 5.0,
        "rautia" | "intersport" => 3.0,
        "budget-sport" => 2.0,
        _ => 1.0,
    }
}

/// Expected households of one outlet.
#[derive(Debug, Clone, Serialize)]
pub struct HuffOutlet {
    /// The outlet.
    pub outlet: OutletId,
    /// Its name.
    pub name: String,
    /// Its chain.
    pub chain: ChainId,
    /// Attractiveness used.
    pub attractiveness: f64,
    /// Expected households shopping there, rounded and perturbed with the key of the cells in
    /// its reach.
    pub expected_households: Count,
}

/// Market share in one municipality.
#[derive(Debug, Clone, Serialize)]
pub struct HuffArea {
    /// Municipality code (`-` if unknown).
    pub municipality: String,
    /// Its name.
    pub name: String,
    /// Households in its cells.
    pub households: Count,
    /// Share of those households' expected shopping going to the selected outlets (0–1).
    pub share: Real,
    /// Share going to competitors.
    pub competitor_share: Real,
}

/// The Huff report.
#[derive(Debug, Clone, Serialize)]
pub struct HuffReport {
    /// The selection.
    pub selection: String,
    /// λ used.
    pub lambda: f64,
    /// Competitor outlets.
    pub competitors: usize,
    /// Share of all households going to the selected outlets.
    pub share: Real,
    /// Per outlet, most expected households first.
    pub outlets: Vec<HuffOutlet>,
    /// Per municipality.
    pub areas: Vec<HuffArea>,
}

/// Runs the Huff model over the grid for the selected outlets (and competitors).
pub fn huff(
    ctx: &PlanContext,
    filter: &Filter,
    opts: &HuffOptions,
) -> Result<HuffReport, PlanError> {
    if !(opts.lambda.is_finite() && opts.lambda > 0.0) {
        return Err(bad("lambda", "must be > 0"));
    }
    check_radius("cutoff", opts.cutoff_m)?;
    check_radius("min_distance", opts.min_distance_m)?;
    let outlets = ctx.select(filter);
    if outlets.is_empty() {
        return Err(PlanError::NoOutlets(describe(filter)));
    }
    let reg = ctx.registry();
    let mut attr: Vec<f64> = outlets
        .iter()
        .map(|o| {
            opts.attractiveness
                .get(&o.chain)
                .copied()
                .unwrap_or_else(|| default_attractiveness(reg.chain_of(o)))
        })
        .collect();
    if let Some(a) = attr.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(bad("attractiveness", format!("{a}: must be > 0")));
    }
    let ours = outlets.len();
    let mut units: Vec<_> = outlets.iter().map(|o| sphere::unit(o.location)).collect();
    for c in &opts.competitors {
        units.push(sphere::unit(c.location));
        attr.push(c.attractiveness);
    }
    let tree = RTree::bulk_load(
        units
            .iter()
            .enumerate()
            .map(|(i, u)| GeomWithData::new(*u, i as u32))
            .collect(),
    );
    let chord2 = sphere::chord2_of_metres(opts.cutoff_m);
    let cells = ctx.grid().cells();
    // Per cell: the expected households of each outlet in reach.
    let per_cell: Vec<Vec<(u32, f64)>> = ctx
        .units()
        .par_iter()
        .zip(cells.par_iter())
        .map(|(u, c)| {
            let w = c.hh() as f64;
            let mut v: Vec<(u32, f64)> = tree
                .locate_within_distance(*u, chord2)
                .map(|s| {
                    let d =
                        sphere::metres_from_dot(sphere::dot(u, s.geom())).max(opts.min_distance_m);
                    (s.data, attr[s.data as usize] / d.powf(opts.lambda))
                })
                .collect();
            let sum: f64 = v.iter().map(|x| x.1).sum();
            if sum > 0.0 {
                v.iter_mut().for_each(|x| x.1 = w * x.1 / sum);
            }
            v
        })
        .collect();
    // Per outlet: expected households and the key of the cells in its reach.
    let mut expected = vec![(0f64, CellKey::default()); units.len()];
    let mut areas: BTreeMap<Option<MunicipalityCode>, (Tally, f64, f64)> = BTreeMap::new();
    let (mut all, mut ours_all) = (Tally::default(), 0f64);
    for ((v, c), m) in per_cell.iter().zip(cells).zip(ctx.municipalities()) {
        let a = areas.entry(*m).or_default();
        a.0 += c.tally();
        all += c.tally();
        for &(s, e) in v {
            let x = &mut expected[s as usize];
            x.0 += e;
            x.1 += c.tally().household_key;
            if (s as usize) < ours {
                a.1 += e;
                ours_all += e;
            } else {
                a.2 += e;
            }
        }
    }
    // Expected households are sums of cells' households weighted by shopping probabilities: they
    // go through the cell-key table like counts (rounded), with the key of the cells they sum.
    let magnitude = |e: f64, key: CellKey| Count::households(e.round().max(0.0) as u64, key);
    let mut rows: Vec<HuffOutlet> = outlets
        .iter()
        .enumerate()
        .map(|(i, o)| HuffOutlet {
            outlet: o.id,
            name: o.name.clone(),
            chain: o.chain.clone(),
            attractiveness: attr[i],
            expected_households: magnitude(expected[i].0, expected[i].1),
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.expected_households.rank()));
    // Shares are ratios of published figures; the area's key perturbs the numerators too, mixed
    // with their own (different) values.
    let areas = areas
        .into_iter()
        .map(|(m, (t, o, c))| {
            let households = t.households();
            HuffArea {
                municipality: m.map_or_else(|| "-".into(), |m| m.to_string()),
                name: m
                    .and_then(|m| ctx.municipality_name(m))
                    .unwrap_or("")
                    .to_string(),
                share: Real::share(&magnitude(o, t.household_key), &households),
                competitor_share: Real::share(&magnitude(c, t.cardholder_key), &households),
                households,
            }
        })
        .collect();
    Ok(HuffReport {
        selection: describe(filter),
        lambda: opts.lambda,
        competitors: opts.competitors.len(),
        share: Real::share(&magnitude(ours_all, all.household_key), &all.households()),
        outlets: rows,
        areas,
    })
}
