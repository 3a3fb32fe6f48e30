//! The outline of Finland (with Åland), bundled as `data/finland.geojson` and compiled in.
//!
//! Used for the point-in-country check of the registry, map backgrounds and the planning maps.

use crate::model::LonLat;
use geo::{BoundingRect, Contains, MultiPolygon, Point, Polygon, Rect};
use std::sync::LazyLock;

/// The bundled outline, GeoJSON text (Natural Earth 1:10m, about 200 m precision).
pub const OUTLINE_GEOJSON: &str = include_str!("../data/finland.geojson");

/// Mean Earth radius in metres (IUGG), for the small planar approximations in this module.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Finland and Åland as one multipolygon in WGS84 lon/lat degrees.
pub struct Outline {
    shape: MultiPolygon<f64>,
    bbox: Rect<f64>,
}

static OUTLINE: LazyLock<Outline> = LazyLock::new(|| {
    // The bundled file is checked by the tests; failing here means the repository is broken.
    Outline::from_geojson(OUTLINE_GEOJSON).expect("data/finland.geojson is a valid outline")
});

/// The bundled outline, parsed once.
pub fn outline() -> &'static Outline {
    &OUTLINE
}

impl Outline {
    /// Parses a FeatureCollection of Polygon / MultiPolygon features into one multipolygon.
    pub fn from_geojson(text: &str) -> Result<Outline, String> {
        let gj: geojson::GeoJson = text.parse().map_err(|e| format!("not GeoJSON: {e}"))?;
        let mut polys: Vec<Polygon<f64>> = Vec::new();
        let features = match gj {
            geojson::GeoJson::FeatureCollection(fc) => fc.features,
            geojson::GeoJson::Feature(f) => vec![f],
            geojson::GeoJson::Geometry(g) => vec![geojson::Feature {
                geometry: Some(g),
                ..Default::default()
            }],
        };
        for f in features {
            let Some(g) = f.geometry else { continue };
            let g: geo::Geometry<f64> = g.try_into().map_err(|e| format!("bad geometry: {e}"))?;
            match g {
                geo::Geometry::Polygon(p) => polys.push(p),
                geo::Geometry::MultiPolygon(mp) => polys.extend(mp.0),
                _ => return Err("outline features must be polygons".into()),
            }
        }
        let shape = MultiPolygon(polys);
        let bbox = shape.bounding_rect().ok_or("outline is empty")?;
        Ok(Outline { shape, bbox })
    }

    /// The multipolygon (lon/lat degrees).
    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    /// The bounding box (lon/lat degrees).
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// True if `p` lies on land inside the outline.
    pub fn contains(&self, p: LonLat) -> bool {
        let pt = p.to_point();
        self.bbox.contains(&pt) && self.shape.contains(&pt)
    }

    /// True if `p` lies inside the outline or within `tolerance_m` metres of its coast or border.
    ///
    /// The distance is measured in a local equirectangular plane around `p`, which at Finnish
    /// latitudes and sub-10 km tolerances errs by well under 1%.
    pub fn contains_with_tolerance(&self, p: LonLat, tolerance_m: f64) -> bool {
        if self.contains(p) {
            return true;
        }
        let lat0 = p.lat().to_radians();
        let m_per_deg_lat = EARTH_RADIUS_M.to_radians();
        let m_per_deg_lon = m_per_deg_lat * lat0.cos();
        let margin_deg = tolerance_m / m_per_deg_lon.max(1.0);
        let b = self.bbox;
        if p.lon() < b.min().x - margin_deg
            || p.lon() > b.max().x + margin_deg
            || p.lat() < b.min().y - margin_deg
            || p.lat() > b.max().y + margin_deg
        {
            return false;
        }
        let to_xy = |c: geo::Coord<f64>| {
            (
                (c.x - p.lon()) * m_per_deg_lon,
                (c.y - p.lat()) * m_per_deg_lat,
            )
        };
        let tol2 = tolerance_m * tolerance_m;
        for poly in &self.shape.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for seg in ring.lines() {
                    let (ax, ay) = to_xy(seg.start);
                    let (bx, by) = to_xy(seg.end);
                    if point_segment_dist2(ax, ay, bx, by) <= tol2 {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Squared distance from the origin to the segment a–b.
fn point_segment_dist2(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    x * x + y * y
}

/// Convenience: the point as a `geo::Point`.
pub fn point(p: LonLat) -> Point<f64> {
    p.to_point()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn towns_are_inside_and_neighbours_are_not() {
        let o = outline();
        assert!(o.contains(ll(24.9384, 60.1699)), "Helsinki");
        assert!(o.contains(ll(25.4651, 65.0121)), "Oulu");
        assert!(o.contains(ll(27.0283, 69.9079)), "Utsjoki");
        assert!(o.contains(ll(19.9348, 60.0973)), "Mariehamn");
        assert!(!o.contains(ll(18.0686, 59.3293)), "Stockholm");
        assert!(!o.contains(ll(24.7536, 59.4370)), "Tallinn");
        assert!(!o.contains(ll(30.3351, 59.9343)), "St Petersburg");
        assert!(!o.contains(ll(21.0, 61.5)), "Bothnian Sea");
    }

    #[test]
    fn tolerance_admits_the_shore_but_not_the_open_sea() {
        let o = outline();
        // A point just off the Helsinki shoreline in the Natural Earth outline.
        let near = ll(24.95, 60.150);
        assert!(o.contains_with_tolerance(near, 3_000.0));
        let open_sea = ll(21.0, 61.5);
        assert!(!o.contains_with_tolerance(open_sea, 3_000.0));
    }
}
