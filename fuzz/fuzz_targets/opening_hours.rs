//! Opening hours (`model::OpeningHours::parse`) and corridor distances
//! (`spatial::route::parse_distance_m`), both short strings from files and query strings: no
//! panic; hours round-trip through their canonical text; a distance read is finite and > 0.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use storenet::model::OpeningHours;
use storenet::spatial::route::parse_distance_m;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = parse_distance_m(s) {
        assert!(d.is_finite() && d > 0.0, "`{s}` read as {d} m");
    }
    let Ok(h) = OpeningHours::parse(s) else {
        return;
    };
    let canonical = h.to_string();
    let again = OpeningHours::parse(&canonical)
        .unwrap_or_else(|e| panic!("canonical form `{canonical}` of `{s}` does not parse: {e}"));
    assert_eq!(h, again, "`{s}` → `{canonical}` reads back differently");
    assert_eq!(canonical, again.to_string(), "canonical form is not stable");
    // Every minute of a week around New Year (holidays, a year change) is answered.
    let start = NaiveDate::from_ymd_opt(2026, 12, 28)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap();
    for m in (0..7 * 24 * 60).step_by(37) {
        let t = start + chrono::Duration::minutes(m);
        assert_eq!(h.is_open_local(t), again.is_open_local(t));
    }
});
