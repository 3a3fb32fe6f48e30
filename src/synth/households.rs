//! The synthetic household grid: 1 km × 1 km cells in EPSG:3067.
//!
//! Every municipality's population is spread by kernels with an exponential distance decay: a
//! dense one at the centre, one at every GeoNames district or village (by its population) and a
//! wide, thin rural background around the centre. Each kernel's weights are normalised over the
//! cells whose centre is on land, so coastal towns lose nothing to the sea. Expected households
//! are rounded stochastically (which leaves a speckled rural background, as real grids show) and
//! the total is then trimmed to exactly [`TOTAL_HOUSEHOLDS`](super::TOTAL_HOUSEHOLDS).

use super::sources::Geography;
use super::SynthError;
use crate::crs::{self, Crs};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// One row of `households_1km.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// EPSG:3067 easting of the south-west corner, a multiple of 1000.
    pub x: i64,
    /// EPSG:3067 northing of the south-west corner, a multiple of 1000.
    pub y: i64,
    /// K-Plussa households.
    pub households: u32,
    /// Cardholders in those households.
    pub cardholders: u32,
}

/// `households_1km.csv` as bytes.
pub(crate) fn to_csv(rows: &[Cell]) -> Vec<u8> {
    super::csv_bytes(rows)
}

/// The grid's extent in EPSG:3067 (covers Finland with Åland), in km.
const X0: i64 = 40;
const X1: i64 = 780;
const Y0: i64 = 6_590;
const Y1: i64 = 7_800;
const NX: usize = (X1 - X0) as usize;
const NY: usize = (Y1 - Y0) as usize;

/// Share of a municipality's people in the thin rural background around its centre.
const BACKGROUND: f64 = 0.15;
/// Share of the background around the town itself; the rest lines the roads.
const ROUND_TOWN: f64 = 0.5;
/// Spacing of the road-side background kernels, km.
const ROAD_STEP_KM: f64 = 2.0;
/// Cardholders per household, on average.
const CARDS_PER_HOUSEHOLD: f64 = 1.6;

struct Kernel {
    /// Centre in km (EPSG:3067 / 1000).
    x: f64,
    y: f64,
    people: f64,
    /// e-folding distance, km.
    r: f64,
    /// Cut-off distance, km.
    reach: f64,
}

/// A kernel of `people` gets an e-folding radius growing slowly with its size.
fn urban_radius(people: f64) -> f64 {
    0.6 + 0.9 * (people / 10_000.0).powf(0.45)
}

fn kernels(geo: &Geography) -> Result<Vec<Kernel>, SynthError> {
    let mut place_sum = vec![0.0; geo.centres.len()];
    for p in &geo.places {
        place_sum[p.centre] += p.pop;
    }
    let mut out = Vec::new();
    let project = |lon: f64, lat: f64| -> Result<(f64, f64), SynthError> {
        let (x, y) = crs::transform(Crs::Wgs84, Crs::Tm35Fin, lon, lat)?;
        Ok((x / 1000.0, y / 1000.0))
    };
    let urban = |x: f64, y: f64, people: f64| {
        let r = urban_radius(people);
        Kernel {
            x,
            y,
            people,
            r,
            reach: (4.0 * r).max(3.0),
        }
    };
    let edges = geo.road_edges();
    let mut degree = vec![0usize; geo.centres.len()];
    for &(a, b, _) in &edges {
        degree[a] += 1;
        degree[b] += 1;
    }
    // The part of each municipality in its core and places, scaled so places never exceed it.
    let mut scale = vec![0.0; geo.centres.len()];
    for (i, c) in geo.centres.iter().enumerate() {
        let settled = (1.0 - BACKGROUND) * c.pop;
        let core = (settled - place_sum[i]).max(0.25 * c.pop);
        scale[i] = settled / (core + place_sum[i]);
        let (x, y) = project(c.lon, c.lat)?;
        out.push(urban(x, y, core * scale[i]));
        let r = 3.0 + 2.0 * (c.pop / 10_000.0).powf(0.3);
        out.push(Kernel {
            x,
            y,
            // A town without road neighbours keeps its whole background around it.
            people: if degree[i] == 0 { 1.0 } else { ROUND_TOWN } * BACKGROUND * c.pop,
            r,
            reach: 3.0 * r,
        });
    }
    // The rest of the background lines the roads out of town, up to halfway to the neighbour.
    for &(a, b, d) in &edges {
        for (from, to) in [(a, b), (b, a)] {
            let (c, n) = (&geo.centres[from], &geo.centres[to]);
            let (x0, y0) = project(c.lon, c.lat)?;
            let (x1, y1) = project(n.lon, n.lat)?;
            let steps = (d / 2.0 / ROAD_STEP_KM).ceil().max(1.0) as usize;
            let people = (1.0 - ROUND_TOWN) * BACKGROUND * c.pop / (degree[from] * steps) as f64;
            for s in 1..=steps {
                let t = 0.5 * s as f64 / steps as f64;
                out.push(Kernel {
                    x: x0 + t * (x1 - x0),
                    y: y0 + t * (y1 - y0),
                    people,
                    r: 1.2,
                    reach: 3.0,
                });
            }
        }
    }
    for p in &geo.places {
        let (x, y) = project(p.lon, p.lat)?;
        out.push(urban(x, y, p.pop * scale[p.centre]));
    }
    Ok(out)
}

fn index(ix: usize, iy: usize) -> usize {
    iy * NX + ix
}

/// The cells a kernel reaches, with their unnormalised weights.
fn footprint(k: &Kernel) -> impl Iterator<Item = (usize, f64)> + '_ {
    let ix0 = ((k.x - k.reach).floor() as i64 - X0).max(0) as usize;
    let ix1 = ((k.x + k.reach).ceil() as i64 - X0).clamp(0, NX as i64) as usize;
    let iy0 = ((k.y - k.reach).floor() as i64 - Y0).max(0) as usize;
    let iy1 = ((k.y + k.reach).ceil() as i64 - Y0).clamp(0, NY as i64) as usize;
    (iy0..iy1).flat_map(move |iy| {
        (ix0..ix1).filter_map(move |ix| {
            let cx = (X0 + ix as i64) as f64 + 0.5;
            let cy = (Y0 + iy as i64) as f64 + 0.5;
            let d = ((cx - k.x).powi(2) + (cy - k.y).powi(2)).sqrt();
            (d <= k.reach).then(|| (index(ix, iy), (-d / k.r).exp()))
        })
    })
}

/// True if the centre of cell `i` lies inside the Finland outline.
fn cell_on_land(i: usize) -> bool {
    let (ix, iy) = (i % NX, i / NX);
    let x = ((X0 + ix as i64) * 1000 + 500) as f64;
    let y = ((Y0 + iy as i64) * 1000 + 500) as f64;
    crs::to_wgs84(Crs::Tm35Fin, x, y).is_ok_and(|p| crate::finland::outline().contains(p))
}

/// Which cells have their centre on land, exactly as `finland::outline().contains` says.
///
/// Testing 10^5 cell centres against the outline one by one is slow in debug builds, so rows are
/// scanned against the outline projected to EPSG:3067 (even–odd crossings), and only cells within
/// about a kilometre of the projected coast, where the projected and the lon/lat outline could
/// disagree, are asked the outline itself.
fn land_mask() -> Result<Vec<bool>, SynthError> {
    let mut rings: Vec<Vec<(f64, f64)>> = Vec::new();
    for poly in crate::finland::outline().shape() {
        let mut ring = Vec::with_capacity(poly.exterior().0.len());
        for c in &poly.exterior().0 {
            let (x, y) = crs::transform(Crs::Wgs84, Crs::Tm35Fin, c.x, c.y)?;
            ring.push((x / 1000.0 - X0 as f64, y / 1000.0 - Y0 as f64));
        }
        rings.push(ring);
    }
    let edges: Vec<((f64, f64), (f64, f64))> = rings
        .iter()
        .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let mut near = vec![false; NX * NY];
    for &(a, b) in &edges {
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let steps = (len / 0.25).ceil() as usize + 1;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            let (cx, cy) = (x.floor() as i64, y.floor() as i64);
            for iy in (cy - 1).max(0)..=(cy + 1).min(NY as i64 - 1) {
                for ix in (cx - 1).max(0)..=(cx + 1).min(NX as i64 - 1) {
                    near[index(ix as usize, iy as usize)] = true;
                }
            }
        }
    }
    let mut land = vec![false; NX * NY];
    let mut xs = Vec::new();
    for iy in 0..NY {
        let yc = iy as f64 + 0.5;
        xs.clear();
        for &(a, b) in &edges {
            if (a.1 > yc) != (b.1 > yc) {
                xs.push(a.0 + (yc - a.1) * (b.0 - a.0) / (b.1 - a.1));
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            let from = (pair[0] - 0.5).ceil().max(0.0) as usize;
            let to = ((pair[1] - 0.5).floor() + 1.0).clamp(0.0, NX as f64) as usize;
            for ix in from..to {
                land[index(ix, iy)] = true;
            }
        }
    }
    let near_cells: Vec<usize> = (0..NX * NY).filter(|&i| near[i]).collect();
    // The outline test dominates what is left; rayon keeps the order (collect is indexed).
    let exact: Vec<bool> = near_cells.par_iter().map(|&i| cell_on_land(i)).collect();
    for (&i, &l) in near_cells.iter().zip(&exact) {
        land[i] = l;
    }
    Ok(land)
}

/// Generates the grid, sorted by y then x.
pub(crate) fn generate(geo: &Geography, rng: &mut ChaCha8Rng) -> Result<Vec<Cell>, SynthError> {
    let kernels = kernels(geo)?;
    let land = land_mask()?;
    let per_person =
        super::TOTAL_HOUSEHOLDS as f64 / geo.centres.iter().map(|c| c.pop).sum::<f64>();
    let mut expected = vec![0.0f64; NX * NY];
    for k in &kernels {
        let sum: f64 = footprint(k).filter(|&(i, _)| land[i]).map(|(_, w)| w).sum();
        if sum <= 0.0 {
            continue;
        }
        let f = k.people * per_person / sum;
        for (i, w) in footprint(k).filter(|&(i, _)| land[i]) {
            expected[i] += w * f;
        }
    }
    let mut cells = Vec::new();
    for i in 0..NX * NY {
        let e = expected[i];
        if e <= 0.0 || !land[i] {
            continue;
        }
        let h = e.floor() as u32 + u32::from(rng.gen_bool(e.fract()));
        if h > 0 {
            let (ix, iy) = (i % NX, i / NX);
            cells.push(Cell {
                x: (X0 + ix as i64) * 1000,
                y: (Y0 + iy as i64) * 1000,
                households: h,
                cardholders: 0,
            });
        }
    }
    trim_total(&mut cells, super::TOTAL_HOUSEHOLDS);
    for c in &mut cells {
        let extra =
            f64::from(c.households) * (CARDS_PER_HOUSEHOLD - 1.0) * rng.gen_range(0.85..1.15);
        c.cardholders =
            c.households + extra.floor() as u32 + u32::from(rng.gen_bool(extra.fract()));
    }
    // Cells were visited by index = iy * NX + ix, so cells are already sorted by y, then x.
    Ok(cells)
}

/// Adds or removes single households, largest cells first, until the total is `target` (or, when
/// shrinking, every cell is down to one household).
fn trim_total(cells: &mut [Cell], target: u64) {
    let total: u64 = cells.iter().map(|c| u64::from(c.households)).sum();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by(|&a, &b| {
        cells[b]
            .households
            .cmp(&cells[a].households)
            .then(a.cmp(&b))
    });
    let mut diff = target as i64 - total as i64;
    while diff != 0 && !order.is_empty() {
        let before = diff;
        for &i in &order {
            if diff > 0 {
                cells[i].households += 1;
                diff -= 1;
            } else if diff < 0 && cells[i].households > 1 {
                cells[i].households -= 1;
                diff += 1;
            }
            if diff == 0 {
                break;
            }
        }
        if diff == before {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_land_mask_agrees_with_the_outline() {
        let mask = land_mask().unwrap();
        // Every 97th cell of the grid: coast, lakes, border and open sea alike.
        let mut land = 0;
        for i in (0..NX * NY).step_by(97) {
            assert_eq!(mask[i], cell_on_land(i), "cell {i}");
            land += usize::from(mask[i]);
        }
        // Finland is about 338,000 km², a third of this box.
        let share = land as f64 / (NX * NY / 97) as f64;
        assert!((0.3..0.45).contains(&share), "{share}");
    }

    #[test]
    fn trimming_hits_the_total_exactly() {
        let mut cells = vec![
            Cell {
                x: 0,
                y: 0,
                households: 5,
                cardholders: 0,
            },
            Cell {
                x: 1000,
                y: 0,
                households: 2,
                cardholders: 0,
            },
        ];
        trim_total(&mut cells, 12);
        assert_eq!((cells[0].households, cells[1].households), (8, 4));
        trim_total(&mut cells, 3);
        assert_eq!((cells[0].households, cells[1].households), (2, 1));
        trim_total(&mut cells, 1);
        assert_eq!((cells[0].households, cells[1].households), (1, 1));
    }
}
