//! Grid areas: contiguous groups of cells and their outlines as GeoJSON.

use super::PlanError;
use crate::crs::{self, Crs};
use crate::density::Grid;
use std::collections::{HashMap, HashSet};

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
        .map(|&(x, y)| wgs84(x, y))
        .collect()
}

fn wgs84(x: f64, y: f64) -> Result<Vec<f64>, PlanError> {
    crs::to_wgs84(Crs::Tm35Fin, x, y)
        .map(|p| vec![(p.lon() * 1e6).round() / 1e6, (p.lat() * 1e6).round() / 1e6])
        .map_err(|e| PlanError::Map(e.to_string()))
}

/// A closed ring of grid corners (column, row of the corner; first = last).
pub(crate) type GridRing = Vec<(i64, i64)>;

/// One dissolved polygon in grid corners: the exterior ring (counter-clockwise) then its holes
/// (clockwise), as RFC 7946's right-hand rule asks.
pub(crate) type GridPolygon = Vec<GridRing>;

/// Unit steps of the four edge directions: east, north, west, south (a left turn is `+1`).
const STEP: [(i64, i64); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// Dissolves a set of cells (column, row) into its outline: one polygon per 4-connected
/// component, each with its holes, no internal edges and no collinear vertices.
///
/// Every cell side facing a cell outside the set becomes a directed edge with the set on its left,
/// so outer boundaries run counter-clockwise and holes clockwise. Each component is traced on its
/// own, so cells touching only at a corner end up in separate polygons. Within a component, a
/// corner where two of its cells meet diagonally has two ways out; turning right there splits the
/// two empty cells at that corner (by the Jordan curve theorem one is inside a loop of the
/// component and one outside), so rings stay simple and a hole touching the exterior, or another
/// hole, at one corner stays a hole: valid OGC / RFC 7946 polygons.
pub(crate) fn dissolve(cells: &[(i64, i64)]) -> Vec<GridPolygon> {
    let set: HashSet<(i64, i64)> = cells.iter().copied().collect();
    let mut sorted: Vec<(i64, i64)> = set.iter().copied().collect();
    sorted.sort_unstable_by_key(|&(c, r)| (r, c));
    let mut seen: HashSet<(i64, i64)> = HashSet::with_capacity(set.len());
    let mut out = Vec::new();
    for &start in &sorted {
        if !seen.insert(start) {
            continue;
        }
        // The 4-connected component of `start`, by flood fill.
        let mut comp = vec![start];
        let mut k = 0;
        while k < comp.len() {
            let (c, r) = comp[k];
            k += 1;
            for (dc, dr) in STEP {
                let n = (c + dc, r + dr);
                if set.contains(&n) && seen.insert(n) {
                    comp.push(n);
                }
            }
        }
        out.push(trace(&set, &comp));
    }
    out
}

/// The rings of one 4-connected component: its exterior first, then its holes.
fn trace(set: &HashSet<(i64, i64)>, comp: &[(i64, i64)]) -> GridPolygon {
    // Outgoing boundary edges by start corner: a bit per direction.
    let mut edges: HashMap<(i64, i64), u8> = HashMap::new();
    for &(c, r) in comp {
        // (neighbour offset, start corner, direction): the set stays on the edge's left.
        let sides = [
            ((0, -1), (c, r), 0u8),
            ((1, 0), (c + 1, r), 1),
            ((0, 1), (c + 1, r + 1), 2),
            ((-1, 0), (c, r + 1), 3),
        ];
        for ((dc, dr), v, d) in sides {
            if !set.contains(&(c + dc, r + dr)) {
                *edges.entry(v).or_default() |= 1 << d;
            }
        }
    }
    let mut starts: Vec<((i64, i64), u8)> = edges
        .iter()
        .flat_map(|(&v, &bits)| {
            (0..4u8)
                .filter(move |d| bits & (1 << d) != 0)
                .map(move |d| (v, d))
        })
        .collect();
    starts.sort_unstable_by_key(|&((c, r), d)| (r, c, d));
    let mut used: HashSet<((i64, i64), u8)> = HashSet::with_capacity(starts.len());
    let mut rings: Vec<(i64, GridRing)> = Vec::new();
    for &(v0, d0) in &starts {
        if used.contains(&(v0, d0)) {
            continue;
        }
        // Walk the ring, keeping the corners where the direction changes.
        let mut walk: Vec<((i64, i64), u8)> = Vec::new();
        let (mut v, mut d) = (v0, d0);
        loop {
            used.insert((v, d));
            walk.push((v, d));
            let (dc, dr) = STEP[d as usize];
            v = (v.0 + dc, v.1 + dr);
            let bits = edges.get(&v).copied().unwrap_or(0);
            d = if bits.count_ones() == 1 {
                bits.trailing_zeros() as u8
            } else {
                // Two of the component's cells meet diagonally here: turn right.
                (d + 3) % 4
            };
            if (v, d) == (v0, d0) {
                break;
            }
        }
        let n = walk.len();
        let mut ring: GridRing = (0..n)
            .filter(|&i| walk[i].1 != walk[(i + n - 1) % n].1)
            .map(|i| walk[i].0)
            .collect();
        ring.push(ring[0]);
        rings.push((area2(&ring), ring));
    }
    // The one counter-clockwise ring is the exterior; the others are holes.
    rings.sort_by_key(|r| std::cmp::Reverse(r.0));
    rings.into_iter().map(|r| r.1).collect()
}

/// Twice the signed area of a closed ring (positive when counter-clockwise).
pub(crate) fn area2(ring: &[(i64, i64)]) -> i64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

/// A ring with every grid corner it passes through, not only those where it turns.
///
/// A straight run of grid edges is straight in EPSG:3067 but not in WGS84: drawn as one segment
/// it cuts across the corners its neighbour's ring keeps, and neighbouring areas overlap in thin
/// slivers (issue 18). With every corner kept, two areas sharing a boundary share its vertices
/// exactly, so they meet without overlap or gap.
pub(crate) fn with_every_corner(ring: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(ring.len());
    for w in ring.windows(2) {
        let (dc, dr) = ((w[1].0 - w[0].0).signum(), (w[1].1 - w[0].1).signum());
        let mut v = w[0];
        while v != w[1] {
            out.push(v);
            v = (v.0 + dc, v.1 + dr);
        }
    }
    if let Some(&last) = ring.last() {
        out.push(last);
    }
    out
}

/// Cells dissolved into their outline (see [`dissolve`]), as one MultiPolygon in WGS84: one
/// polygon per 4-connected component, holes included, no internal edges, every grid corner on
/// the boundary kept (see [`with_every_corner`]).
pub(crate) fn dissolved_multipolygon(
    grid: &Grid,
    cells: &[usize],
) -> Result<geojson::Geometry, PlanError> {
    let s = grid.cell_size_m() as f64;
    let cr: Vec<(i64, i64)> = cells
        .iter()
        .map(|&i| grid.col_row(&grid.cells()[i]))
        .collect();
    let polys = dissolve(&cr)
        .iter()
        .map(|poly| {
            poly.iter()
                .map(|ring| {
                    with_every_corner(ring)
                        .iter()
                        .map(|&(c, r)| wgs84(c as f64 * s, r as f64 * s))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    /// Directed unit edges (from corner, to corner) and how often each occurs.
    type UnitEdges = BTreeMap<((i64, i64), (i64, i64)), usize>;

    /// Cell sides facing outside the set, as directed unit edges with the set on the left.
    fn boundary_sides(set: &HashSet<(i64, i64)>) -> UnitEdges {
        let mut m = BTreeMap::new();
        for &(c, r) in set {
            for ((dc, dr), a, b) in [
                ((0, -1), (c, r), (c + 1, r)),
                ((1, 0), (c + 1, r), (c + 1, r + 1)),
                ((0, 1), (c + 1, r + 1), (c, r + 1)),
                ((-1, 0), (c, r + 1), (c, r)),
            ] {
                if !set.contains(&(c + dc, r + dr)) {
                    *m.entry((a, b)).or_default() += 1;
                }
            }
        }
        m
    }

    /// Rings cut back into directed unit edges.
    fn ring_unit_edges(polys: &[GridPolygon]) -> UnitEdges {
        let mut m = BTreeMap::new();
        for ring in polys.iter().flatten() {
            for w in ring.windows(2) {
                let (dc, dr) = ((w[1].0 - w[0].0).signum(), (w[1].1 - w[0].1).signum());
                assert!(dc == 0 || dr == 0, "axis-parallel segments only");
                let mut v = w[0];
                while v != w[1] {
                    let n = (v.0 + dc, v.1 + dr);
                    *m.entry((v, n)).or_default() += 1;
                    v = n;
                }
            }
        }
        m
    }

    /// 4-connected components by an independent flood fill over a bitmap.
    fn count_components(set: &HashSet<(i64, i64)>, w: i64, h: i64) -> usize {
        let mut seen = HashSet::new();
        let mut n = 0;
        for r in 0..h {
            for c in 0..w {
                if !set.contains(&(c, r)) || seen.contains(&(c, r)) {
                    continue;
                }
                n += 1;
                let mut stack = vec![(c, r)];
                seen.insert((c, r));
                while let Some((c, r)) = stack.pop() {
                    for n in [(c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1)] {
                        if set.contains(&n) && seen.insert(n) {
                            stack.push(n);
                        }
                    }
                }
            }
        }
        n
    }

    fn to_geo(polys: &[GridPolygon]) -> geo::MultiPolygon<f64> {
        let ls = |r: &GridRing| {
            geo::LineString::from(
                r.iter()
                    .map(|&(c, r)| (c as f64, r as f64))
                    .collect::<Vec<_>>(),
            )
        };
        geo::MultiPolygon(
            polys
                .iter()
                .map(|p| geo::Polygon::new(ls(&p[0]), p[1..].iter().map(ls).collect()))
                .collect(),
        )
    }

    fn check(cells: &[(i64, i64)], w: i64, h: i64) -> Vec<GridPolygon> {
        let set: HashSet<(i64, i64)> = cells.iter().copied().collect();
        let polys = dissolve(cells);
        // One polygon per 4-connected component.
        assert_eq!(polys.len(), count_components(&set, w, h));
        let mut area = 0;
        for poly in &polys {
            for (k, ring) in poly.iter().enumerate() {
                assert!(ring.len() >= 5, "{ring:?}");
                assert_eq!(ring.first(), ring.last(), "closed");
                // Right-hand rule: exterior counter-clockwise, holes clockwise.
                let a = area2(ring);
                assert!(if k == 0 { a > 0 } else { a < 0 }, "ring {k}: {a}");
                area += a;
                // No collinear vertices: every vertex turns.
                let n = ring.len() - 1;
                for i in 0..n {
                    let (p, q, s) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
                    let cross = (q.0 - p.0) * (s.1 - q.1) - (q.1 - p.1) * (s.0 - q.0);
                    assert_ne!(cross, 0, "collinear vertex {q:?}");
                }
            }
        }
        // Area = cells × cell area (in cells).
        assert_eq!(area, 2 * set.len() as i64);
        // Every ring edge is a cell side between the set and the outside, each exactly once: no
        // internal edges, nothing missing.
        assert_eq!(ring_unit_edges(&polys), boundary_sides(&set));
        let mp = to_geo(&polys);
        assert!(mp.is_valid(), "{:?}", mp.validation_errors());
        polys
    }

    #[test]
    fn a_square_is_one_ring_of_four_corners() {
        let cells: Vec<(i64, i64)> = (0..3).flat_map(|c| (0..3).map(move |r| (c, r))).collect();
        let polys = check(&cells, 3, 3);
        assert_eq!(
            polys,
            vec![vec![vec![(0, 0), (3, 0), (3, 3), (0, 3), (0, 0)]]]
        );
    }

    #[test]
    fn a_frame_has_a_hole_and_diagonal_cells_stay_apart() {
        let frame: Vec<(i64, i64)> = (0..4)
            .flat_map(|c| (0..4).map(move |r| (c, r)))
            .filter(|&(c, r)| !(1..3).contains(&c) || !(1..3).contains(&r))
            .collect();
        let polys = check(&frame, 4, 4);
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 2, "exterior and one hole");
        assert_eq!(area2(&polys[0][1]), -8);

        let diagonal = check(&[(0, 0), (1, 1)], 2, 2);
        assert_eq!(diagonal.len(), 2);
        // A hole touching the exterior at one corner (a frame without a corner cell): still a
        // hole, not one self-touching ring.
        let notched: Vec<(i64, i64)> = frame.iter().copied().filter(|&c| c != (3, 3)).collect();
        let polys = check(&notched, 4, 4);
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 2);
        // Two holes touching at a corner.
        let two: Vec<(i64, i64)> = (0..4)
            .flat_map(|c| (0..4).map(move |r| (c, r)))
            .filter(|&c| c != (1, 1) && c != (2, 2))
            .collect();
        assert_eq!(check(&two, 4, 4)[0].len(), 3);
        assert!(check(&[], 1, 1).is_empty());
    }

    #[test]
    fn random_cell_sets_dissolve_exactly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        for density in [0.2, 0.45, 0.6, 0.8] {
            for _ in 0..10 {
                let (w, h) = (rng.gen_range(1..30), rng.gen_range(1..30));
                let cells: Vec<(i64, i64)> = (0..w)
                    .flat_map(|c| (0..h).map(move |r| (c, r)))
                    .filter(|_| rng.gen_bool(density))
                    .collect();
                check(&cells, w, h);
            }
        }
    }

    #[test]
    fn the_wgs84_outline_is_valid_and_closed() {
        let cells: Vec<(i64, i64, u32, u32)> = (0..6)
            .flat_map(|c| (0..5).map(move |r| (c, r)))
            .filter(|&(c, r)| (c, r) != (2, 2) && (c, r) != (4, 0))
            .map(|(c, r)| (380_000 + c * 1000, 6_700_000 + r * 1000, 20, 5))
            .collect();
        let grid = Grid::from_cells(cells, 1000).unwrap();
        let all: Vec<usize> = (0..grid.cells().len()).collect();
        let g = dissolved_multipolygon(&grid, &all).unwrap();
        let geojson::Value::MultiPolygon(polys) = &g.value else {
            panic!("{g:?}")
        };
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 2);
        let mp = geo::MultiPolygon::<f64>::try_from(&g.value).unwrap();
        assert!(mp.is_valid(), "{:?}", mp.validation_errors());
        use geo::{orient::Direction, Orient};
        assert_eq!(mp.orient(Direction::Default), mp, "right-hand rule");
    }
}
