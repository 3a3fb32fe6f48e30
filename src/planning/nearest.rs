//! Exact nearest-site assignment of many points to a few thousand sites, in great-circle order.
//!
//! Space (3-D unit vectors) is cut into cubes of side [`CUBE`], each cut into 8 × 8 × 8 fine cells.
//! One pass over the points marks the occupied fine cells in a bitmap per occupied cube. For each
//! occupied cube the R-tree is asked once for the sites that can be nearest to any point in it:
//! those within `d0 + 2r` of the cube centre (`d0` the centre's nearest site, `r` the half-diagonal;
//! the chord is a metric, so the triangle inequality makes this exact). A cube whose list is short
//! keeps it for all its points; otherwise each occupied fine cell keeps the sites of that list that
//! pass the same test with its own centre and radius. A second pass reads each point's cube from a
//! small hash map, its fine cell's list by the rank of its bit in the bitmap, and scans that list
//! (sorted by distance to the cell centre), stopping once `|c − s| − |p − c|` exceeds its best chord.
//! Everything a point touches (cube map, leaves, lists of `(distance, site)` in 8 bytes, the sites)
//! fits in a few MB, and the second pass takes [`BLOCK`] points at a time, one loop per lookup, so
//! that the cache misses of different points overlap. The points are read and the answers written
//! in input order: nothing is sorted or scattered. Ties go to the lowest site index, exactly as a
//! brute-force scan would.

use super::sphere::{dot, Unit};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Cube side in unit-sphere units (≈ 6.4 km): one R-tree query per occupied cube.
const CUBE: f64 = 1.0e-3;
/// Fine cells per cube side (≈ 0.8 km cells).
const FINE: u32 = 8;
/// Fine cell side.
const H: f64 = CUBE / FINE as f64;
/// Fine cells per unit (1 / [`H`]).
const INV_H: f64 = 8000.0;
/// Offset that makes fine-cell coordinates positive (unit-vector components lie in ±1, so fine
/// coordinates in ±8000); a multiple of [`FINE`], so cubes start at multiples of it too.
const OFF: u32 = 8192;
/// A cube with more candidates than this gets one list per occupied fine cell.
const SPLIT_ABOVE: usize = 8;
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

/// A site of a cell's list: its distance from the cell centre rounded down to f32 (a bound that
/// is never too large, so pruning on it stays exact), and its index.
#[derive(Clone, Copy)]
struct Cand {
    dc: f32,
    site: u32,
}

impl Cand {
    fn new(dc: f64, site: u32) -> Self {
        // dc ≥ 0, so when rounding went up f > 0 and the next float down is one bit lower.
        let f = dc as f32;
        let dc = if f as f64 > dc {
            f32::from_bits(f.to_bits() - 1)
        } else {
            f
        };
        Cand { dc, site }
    }
}

/// A cell's list: `cands[start..start + len]`, sorted by distance to the cell centre, then index.
#[derive(Clone, Copy)]
struct Leaf {
    start: u32,
    len: u32,
}

/// A split cube: which of its 512 fine cells hold points (64 per word) and, per word, the index
/// of the leaf of its first cell; so a cell's leaf is its word's index plus the rank of its bit.
#[derive(Clone, Copy)]
struct Split {
    words: [(u64, u32); 8],
}

/// A cube's entry in [`Layout::cubes`]: the index of its one leaf, or with [`SPLIT`] set, the
/// index of its [`Split`].
const SPLIT: u32 = 1 << 31;

/// The lists of one call to [`NearestIndex::assign`].
struct Layout {
    cubes: CubeMap<u32>,
    splits: Vec<Split>,
    leaves: Vec<Leaf>,
    cands: Vec<Cand>,
}

impl Layout {
    /// The leaf of a point's cell and the cell's centre; `None` (never, as built) if the point's
    /// cell was not marked.
    #[inline]
    fn locate(&self, p: &Unit) -> Option<(u32, Unit)> {
        let f = fine(p);
        let k = cube_key(f);
        let e = *self.cubes.get(&k)?;
        if e & SPLIT == 0 {
            return Some((e, cube_centre(k)));
        }
        let i = sub_index(f);
        let (bits, first) = self.splits[(e & !SPLIT) as usize].words[(i / 64) as usize];
        let b = i % 64;
        if bits & (1 << b) == 0 {
            return None;
        }
        let at = first + (bits & ((1 << b) - 1)).count_ones();
        Some((at, fine_centre(k, i)))
    }
}

/// Points handled together in [`NearestIndex::assign`]'s last pass.
const BLOCK: usize = 128;

/// The fine cell of a point, offset to be positive. Truncation of a positive number is its floor
/// (std's `floor` is a library call on baseline x86-64). A point on a cell boundary may round into
/// either neighbour: it is then outside that cell by ~1e-16, far inside [`SLACK`], and both passes
/// use this one function, so every point finds the cell it marked.
#[inline]
fn fine(p: &Unit) -> [u32; 3] {
    let f = |v: f64| (v * INV_H + OFF as f64) as u32;
    [f(p[0]), f(p[1]), f(p[2])]
}

/// The cube of a fine cell, packed: 11 bits a component (fine coordinates lie in 192..16192).
#[inline]
fn cube_key(f: [u32; 3]) -> u64 {
    let c = |v: u32| (v / FINE) as u64 & 0x7ff;
    (c(f[0]) << 22) | (c(f[1]) << 11) | c(f[2])
}

/// The position of a fine cell in its cube, 0..512.
#[inline]
fn sub_index(f: [u32; 3]) -> u32 {
    ((f[0] % FINE) << 6) | ((f[1] % FINE) << 3) | (f[2] % FINE)
}

fn cube_centre(k: u64) -> Unit {
    let c = |s: u32| (((k >> s) & 0x7ff) as f64 - (OFF / FINE) as f64 + 0.5) * CUBE;
    [c(22), c(11), c(0)]
}

fn fine_centre(k: u64, sub: u32) -> Unit {
    let c = cube_centre(k);
    let o = |v: u32| ((v % FINE) as f64 + 0.5) * H - CUBE / 2.0;
    [c[0] + o(sub >> 6), c[1] + o(sub >> 3), c[2] + o(sub)]
}

fn dist(a: &Unit, b: &Unit) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
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
type CubeMap<V> = std::collections::HashMap<u64, V, KeyBuild>;

/// Half-diagonals of a cube and of a fine cell.
fn half_diagonal(side: f64) -> f64 {
    side * 3f64.sqrt() / 2.0
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

    /// Every site that can be nearest to a point within `r` of `c`: those within `d0 + 2r` of `c`
    /// (`d0` the nearest), with their distance from `c`, nearest first.
    fn candidates(&self, c: &Unit, r: f64) -> Vec<(f64, u32)> {
        let mut out = Vec::new();
        let mut limit = f64::INFINITY;
        for (s, d2) in self.tree.nearest_neighbor_iter_with_distance_2(c) {
            let dc = d2.sqrt();
            if out.is_empty() {
                limit = dc + 2.0 * r + SLACK;
            }
            if dc > limit {
                break;
            }
            out.push((dc, s.data));
        }
        out
    }

    /// The nearest of `cands` (sorted by distance to `c`, which lies within the list's radius of
    /// `p`), starting from `best`, the nearest of the sites before them: scans until
    /// `|c − s| − |p − c|` exceeds the best chord.
    #[inline]
    fn scan(
        &self,
        mut best: Option<Nearest>,
        cands: &[Cand],
        c: &Unit,
        p: &Unit,
    ) -> Option<Nearest> {
        let rp = dist(p, c);
        let chord = |d: f64| (2.0 - 2.0 * d).max(0.0).sqrt();
        let mut best_chord = best.map_or(f64::INFINITY, |b| chord(b.dot));
        for cand in cands {
            if cand.dc as f64 - rp > best_chord + SLACK {
                break;
            }
            let d = dot(p, &self.sites[cand.site as usize]);
            let better = match best {
                None => true,
                Some(b) => d > b.dot || (d == b.dot && cand.site < b.site),
            };
            if better {
                best = Some(Nearest {
                    site: cand.site,
                    dot: d,
                });
                best_chord = chord(d);
            }
        }
        best
    }

    /// The leaves of cube `k` (`bits`: its occupied fine cells): one for the whole cube when its
    /// list is short, else one per occupied fine cell in bit order, filtered from the cube's list.
    fn cube_leaves(&self, k: u64, bits: &[u64; 8]) -> (bool, Vec<Leaf>, Vec<Cand>) {
        let list = self.candidates(&cube_centre(k), half_diagonal(CUBE));
        let mut cands = Vec::new();
        let mut push = |l: &mut Vec<(f64, u32)>| {
            l.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let start = cands.len() as u32;
            cands.extend(l.iter().map(|&(d, s)| Cand::new(d, s)));
            Leaf {
                start,
                len: l.len() as u32,
            }
        };
        if list.len() <= SPLIT_ABOVE {
            let leaf = push(&mut list.clone());
            return (false, vec![leaf], cands);
        }
        let r = half_diagonal(H);
        let mut leaves = Vec::new();
        let mut sub = Vec::with_capacity(list.len());
        for (w, &word) in bits.iter().enumerate() {
            let mut b = word;
            while b != 0 {
                let c = fine_centre(k, w as u32 * 64 + b.trailing_zeros());
                b &= b - 1;
                sub.clear();
                sub.extend(
                    list.iter()
                        .map(|&(_, s)| (dist(&c, &self.sites[s as usize]), s)),
                );
                let d0 = sub.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
                sub.retain(|&(d, _)| d <= d0 + 2.0 * r + SLACK);
                leaves.push(push(&mut sub));
            }
        }
        (true, leaves, cands)
    }

    /// The nearest site of every point (unit vectors), in parallel. `None` only for an empty index.
    pub fn assign(&self, points: &[Unit]) -> Vec<Option<Nearest>> {
        if self.sites.is_empty() {
            return vec![None; points.len()];
        }
        // The occupied fine cells, as one bitmap per occupied cube.
        let occupied: CubeMap<[u64; 8]> = points
            .par_chunks(1 << 15)
            .fold(CubeMap::default, |mut m, chunk| {
                for p in chunk {
                    let f = fine(p);
                    let i = sub_index(f);
                    m.entry(cube_key(f)).or_insert([0; 8])[(i / 64) as usize] |= 1 << (i % 64);
                }
                m
            })
            .reduce(CubeMap::default, |a, b| {
                let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                for (k, bits) in small {
                    let e = big.entry(k).or_insert([0; 8]);
                    for (x, y) in e.iter_mut().zip(bits) {
                        *x |= y;
                    }
                }
                big
            });
        let mut cubes: Vec<(u64, [u64; 8])> = occupied.into_iter().collect();
        cubes.sort_unstable_by_key(|c| c.0);
        // One R-tree query per cube, its leaves, then one flat layout.
        let parts: Vec<(bool, Vec<Leaf>, Vec<Cand>)> = cubes
            .par_iter()
            .map(|(k, bits)| self.cube_leaves(*k, bits))
            .collect();
        let mut lay = Layout {
            cubes: CubeMap::with_capacity_and_hasher(cubes.len(), KeyBuild::default()),
            splits: Vec::new(),
            leaves: Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum()),
            cands: Vec::with_capacity(parts.iter().map(|p| p.2.len()).sum()),
        };
        for ((k, bits), (split, ls, cs)) in cubes.iter().zip(parts) {
            let base = lay.cands.len() as u32;
            let mut first = lay.leaves.len() as u32;
            lay.cands.extend(cs);
            lay.leaves.extend(ls.into_iter().map(|l| Leaf {
                start: l.start + base,
                len: l.len,
            }));
            if split {
                let mut words = [(0, 0); 8];
                for (w, &b) in words.iter_mut().zip(bits) {
                    *w = (b, first);
                    first += b.count_ones();
                }
                lay.cubes.insert(*k, SPLIT | lay.splits.len() as u32);
                lay.splits.push(Split { words });
            } else {
                lay.cubes.insert(*k, first);
            }
        }
        // Every point in input order, BLOCK at a time in four passes (cell, leaf, first site of
        // the list, rest of the list): each pass's loads are independent across the block's
        // points, so their cache misses overlap.
        let blocks: Vec<[Option<Nearest>; BLOCK]> = points
            .par_chunks(BLOCK)
            .with_min_len(16)
            .map(|pts| {
                let mut cell = [None; BLOCK];
                for (c, p) in cell.iter_mut().zip(pts) {
                    *c = lay.locate(p);
                }
                let mut leaf = [Leaf { start: 0, len: 0 }; BLOCK];
                for (l, c) in leaf.iter_mut().zip(&cell) {
                    if let Some((at, _)) = c {
                        *l = lay.leaves[*at as usize];
                    }
                }
                // The first site of each list (lists are never empty).
                let mut out = [None; BLOCK];
                for ((o, l), p) in out.iter_mut().zip(&leaf).zip(pts) {
                    if l.len > 0 {
                        let site = lay.cands[l.start as usize].site;
                        let dot = dot(p, &self.sites[site as usize]);
                        *o = Some(Nearest { site, dot });
                    }
                }
                for (j, p) in pts.iter().enumerate() {
                    out[j] = match cell[j] {
                        Some((_, c)) => {
                            let (a, n) = (leaf[j].start as usize, leaf[j].len as usize);
                            let rest = lay.cands.get(a + 1..a + n).unwrap_or(&[]);
                            self.scan(out[j], rest, &c, p)
                        }
                        // Every point's cell was marked above: for safety only.
                        None => self.nearest(p),
                    };
                }
                out
            })
            .collect();
        let mut out = blocks.into_flattened();
        out.truncate(points.len());
        out
    }

    /// The nearest site of one point, by the same rule as [`NearestIndex::assign`].
    pub fn nearest(&self, p: &Unit) -> Option<Nearest> {
        let c = cube_centre(cube_key(fine(p)));
        let cands: Vec<Cand> = self
            .candidates(&c, half_diagonal(CUBE))
            .into_iter()
            .map(|(d, s)| Cand::new(d, s))
            .collect();
        self.scan(None, &cands, &c, p)
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

    /// Sites crowded in one town (long lists, split cubes), a duplicate and a few far away; points
    /// over the whole sphere, crowded in the town, on the sites, and on fine-cell boundaries.
    #[test]
    fn assignment_equals_brute_force_in_crowds_far_away_and_on_cell_boundaries() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let town = |rng: &mut rand_chacha::ChaCha8Rng| {
            unit(LonLat::new(rng.gen_range(24.90..24.98), rng.gen_range(60.15..60.19)).unwrap())
        };
        let anywhere = |rng: &mut rand_chacha::ChaCha8Rng| {
            unit(LonLat::new(rng.gen_range(-180.0..180.0), rng.gen_range(-90.0..90.0)).unwrap())
        };
        let mut sites: Vec<Unit> = (0..400).map(|_| town(&mut rng)).collect();
        sites.extend((0..20).map(|_| anywhere(&mut rng)));
        sites.push(sites[3]);
        let mut pts: Vec<Unit> = (0..12_000).map(|_| town(&mut rng)).collect();
        pts.extend((0..3_000).map(|_| anywhere(&mut rng)));
        pts.extend(sites.iter().copied());
        // x and y snapped to fine-cell boundaries, z recomputed: still a unit vector.
        let on_edges: Vec<Unit> = pts
            .iter()
            .take(5_000)
            .map(|p| {
                let (x, y) = (
                    (p[0] * INV_H).round() / INV_H,
                    (p[1] * INV_H).round() / INV_H,
                );
                [x, y, (1.0 - x * x - y * y).max(0.0).sqrt().copysign(p[2])]
            })
            .collect();
        pts.extend(on_edges);
        for sites in [sites.clone(), sites[400..].to_vec(), vec![sites[0]]] {
            let idx = NearestIndex::new(sites);
            let got = idx.assign(&pts);
            for (i, (p, g)) in pts.iter().zip(&got).enumerate() {
                let want = idx.brute_force(p).map(|n| n.site);
                assert_eq!(g.map(|n| n.site), want, "{p:?}");
                if i % 8 == 0 {
                    assert_eq!(idx.nearest(p).map(|n| n.site), want, "{p:?}");
                }
            }
        }
    }

    #[test]
    fn list_distances_round_down() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for x in (0..10_000)
            .map(|_| rng.gen_range(0.0..2.0f64))
            .chain([0.0, 1e-300, 0.1, 2.0])
        {
            let dc = Cand::new(x, 0).dc as f64;
            assert!(
                dc <= x && x - dc <= x * 2.0 * f32::EPSILON as f64 + 1e-38,
                "{x} {dc}"
            );
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
