//! Catchments: every cell to its nearest selected outlet; per-outlet totals and distances.

use super::areas::{dissolved_multipolygon, Region};
use super::{describe, sphere, weighted_quantile, PlanContext, PlanError};
use crate::density::{Count, Real, Tally};
use crate::model::{ChainId, LonLat, OutletId};
use crate::spatial::Filter;
use serde::Serialize;

/// One outlet's catchment.
#[derive(Debug, Clone, Serialize)]
pub struct CatchmentRow {
    /// The outlet.
    pub outlet: OutletId,
    /// Its name.
    pub name: String,
    /// Its chain.
    pub chain: ChainId,
    /// Its position.
    pub location: LonLat,
    /// Cells assigned to it.
    pub cells: usize,
    /// Households in its catchment.
    pub households: Count,
    /// Cardholders in its catchment.
    pub cardholders: Count,
    /// Household-weighted median distance, metres.
    pub median_m: Real,
    /// Household-weighted 90th-percentile distance, metres.
    pub p90_m: Real,
}

/// Catchments of the selected outlets, largest first.
#[derive(Debug, Clone, Serialize)]
pub struct CatchmentReport {
    /// The selection.
    pub selection: String,
    /// One row per selected outlet.
    pub outlets: Vec<CatchmentRow>,
    /// For each cell (grid order), the index into `outlets` sorted by id before ranking; used for
    /// polygons and maps, never serialised.
    #[serde(skip)]
    pub(crate) cell_owner: Vec<u32>,
    #[serde(skip)]
    pub(crate) owner_ids: Vec<OutletId>,
}

/// Assigns every cell to its nearest selected outlet and sums per outlet.
pub fn catchments(ctx: &PlanContext, filter: &Filter) -> Result<CatchmentReport, PlanError> {
    let outlets = ctx.select(filter);
    if outlets.is_empty() {
        return Err(PlanError::NoOutlets(describe(filter)));
    }
    let near = ctx.assign(&outlets.iter().map(|o| o.location).collect::<Vec<_>>());
    // Per outlet: cells, their tally, (distance, households) of each cell.
    type Acc = (usize, Tally, Vec<(f64, u64)>);
    let mut acc: Vec<Acc> = vec![(0, Tally::default(), Vec::new()); outlets.len()];
    let mut cell_owner = Vec::with_capacity(near.len());
    for (c, n) in ctx.grid().cells().iter().zip(&near) {
        // The selection is not empty, so every cell has a nearest outlet.
        let Some(n) = n else { continue };
        let a = &mut acc[n.site as usize];
        a.0 += 1;
        a.1 += c.tally();
        a.2.push((sphere::metres_from_dot(n.dot), c.hh()));
        cell_owner.push(n.site);
    }
    let mut rows: Vec<CatchmentRow> = outlets
        .iter()
        .zip(acc)
        .map(|(o, (cells, t, d))| {
            let hh = t.hh();
            let med = weighted_quantile(d.clone(), 0.5).unwrap_or(0.0);
            let p90 = weighted_quantile(d, 0.9).unwrap_or(0.0);
            CatchmentRow {
                outlet: o.id,
                name: o.name.clone(),
                chain: o.chain.clone(),
                location: o.location,
                cells,
                households: t.households(),
                cardholders: t.cardholders(),
                median_m: Real::for_area(med, hh),
                p90_m: Real::for_area(p90, hh),
            }
        })
        .collect();
    let owner_ids = outlets.iter().map(|o| o.id).collect();
    rows.sort_by(|a, b| {
        b.households
            .rank()
            .cmp(&a.households.rank())
            .then(a.outlet.cmp(&b.outlet))
    });
    Ok(CatchmentReport {
        selection: describe(filter),
        outlets: rows,
        cell_owner,
        owner_ids,
    })
}

impl CatchmentReport {
    /// The outlet each cell (in grid order) belongs to.
    pub fn owner_of_cell(&self, i: usize) -> Option<OutletId> {
        self.cell_owner
            .get(i)
            .and_then(|&o| self.owner_ids.get(o as usize).copied())
    }
}

/// Catchment areas as a GeoJSON FeatureCollection (WGS84): one MultiPolygon per outlet, its cells
/// dissolved into outlines (one polygon per 4-connected piece, with holes, no internal edges), with
/// the outlet's figures (behind the privacy floor) as properties.
pub fn catchments_geojson(
    ctx: &PlanContext,
    report: &CatchmentReport,
) -> Result<geojson::FeatureCollection, PlanError> {
    let mut regions: Vec<Region> = vec![Region::default(); report.owner_ids.len()];
    for (i, &o) in report.cell_owner.iter().enumerate() {
        regions[o as usize].cells.push(i);
    }
    let by_id: std::collections::HashMap<OutletId, &CatchmentRow> =
        report.outlets.iter().map(|r| (r.outlet, r)).collect();
    let mut features = Vec::new();
    for (k, region) in regions.iter().enumerate() {
        let Some(row) = by_id.get(&report.owner_ids[k]) else {
            continue;
        };
        if region.cells.is_empty() {
            continue;
        }
        let geometry = dissolved_multipolygon(ctx.grid(), &region.cells)?;
        let props = serde_json::to_value(row).map_err(|e| PlanError::Map(e.to_string()))?;
        features.push(geojson::Feature {
            geometry: Some(geometry),
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
