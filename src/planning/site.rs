//! Site suggestion: maximal covering (MCLP) and p-median, greedy with lazy evaluation followed by
//! vertex-substitution local search.

mod solve;

pub use solve::{mclp, mclp_brute_force, p_median, p_median_brute_force, SiteInstance, Solution};

use super::{bad, check_radius, sphere, PlanContext, PlanError};
use crate::density::{Count, Real, Tally};
use crate::model::LonLat;
use crate::spatial::Filter;
use serde::Serialize;

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Maximise households newly within D of an outlet.
    Mclp,
    /// Minimise total household distance to the nearest outlet.
    PMedian,
}

/// Options of [`suggest_sites`].
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// What to optimise.
    pub objective: Objective,
    /// How many new sites.
    pub p: usize,
    /// Covering distance D, metres (MCLP).
    pub distance_m: f64,
    /// Candidate sites; `None` uses the centres of grid cells with at least
    /// `min_candidate_households` households.
    pub candidates: Option<Vec<LonLat>>,
    /// See `candidates`; default 50.
    pub min_candidate_households: u64,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            objective: Objective::Mclp,
            p: 10,
            distance_m: 10_000.0,
            candidates: None,
            min_candidate_households: 50,
        }
    }
}

/// One suggested site.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestedSite {
    /// 1 = the site that gains most.
    pub rank: usize,
    /// Where, WGS84.
    pub location: LonLat,
    /// Households for which this site becomes the nearest outlet (MCLP: newly within D).
    pub households: Count,
}

/// The suggestion.
#[derive(Debug, Clone, Serialize)]
pub struct SiteReport {
    /// What was optimised.
    pub objective: Objective,
    /// Number of sites asked for.
    pub p: usize,
    /// Covering distance, metres (MCLP).
    pub distance_m: f64,
    /// Existing outlets taken into account.
    pub existing_outlets: usize,
    /// Candidates considered.
    pub candidates: usize,
    /// MCLP: households within D before; p-median: households in the grid.
    pub households_before: Count,
    /// MCLP: households within D after.
    pub households_after: Count,
    /// Household-weighted mean distance (rounded to 100 m) to the nearest outlet before, metres.
    pub mean_distance_before_m: Real,
    /// The same after opening the sites.
    pub mean_distance_after_m: Real,
    /// The sites, best first.
    pub sites: Vec<SuggestedSite>,
}

/// Suggests `opts.p` new sites against the grid, keeping the outlets `existing` selects.
pub fn suggest_sites(
    ctx: &PlanContext,
    existing: &Filter,
    opts: &SiteOptions,
) -> Result<SiteReport, PlanError> {
    check_radius("distance", opts.distance_m)?;
    if opts.p == 0 {
        return Err(bad("p", "must be at least 1"));
    }
    let cells = ctx.grid().cells();
    let candidates: Vec<LonLat> = match &opts.candidates {
        Some(c) => c.clone(),
        None => cells
            .iter()
            .filter(|c| c.hh() >= opts.min_candidate_households)
            .map(|c| c.centre)
            .collect(),
    };
    if opts.p > candidates.len() {
        return Err(bad(
            "p",
            format!(
                "{} is more than the {} candidates",
                opts.p,
                candidates.len()
            ),
        ));
    }
    let outlets = ctx.select(existing);
    let locs: Vec<LonLat> = outlets.iter().map(|o| o.location).collect();
    let near = ctx.assign(&locs);
    let cur_dot: Vec<f64> = near.iter().map(|n| n.map_or(-1.0, |n| n.dot)).collect();
    let min_dot = sphere::dot_of_metres(opts.distance_m);
    let cand_units: Vec<_> = candidates.iter().map(|p| sphere::unit(*p)).collect();
    let units = ctx.units();

    let (demand_idx, inst) = match opts.objective {
        // MCLP counts only households not yet within D.
        Objective::Mclp => {
            let idx: Vec<usize> = (0..cells.len()).filter(|&i| cur_dot[i] < min_dot).collect();
            let inst = SiteInstance {
                demand: idx.iter().map(|&i| units[i]).collect(),
                weights: idx.iter().map(|&i| cells[i].hh()).collect(),
                candidates: cand_units.clone(),
            };
            (idx, inst)
        }
        Objective::PMedian => {
            let idx: Vec<usize> = (0..cells.len()).collect();
            let inst = SiteInstance {
                demand: units.to_vec(),
                weights: cells.iter().map(|c| c.hh()).collect(),
                candidates: cand_units.clone(),
            };
            (idx, inst)
        }
    };
    let sol = match opts.objective {
        Objective::Mclp => mclp(&inst, opts.p, opts.distance_m)?,
        Objective::PMedian => {
            let cur: Vec<f64> = demand_idx.iter().map(|&i| cur_dot[i]).collect();
            p_median(&inst, opts.p, (!locs.is_empty()).then_some(cur.as_slice()))?
        }
    };
    // Per site: households whose nearest outlet becomes this site (MCLP: among those newly within D).
    let chosen_units: Vec<_> = sol.chosen.iter().map(|&k| cand_units[k]).collect();
    let idx = super::nearest::NearestIndex::new(chosen_units);
    let new_near = idx.assign(units);
    let mut per_site = vec![Tally::default(); sol.chosen.len()];
    let (mut before_in, mut after_in) = (Tally::default(), Tally::default());
    let (mut hh_all, mut dsum_before, mut dsum_after) = (0u64, 0f64, 0f64);
    for (i, c) in cells.iter().enumerate() {
        let w = c.hh();
        hh_all += w;
        let old = cur_dot[i];
        let new = new_near[i].map_or(-1.0, |n| n.dot);
        let best = old.max(new);
        if old >= min_dot {
            before_in += c.tally();
        }
        if best >= min_dot {
            after_in += c.tally();
        }
        let far = sphere::metres_from_dot(-1.0);
        dsum_before += w as f64
            * if locs.is_empty() {
                far
            } else {
                sphere::metres_from_dot(old)
            };
        dsum_after += w as f64 * sphere::metres_from_dot(best);
        if let Some(n) = new_near[i] {
            let gains = match opts.objective {
                Objective::Mclp => old < min_dot && n.dot >= min_dot,
                Objective::PMedian => n.dot > old,
            };
            if gains {
                per_site[n.site as usize] += c.tally();
            }
        }
    }
    let mut sites: Vec<SuggestedSite> = sol
        .chosen
        .iter()
        .zip(&per_site)
        .map(|(&k, h)| SuggestedSite {
            rank: 0,
            location: candidates[k],
            households: h.households(),
        })
        .collect();
    sites.sort_by_key(|s| std::cmp::Reverse(s.households.rank()));
    for (r, s) in sites.iter_mut().enumerate() {
        s.rank = r + 1;
    }
    // Means over every household move by (households × metres) / all households when one cell
    // moves: exact to the millimetre they would let a candidate on an isolated cell tell its
    // households. Rounded to 100 m, a small group's move is far below the step.
    let mean = |s: f64| {
        if hh_all == 0 {
            0.0
        } else {
            (s / hh_all as f64 / 100.0).round() * 100.0
        }
    };
    Ok(SiteReport {
        objective: opts.objective,
        p: opts.p,
        distance_m: opts.distance_m,
        existing_outlets: locs.len(),
        candidates: candidates.len(),
        households_before: before_in.households(),
        households_after: after_in.households(),
        mean_distance_before_m: Real::for_area(mean(dsum_before), hh_all),
        mean_distance_after_m: Real::for_area(mean(dsum_after), hh_all),
        sites,
    })
}
