//! Exact nearest-site assignment of many points to a few thousand sites, in great-circle order.
//!
//! Points are bucketed into cubes of side `h` in 3-D unit-vector space. For each occupied cube the
//! sites that can be nearest to any point in it are those within `d0 + 2r` of the cube centre
//! (`d0` the centre's nearest site, `r` the half-diagonal; the chord is a metric, so the triangle
//! inequality makes this exact). Where that list is long (dense towns), the cube is split into
//! octants, each keeping only its parent's sites that pass the same test with its smaller radius,
//! down to [`MAX_SPLITS`] levels. Each point then finds its cube in a hash map, descends to its
//! octant and scans that short list, sorted by distance to the octant centre, stopping once
//! `|c − s| − |p − c|` exceeds its best chord. The R-tree is asked once per occupied cube, not once
//! per point; the points are read and the answers written in input order, so nothing is sorted or
//! scattered. Ties go to the lowest site index, exactly as a brute-force scan would.

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

fn unpack(k: u64) -> Key {
    let f = |v: u64| (v & 0x7ff) as i32 - 1024;
    (f(k >> 22), f(k >> 11), f(k))
}

/// A multiplicative hash for packed cube keys (std's SipHash costs more than the whole query).
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        let h = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

type KeyBuild = std::hash::BuildHasherDefault<KeyHasher>;
type KeySet = std::collections::HashSet<u64, KeyBuild>;
type KeyMap = std::collections::HashMap<u64, u32, KeyBuild>;

/// Marks a leaf in [`Node::kids`].
const LEAF: u32 = u32::MAX;
/// A cube (or octant) with more candidates than this is split, down to [`MAX_SPLITS`] levels.
const SPLIT_ABOVE: usize = 8;

/// One node of a cube's octree.
#[derive(Clone, Copy)]
struct Node {
    c: Unit,
    /// Index of the first of its 8 children, or [`LEAF`].
    kids: u32,
    /// A leaf's candidates: `cands[start..start + len]`, sorted by distance to `c`.
    start: u32,
    len: u32,
}

/// The octree of one occupied cube.
struct CubeTree {
    nodes: Vec<Node>,
    cands: Vec<Cand>,
}

impl CubeTree {
    /// Fills node `at` (centre `c`, half-side `half`) with `cands`, every site that can be nearest
    /// inside it: a sorted leaf list, or 8 children when the list is long.
    fn fill(&mut self, at: usize, half: f64, mut cands: Vec<Cand>, depth: u32) {
        if depth >= MAX_SPLITS || cands.len() <= SPLIT_ABOVE {
            cands.sort_by(|a, b| a.dc.total_cmp(&b.dc).then(a.site.cmp(&b.site)));
            self.nodes[at].start = self.cands.len() as u32;
            self.nodes[at].len = cands.len() as u32;
            self.cands.extend(cands);
            return;
        }
        let c = self.nodes[at].c;
        let h = half / 2.0;
        let r = h * 3f64.sqrt();
        let first = self.nodes.len();
        self.nodes[at].kids = first as u32;
        let centres: Vec<Unit> = (0..8)
            .map(|o| {
                let side = |bit: usize| if o & bit != 0 { h } else { -h };
                [c[0] + side(1), c[1] + side(2), c[2] + side(4)]
            })
            .collect();
        for &cc in &centres {
            self.nodes.push(Node {
                c: cc,
                kids: LEAF,
                start: 0,
                len: 0,
            });
        }
        for (o, cc) in centres.iter().enumerate() {
            let mut sub: Vec<Cand> = cands
                .iter()
                .map(|s| Cand {
                    dc: dist(cc, &s.v),
                    ..*s
                })
                .collect();
            let d0 = sub.iter().map(|s| s.dc).fold(f64::INFINITY, f64::min);
            sub.retain(|s| s.dc <= d0 + 2.0 * r + SLACK);
            self.fill(first + o, h, sub, depth + 1);
        }
    }

    fn nearest(&self, p: &Unit) -> Option<Nearest> {
        let mut n = &self.nodes[0];
        while n.kids != LEAF {
            let o = (p[0] >= n.c[0]) as u32
                | ((p[1] >= n.c[1]) as u32) << 1
                | ((p[2] >= n.c[2]) as u32) << 2;
            n = &self.nodes[(n.kids + o) as usize];
        }
        let cands = &self.cands[n.start as usize..(n.start + n.len) as usize];
        NearestIndex::scan(cands, &n.c, p)
    }
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

    /// The octree of one occupied cube: its candidates, split into octants where they are many.
    fn cube_tree(&self, k: Key) -> CubeTree {
        let mut t = CubeTree {
            nodes: vec![Node {
                c: centre(k),
                kids: LEAF,
                start: 0,
                len: 0,
            }],
            cands: Vec::new(),
        };
        t.fill(0, CUBE / 2.0, self.candidates(k), 0);
        t
    }

    /// The nearest site of every point (unit vectors), in parallel. `None` only for an empty index.
    pub fn assign(&self, points: &[Unit]) -> Vec<Option<Nearest>> {
        if self.sites.is_empty() {
            return vec![None; points.len()];
        }
        // The occupied cubes, then one octree per cube (one R-tree query each), then every point
        // in input order: cube by hash, octant by comparisons, a short scan.
        let mut keys: Vec<u64> = points
            .par_chunks(1 << 15)
            .fold(KeySet::default, |mut set, chunk| {
                set.extend(chunk.iter().map(|p| pack(key(p))));
                set
            })
            .reduce(KeySet::default, |a, b| {
                let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                big.extend(small);
                big
            })
            .into_iter()
            .collect();
        keys.sort_unstable();
        let trees: Vec<CubeTree> = keys
            .par_iter()
            .map(|&k| self.cube_tree(unpack(k)))
            .collect();
        let slot: KeyMap = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        points
            .par_iter()
            .with_min_len(1 << 12)
            .map(|p| {
                // Every point's cube was collected above.
                let t = slot.get(&pack(key(p))).map(|&i| &trees[i as usize])?;
                t.nearest(p)
            })
            .collect()
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
