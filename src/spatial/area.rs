//! Areas for polygon queries, read from GeoJSON.

use crate::model::LonLat;
use geo::{LineString, MultiPolygon, Polygon};

/// Most vertices an area may have, over all its rings.
pub const MAX_AREA_POINTS: usize = 100_000;

/// Why an area could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// Not JSON, or not GeoJSON.
    #[error("malformed GeoJSON: {0}")]
    Malformed(String),
    /// A geometry that is not a polygon.
    #[error("GeoJSON holds a {0}, expected a Polygon or MultiPolygon (or a Feature / FeatureCollection of them)")]
    NotAnArea(String),
    /// No polygon at all.
    #[error("the area has no polygon")]
    Empty,
    /// A ring with fewer than four positions, or not closed.
    #[error("polygon {polygon}, ring {ring}: {reason}")]
    BadRing {
        /// 0-based polygon.
        polygon: usize,
        /// 0-based ring (0 is the outer ring, then the holes).
        ring: usize,
        /// What is wrong.
        reason: String,
    },
    /// A position with an impossible coordinate.
    #[error("polygon {polygon}, ring {ring}, point {index}: {reason}")]
    BadPoint {
        /// 0-based polygon.
        polygon: usize,
        /// 0-based ring.
        ring: usize,
        /// 0-based position in the ring.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Too many vertices.
    #[error("the area has more than {0} points")]
    TooManyPoints(usize),
}

/// Reads an area (lon/lat degrees) for [`OutletIndex::in_polygon`](super::OutletIndex::in_polygon):
/// a Polygon or MultiPolygon geometry, a Feature holding one, or a FeatureCollection whose
/// polygon features are all taken together. Rings follow GeoJSON: the first is the outline, the
/// others are holes; each has at least four positions and ends where it starts.
pub fn parse_area_geojson(bytes: &[u8]) -> Result<MultiPolygon<f64>, AreaError> {
    use geojson::{GeoJson, Value};
    let doc: GeoJson =
        serde_json::from_slice(bytes).map_err(|e| AreaError::Malformed(e.to_string()))?;
    let values: Vec<Value> = match doc {
        GeoJson::Geometry(g) => vec![g.value],
        GeoJson::Feature(f) => match f.geometry {
            Some(g) => vec![g.value],
            None => return Err(AreaError::NotAnArea("Feature without a geometry".into())),
        },
        GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .filter_map(|f| f.geometry.map(|g| g.value))
            .filter(|v| matches!(v, Value::Polygon(_) | Value::MultiPolygon(_)))
            .collect(),
    };
    let mut polygons: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
    for v in values {
        match v {
            Value::Polygon(p) => polygons.push(p),
            Value::MultiPolygon(ps) => polygons.extend(ps),
            other => return Err(AreaError::NotAnArea(other.type_name().into())),
        }
    }
    if polygons.is_empty() {
        return Err(AreaError::Empty);
    }
    let total: usize = polygons.iter().flatten().map(Vec::len).sum();
    if total > MAX_AREA_POINTS {
        return Err(AreaError::TooManyPoints(MAX_AREA_POINTS));
    }
    let mut out = Vec::with_capacity(polygons.len());
    for (pi, rings) in polygons.iter().enumerate() {
        let mut lines = Vec::with_capacity(rings.len());
        for (ri, ring) in rings.iter().enumerate() {
            lines.push(ring_to_line(pi, ri, ring)?);
        }
        if lines.is_empty() {
            return Err(AreaError::BadRing {
                polygon: pi,
                ring: 0,
                reason: "a polygon needs an outer ring".into(),
            });
        }
        let exterior = lines.remove(0);
        out.push(Polygon::new(exterior, lines));
    }
    Ok(MultiPolygon(out))
}

fn ring_to_line(
    polygon: usize,
    ring: usize,
    pos: &[Vec<f64>],
) -> Result<LineString<f64>, AreaError> {
    let bad_ring = |reason: &str| AreaError::BadRing {
        polygon,
        ring,
        reason: reason.into(),
    };
    if pos.len() < 4 {
        return Err(bad_ring("a ring needs at least four positions"));
    }
    let mut coords = Vec::with_capacity(pos.len());
    for (index, p) in pos.iter().enumerate() {
        let bad = |reason: String| AreaError::BadPoint {
            polygon,
            ring,
            index,
            reason,
        };
        let [lon, lat, ..] = p.as_slice() else {
            return Err(bad("a position needs [lon, lat]".into()));
        };
        let ll = LonLat::new(*lon, *lat).map_err(|e| bad(e.to_string()))?;
        coords.push(geo::coord! { x: ll.lon(), y: ll.lat() });
    }
    if coords.first() != coords.last() {
        return Err(bad_ring("a ring must end at its first position"));
    }
    Ok(LineString::new(coords))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Contains;

    #[test]
    fn polygon_with_hole_is_read() {
        let doc =
            br#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[
            [[20,60],[30,60],[30,65],[20,65],[20,60]],
            [[24,61],[26,61],[26,62],[24,62],[24,61]]]}}"#;
        let a = parse_area_geojson(doc).unwrap();
        assert!(a.contains(&geo::Point::new(22.0, 63.0)));
        assert!(!a.contains(&geo::Point::new(25.0, 61.5)));
        let fc = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[20,60],[21,60],[21,61],[20,60]]]}},
            {"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[22,60],[23,60],[23,61],[22,60]]]]}}]}"#;
        assert_eq!(parse_area_geojson(fc).unwrap().0.len(), 2);
    }

    #[test]
    fn bad_areas_say_what_is_wrong() {
        let e = |s: &str| parse_area_geojson(s.as_bytes()).unwrap_err();
        assert!(matches!(e("{"), AreaError::Malformed(_)));
        assert_eq!(
            e(r#"{"type":"Point","coordinates":[25,60]}"#),
            AreaError::NotAnArea("Point".into())
        );
        assert_eq!(
            e(r#"{"type":"FeatureCollection","features":[]}"#),
            AreaError::Empty
        );
        assert!(matches!(
            e(r#"{"type":"Polygon","coordinates":[[[20,60],[21,60],[20,60]]]}"#),
            AreaError::BadRing { ring: 0, .. }
        ));
        assert!(matches!(
            e(r#"{"type":"Polygon","coordinates":[[[20,60],[21,60],[21,61],[20,61]]]}"#),
            AreaError::BadRing { .. }
        ));
        assert!(matches!(
            e(r#"{"type":"Polygon","coordinates":[[[20,60],[21,95],[21,61],[20,60]]]}"#),
            AreaError::BadPoint { index: 1, .. }
        ));
        assert!(matches!(
            e(r#"{"type":"Polygon","coordinates":[]}"#),
            AreaError::BadRing { .. }
        ));
    }
}
