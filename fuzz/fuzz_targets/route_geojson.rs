//! GeoJSON routes (`spatial::route::parse_geojson`): no panic; a route read has
//! 2..=MAX_ROUTE_POINTS points; written back as a LineString it reads back the same (to 1e-12°).
#![no_main]

use libfuzzer_sys::fuzz_target;
use storenet::spatial::route::parse_geojson;

fuzz_target!(|data: &[u8]| {
    if let Ok(points) = parse_geojson(data) {
        assert!((2..=storenet::spatial::MAX_ROUTE_POINTS).contains(&points.len()));
        let coords: Vec<[f64; 2]> = points.iter().map(|p| [p.lon(), p.lat()]).collect();
        let doc = serde_json::json!({"type": "LineString", "coordinates": coords});
        let again =
            parse_geojson(doc.to_string().as_bytes()).expect("our own LineString reads back");
        // serde_json (without `float_roundtrip`) may read a float one ulp off.
        assert_eq!(points.len(), again.len());
        for (a, b) in points.iter().zip(&again) {
            assert!((a.lon() - b.lon()).abs() <= 1e-12 && (a.lat() - b.lat()).abs() <= 1e-12);
        }
    }
});
