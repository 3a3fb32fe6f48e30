//! Spatial queries over the outlets: k nearest, within a radius, in a bbox or polygon, along a route.
//!
//! Every distance this module reports is a great-circle distance in metres on the mean-radius
//! sphere ([`distance_m`]; within 0.5 % of the WGS84 geodesic across Finland), and every result
//! order is exact for that metric, ties broken by outlet id. Degrees or squared coordinate units
//! never leave the module.
//!
//! - [`OutletIndex`]: the R-tree over one registry snapshot and its queries.
//! - [`SharedIndex`]: the current snapshot, swapped atomically when outlets change.
//! - [`route`]: reading routes from GPX and GeoJSON, and distances like `2km`.
//! - [`area`]: reading polygons from GeoJSON for [`OutletIndex::in_polygon`].

pub mod area;
mod index;
mod kd;
pub mod route;
mod shared;
mod sphere;

pub use index::{distance_to_route, distances_to_route, route_length_m, OutletIndex};
pub use shared::SharedIndex;
pub use sphere::{distance_m, EARTH_RADIUS_M};

use crate::model::{Category, ChainId, LonLat, Outlet, OutletKind, Service};
use crate::registry::Registry;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

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
/// Widest corridor for route queries, metres.
pub const MAX_CORRIDOR_M: f64 = 50_000.0;
/// Fewest points a route may have.
pub const MIN_ROUTE_POINTS: usize = 2;
/// Most points a route may have.
pub const MAX_ROUTE_POINTS: usize = 100_000;

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
    /// Checks that every chain named exists in `reg`.
    ///
    /// The queries returning `Result` call this themselves; front ends should call it before
    /// [`OutletIndex::in_bbox`] and [`OutletIndex::in_polygon`] so an unknown chain is an error,
    /// not an empty answer.
    pub fn check(&self, reg: &Registry) -> Result<(), QueryError> {
        match self.chains.iter().find(|c| reg.chain(c).is_none()) {
            Some(c) => Err(QueryError::OutOfRange {
                field: "chain",
                reason: format!("unknown chain `{c}`"),
            }),
            None => Ok(()),
        }
    }

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

/// Parses an instant for the `open_at` filter: RFC 3339 (`2026-11-23T16:00:00Z`,
/// `2026-11-23T18:00+02:00`) or a Europe/Helsinki wall-clock time without an offset
/// (`2026-11-23T18:00`, `2026-11-23 18:00:30`).
///
/// A wall-clock time that occurs twice (the autumn DST change) means the earlier instant; one
/// that never occurs (the spring change) is an error.
///
/// ```
/// use storenet::spatial::parse_open_at;
/// let t = parse_open_at("2026-11-23T18:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-11-23T16:00:00+00:00");
/// assert!(parse_open_at("tomorrow").is_err());
/// ```
pub fn parse_open_at(s: &str) -> Result<DateTime<Utc>, QueryError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = |reason: String| QueryError::OutOfRange {
        field: "open_at",
        reason,
    };
    // RFC 3339 requires seconds; accept an offset without them too.
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Ok(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            bad(format!(
                "`{s}` is not a time: use RFC 3339 (2026-11-23T16:00:00Z) or Helsinki local time (2026-11-23T18:00)"
            ))
        })?;
    chrono_tz::Europe::Helsinki
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            bad(format!(
                "`{s}` does not exist in Helsinki (skipped by the DST change)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_at_reads_rfc3339_and_helsinki_local_time() {
        let z = parse_open_at("2026-07-01T09:00:00Z").unwrap();
        assert_eq!(parse_open_at("2026-07-01T12:00").unwrap(), z); // UTC+3 in summer
        assert_eq!(parse_open_at("2026-07-01 12:00:00").unwrap(), z);
        assert_eq!(parse_open_at("2026-07-01T12:00+03:00").unwrap(), z);
        // 03:30 on the last Sunday of March does not exist in Helsinki.
        let e = parse_open_at("2026-03-29T03:30").unwrap_err();
        assert!(e.to_string().contains("DST"), "{e}");
        // 03:30 on the last Sunday of October happens twice: the earlier (summer time) wins.
        assert_eq!(
            parse_open_at("2026-10-25T03:30").unwrap(),
            parse_open_at("2026-10-25T00:30:00Z").unwrap()
        );
        assert!(parse_open_at("").is_err());
        assert!(parse_open_at("2026-13-01T10:00").is_err());
    }
}
