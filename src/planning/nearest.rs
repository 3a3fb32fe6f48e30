//! Exact nearest-site assignment of many points to a few thousand sites, in great-circle order.
//!
//! Points are bucketed into cubes of side `h` in 3-D unit-vector space. For each occupied cube the
//! sites that can be nearest to any point in it are those within `d0 + 2r` of the cube centre
//! (`d0` the centre's nearest site, `r` the half-diagonal; the chord is a metric, so the triangle
//! inequality makes this exact). Each point then scans that short list, sorted by distance to the
//! centre, and stops once `|c − s| − |p − c|` exceeds its best chord. Neighbouring points share a
//! cube, so the R-tree is asked once per cube, not once per point. Ties go to the lowest site index,
//! exactly as a brute-force scan would.

use super::sphere::{dot, Unit};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Cube side in unit-sphere units (≈ 6.4 km): measured best for Finnish outlet densities.
const CUBE: f64 = 1.0e-3;
/// How many times a crowded cube may be split in eight (6.4 km → 0.8 km at 3).
const MAX_SPLITS: u32 = 3;
/// Slack on pruning bounds, far above f64 rounding at these magnitudes, far below any real gap.
const SLACK: f64 = 1e-12;

/// Sites (outlets, candidate locations, municipal centres) indexed for nearest queries.
#[derive(Debug, Clone)]
pub struct NearestIndex {
    sites: Vec<Unit>,
    tree: RTree<GeomWithData<[f64; 3], u32>>,
}

/// The nearest site of one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Index of the site in the slice the index was built from.
    pub site: u32,
    /// Dot product of the point and the site (the cosine of their central angle).
    pub dot: f64,
}

#[derive(Clone, Copy)]
struct Cand {
    v: Unit,
    /// Distance from the cube centre.
    dc: f64,
    site: u32,
}

type Key = (i32, i32, i32);

fn key(p: &Unit) -> Key {
    (
        (p[0] / CUBE).floor() as i32,
        (p[1] / CUBE).floor() as i32,
        (p[2] / CUBE).floor() as i32,
    )
}

/// A cube key in one integer whose order groups equal keys (components offset to be positive).
/// Unit-vector components lie in ±1, so keys lie in ±1/CUBE = ±1000: 11 bits each once offset.
fn pack(k: Key) -> u64 {
    let f = |v: i32| (v as i64 + 1024) as u64 & 0x7ff;
    (f(k.0) << 22) | (f(k.1) << 11) | f(k.2)
}

/// Low 31 bits of a packed sort entry: the point's index.
const IDX_MASK: u64 = (1 << 31) - 1;

fn centre(k: Key) -> Unit {
    [
        (k.0 as f64 + 0.5) * CUBE,
        (k.1 as f64 + 0.5) * CUBE,
        (k.2 as f64 + 0.5) * CUBE,
    ]
}

fn dist(a: &Unit, b: &Unit) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}

impl NearestIndex {
    /// Indexes sites given as unit vectors. An empty index answers `None` to every query.
    pub fn new(sites: Vec<Unit>) -> Self {
        let tree = RTree::bulk_load(
            sites
                .iter()
                .enumerate()
                .map(|(i, v)| GeomWithData::new(*v, i as u32))
                .collect(),
        );
        NearestIndex { sites, tree }
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// True with no sites.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The sites' unit vectors.
    pub fn sites(&self) -> &[Unit] {
        &self.sites
    }

    fn candidates(&self, k: Key) -> Vec<Cand> {
        let c = centre(k);
        let r = CUBE * 3f64.sqrt() / 2.0;
        let mut out = Vec::new();
        let mut limit = f64::INFINITY;
        for (s, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&c) {
            let dc = d2.sqrt();
            if out.is_empty() {
                limit = dc + 2.0 * r + SLACK;
            }
            if dc > limit {
                break;
            }
            out.push(Cand {
                v: *s.geom(),
                dc,
                site: s.data,
            });
        }
        out
    }

    fn scan(cands: &[Cand], c: &Unit, p: &Unit) -> Option<Nearest> {
        let rp = dist(p, c);
        let mut best: Option<Nearest> = None;
        let mut best_chord = f64::INFINITY;
        for cand in cands {
            if cand.dc - rp > best_chord + SLACK {
                break;
            }
            let d = dot(p, &cand.v);
            let better = match best {
                None => true,
                Some(b) => d > b.dot || (d == b.dot && cand.site < b.site),
            };
            if better {
                best = Some(Nearest {
                    site: cand.site,
                    dot: d,
                });
                best_chord = (2.0 - 2.0 * d).max(0.0).sqrt();
            }
        }
        best
    }

    /// Answers the points of one cube (centre `c`, half-side `half`). Where many points meet many
    /// candidates, the cube is split in eight and each child keeps only the parent's candidates
    /// that can be nearest inside it (same bound, smaller radius), down to [`MAX_SPLITS`] levels.
    fn solve_block(
        points: &[Unit],
        idxs: &[u32],
        c: Unit,
        half: f64,
        cands: &[Cand],
        depth: u32,
        out: &mut Vec<(u32, Option<Nearest>)>,
    ) {
        if depth >= MAX_SPLITS || idxs.len() < 32 || cands.len() <= 6 {
            for &i in idxs {
                out.push((i, Self::scan(cands, &c, &points[i as usize])));
            }
            return;
        }
        let mut kids: [Vec<u32>; 8] = Default::default();
        for &i in idxs {
            let p = &points[i as usize];
            let o = (p[0] >= c[0]) as usize
                | ((p[1] >= c[1]) as usize) << 1
                | ((p[2] >= c[2]) as usize) << 2;
            kids[o].push(i);
        }
        let h = half / 2.0;
        for (o, kid) in kids.iter().enumerate() {
            if kid.is_empty() {
                continue;
            }
            let side = |bit: usize| if o & bit != 0 { h } else { -h };
            let cc = [c[0] + side(1), c[1] + side(2), c[2] + side(4)];
            let r = h * 3f64.sqrt();
            let mut sub: Vec<Cand> = cands
                .iter()
                .map(|s| Cand {
                    dc: dist(&cc, &s.v),
                    ..*s
                })
                .collect();
            let d0 = sub.iter().map(|s| s.dc).fold(f64::INFINITY, f64::min);
            sub.retain(|s| s.dc <= d0 + 2.0 * r + SLACK);
            sub.sort_by(|a, b| a.dc.total_cmp(&b.dc).then(a.site.cmp(&b.site)));
            Self::solve_block(points, kid, cc, h, &sub, depth + 1, out);
        }
    }

    /// The nearest site of every point (unit vectors), in parallel. `None` only for an empty index.
    pub fn assign(&self, points: &[Unit]) -> Vec<Option<Nearest>> {
        if self.sites.is_empty() {
            return vec![None; points.len()];
        }
        // Sort the points by cube, then answer cube by cube: one R-tree query per occupied cube,
        // shared by all its points, with the cube's candidates hot in cache.
        if points.len() >= IDX_MASK as usize {
            // The packed sort below holds indices in 31 bits: answer larger inputs in halves.
            let (a, b) = points.split_at(points.len() / 2);
            let mut out = self.assign(a);
            out.extend(self.assign(b));
            return out;
        }
        let mut order: Vec<u64> = points
            .par_iter()
            .enumerate()
            .map(|(i, p)| (pack(key(p)) << 31) | i as u64)
            .collect();
        order.par_sort_unstable();
        let starts: Vec<usize> = (0..order.len())
            .into_par_iter()
            .filter(|&i| i == 0 || order[i] >> 31 != order[i - 1] >> 31)
            .collect();
        let runs: Vec<Vec<(u32, Option<Nearest>)>> = starts
            .par_iter()
            .enumerate()
            .map(|(r, &a)| {
                let b = starts.get(r + 1).copied().unwrap_or(order.len());
                let idxs: Vec<u32> = order[a..b].iter().map(|x| (x & IDX_MASK) as u32).collect();
                let k = key(&points[idxs[0] as usize]);
                let mut out = Vec::with_capacity(idxs.len());
                Self::solve_block(
                    points,
                    &idxs,
                    centre(k),
                    CUBE / 2.0,
                    &self.candidates(k),
                    0,
                    &mut out,
                );
                out
            })
            .collect();
        let mut out = vec![None; points.len()];
        for run in runs {
            for (i, n) in run {
                out[i as usize] = n;
            }
        }
        out
    }

    /// The nearest site of one point, by the same rule as [`NearestIndex::assign`].
    pub fn nearest(&self, p: &Unit) -> Option<Nearest> {
        let k = key(p);
        Self::scan(&self.candidates(k), &centre(k), p)
    }

    /// Sites within a dot-product threshold of `p` (see [`super::sphere::dot_of_metres`]).
    pub fn within(&self, p: &Unit, min_dot: f64) -> Vec<(u32, f64)> {
        let chord2 = 2.0 - 2.0 * min_dot;
        self.tree
            .locate_within_distance(*p, chord2 + SLACK)
            .map(|s| (s.data, dot(p, s.geom())))
            .filter(|&(_, d)| d >= min_dot)
            .collect()
    }

    /// Brute force: the oracle the tests hold [`NearestIndex::assign`] to.
    pub fn brute_force(&self, p: &Unit) -> Option<Nearest> {
        let mut best: Option<Nearest> = None;
        for (i, s) in self.sites.iter().enumerate() {
            let d = dot(p, s);
            if best.is_none_or(|b| d > b.dot) {
                best = Some(Nearest {
                    site: i as u32,
                    dot: d,
                });
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;
    use crate::planning::sphere::unit;
    use rand::{Rng, SeedableRng};

    fn random_units(rng: &mut impl Rng, n: usize) -> Vec<Unit> {
        (0..n)
            .map(|_| {
                unit(LonLat::new(rng.gen_range(20.0..31.0), rng.gen_range(59.8..70.0)).unwrap())
            })
            .collect()
    }

    #[test]
    fn assignment_equals_brute_force_on_random_points() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sites = random_units(&mut rng, 300);
        let idx = NearestIndex::new(sites);
        let pts = random_units(&mut rng, 5000);
        let got = idx.assign(&pts);
        for (p, g) in pts.iter().zip(&got) {
            assert_eq!(g.map(|n| n.site), idx.brute_force(p).map(|n| n.site));
        }
    }

    #[test]
    fn ties_go_to_the_lowest_site_index() {
        let s = unit(LonLat::new(25.0, 60.5).unwrap());
        let idx = NearestIndex::new(vec![s, s, s]);
        let got = idx.assign(&[unit(LonLat::new(25.1, 60.6).unwrap())]);
        assert_eq!(got[0].unwrap().site, 0);
        assert!(NearestIndex::new(vec![]).assign(&[s])[0].is_none());
    }
}
