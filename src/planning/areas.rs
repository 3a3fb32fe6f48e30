//! Grid areas: contiguous groups of cells and their outlines as GeoJSON.

use super::PlanError;
use crate::crs::{self, Crs};
use crate::density::Grid;
use std::collections::HashMap;

/// Which neighbours make cells contiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connectivity {
    /// Edge neighbours only.
    #[default]
    Four,
    /// Edge and corner neighbours.
    Eight,
}

/// A set of cells (indices into the grid).
#[derive(Debug, Clone, Default)]
pub(crate) struct Region {
    pub cells: Vec<usize>,
}

/// Groups the given cells into contiguous regions.
pub(crate) fn components(grid: &Grid, members: &[usize], conn: Connectivity) -> Vec<Region> {
    let pos: HashMap<(i64, i64), usize> = members
        .iter()
        .enumerate()
        .map(|(k, &i)| (grid.col_row(&grid.cells()[i]), k))
        .collect();
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let offsets: &[(i64, i64)] = match conn {
        Connectivity::Four => &[(1, 0), (0, 1)],
        Connectivity::Eight => &[(1, 0), (0, 1), (1, 1), (-1, 1)],
    };
    for (k, &i) in members.iter().enumerate() {
        let (c, r) = grid.col_row(&grid.cells()[i]);
        for (dc, dr) in offsets {
            if let Some(&j) = pos.get(&(c + dc, r + dr)) {
                let (a, b) = (find(&mut parent, k), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, &i) in members.iter().enumerate() {
        let root = find(&mut parent, k);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Region> = groups.into_values().map(|cells| Region { cells }).collect();
    out.sort_by_key(|r| r.cells[0]);
    out
}

fn ring(x0: f64, y0: f64, x1: f64, y1: f64) -> Result<Vec<Vec<f64>>, PlanError> {
    // Counter-clockwise, closed, as RFC 7946 asks of exterior rings.
    [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        .iter()
        .map(|&(x, y)| {
            crs::to_wgs84(Crs::Tm35Fin, x, y)
                .map(|p| vec![(p.lon() * 1e6).round() / 1e6, (p.lat() * 1e6).round() / 1e6])
                .map_err(|e| PlanError::Map(e.to_string()))
        })
        .collect()
}

/// Cells merged along rows into rectangles, as one MultiPolygon in WGS84.
pub(crate) fn runs_multipolygon(
    grid: &Grid,
    cells: &[usize],
) -> Result<geojson::Geometry, PlanError> {
    let s = grid.cell_size_m() as i64;
    let mut cr: Vec<(i64, i64)> = cells
        .iter()
        .map(|&i| grid.col_row(&grid.cells()[i]))
        .collect();
    cr.sort_by_key(|&(c, r)| (r, c));
    let mut polys = Vec::new();
    let mut k = 0;
    while k < cr.len() {
        let (c0, r) = cr[k];
        let mut c1 = c0;
        while k + 1 < cr.len() && cr[k + 1] == (c1 + 1, r) {
            c1 += 1;
            k += 1;
        }
        k += 1;
        polys.push(vec![ring(
            (c0 * s) as f64,
            (r * s) as f64,
            ((c1 + 1) * s) as f64,
            ((r + 1) * s) as f64,
        )?]);
    }
    Ok(geojson::Geometry::new(geojson::Value::MultiPolygon(polys)))
}

/// Every cell as a square Feature with its households and cardholders (behind the privacy floor).
pub fn cells_geojson(grid: &Grid) -> Result<geojson::FeatureCollection, PlanError> {
    let s = grid.cell_size_m() as f64;
    let mut features = Vec::with_capacity(grid.cells().len());
    for c in grid.cells() {
        let (x, y) = (c.x as f64, c.y as f64);
        let mut props = serde_json::Map::new();
        let v = |f: crate::density::Count| serde_json::to_value(f).unwrap_or_default();
        props.insert("households".into(), v(c.households()));
        props.insert("cardholders".into(), v(c.cardholders()));
        features.push(geojson::Feature {
            geometry: Some(geojson::Geometry::new(geojson::Value::Polygon(vec![ring(
                x,
                y,
                x + s,
                y + s,
            )?]))),
            properties: Some(props),
            ..Default::default()
        });
    }
    Ok(geojson::FeatureCollection {
        features,
        bbox: None,
        foreign_members: None,
    })
}
