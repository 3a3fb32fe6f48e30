//! Gaps: households farther than D from every selected outlet, merged into contiguous areas.

use super::areas::{components, dissolved_multipolygon, Connectivity};
use super::{check_radius, describe, sphere, PlanContext, PlanError};
use crate::density::{Count, Real, Tally};
use crate::model::{LonLat, OutletId};
use crate::spatial::Filter;
use serde::Serialize;

/// One contiguous gap area.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// Rank by households, 1 = largest.
    pub rank: usize,
    /// Cells in the area.
    pub cells: usize,
    /// Households in the area.
    pub households: Count,
    /// Cardholders in the area.
    pub cardholders: Count,
    /// Household-weighted centre, WGS84.
    pub centre: LonLat,
    /// The nearest selected outlet to the centre.
    pub nearest_outlet: OutletId,
    /// Its name.
    pub nearest_outlet_name: String,
    /// Distance from the centre to it, metres.
    pub nearest_outlet_m: Real,
    /// The cells of the area (indices into the grid's cells); not serialised.
    #[serde(skip)]
    pub members: Vec<usize>,
}

/// All gap areas, largest first.
#[derive(Debug, Clone, Serialize)]
pub struct GapReport {
    /// The selection.
    pub selection: String,
    /// The distance D, metres.
    pub distance_m: f64,
    /// How cells were joined.
    pub connectivity: Connectivity,
    /// Households in all gaps together.
    pub households: Count,
    /// The areas.
    pub gaps: Vec<Gap>,
}

/// Finds cells farther than `distance_m` from the selected outlets and merges them into areas.
pub fn gaps(
    ctx: &PlanContext,
    filter: &Filter,
    distance_m: f64,
    connectivity: Connectivity,
) -> Result<GapReport, PlanError> {
    check_radius("distance", distance_m)?;
    let outlets = ctx.select(filter);
    if outlets.is_empty() {
        return Err(PlanError::NoOutlets(describe(filter)));
    }
    let locs: Vec<LonLat> = outlets.iter().map(|o| o.location).collect();
    let idx = super::nearest::NearestIndex::new(locs.iter().map(|p| sphere::unit(*p)).collect());
    let near = idx.assign(ctx.units());
    let min_dot = sphere::dot_of_metres(distance_m);
    let far: Vec<usize> = near
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_none_or(|n| n.dot < min_dot))
        .map(|(i, _)| i)
        .collect();
    let cells = ctx.grid().cells();
    let mut gaps: Vec<Gap> = components(ctx.grid(), &far, connectivity)
        .into_iter()
        .map(|r| {
            let t: Tally = r.cells.iter().map(|&i| cells[i].tally()).sum();
            let hh = t.hh();
            let mut v = [0.0; 3];
            for &i in &r.cells {
                let w = cells[i].hh() as f64;
                for (a, b) in v.iter_mut().zip(ctx.units()[i]) {
                    *a += w * b;
                }
            }
            let norm = sphere::dot(&v, &v).sqrt();
            let u = [v[0] / norm, v[1] / norm, v[2] / norm];
            let centre = LonLat::new(u[1].atan2(u[0]).to_degrees(), u[2].asin().to_degrees())
                .unwrap_or(cells[r.cells[0]].centre);
            // The selection is not empty, so the centre has a nearest outlet.
            let n = idx
                .nearest(&u)
                .map_or((0, -1.0), |n| (n.site as usize, n.dot));
            Gap {
                rank: 0,
                cells: r.cells.len(),
                households: t.households(),
                cardholders: t.cardholders(),
                centre,
                nearest_outlet: outlets[n.0].id,
                nearest_outlet_name: outlets[n.0].name.clone(),
                nearest_outlet_m: Real::for_area(sphere::metres_from_dot(n.1), hh),
                members: r.cells,
            }
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.households
            .rank()
            .cmp(&a.households.rank())
            .then(a.members[0].cmp(&b.members[0]))
    });
    for (k, g) in gaps.iter_mut().enumerate() {
        g.rank = k + 1;
    }
    // All gap cells together are one set with its own key.
    let total: Tally = far.iter().map(|&i| cells[i].tally()).sum();
    Ok(GapReport {
        selection: describe(filter),
        distance_m,
        connectivity,
        households: total.households(),
        gaps,
    })
}

/// Gap areas as GeoJSON (WGS84): one MultiPolygon per area, its cells dissolved into outlines (one
/// polygon per 4-connected piece, with holes, no internal edges), with the area's figures as
/// properties.
pub fn gaps_geojson(
    ctx: &PlanContext,
    report: &GapReport,
) -> Result<geojson::FeatureCollection, PlanError> {
    let mut features = Vec::new();
    for g in &report.gaps {
        let props = serde_json::to_value(g).map_err(|e| PlanError::Map(e.to_string()))?;
        features.push(geojson::Feature {
            geometry: Some(dissolved_multipolygon(ctx.grid(), &g.members)?),
            properties: props.as_object().cloned(),
            ..Default::default()
        });
    }
    Ok(geojson::FeatureCollection {
        features,
        bbox: None,
        foreign_members: None,
    })
}
