//! The pure-Rust backend: `proj4rs` with the PROJ.4 definitions of [`Crs::proj4`].

use super::{Backend, Crs, CrsError};
use proj4rs::transform::{Transform, TransformClosure};
use std::sync::LazyLock;

/// The pure-Rust `proj4rs` backend: EPSG 4326, 3067 and 2393 only; no C library.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proj4rs;

/// The parsed definitions, built once. They are constants checked by the tests, so a parse
/// failure is a programming error, not a user's: hence the `expect`.
fn proj_of(crs: Crs) -> &'static proj4rs::Proj {
    fn parse(crs: Crs) -> proj4rs::Proj {
        proj4rs::Proj::from_proj_string(crs.proj4()).expect("built-in PROJ.4 definition parses")
    }
    static WGS84: LazyLock<proj4rs::Proj> = LazyLock::new(|| parse(Crs::Wgs84));
    static TM35: LazyLock<proj4rs::Proj> = LazyLock::new(|| parse(Crs::Tm35Fin));
    static YKJ: LazyLock<proj4rs::Proj> = LazyLock::new(|| parse(Crs::Ykj));
    match crs {
        Crs::Wgs84 => &WGS84,
        Crs::Tm35Fin => &TM35,
        Crs::Ykj => &YKJ,
    }
}

/// A buffer of points for `proj4rs`, which runs each stage of a transformation over all points
/// before the next; it remembers the first point a stage refused.
struct Points<'a> {
    points: &'a mut [(f64, f64)],
    failed: Option<usize>,
}

impl Transform for Points<'_> {
    fn transform_coordinates<F: TransformClosure>(
        &mut self,
        f: &mut F,
    ) -> proj4rs::errors::Result<()> {
        for (i, p) in self.points.iter_mut().enumerate() {
            // Heights stay 0 between stages, as PROJ's push/pop of v_3 keeps them in its pipeline;
            // no stage we use reads a height another wrote.
            match f(p.0, p.1, 0.0) {
                Ok((x, y, _)) => *p = (x, y),
                Err(e) => {
                    self.failed = Some(i);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl Backend for Proj4rs {
    fn name(&self) -> &'static str {
        "proj4rs"
    }

    fn transform_into(
        &self,
        from: u32,
        to: u32,
        input: &[(f64, f64)],
        output: &mut [(f64, f64)],
    ) -> Result<(), CrsError> {
        let (src, dst) = (Crs::from_epsg(from)?, Crs::from_epsg(to)?);
        output.copy_from_slice(input);
        if src == dst {
            return Ok(());
        }
        if src == Crs::Wgs84 {
            for p in output.iter_mut() {
                *p = (p.0.to_radians(), p.1.to_radians());
            }
        }
        let mut points = Points {
            points: output,
            failed: None,
        };
        if let Err(e) = proj4rs::transform::transform(proj_of(src), proj_of(dst), &mut points) {
            // A failure before any point (none so far) is blamed on the first one.
            let i = points.failed.unwrap_or(0);
            let (x, y) = input[i];
            return Err(CrsError::Transform {
                from,
                to,
                x,
                y,
                reason: e.to_string(),
            }
            .at(i));
        }
        if dst == Crs::Wgs84 {
            for p in points.points.iter_mut() {
                *p = (p.0.to_degrees(), p.1.to_degrees());
            }
        }
        Ok(())
    }
}
