//! Integration tests: crs.
//!
//! Oracles: the reference values PROJ 9.1.1 gives for Helsinki (`cs2cs -d 6 EPSG:4326 EPSG:3067`
//! and `… EPSG:2393`), round trips, and, under the `proj` feature, PROJ itself on random points.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use storenet::crs::{
    from_wgs84, to_wgs84, transform, transform_epsg, transform_many, transform_many_with,
    transform_with, Backend, Crs, CrsError, Proj4rs, DEFAULT_BACKEND,
};
use storenet::model::LonLat;

const HELSINKI: (f64, f64) = (24.9384, 60.1699);
const HELSINKI_TM35: (f64, f64) = (385_611.316_685, 6_672_118.380_202);
const HELSINKI_YKJ: (f64, f64) = (3_385_734.804_403, 6_674_920.371_847);

/// Metres per degree of latitude, rounded down: turns degree differences into a conservative
/// ground distance for tolerances (a metre is ≈ 9e-6° of latitude).
const M_PER_DEG: f64 = 111_000.0;

/// How far a round trip through the KKJ Helmert may drift: see
/// `crs_ykj_round_trip_returns_within_the_helmert_drift`.
const HELMERT_DRIFT_M: f64 = 1.5e-3;

/// Every backend this build has: the pure-Rust one always, PROJ under the `proj` feature.
fn backends() -> Vec<&'static dyn Backend> {
    let mut all: Vec<&'static dyn Backend> = vec![&Proj4rs];
    if cfg!(feature = "proj") {
        all.push(DEFAULT_BACKEND);
    }
    all
}

/// `n` seeded random WGS84 points over Finland's bounding box (lat 59.7–70.1, lon 19.1–31.6).
fn finland_points(seed: u64, n: usize) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (rng.gen_range(19.1..31.6), rng.gen_range(59.7..70.1)))
        .collect()
}

/// Ground distance in metres between two nearby lon/lat points (equirectangular; exact enough at
/// millimetre scale).
fn ground_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dx = (a.0 - b.0) * M_PER_DEG * a.1.to_radians().cos();
    let dy = (a.1 - b.1) * M_PER_DEG;
    dx.hypot(dy)
}

fn planar_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

#[test]
fn crs_proj4rs_hits_helsinki_tm35fin_reference_to_a_micrometre() {
    let p = transform_with(&Proj4rs, 4326, 3067, HELSINKI.0, HELSINKI.1).unwrap();
    assert!(planar_m(p, HELSINKI_TM35) < 1e-6, "{p:?}");
}

#[test]
fn crs_proj4rs_hits_helsinki_ykj_reference_to_a_micrometre() {
    let p = transform_with(&Proj4rs, 4326, 2393, HELSINKI.0, HELSINKI.1).unwrap();
    assert!(planar_m(p, HELSINKI_YKJ) < 1e-6, "{p:?}");
}

#[test]
fn crs_default_backend_hits_reference_values_and_inverts_them() {
    let tm = from_wgs84(Crs::Tm35Fin, LonLat::new(HELSINKI.0, HELSINKI.1).unwrap()).unwrap();
    assert!(planar_m(tm, HELSINKI_TM35) < 1e-6, "{tm:?}");
    let ykj = transform(Crs::Wgs84, Crs::Ykj, HELSINKI.0, HELSINKI.1).unwrap();
    assert!(planar_m(ykj, HELSINKI_YKJ) < 1e-6, "{ykj:?}");
    let back = to_wgs84(Crs::Tm35Fin, HELSINKI_TM35.0, HELSINKI_TM35.1).unwrap();
    assert!(ground_m((back.lon(), back.lat()), HELSINKI) < 1e-6);
    let back = to_wgs84(Crs::Ykj, HELSINKI_YKJ.0, HELSINKI_YKJ.1).unwrap();
    assert!(ground_m((back.lon(), back.lat()), HELSINKI) < 1e-3);
}

#[test]
fn crs_tm35fin_round_trip_returns_within_1e9_degrees() {
    for backend in backends() {
        for p in finland_points(1, 2_000) {
            let (e, n) = transform_with(backend, 4326, 3067, p.0, p.1).unwrap();
            let q = transform_with(backend, 3067, 4326, e, n).unwrap();
            assert!(
                (p.0 - q.0).abs() < 1e-9 && (p.1 - q.1).abs() < 1e-9,
                "{}: {p:?} came back as {q:?}",
                backend.name()
            );
        }
    }
}

/// The KKJ Helmert as EPSG and PROJ apply it (small-angle rotation matrix, its transpose as the
/// inverse) is not exactly invertible: a round trip drifts by up to 1.03 mm at Finland's
/// south-western corner (PROJ's own `cs2cs` there: 1.02 mm; Helsinki 0.94 mm, 7.6e-9°). We match
/// PROJ to the micrometre, so the round trip holds to [`HELMERT_DRIFT_M`], not to 1e-9°.
#[test]
fn crs_ykj_round_trip_returns_within_the_helmert_drift() {
    for backend in backends() {
        for p in finland_points(2, 2_000) {
            let (x, y) = transform_with(backend, 4326, 2393, p.0, p.1).unwrap();
            let q = transform_with(backend, 2393, 4326, x, y).unwrap();
            let d = ground_m(p, q);
            assert!(
                d < HELMERT_DRIFT_M,
                "{}: {p:?} came back {d} m off",
                backend.name()
            );
        }
    }
}

#[test]
fn crs_tm35fin_and_ykj_round_trip_both_ways_within_the_helmert_drift() {
    for backend in backends() {
        for p in finland_points(3, 2_000) {
            let tm = transform_with(backend, 4326, 3067, p.0, p.1).unwrap();
            let ykj = transform_with(backend, 3067, 2393, tm.0, tm.1).unwrap();
            let tm_back = transform_with(backend, 2393, 3067, ykj.0, ykj.1).unwrap();
            assert!(
                planar_m(tm, tm_back) < HELMERT_DRIFT_M,
                "{}: {tm:?} → {tm_back:?}",
                backend.name()
            );
            let ykj_back = transform_with(backend, 3067, 2393, tm_back.0, tm_back.1).unwrap();
            assert!(
                planar_m(ykj, ykj_back) < HELMERT_DRIFT_M,
                "{}",
                backend.name()
            );
        }
    }
}

/// PROJ converts ETRS89 to geocentric on GRS80 and WGS84 on the WGS84 ellipsoid before the same
/// Helmert; the ellipsoids' 0.1 mm difference in the semi-minor axis leaves the two ways 0.1 mm
/// apart (PROJ the same).
#[test]
fn crs_direct_tm35fin_to_ykj_equals_the_way_through_wgs84_to_0_2_mm() {
    for p in finland_points(4, 500) {
        let tm = transform(Crs::Wgs84, Crs::Tm35Fin, p.0, p.1).unwrap();
        let direct = transform(Crs::Tm35Fin, Crs::Ykj, tm.0, tm.1).unwrap();
        let via = transform(Crs::Wgs84, Crs::Ykj, p.0, p.1).unwrap();
        assert!(planar_m(direct, via) < 2e-4, "{direct:?} vs {via:?}");
    }
}

#[test]
fn crs_transform_many_equals_point_by_point_across_chunks() {
    let input = finland_points(5, 40_000);
    for (from, to) in [(Crs::Wgs84, Crs::Tm35Fin), (Crs::Wgs84, Crs::Ykj)] {
        let mut batch = input.clone();
        transform_many(from, to, &mut batch).unwrap();
        for (p, q) in input.iter().zip(&batch) {
            assert_eq!(transform(from, to, p.0, p.1).unwrap(), *q);
        }
    }
}

#[test]
fn crs_transform_many_names_the_first_bad_point_and_keeps_its_chunk() {
    let input = finland_points(6, 50_000);
    let mut batch = input.clone();
    batch[40_000].1 = f64::NAN;
    batch[45_000].0 = f64::INFINITY;
    let err = transform_many(Crs::Wgs84, Crs::Tm35Fin, &mut batch).unwrap_err();
    match &err {
        CrsError::AtIndex { index, source } => {
            assert_eq!(*index, 40_000);
            assert!(matches!(
                **source,
                CrsError::NonFiniteInput {
                    from: 4326,
                    to: 3067,
                    ..
                }
            ));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("point #40000 of the batch: cannot transform"));
    // The chunk holding the bad point (16,384 points from 32,768) is left as it was.
    assert_eq!(batch[32_768], input[32_768]);
    assert_eq!(batch[39_999], input[39_999]);
}

#[test]
fn crs_non_finite_input_is_refused_with_advice() {
    for backend in backends() {
        let err = transform_with(backend, 3067, 4326, f64::NAN, 6_672_118.0).unwrap_err();
        assert!(
            matches!(
                err,
                CrsError::NonFiniteInput {
                    from: 3067,
                    to: 4326,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("not a finite number"), "{err}");
    }
    assert!(matches!(
        to_wgs84(Crs::Ykj, 3_385_734.0, f64::INFINITY),
        Err(CrsError::NonFiniteInput { .. })
    ));
}

#[test]
fn crs_unsupported_epsg_codes_name_the_known_ones_and_the_feature() {
    let err = Crs::from_epsg(3857).unwrap_err();
    assert_eq!(err, CrsError::Unsupported(3857));
    let msg = err.to_string();
    assert!(
        msg.contains("4326") && msg.contains("3067") && msg.contains("2393"),
        "{msg}"
    );
    assert!(msg.contains("--features proj"), "{msg}");
    assert_eq!(
        transform_with(&Proj4rs, 4326, 3857, 25.0, 60.0),
        Err(CrsError::Unsupported(3857))
    );
    assert_eq!(
        transform_with(&Proj4rs, 3035, 4326, 0.0, 0.0),
        Err(CrsError::Unsupported(3035))
    );
    for code in [4326, 3067, 2393] {
        assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
    }
}

#[test]
fn crs_points_outside_the_projection_domain_fail_cleanly() {
    // Latitude 95° is no place on Earth: swapped or garbled axes look like this.
    for backend in backends() {
        let err = transform_with(backend, 4326, 3067, 60.0, 95.0).unwrap_err();
        assert!(
            matches!(err, CrsError::Transform { from: 4326, to: 3067, x, y, .. } if x == 60.0 && y == 95.0),
            "{}: {err:?}",
            backend.name()
        );
        assert!(err.to_string().contains("axis order"), "{err}");
    }
}

#[test]
fn crs_to_wgs84_refuses_points_beyond_the_projection_domain() {
    // 90,000 km west of the central meridian: finite, but no place on Earth.
    for backend in backends() {
        let err = transform_with(backend, 3067, 4326, -9.0e7, 6_672_118.0).unwrap_err();
        assert!(
            matches!(
                err,
                CrsError::Transform {
                    from: 3067,
                    to: 4326,
                    ..
                }
            ),
            "{}: {err:?}",
            backend.name()
        );
    }
    assert!(matches!(
        to_wgs84(Crs::Tm35Fin, -9.0e7, 6_672_118.0),
        Err(CrsError::Transform { .. })
    ));
}

#[test]
fn crs_transform_many_with_proj4rs_matches_default_within_a_millimetre() {
    let input = finland_points(7, 20_000);
    let mut a = input.clone();
    let mut b = input.clone();
    transform_many_with(&Proj4rs, 4326, 2393, &mut a).unwrap();
    transform_many(Crs::Wgs84, Crs::Ykj, &mut b).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert!(planar_m(*p, *q) < 1e-3);
    }
    assert_eq!(
        transform_epsg(4326, 3067, HELSINKI.0, HELSINKI.1),
        transform(Crs::Wgs84, Crs::Tm35Fin, HELSINKI.0, HELSINKI.1)
    );
}

#[cfg(feature = "proj")]
mod with_proj {
    //! The oracle: PROJ itself, through the `proj` feature.
    use super::*;
    use storenet::crs::LibProj;

    #[test]
    fn crs_proj_hits_the_reference_values() {
        let tm = transform_with(&LibProj, 4326, 3067, HELSINKI.0, HELSINKI.1).unwrap();
        assert!(planar_m(tm, HELSINKI_TM35) < 1e-6, "{tm:?}");
        let ykj = transform_with(&LibProj, 4326, 2393, HELSINKI.0, HELSINKI.1).unwrap();
        assert!(planar_m(ykj, HELSINKI_YKJ) < 1e-6, "{ykj:?}");
    }

    #[test]
    fn crs_proj4rs_agrees_with_proj_within_a_millimetre_on_1000_points() {
        let points = finland_points(2026, 1_000);
        for to in [3067, 2393] {
            let mut worst: f64 = 0.0;
            for &p in &points {
                let ours = transform_with(&Proj4rs, 4326, to, p.0, p.1).unwrap();
                let theirs = transform_with(&LibProj, 4326, to, p.0, p.1).unwrap();
                worst = worst.max(planar_m(ours, theirs));
                let back_ours = transform_with(&Proj4rs, to, 4326, theirs.0, theirs.1).unwrap();
                let back_theirs = transform_with(&LibProj, to, 4326, theirs.0, theirs.1).unwrap();
                worst = worst.max(ground_m(back_ours, back_theirs));
            }
            assert!(worst < 1e-3, "EPSG:{to}: worst disagreement {worst} m");
        }
        let mut worst: f64 = 0.0;
        for &p in &points {
            let tm = transform_with(&LibProj, 4326, 3067, p.0, p.1).unwrap();
            let ours = transform_with(&Proj4rs, 3067, 2393, tm.0, tm.1).unwrap();
            let theirs = transform_with(&LibProj, 3067, 2393, tm.0, tm.1).unwrap();
            worst = worst.max(planar_m(ours, theirs));
        }
        assert!(worst < 1e-3, "3067→2393: worst disagreement {worst} m");
    }

    #[test]
    fn crs_proj_opens_web_mercator_which_matches_its_formula() {
        let (x, y) = transform_epsg(4326, 3857, HELSINKI.0, HELSINKI.1).unwrap();
        let a = 6_378_137.0;
        let ex = a * HELSINKI.0.to_radians();
        let ey = a
            * (std::f64::consts::FRAC_PI_4 + HELSINKI.1.to_radians() / 2.0)
                .tan()
                .ln();
        assert!(planar_m((x, y), (ex, ey)) < 1e-3, "{x} {y} vs {ex} {ey}");
        let back = transform_epsg(3857, 4326, x, y).unwrap();
        assert!(ground_m(back, HELSINKI) < 1e-6);
    }

    #[test]
    fn crs_proj_reports_unknown_epsg_codes() {
        let err = transform_epsg(4326, 999_999, 25.0, 60.0).unwrap_err();
        assert!(
            matches!(
                err,
                CrsError::NoOperation {
                    from: 4326,
                    to: 999_999,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("projinfo"), "{err}");
    }
}

/// Runs `storenet crs` on `input` (written to a temporary file) and returns (success, stdout,
/// stderr).
fn run_cli(args: &[&str], input: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.txt");
    std::fs::write(&path, input).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
        .arg("crs")
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn crs_cli_transforms_lines_like_cs2cs() {
    let (ok, stdout, stderr) = run_cli(
        &["--to", "3067"],
        "24.9384 60.1699\n# a comment\n\n24.9384,60.1699\r\n",
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "385611.317 6672118.380\n385611.317 6672118.380\n");
    let (ok, stdout, _) = run_cli(
        &["--from", "3067", "--to", "2393", "--decimals", "3"],
        "385611.316685 6672118.380202\n",
    );
    assert!(ok);
    assert_eq!(stdout, "3385734.804 6674920.372\n");
}

#[test]
fn crs_cli_names_file_line_and_field_of_bad_input() {
    let (ok, _, stderr) = run_cli(&["--to", "3067"], "24.9 60.1\n25.0 abc\n");
    assert!(!ok);
    assert!(
        stderr.contains("points.txt:2: field `y`: `abc` is not a number"),
        "{stderr}"
    );
    let (ok, _, stderr) = run_cli(&["--to", "3067"], "24.9 60.1\n\n25.0\n");
    assert!(!ok);
    assert!(
        stderr.contains("points.txt:3: field `y`: missing"),
        "{stderr}"
    );
    let (ok, _, stderr) = run_cli(&["--to", "3067"], "24.9 60.1\n60.0 95.0\n");
    assert!(!ok);
    assert!(
        stderr.contains("points.txt:2: ") && stderr.contains("axis order"),
        "{stderr}"
    );
}

#[test]
fn crs_cli_prints_to_a_millimetre_by_default() {
    use storenet::crs::{transform, Crs};
    // Points across Finland in TM35FIN, printed in degrees by default, then carried back: every
    // one lands within a millimetre of where it started.
    let points = [
        (385_611.316_685, 6_672_118.380_202),
        (443_221.987_654, 7_761_234.567_891),
        (105_432.123_456, 6_701_987.654_321),
        (731_111.111_111, 7_043_333.333_333),
    ];
    let input: String = points.iter().map(|(e, n)| format!("{e} {n}\n")).collect();
    let (ok, stdout, stderr) = run_cli(&["--from", "3067", "--to", "4326"], &input);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), points.len());
    for (line, (e, n)) in lines.iter().zip(points) {
        let (lon, lat) = line.split_once(' ').unwrap();
        assert_eq!(lat.split_once('.').unwrap().1.len(), 9, "{line}");
        let (e2, n2) = transform(
            Crs::Wgs84,
            Crs::Tm35Fin,
            lon.parse().unwrap(),
            lat.parse().unwrap(),
        )
        .unwrap();
        let off_mm = (e2 - e).hypot(n2 - n) * 1000.0;
        assert!(off_mm < 1.0, "{line}: {off_mm:.3} mm off");
    }
    // Metres to a millimetre: three decimals.
    let (ok, stdout, _) = run_cli(&["--to", "2393"], "24.9384 60.1699\n");
    assert!(ok);
    assert_eq!(stdout, "3385734.804 6674920.372\n");
    // An explicit --decimals still wins, within 0..=17.
    let (ok, stdout, _) = run_cli(&["--to", "3067", "--decimals", "1"], "24.9384 60.1699\n");
    assert!(ok);
    assert_eq!(stdout, "385611.3 6672118.4\n");
    let (ok, _, stderr) = run_cli(
        &["--to", "3067", "--decimals", "100000"],
        "24.9384 60.1699\n",
    );
    assert!(!ok);
    assert!(stderr.contains("--decimals"), "{stderr}");
}
