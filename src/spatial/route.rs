//! Routes from GPX and GeoJSON files, and corridor widths like `2km`.
//!
//! Everything here is outside input (uploads, files on the command line): each reader returns a
//! [`RouteError`] that says what is wrong, never panics, and caps the size of what it accepts.

use super::{MAX_ROUTE_POINTS, MIN_ROUTE_POINTS};
use crate::model::LonLat;

/// Why a route (or a distance) could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    /// The bytes are neither GPX (XML) nor GeoJSON (JSON).
    #[error(
        "not a route: expected GPX (XML starting with `<`) or GeoJSON (JSON starting with `{{`)"
    )]
    UnknownFormat,
    /// The document could not be parsed.
    #[error("malformed {format}: {reason}")]
    Malformed {
        /// `GPX` or `GeoJSON`.
        format: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A GeoJSON document whose geometry is not a line.
    #[error("GeoJSON holds a {found}, expected a LineString or MultiLineString (or a Feature / FeatureCollection holding one)")]
    NotALine {
        /// The geometry type found.
        found: String,
    },
    /// A FeatureCollection with more than one line.
    #[error("GeoJSON FeatureCollection holds {0} line features, expected exactly one")]
    SeveralLines(usize),
    /// A point with an impossible coordinate.
    #[error("point {index}: {reason}")]
    BadPoint {
        /// 0-based position in the route.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// No points at all.
    #[error("the route has no points")]
    Empty,
    /// A single point is not a route.
    #[error("the route has only one point; a route needs at least two")]
    OnePoint,
    /// More points than we accept.
    #[error("the route has {count} points; at most {max} are accepted (simplify it first)")]
    TooManyPoints {
        /// Points found (counting stops at `max + 1`).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A distance that could not be read.
    #[error("invalid distance `{input}`: {reason}")]
    BadDistance {
        /// The text given.
        input: String,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a route from GPX or GeoJSON, deciding by the first non-blank character.
pub fn parse_route(bytes: &[u8]) -> Result<Vec<LonLat>, RouteError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => parse_gpx(bytes),
        Some(b'{') => parse_geojson(bytes),
        _ => Err(RouteError::UnknownFormat),
    }
}

/// Reads a route from GPX 1.0/1.1: the points of every track segment, in order, or if the file
/// has no track points, of its routes (`<rte>`). Waypoints (`<wpt>`) are not part of the route.
///
/// Separate segments and tracks are joined end to start, as a recording with gaps is.
pub fn parse_gpx(bytes: &[u8]) -> Result<Vec<LonLat>, RouteError> {
    let doc = gpx::read(bytes).map_err(|e| RouteError::Malformed {
        format: "GPX",
        reason: e.to_string(),
    })?;
    let from_tracks = doc
        .tracks
        .iter()
        .flat_map(|t| &t.segments)
        .flat_map(|s| &s.points);
    let has_track_points = from_tracks.clone().next().is_some();
    let points: Box<dyn Iterator<Item = &gpx::Waypoint>> = if has_track_points {
        Box::new(from_tracks)
    } else {
        Box::new(doc.routes.iter().flat_map(|r| &r.points))
    };
    collect(points.map(|w| {
        let p = w.point();
        (p.x(), p.y())
    }))
}

/// Reads a route from GeoJSON: a LineString or MultiLineString geometry (the lines of a
/// MultiLineString joined in order), or a Feature, or a FeatureCollection holding exactly one
/// feature with such a geometry (other features, e.g. points of interest, are ignored).
pub fn parse_geojson(bytes: &[u8]) -> Result<Vec<LonLat>, RouteError> {
    use geojson::GeoJson;
    let doc: GeoJson = serde_json::from_slice(bytes).map_err(|e| RouteError::Malformed {
        format: "GeoJSON",
        reason: e.to_string(),
    })?;
    let geometry = match doc {
        GeoJson::Geometry(g) => g.value,
        GeoJson::Feature(f) => feature_line(f)?,
        GeoJson::FeatureCollection(fc) => {
            let mut lines: Vec<geojson::Value> = fc
                .features
                .into_iter()
                .filter_map(|f| f.geometry.map(|g| g.value))
                .filter(is_line)
                .collect();
            match lines.len() {
                1 => lines.remove(0),
                0 => {
                    return Err(RouteError::NotALine {
                        found: "FeatureCollection without a line".into(),
                    })
                }
                n => return Err(RouteError::SeveralLines(n)),
            }
        }
    };
    let positions: Vec<Vec<f64>> = match geometry {
        geojson::Value::LineString(l) => l,
        geojson::Value::MultiLineString(ls) => ls.into_iter().flatten().collect(),
        other => {
            return Err(RouteError::NotALine {
                found: other.type_name().into(),
            })
        }
    };
    let mut bad_arity = None;
    let pairs = positions
        .iter()
        .enumerate()
        .map(|(i, p)| match p.as_slice() {
            [lon, lat, ..] => (*lon, *lat),
            _ => {
                bad_arity.get_or_insert(i);
                (f64::NAN, f64::NAN)
            }
        });
    let out = collect(pairs);
    match bad_arity {
        Some(index) => Err(RouteError::BadPoint {
            index,
            reason: "a position needs at least two numbers, [lon, lat]".into(),
        }),
        None => out,
    }
}

fn is_line(v: &geojson::Value) -> bool {
    matches!(
        v,
        geojson::Value::LineString(_) | geojson::Value::MultiLineString(_)
    )
}

fn feature_line(f: geojson::Feature) -> Result<geojson::Value, RouteError> {
    match f.geometry {
        Some(g) => Ok(g.value),
        None => Err(RouteError::NotALine {
            found: "Feature without a geometry".into(),
        }),
    }
}

/// Validates (lon, lat) pairs into a route of 2..=MAX_ROUTE_POINTS points.
fn collect(pairs: impl Iterator<Item = (f64, f64)>) -> Result<Vec<LonLat>, RouteError> {
    let mut out = Vec::new();
    for (index, (lon, lat)) in pairs.enumerate() {
        if index >= MAX_ROUTE_POINTS {
            return Err(RouteError::TooManyPoints {
                count: index + 1,
                max: MAX_ROUTE_POINTS,
            });
        }
        let p = LonLat::new(lon, lat).map_err(|e| RouteError::BadPoint {
            index,
            reason: e.to_string(),
        })?;
        out.push(p);
    }
    match out.len() {
        0 => Err(RouteError::Empty),
        n if n < MIN_ROUTE_POINTS => Err(RouteError::OnePoint),
        _ => Ok(out),
    }
}

/// Parses a distance into metres: `2km`, `1.5 km`, `1,5 km`, `500m`, `500 m` or a bare number
/// of metres (`750`). It must be finite and greater than zero.
///
/// ```
/// use storenet::spatial::route::parse_distance_m;
/// assert_eq!(parse_distance_m("2km").unwrap(), 2000.0);
/// assert_eq!(parse_distance_m("1.5 km").unwrap(), 1500.0);
/// assert_eq!(parse_distance_m("500m").unwrap(), 500.0);
/// assert!(parse_distance_m("-1km").is_err());
/// ```
pub fn parse_distance_m(s: &str) -> Result<f64, RouteError> {
    let bad = |reason: &str| RouteError::BadDistance {
        input: s.to_string(),
        reason: reason.to_string(),
    };
    let t = s.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = t.strip_suffix("km") {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 1.0)
    } else {
        (t.as_str(), 1.0)
    };
    let num = num.trim().replace(',', ".");
    if num.is_empty() {
        return Err(bad(
            "expected a number with an optional unit, e.g. `2km` or `500m`",
        ));
    }
    let v: f64 = num
        .parse()
        .map_err(|_| bad("expected a number with an optional unit `km` or `m`, e.g. `2km`"))?;
    // Checked after the unit: `1e306km` is a finite number of kilometres but not of metres.
    let m = v * factor;
    if !m.is_finite() || m <= 0.0 {
        return Err(bad("must be a finite distance greater than zero"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPX_TRACK: &str = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="61.0" lon="25.0"><name>not part of the route</name></wpt>
  <trk><trkseg>
    <trkpt lat="60.1699" lon="24.9384"/><trkpt lat="60.3" lon="24.9"/>
  </trkseg><trkseg>
    <trkpt lat="60.5" lon="24.8"/>
  </trkseg></trk>
</gpx>"#;

    #[test]
    fn gpx_tracks_join_segments_in_order() {
        let r = parse_route(GPX_TRACK.as_bytes()).unwrap();
        let lats: Vec<f64> = r.iter().map(|p| p.lat()).collect();
        assert_eq!(lats, vec![60.1699, 60.3, 60.5]);
        assert_eq!(r[0].lon(), 24.9384);
    }

    #[test]
    fn gpx_routes_are_used_when_there_is_no_track() {
        let doc = r#"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
          <rte><rtept lat="60.0" lon="25.0"/><rtept lat="61.0" lon="25.5"/></rte></gpx>"#;
        let r = parse_gpx(doc.as_bytes()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].lon(), r[1].lat()), (25.5, 61.0));
    }

    #[test]
    fn geojson_lines_features_and_collections_are_read() {
        let line = r#"{"type":"LineString","coordinates":[[24.9,60.1],[25.0,60.2,12.0]]}"#;
        assert_eq!(parse_route(line.as_bytes()).unwrap().len(), 2);
        let multi = r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiLineString",
            "coordinates":[[[24.9,60.1],[25.0,60.2]],[[25.1,60.3],[25.2,60.4]]]}}"#;
        let r = parse_route(multi.as_bytes()).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[3].lat(), 60.4);
        let fc = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[25,60]}},
            {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[25.0,60.2]]}}]}"#;
        assert_eq!(parse_route(fc.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn bad_routes_say_what_is_wrong() {
        assert_eq!(parse_route(b"hello"), Err(RouteError::UnknownFormat));
        assert_eq!(parse_route(b""), Err(RouteError::UnknownFormat));
        assert!(matches!(
            parse_route(b"<gpx><trk>"),
            Err(RouteError::Malformed { format: "GPX", .. })
        ));
        assert!(matches!(
            parse_route(b"{\"type\":"),
            Err(RouteError::Malformed {
                format: "GeoJSON",
                ..
            })
        ));
        let one = r#"{"type":"LineString","coordinates":[[24.9,60.1]]}"#;
        assert_eq!(parse_route(one.as_bytes()), Err(RouteError::OnePoint));
        let none = r#"{"type":"LineString","coordinates":[]}"#;
        assert_eq!(parse_route(none.as_bytes()), Err(RouteError::Empty));
        let point = r#"{"type":"Point","coordinates":[24.9,60.1]}"#;
        assert!(matches!(
            parse_route(point.as_bytes()),
            Err(RouteError::NotALine { found }) if found == "Point"
        ));
        let out = r#"{"type":"LineString","coordinates":[[24.9,60.1],[24.9,95.0]]}"#;
        assert!(matches!(
            parse_route(out.as_bytes()),
            Err(RouteError::BadPoint { index: 1, .. })
        ));
        let short = r#"{"type":"LineString","coordinates":[[24.9,60.1],[24.9]]}"#;
        let e = parse_route(short.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("two or more elements"), "{e}");
        let two = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[25.0,60.2]]}},
            {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[25.0,60.2]]}}]}"#;
        assert_eq!(
            parse_route(two.as_bytes()),
            Err(RouteError::SeveralLines(2))
        );
        let empty_trk = r#"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg/></trk></gpx>"#;
        assert_eq!(parse_route(empty_trk.as_bytes()), Err(RouteError::Empty));
    }

    #[test]
    fn too_many_points_are_refused() {
        let coords: Vec<String> = (0..=MAX_ROUTE_POINTS)
            .map(|i| format!("[25.0,{}]", 60.0 + i as f64 * 1e-5))
            .collect();
        let doc = format!(
            r#"{{"type":"LineString","coordinates":[{}]}}"#,
            coords.join(",")
        );
        assert_eq!(
            parse_route(doc.as_bytes()),
            Err(RouteError::TooManyPoints {
                count: MAX_ROUTE_POINTS + 1,
                max: MAX_ROUTE_POINTS
            })
        );
    }

    #[test]
    fn distances_read_units() {
        assert_eq!(parse_distance_m("2km").unwrap(), 2000.0);
        assert_eq!(parse_distance_m(" 1,5 KM ").unwrap(), 1500.0);
        assert_eq!(parse_distance_m("500 m").unwrap(), 500.0);
        assert_eq!(parse_distance_m("750").unwrap(), 750.0);
        for bad in ["", "km", "0", "-2km", "2 miles", "NaN", "inf km", "1e400"] {
            assert!(parse_distance_m(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distances_finite_in_km_but_not_in_metres_are_refused() {
        // Was `Ok(inf)`: the finite check ran before the unit was applied.
        assert!(matches!(
            parse_distance_m("1e306km"),
            Err(RouteError::BadDistance { .. })
        ));
        let big = parse_distance_m("1e300km").unwrap();
        assert!((big / 1e303 - 1.0).abs() < 1e-12, "{big}");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_a_route_or_an_error(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Ok(r) = parse_route(&bytes) {
                proptest::prop_assert!(r.len() >= MIN_ROUTE_POINTS);
            }
        }

        #[test]
        fn geojson_lines_round_trip(pts in proptest::collection::vec((-180.0f64..=180.0, -90.0f64..=90.0), 2..50)) {
            let coords: Vec<String> = pts.iter().map(|(x, y)| format!("[{x:?},{y:?}]")).collect();
            let doc = format!(r#"{{"type":"LineString","coordinates":[{}]}}"#, coords.join(","));
            let r = parse_route(doc.as_bytes()).unwrap();
            proptest::prop_assert_eq!(r.len(), pts.len());
            // serde_json (without `float_roundtrip`) may read a float one ulp off.
            for (p, (x, y)) in r.iter().zip(&pts) {
                proptest::prop_assert!((p.lon() - x).abs() <= 1e-12 && (p.lat() - y).abs() <= 1e-12);
            }
        }

        #[test]
        fn accepted_distances_are_positive_and_finite(s in "\\PC{0,12}") {
            if let Ok(m) = parse_distance_m(&s) {
                proptest::prop_assert!(m.is_finite() && m > 0.0);
            }
        }
    }
}
