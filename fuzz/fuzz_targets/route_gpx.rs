//! GPX routes (`spatial::route::parse_gpx`, and `parse_route`'s sniffing): no panic; a route read
//! has 2..=MAX_ROUTE_POINTS points; written back as GPX it reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use storenet::model::LonLat;
use storenet::spatial::route::{parse_gpx, parse_route};

fn gpx(points: &[LonLat]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="fuzz" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#,
    );
    for p in points {
        // `{}` of an f64 is the shortest text that reads back as the same number.
        write!(s, r#"<trkpt lat="{}" lon="{}"/>"#, p.lat(), p.lon()).unwrap();
    }
    s + "</trkseg></trk></gpx>"
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_route(data);
    if let Ok(points) = parse_gpx(data) {
        assert!((2..=storenet::spatial::MAX_ROUTE_POINTS).contains(&points.len()));
        let again = parse_gpx(gpx(&points).as_bytes()).expect("our own GPX reads back");
        assert_eq!(points, again);
    }
});
