//! The R-tree index over one registry snapshot and its queries.

use super::kd::KdTree;
use super::sphere::{chord2, chord2_to_m, m_to_chord2, to_unit, Arc3, Vec3};
use super::{BBox, Filter, Hit, QueryError, RouteHit, MAX_CORRIDOR_M, MAX_K, MAX_RADIUS_M};
use super::{MAX_ROUTE_POINTS, MIN_ROUTE_POINTS};
use crate::model::{LonLat, Outlet};
use crate::registry::Registry;
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A unit vector tagged with the outlet's position in `Registry::outlets()`.
type Unit = GeomWithData<[f64; 3], u32>;
/// A lon/lat point (degrees) tagged the same way; used only for bbox and polygon queries, whose
/// inputs are in degrees.
type Flat = GeomWithData<[f64; 2], u32>;

/// Relative slack added to chord bounds so rounding in rstar's own distance arithmetic can never
/// drop a candidate; the exact metre check afterwards decides.
const SLACK: f64 = 1e-9;
/// Absolute slack for chords of (near) coincident points (1e-24 chord² ≈ 6 µm).
const SLACK_ABS: f64 = 1e-24;

/// An immutable index over one snapshot of the registry.
///
/// Two R-trees: one over 3-D unit vectors (great-circle order for nearest, radius and route
/// queries) and one over lon/lat degrees (bbox and polygon, whose inputs are in degrees). Built
/// once by [`OutletIndex::new`], or on the first query that needs each by [`OutletIndex::lazy`];
/// share it behind an `Arc` (see [`SharedIndex`](super::SharedIndex)).
#[derive(Debug, Clone)]
pub struct OutletIndex {
    registry: Arc<Registry>,
    units: OnceLock<RTree<Unit>>,
    flat: OnceLock<RTree<Flat>>,
    /// The same unit vectors in a k-d tree, for k-nearest queries (see `kd.rs`).
    kd: OnceLock<KdTree>,
}

fn by_distance_then_id(a: &Hit<'_>, b: &Hit<'_>) -> Ordering {
    a.distance_m
        .total_cmp(&b.distance_m)
        .then(a.outlet.id.cmp(&b.outlet.id))
}

// Registry sizes are bounded far below u32::MAX (a few thousand outlets), so the index position
// always fits the tag.
fn unit_tree(registry: &Registry) -> RTree<Unit> {
    RTree::bulk_load(
        registry
            .outlets()
            .iter()
            .enumerate()
            .map(|(i, o)| Unit::new(to_unit(o.location), i as u32))
            .collect(),
    )
}

fn kd_tree(registry: &Registry) -> KdTree {
    KdTree::new(
        registry
            .outlets()
            .iter()
            .enumerate()
            .map(|(i, o)| (to_unit(o.location), i as u32))
            .collect(),
    )
}

fn flat_tree(registry: &Registry) -> RTree<Flat> {
    RTree::bulk_load(
        registry
            .outlets()
            .iter()
            .enumerate()
            .map(|(i, o)| Flat::new([o.location.lon(), o.location.lat()], i as u32))
            .collect(),
    )
}

impl OutletIndex {
    /// Builds the index over a registry snapshot (bulk-loaded, O(n log n); the two trees side by
    /// side).
    pub fn new(registry: Arc<Registry>) -> Self {
        let (units, (flat, kd)) = rayon::join(
            || unit_tree(&registry),
            || (flat_tree(&registry), kd_tree(&registry)),
        );
        OutletIndex {
            units: OnceLock::from(units),
            flat: OnceLock::from(flat),
            kd: OnceLock::from(kd),
            registry,
        }
    }

    /// An index whose trees are built by the first query that needs each: for a one-shot
    /// command that may never query by place (`storenet export` of whole chains).
    pub fn lazy(registry: Arc<Registry>) -> Self {
        OutletIndex {
            units: OnceLock::new(),
            flat: OnceLock::new(),
            kd: OnceLock::new(),
            registry,
        }
    }

    fn units(&self) -> &RTree<Unit> {
        self.units.get_or_init(|| unit_tree(&self.registry))
    }

    fn flat(&self) -> &RTree<Flat> {
        self.flat.get_or_init(|| flat_tree(&self.registry))
    }

    fn kd(&self) -> &KdTree {
        self.kd.get_or_init(|| kd_tree(&self.registry))
    }

    /// The registry this index was built from.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Number of outlets indexed.
    pub fn len(&self) -> usize {
        self.registry.outlets().len()
    }

    /// True if the snapshot holds no outlets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn outlet(&self, tag: u32) -> &Outlet {
        &self.registry.outlets()[tag as usize]
    }

    /// Up to `k` (1..=100) nearest outlets passing `filter`, nearest first, ties by id.
    ///
    /// Distances are great-circle metres ([`distance_m`](super::distance_m)). The filter is
    /// applied during the R-tree's nearest-first walk, so `k` results come back whenever `k`
    /// outlets pass it, however selective it is.
    pub fn nearest(
        &self,
        p: LonLat,
        k: usize,
        filter: &Filter,
    ) -> Result<Vec<Hit<'_>>, QueryError> {
        if k == 0 || k > MAX_K {
            return Err(QueryError::OutOfRange {
                field: "k",
                reason: format!("must be 1..={MAX_K}, got {k}"),
            });
        }
        filter.check(&self.registry)?;
        let q = to_unit(p);
        // The k nearest by chord, and every outlet that may tie with the k-th once distances
        // are rounded to metres: those compete on id.
        let mut hits: Vec<Hit<'_>> = self
            .kd()
            .nearest(
                &q,
                k,
                |pos| filter.matches(&self.registry, self.outlet(pos)),
                |kth_c2| kth_c2 * (1.0 + SLACK) + SLACK_ABS,
            )
            .into_iter()
            .map(|(c2, pos)| Hit {
                outlet: self.outlet(pos),
                distance_m: chord2_to_m(c2),
            })
            .collect();
        hits.sort_by(by_distance_then_id);
        hits.truncate(k);
        Ok(hits)
    }

    /// Outlets within `radius_m` (0 < r ≤ 500 km) passing `filter`, nearest first, ties by id.
    ///
    /// An outlet exactly `radius_m` away is included. Distances are great-circle metres.
    pub fn within(
        &self,
        p: LonLat,
        radius_m: f64,
        filter: &Filter,
    ) -> Result<Vec<Hit<'_>>, QueryError> {
        if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
            return Err(QueryError::OutOfRange {
                field: "radius_m",
                reason: format!("must be > 0 and ≤ {MAX_RADIUS_M} metres, got {radius_m}"),
            });
        }
        filter.check(&self.registry)?;
        let q = to_unit(p);
        let bound = m_to_chord2(radius_m) * (1.0 + SLACK) + SLACK_ABS;
        let mut hits: Vec<Hit<'_>> = self
            .units()
            .locate_within_distance(q, bound)
            .filter_map(|item| {
                let o = self.outlet(item.data);
                let d = chord2_to_m(chord2(&q, item.geom()));
                (d <= radius_m && filter.matches(&self.registry, o)).then_some(Hit {
                    outlet: o,
                    distance_m: d,
                })
            })
            .collect();
        hits.sort_by(by_distance_then_id);
        Ok(hits)
    }

    /// Outlets inside the box (edges included) passing `filter`, by id.
    ///
    /// A box whose west edge is east of its east edge crosses the antimeridian (as in GeoJSON);
    /// a box whose south edge is north of its north edge is empty.
    pub fn in_bbox(&self, bbox: BBox, filter: &Filter) -> Vec<&Outlet> {
        let (w, s, e, n) = (
            bbox.min.lon(),
            bbox.min.lat(),
            bbox.max.lon(),
            bbox.max.lat(),
        );
        if s > n {
            return Vec::new();
        }
        let spans: &[(f64, f64)] = if w <= e {
            &[(w, e)]
        } else {
            &[(w, 180.0), (-180.0, e)]
        };
        let mut out: Vec<&Outlet> = spans
            .iter()
            .flat_map(|&(lo, hi)| {
                self.flat()
                    .locate_in_envelope(&AABB::from_corners([lo, s], [hi, n]))
            })
            .map(|item| self.outlet(item.data))
            .filter(|o| filter.matches(&self.registry, o))
            .collect();
        out.sort_by_key(|o| o.id);
        out.dedup_by_key(|o| o.id);
        out
    }

    /// Outlets strictly inside the (multi)polygon (lon/lat degrees; holes excluded, boundary
    /// excluded, as `geo::Contains`) passing `filter`, by id.
    pub fn in_polygon(&self, area: &geo::MultiPolygon<f64>, filter: &Filter) -> Vec<&Outlet> {
        use geo::{BoundingRect, Contains};
        let Some(rect) = area.bounding_rect() else {
            return Vec::new();
        };
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut out: Vec<&Outlet> = self
            .flat()
            .locate_in_envelope(&env)
            .map(|item| self.outlet(item.data))
            .filter(|o| area.contains(&o.location.to_point()) && filter.matches(&self.registry, o))
            .collect();
        out.sort_by_key(|o| o.id);
        out
    }

    /// Outlets within `corridor_m` (0 < D ≤ 50 km) of the route (2..=100,000 points), ordered by
    /// position along it, ties by id.
    ///
    /// The route is a polyline of great-circle legs. Each hit carries its great-circle distance
    /// from the route, metres, and the position of the closest point of the route, km from the
    /// start measured along the legs; where two parts of the route are equally close, the
    /// earlier one counts. Each leg queries the R-tree with its own envelope widened by D, so a
    /// long winding route costs in proportion to its length, not to its bounding box.
    pub fn along_route(
        &self,
        route: &[LonLat],
        corridor_m: f64,
        filter: &Filter,
    ) -> Result<Vec<RouteHit<'_>>, QueryError> {
        check_route(route)?;
        if !(corridor_m > 0.0 && corridor_m <= MAX_CORRIDOR_M) {
            return Err(QueryError::OutOfRange {
                field: "corridor_m",
                reason: format!("must be > 0 and ≤ {MAX_CORRIDOR_M} metres, got {corridor_m}"),
            });
        }
        filter.check(&self.registry)?;
        let legs = Legs::new(route);
        // tag -> (distance m, along m); filter verdicts cached so each outlet is tested once.
        let mut best: HashMap<u32, (f64, f64)> = HashMap::new();
        let mut verdict: HashMap<u32, bool> = HashMap::new();
        for (arc, start_m) in legs.arcs.iter().zip(&legs.start_m) {
            let (lo, hi) = arc.envelope(corridor_m);
            for item in self
                .units()
                .locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
            {
                let ok = *verdict
                    .entry(item.data)
                    .or_insert_with(|| filter.matches(&self.registry, self.outlet(item.data)));
                if !ok {
                    continue;
                }
                let (d, along) = arc.distance(item.geom());
                if d > corridor_m {
                    continue;
                }
                // Legs come in route order, so a strict `<` keeps the earliest of equal ones.
                let e = best.entry(item.data).or_insert((f64::INFINITY, 0.0));
                if d < e.0 {
                    *e = (d, start_m + along);
                }
            }
        }
        let mut hits: Vec<RouteHit<'_>> = best
            .into_iter()
            .map(|(tag, (d, along_m))| RouteHit {
                outlet: self.outlet(tag),
                distance_m: d,
                along_km: along_m / 1000.0,
            })
            .collect();
        hits.sort_by(|a, b| {
            a.along_km
                .total_cmp(&b.along_km)
                .then(a.outlet.id.cmp(&b.outlet.id))
        });
        Ok(hits)
    }
}

fn check_route(route: &[LonLat]) -> Result<(), QueryError> {
    if route.len() < MIN_ROUTE_POINTS {
        return Err(QueryError::OutOfRange {
            field: "route",
            reason: format!("needs at least two points, got {}", route.len()),
        });
    }
    if route.len() > MAX_ROUTE_POINTS {
        return Err(QueryError::OutOfRange {
            field: "route",
            reason: format!("at most {MAX_ROUTE_POINTS} points, got {}", route.len()),
        });
    }
    Ok(())
}

/// A route's legs with the distance from the start to each leg's first point.
struct Legs {
    arcs: Vec<Arc3>,
    start_m: Vec<f64>,
}

impl Legs {
    fn new(route: &[LonLat]) -> Self {
        let units: Vec<Vec3> = route.iter().map(|p| to_unit(*p)).collect();
        let arcs: Vec<Arc3> = units.windows(2).map(|w| Arc3::new(w[0], w[1])).collect();
        let mut start_m = Vec::with_capacity(arcs.len());
        let mut acc = 0.0;
        for a in &arcs {
            start_m.push(acc);
            acc += a.len_m;
        }
        Legs { arcs, start_m }
    }
}

/// Distance from `p` to a route, the brute-force way (every leg), as `(metres off the route,
/// km along it from the start to the closest point)`; where two parts of the route are equally
/// close, the earlier one counts. `None` for an empty route; one point is a route of no length.
///
/// [`OutletIndex::along_route`] reports exactly these numbers for the outlets it returns.
pub fn distance_to_route(route: &[LonLat], p: LonLat) -> Option<(f64, f64)> {
    distances_to_route(route, [p]).pop()
}

/// [`distance_to_route`] for many points at once (the route is prepared once); empty for an
/// empty route.
pub fn distances_to_route(
    route: &[LonLat],
    points: impl IntoIterator<Item = LonLat>,
) -> Vec<(f64, f64)> {
    match route {
        [] => Vec::new(),
        [only] => points
            .into_iter()
            .map(|p| (super::distance_m(*only, p), 0.0))
            .collect(),
        _ => {
            let legs = Legs::new(route);
            points
                .into_iter()
                .map(|p| {
                    let q = to_unit(p);
                    let mut best = (f64::INFINITY, 0.0);
                    for (arc, start_m) in legs.arcs.iter().zip(&legs.start_m) {
                        let (d, along) = arc.distance(&q);
                        if d < best.0 {
                            best = (d, start_m + along);
                        }
                    }
                    (best.0, best.1 / 1000.0)
                })
                .collect()
        }
    }
}

/// Length of a route along its great-circle legs, metres.
pub fn route_length_m(route: &[LonLat]) -> f64 {
    Legs::new(route).arcs.iter().map(|a| a.len_m).sum()
}
