//! GeoJSON areas (`spatial::area::parse_area_geojson`): no panic; an area read has closed rings
//! of at least four valid positions, at most MAX_AREA_POINTS in all, and written back as a
//! MultiPolygon it reads back the same (to 1e-12°).
#![no_main]

use geo::CoordsIter;
use libfuzzer_sys::fuzz_target;
use storenet::spatial::area::{parse_area_geojson, MAX_AREA_POINTS};

fuzz_target!(|data: &[u8]| {
    let Ok(area) = parse_area_geojson(data) else {
        return;
    };
    assert!(!area.0.is_empty());
    assert!(area.coords_count() <= MAX_AREA_POINTS);
    let ring = |l: &geo::LineString<f64>| -> Vec<[f64; 2]> {
        assert!(
            l.0.len() >= 4 && l.0.first() == l.0.last(),
            "open or short ring"
        );
        l.0.iter().map(|c| [c.x, c.y]).collect()
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = area
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect()
        })
        .collect();
    let doc = serde_json::json!({"type": "MultiPolygon", "coordinates": polygons});
    let again = parse_area_geojson(doc.to_string().as_bytes()).expect("our own area reads back");
    // The same rings, point for point; serde_json (without `float_roundtrip`) may read a float
    // one ulp off.
    assert_eq!(area.0.len(), again.0.len());
    for (p, q) in area.0.iter().zip(&again.0) {
        assert_eq!(p.interiors().len(), q.interiors().len());
        let rings = std::iter::once(p.exterior()).chain(p.interiors());
        for (r, s) in rings.zip(std::iter::once(q.exterior()).chain(q.interiors())) {
            assert_eq!(r.0.len(), s.0.len());
            for (a, b) in r.0.iter().zip(&s.0) {
                assert!((a.x - b.x).abs() <= 1e-12 && (a.y - b.y).abs() <= 1e-12);
            }
        }
    }
});
