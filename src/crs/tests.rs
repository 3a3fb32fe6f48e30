//! Unit tests of the crs module's insides; the public behaviour is tested in `tests/it/crs.rs`.

use super::*;

#[test]
fn crs_builtin_definitions_parse() {
    for crs in [Crs::Wgs84, Crs::Tm35Fin, Crs::Ykj] {
        assert!(
            proj4rs::Proj::from_proj_string(crs.proj4()).is_ok(),
            "{crs}: {}",
            crs.proj4()
        );
    }
}

#[test]
fn crs_batch_errors_shift_by_chunk_offset_and_unwrap_for_single_points() {
    let cause = CrsError::Unsupported(1);
    let tagged = cause.clone().at(3).shifted(CHUNK);
    assert_eq!(
        tagged,
        CrsError::AtIndex {
            index: CHUNK + 3,
            source: Box::new(cause.clone())
        }
    );
    assert_eq!(tagged.single(), cause);
    assert_eq!(cause.clone().shifted(5), cause);
}

#[test]
fn crs_chunk_is_untouched_when_a_point_fails() {
    let mut points = vec![(24.9, 60.2), (25.0, 95.0), (25.1, 60.3)];
    let before = points.clone();
    let err = transform_chunk(&Proj4rs, 4326, 2393, &mut points).unwrap_err();
    assert!(matches!(err, CrsError::AtIndex { index: 1, .. }), "{err:?}");
    assert_eq!(points, before);
}

#[test]
fn crs_identity_keeps_points_exactly() {
    let p = transform_with(&Proj4rs, 3067, 3067, 385_611.316_685, 6_672_118.380_202).unwrap();
    assert_eq!(p, (385_611.316_685, 6_672_118.380_202));
}

/// A backend that answers NaN for every point: the checks around backends must catch it.
struct NanBackend;

impl Backend for NanBackend {
    fn name(&self) -> &'static str {
        "nan"
    }

    fn transform_into(
        &self,
        _from: u32,
        _to: u32,
        _input: &[(f64, f64)],
        output: &mut [(f64, f64)],
    ) -> Result<(), CrsError> {
        output.fill((f64::NAN, 1.0));
        Ok(())
    }
}

#[test]
fn crs_non_finite_results_are_refused_and_name_the_input() {
    let err = transform_with(&NanBackend, 3067, 4326, 1.0, 2.0).unwrap_err();
    assert_eq!(
        err,
        CrsError::NonFiniteResult {
            from: 3067,
            to: 4326,
            x: 1.0,
            y: 2.0
        }
    );
    assert!(err.to_string().contains("non-finite result"), "{err}");
    let mut points = vec![(1.0, 2.0); CHUNK + 10];
    let err = transform_many_with(&NanBackend, 3067, 4326, &mut points).unwrap_err();
    assert!(matches!(err, CrsError::AtIndex { index: 0, .. }), "{err:?}");
    assert!(points.iter().all(|p| *p == (1.0, 2.0)));
}
