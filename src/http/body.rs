//! Request bodies: read with a size limit, then parsed into polygons and routes.

use super::error::{ApiError, Kind};
use super::params::check_lat_lon;
use crate::model::LonLat;
use crate::spatial::area::MAX_AREA_POINTS;
use actix_web::web::{Bytes, Payload};
use actix_web::HttpRequest;
use geojson::{GeoJson, Geometry, Value};

/// Reads the whole body, refusing it (413) as soon as it is known to be over `limit` bytes, and
/// (408) when it has not all arrived within the `timeouts.body_ms` setting.
pub async fn read_limited(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    let within = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| std::time::Duration::from_millis(s.settings.timeouts.body_ms))
        .unwrap_or(std::time::Duration::from_secs(30));
    let read = tokio::time::timeout(within, payload.to_bytes_limited(limit))
        .await
        .map_err(|_| {
            ApiError::new(
                Kind::RequestTimeout,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} ms",
                    within.as_millis()
                ),
            )
        })?;
    match read {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => Err(ApiError::new(
            Kind::BadRequest,
            "invalid_body",
            format!("could not read the request body: {e}"),
        )),
        Err(_) => Err(ApiError::too_large(limit)),
    }
}

fn bad_body(message: impl Into<String>) -> ApiError {
    ApiError::new(Kind::BadRequest, "invalid_body", message).field("body")
}

fn parse_geojson(body: &[u8]) -> Result<GeoJson, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_body("the request body is empty"));
    }
    serde_json::from_slice::<GeoJson>(body).map_err(|e| bad_body(format!("not GeoJSON: {e}")))
}

/// Every geometry in a GeoJSON document, in document order.
fn geometries(doc: GeoJson) -> Vec<Geometry> {
    match doc {
        GeoJson::Geometry(g) => vec![g],
        GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        GeoJson::FeatureCollection(fc) => {
            fc.features.into_iter().filter_map(|f| f.geometry).collect()
        }
    }
}

fn position(p: &[f64]) -> Result<LonLat, ApiError> {
    match p {
        [lon, lat, ..] => check_lat_lon(*lat, *lon).map_err(|e| e.field("body")),
        _ => Err(bad_body("a position needs a longitude and a latitude")),
    }
}

/// A GeoJSON Polygon or MultiPolygon (bare, as a Feature, or the polygons of a
/// FeatureCollection) as one multipolygon in lon/lat degrees.
pub fn parse_polygon(body: &[u8]) -> Result<geo::MultiPolygon<f64>, ApiError> {
    let mut polygons: Vec<geo::Polygon<f64>> = Vec::new();
    let mut push = |rings: &[Vec<Vec<f64>>]| -> Result<(), ApiError> {
        let mut rings = rings.iter().map(|ring| {
            if ring.len() < 4 {
                return Err(bad_body(
                    "a polygon ring needs at least four positions (closed)",
                ));
            }
            ring.iter()
                .map(|p| position(p).map(|l| geo::coord! { x: l.lon(), y: l.lat() }))
                .collect::<Result<Vec<_>, _>>()
                .map(geo::LineString::new)
        });
        let exterior = rings
            .next()
            .ok_or_else(|| bad_body("a polygon needs an outer ring"))??;
        let interiors = rings.collect::<Result<Vec<_>, _>>()?;
        polygons.push(geo::Polygon::new(exterior, interiors));
        Ok(())
    };
    let geometries = geometries(parse_geojson(body)?);
    let vertices: usize = geometries
        .iter()
        .map(|g| match &g.value {
            Value::Polygon(rings) => rings.iter().map(Vec::len).sum(),
            Value::MultiPolygon(polys) => polys.iter().flatten().map(Vec::len).sum(),
            _ => 0,
        })
        .sum();
    if vertices > MAX_AREA_POINTS {
        return Err(ApiError::new(
            Kind::BadRequest,
            "out_of_range",
            format!("the area has {vertices} positions; at most {MAX_AREA_POINTS} are allowed"),
        )
        .field("body"));
    }
    for g in geometries {
        match &g.value {
            Value::Polygon(rings) => push(rings)?,
            Value::MultiPolygon(polys) => {
                for rings in polys {
                    push(rings)?;
                }
            }
            other => {
                return Err(bad_body(format!(
                    "expected a Polygon or MultiPolygon, got a {}",
                    other.type_name()
                )))
            }
        }
    }
    if polygons.is_empty() {
        return Err(bad_body("the body holds no polygon"));
    }
    Ok(geo::MultiPolygon::new(polygons))
}

/// A route from a GPX or GeoJSON body, read by [`crate::spatial::route::parse_route`]; its
/// errors become 400s naming `route` (no usable points) or `body` (unreadable document).
pub fn parse_route(body: &[u8]) -> Result<Vec<LonLat>, ApiError> {
    use crate::spatial::route::RouteError;
    crate::spatial::route::parse_route(body).map_err(|e| match e {
        RouteError::Empty => bad_body(e.to_string()).field("route"),
        RouteError::OnePoint | RouteError::TooManyPoints { .. } => {
            ApiError::new(Kind::BadRequest, "out_of_range", e.to_string()).field("route")
        }
        _ => bad_body(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_come_from_gpx_tracks_and_geojson_lines() {
        let gpx = br#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.1" lon="24.9"/><trkpt lat="61.5" lon="23.8"/></trkseg></trk></gpx>"#;
        let r = parse_route(gpx).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].lon(), r[1].lat()), (23.8, 61.5));
        let gj = br#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[23.8,61.5],[25.7,62.2]]}}"#;
        assert_eq!(parse_route(gj).unwrap().len(), 3);
        for bad in [
            &b""[..],
            b"  ",
            b"<gpx",
            b"{\"type\":\"Point\",\"coordinates\":[1,2]}",
            b"hello",
            b"{\"type\":\"LineString\",\"coordinates\":[[200,60],[24,60]]}",
        ] {
            let e = parse_route(bad).unwrap_err();
            assert_eq!(e.kind(), Kind::BadRequest);
        }
    }

    #[test]
    fn polygons_need_closed_rings_of_valid_positions() {
        let ok = br#"{"type":"Polygon","coordinates":[[[24,60],[26,60],[26,61],[24,61],[24,60]]]}"#;
        assert_eq!(parse_polygon(ok).unwrap().0.len(), 1);
        let open = br#"{"type":"Polygon","coordinates":[[[24,60],[26,60],[24,60]]]}"#;
        assert!(parse_polygon(open).is_err());
        let line = br#"{"type":"LineString","coordinates":[[24,60],[26,60]]}"#;
        assert!(parse_polygon(line).is_err());
        assert!(parse_polygon(b"{").is_err());
        let mut ring: Vec<[f64; 2]> = (0..MAX_AREA_POINTS)
            .map(|i| [24.0 + i as f64 * 1e-5, 60.0 + (i % 2) as f64 * 1e-3])
            .collect();
        ring.push(ring[0]);
        let huge = serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string();
        let e = parse_polygon(huge.as_bytes()).unwrap_err();
        assert_eq!(e.code(), "out_of_range");
    }
}
