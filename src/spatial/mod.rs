//! Spatial queries over the outlets: k nearest, within a radius, in a bbox or polygon, along a route.
//!
//! INTERFACE SKELETON with brute-force bodies: the spatial work replaces them with an rstar index
//! and keeps these signatures. Distances are geodesic metres; degrees never leave this module.

use crate::model::{Category, ChainId, LonLat, Outlet, OutletKind, Service};
use crate::registry::Registry;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// A parameter outside its allowed range.
    #[error("{field}: {reason}")]
    OutOfRange {
        /// Which parameter.
        field: &'static str,
        /// What is allowed.
        reason: String,
    },
}

/// Largest k for nearest queries.
pub const MAX_K: usize = 100;
/// Largest radius for within queries, metres.
pub const MAX_RADIUS_M: f64 = 500_000.0;

/// Which outlets a query may return. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Any of these chains.
    pub chains: Vec<ChainId>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Only stores or only partners.
    pub kind: Option<OutletKind>,
    /// All of these services.
    pub services: Vec<Service>,
    /// Open at this instant (Europe/Helsinki opening hours).
    pub open_at: Option<DateTime<Utc>>,
}

impl Filter {
    /// True if `o` passes the filter.
    pub fn matches(&self, reg: &Registry, o: &Outlet) -> bool {
        (self.chains.is_empty() || self.chains.contains(&o.chain))
            && (self.categories.is_empty() || self.categories.contains(&reg.chain_of(o).category))
            && self.kind.is_none_or(|k| k == o.kind)
            && self.services.iter().all(|s| o.services.contains(s))
            && self.open_at.is_none_or(|t| o.hours.is_open_at(t))
    }
}

/// An outlet with its distance from the query point, metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The outlet.
    pub outlet: &'a Outlet,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}

/// An outlet near a route.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteHit<'a> {
    /// The outlet.
    pub outlet: &'a Outlet,
    /// Distance from the route, metres.
    pub distance_m: f64,
    /// Position of the closest point of the route, km from its start.
    pub along_km: f64,
}

/// An axis-aligned box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// South-west corner.
    pub min: LonLat,
    /// North-east corner.
    pub max: LonLat,
}

/// An immutable index over one snapshot of the registry.
#[derive(Debug, Clone)]
pub struct OutletIndex {
    registry: Arc<Registry>,
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn haversine_m(a: LonLat, b: LonLat) -> f64 {
    let (la1, la2) = (a.lat().to_radians(), b.lat().to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon() - a.lon()).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

impl OutletIndex {
    /// Builds the index over a registry snapshot.
    pub fn new(registry: Arc<Registry>) -> Self {
        OutletIndex { registry }
    }

    /// The registry this index was built from.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Up to `k` (1..=100) nearest outlets passing `filter`, nearest first, ties by id.
    pub fn nearest(
        &self,
        p: LonLat,
        k: usize,
        filter: &Filter,
    ) -> Result<Vec<Hit<'_>>, QueryError> {
        if k == 0 || k > MAX_K {
            return Err(QueryError::OutOfRange {
                field: "k",
                reason: format!("must be 1..={MAX_K}"),
            });
        }
        let mut hits = self.all_with_distance(p, filter);
        hits.truncate(k);
        Ok(hits)
    }

    /// Outlets within `radius_m` (0 < r ≤ 500 km) passing `filter`, nearest first, ties by id.
    pub fn within(
        &self,
        p: LonLat,
        radius_m: f64,
        filter: &Filter,
    ) -> Result<Vec<Hit<'_>>, QueryError> {
        if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
            return Err(QueryError::OutOfRange {
                field: "radius_m",
                reason: format!("must be > 0 and ≤ {MAX_RADIUS_M}"),
            });
        }
        let mut hits = self.all_with_distance(p, filter);
        hits.retain(|h| h.distance_m <= radius_m);
        Ok(hits)
    }

    /// Outlets inside the box passing `filter`, by id.
    pub fn in_bbox(&self, bbox: BBox, filter: &Filter) -> Vec<&Outlet> {
        self.registry
            .outlets()
            .iter()
            .filter(|o| {
                let l = o.location;
                l.lon() >= bbox.min.lon()
                    && l.lon() <= bbox.max.lon()
                    && l.lat() >= bbox.min.lat()
                    && l.lat() <= bbox.max.lat()
                    && filter.matches(&self.registry, o)
            })
            .collect()
    }

    /// Outlets inside the (multi)polygon (lon/lat degrees) passing `filter`, by id.
    pub fn in_polygon(&self, area: &geo::MultiPolygon<f64>, filter: &Filter) -> Vec<&Outlet> {
        use geo::Contains;
        self.registry
            .outlets()
            .iter()
            .filter(|o| area.contains(&o.location.to_point()) && filter.matches(&self.registry, o))
            .collect()
    }

    /// Outlets within `corridor_m` of the route (at least two points), ordered by position along it.
    pub fn along_route(
        &self,
        route: &[LonLat],
        corridor_m: f64,
        filter: &Filter,
    ) -> Result<Vec<RouteHit<'_>>, QueryError> {
        if route.len() < 2 {
            return Err(QueryError::OutOfRange {
                field: "route",
                reason: "needs at least two points".into(),
            });
        }
        if !(corridor_m > 0.0 && corridor_m <= 50_000.0) {
            return Err(QueryError::OutOfRange {
                field: "corridor_m",
                reason: "must be > 0 and ≤ 50000".into(),
            });
        }
        let mut hits = Vec::new();
        for o in self
            .registry
            .outlets()
            .iter()
            .filter(|o| filter.matches(&self.registry, o))
        {
            let mut best: Option<(f64, f64)> = None;
            let mut start_km = 0.0;
            for w in route.windows(2) {
                let (d, t) = local_segment_distance(o.location, w[0], w[1]);
                let seg_km = haversine_m(w[0], w[1]) / 1000.0;
                if best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, start_km + t * seg_km));
                }
                start_km += seg_km;
            }
            if let Some((d, along)) = best.filter(|(d, _)| *d <= corridor_m) {
                hits.push(RouteHit {
                    outlet: o,
                    distance_m: d,
                    along_km: along,
                });
            }
        }
        hits.sort_by(|a, b| {
            a.along_km
                .total_cmp(&b.along_km)
                .then(a.outlet.id.cmp(&b.outlet.id))
        });
        Ok(hits)
    }

    fn all_with_distance(&self, p: LonLat, filter: &Filter) -> Vec<Hit<'_>> {
        let mut hits: Vec<Hit<'_>> = self
            .registry
            .outlets()
            .iter()
            .filter(|o| filter.matches(&self.registry, o))
            .map(|o| Hit {
                outlet: o,
                distance_m: haversine_m(p, o.location),
            })
            .collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.outlet.id.cmp(&b.outlet.id))
        });
        hits
    }
}

/// Distance (m) from `p` to segment a–b in a local equirectangular plane around `p`, and the
/// fraction along the segment of the closest point.
fn local_segment_distance(p: LonLat, a: LonLat, b: LonLat) -> (f64, f64) {
    let m_lat = EARTH_RADIUS_M.to_radians();
    let m_lon = m_lat * p.lat().to_radians().cos();
    let (ax, ay) = ((a.lon() - p.lon()) * m_lon, (a.lat() - p.lat()) * m_lat);
    let (bx, by) = ((b.lon() - p.lon()) * m_lon, (b.lat() - p.lat()) * m_lat);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    ((x * x + y * y).sqrt(), t)
}
