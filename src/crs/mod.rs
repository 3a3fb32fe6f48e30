//! Coordinate reference systems: WGS84 (EPSG:4326) ⇄ ETRS-TM35FIN (EPSG:3067) ⇄ KKJ/YKJ (EPSG:2393).
//!
//! Two [`Backend`]s do the arithmetic, one per file:
//! - [`Proj4rs`] (always built): the pure-Rust `proj4rs` crate with the PROJ.4 definitions in
//!   [`Crs::proj4`]. It knows the three systems above and nothing else.
//! - `LibProj` (cargo feature `proj`): the real PROJ C library through the `proj` crate. It opens any
//!   EPSG code in PROJ's database and is then the default backend.
//!
//! Both take and return x = longitude / easting and y = latitude / northing, degrees for geographic
//! systems and metres for projected ones, whatever axis order the EPSG definition declares.
//! Both pick the same operation for KKJ: EPSG's "KKJ to WGS 84 (2)" / "KKJ to ETRS89 (2)" Helmert,
//! which PROJ uses unless NLS Finland's triangulation grid `fi_nls_ykj_etrs35fin.json` is installed.
//!
//! ```
//! use storenet::crs::{transform, Crs};
//! let (e, n) = transform(Crs::Wgs84, Crs::Tm35Fin, 24.9384, 60.1699).unwrap();
//! assert!((e - 385_611.316_685).abs() < 1e-3 && (n - 6_672_118.380_202).abs() < 1e-3);
//! ```

#[cfg(feature = "proj")]
mod libproj;
mod pure;
#[cfg(test)]
mod tests;

#[cfg(feature = "proj")]
pub use libproj::LibProj;
pub use pure::Proj4rs;

use crate::model::LonLat;
use rayon::prelude::*;
use std::fmt;

/// The backend [`transform`], [`transform_epsg`] and [`transform_many`] use in this build.
#[cfg(feature = "proj")]
pub const DEFAULT_BACKEND: &dyn Backend = &LibProj;
/// The backend [`transform`], [`transform_epsg`] and [`transform_many`] use in this build.
#[cfg(not(feature = "proj"))]
pub const DEFAULT_BACKEND: &dyn Backend = &Proj4rs;

/// Points per rayon task in [`transform_many`]: large enough to amortise task and setup costs,
/// small enough (256 KiB) to stay in cache and to balance the load over the cores.
const CHUNK: usize = 16 * 1024;

/// Why a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// An EPSG code this build does not know.
    #[error(
        "unsupported CRS EPSG:{0}: this build knows 4326 (WGS84), 3067 (ETRS-TM35FIN) and \
         2393 (KKJ/YKJ); build with `--features proj` (the PROJ library) for other EPSG codes"
    )]
    Unsupported(u32),
    /// PROJ could not set up a transformation between two codes (unknown code, no operation).
    #[error("cannot transform from EPSG:{from} to EPSG:{to}: {reason}; check both codes at https://epsg.io or with `projinfo EPSG:<code>`")]
    NoOperation {
        /// Source EPSG code.
        from: u32,
        /// Target EPSG code.
        to: u32,
        /// What PROJ said.
        reason: String,
    },
    /// The input coordinate was NaN or infinite.
    #[error("cannot transform ({x}, {y}) from EPSG:{from} to EPSG:{to}: the coordinate is not a finite number; check the input for empty, NaN or infinite values")]
    NonFiniteInput {
        /// Source EPSG code.
        from: u32,
        /// Target EPSG code.
        to: u32,
        /// Input x (easting or longitude).
        x: f64,
        /// Input y (northing or latitude).
        y: f64,
    },
    /// The library returned NaN or infinity: the point is outside the target system's domain.
    #[error("transforming ({x}, {y}) from EPSG:{from} to EPSG:{to} gave a non-finite result: the point is far outside the area the systems cover; check the axis order (x = longitude or easting, y = latitude or northing) and the units (degrees for EPSG:4326, metres otherwise)")]
    NonFiniteResult {
        /// Source EPSG code.
        from: u32,
        /// Target EPSG code.
        to: u32,
        /// Input x (easting or longitude).
        x: f64,
        /// Input y (northing or latitude).
        y: f64,
    },
    /// The projection library refused the point.
    #[error("cannot transform ({x}, {y}) from EPSG:{from} to EPSG:{to}: {reason}; check the axis order (x = longitude or easting, y = latitude or northing) and the units (degrees for EPSG:4326, metres otherwise)")]
    Transform {
        /// Source EPSG code.
        from: u32,
        /// Target EPSG code.
        to: u32,
        /// Input x (easting or longitude).
        x: f64,
        /// Input y (northing or latitude).
        y: f64,
        /// What the library said.
        reason: String,
    },
    /// A point of a batch failed; the batch stopped there.
    #[error("point #{index} of the batch: {source}")]
    AtIndex {
        /// Index of the failing point in the slice passed in.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<CrsError>,
    },
}

impl CrsError {
    /// Tags a per-point error with its index in a batch.
    fn at(self, index: usize) -> CrsError {
        CrsError::AtIndex {
            index,
            source: Box::new(self),
        }
    }

    /// Moves a batch error's index by `offset` (a chunk's start in the whole slice).
    fn shifted(self, offset: usize) -> CrsError {
        match self {
            CrsError::AtIndex { index, source } => CrsError::AtIndex {
                index: index + offset,
                source,
            },
            other => other,
        }
    }

    /// Drops the batch index of a one-point batch so single-point calls report the bare cause.
    fn single(self) -> CrsError {
        match self {
            CrsError::AtIndex { source, .. } => *source,
            other => other,
        }
    }
}

/// A coordinate reference system storenet knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// EPSG:4326, degrees; x = longitude, y = latitude.
    Wgs84,
    /// EPSG:3067 ETRS89 / TM35FIN, metres; x = easting, y = northing.
    Tm35Fin,
    /// EPSG:2393 KKJ / Finland Uniform Coordinate System (YKJ), metres; x = easting, y = northing.
    Ykj,
}

impl Crs {
    /// The CRS for an EPSG code: 4326, 3067 or 2393 (use [`transform_epsg`] for other codes).
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        match code {
            4326 => Ok(Crs::Wgs84),
            3067 => Ok(Crs::Tm35Fin),
            2393 => Ok(Crs::Ykj),
            other => Err(CrsError::Unsupported(other)),
        }
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Tm35Fin => 3067,
            Crs::Ykj => 2393,
        }
    }

    /// The PROJ.4 definition used by the [`Proj4rs`] backend.
    ///
    /// TM35FIN's `+towgs84=0,0,0` makes `proj4rs` treat ETRS89 as WGS84 (GRS80 and WGS84 differ by
    /// 0.1 mm in the semi-minor axis), as PROJ's null "ETRS89 to WGS 84 (1)" does; a 7-parameter
    /// zero shift would instead convert through geocentric coordinates and move northings 0.09 mm.
    /// YKJ's shift is EPSG:10099 "KKJ to WGS 84 (2)", the operation PROJ 9 picks for EPSG:2393
    /// (`projinfo -s EPSG:4326 -t EPSG:2393`): coordinate-frame rotations −4.801″, −0.345″, +1.376″,
    /// written here with the signs of the position-vector convention that `+towgs84` uses.
    pub fn proj4(&self) -> &'static str {
        match self {
            Crs::Wgs84 => "+proj=longlat +datum=WGS84 +no_defs",
            Crs::Tm35Fin => "+proj=utm +zone=35 +ellps=GRS80 +towgs84=0,0,0 +units=m +no_defs",
            Crs::Ykj => "+proj=tmerc +lat_0=0 +lon_0=27 +k=1 +x_0=3500000 +y_0=0 +ellps=intl +towgs84=-96.062,-82.428,-121.753,4.801,0.345,-1.376,1.496 +units=m +no_defs",
        }
    }
}

/// The decimals that print a coordinate of EPSG `code` to a millimetre or finer: 3 for the
/// metre-based systems storenet knows (3067, 2393), 9 for every other code. In degrees the 9th
/// decimal is 0.11 mm of latitude (1° is at most 111.7 km), so rounding moves a point at most
/// 0.06 mm; for a metre-based code only PROJ knows, 9 decimals are finer than needed, never coarser.
///
/// ```
/// assert_eq!(storenet::crs::millimetre_decimals(3067), 3);
/// assert_eq!(storenet::crs::millimetre_decimals(4326), 9);
/// ```
pub fn millimetre_decimals(code: u32) -> usize {
    match Crs::from_epsg(code) {
        Ok(Crs::Tm35Fin | Crs::Ykj) => 3,
        _ => 9,
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

/// A library that carries out coordinate transformations between EPSG codes.
///
/// Callers use the functions of this module, which check inputs and results; a backend only
/// computes. x is longitude or easting, y latitude or northing; degrees or metres.
pub trait Backend: Sync {
    /// A short name for messages and benchmarks.
    fn name(&self) -> &'static str;

    /// Transforms `input` from EPSG `from` to EPSG `to` into `output` (same length).
    ///
    /// Fails with [`CrsError::Unsupported`] or [`CrsError::NoOperation`] when the pair cannot be
    /// set up, and with [`CrsError::AtIndex`] (index into `input`) when the library refuses a
    /// point. On error the contents of `output` are unspecified.
    fn transform_into(
        &self,
        from: u32,
        to: u32,
        input: &[(f64, f64)],
        output: &mut [(f64, f64)],
    ) -> Result<(), CrsError>;
}

/// Transforms one point from `from` to `to`. Degrees for WGS84 (x = lon, y = lat), metres otherwise.
pub fn transform(from: Crs, to: Crs, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
    transform_with(DEFAULT_BACKEND, from.epsg(), to.epsg(), x, y)
}

/// Transforms one point between EPSG codes: the three of [`Crs`] in every build, any code PROJ
/// knows under the cargo feature `proj`. Axis order is always x = longitude / easting.
pub fn transform_epsg(from: u32, to: u32, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
    transform_with(DEFAULT_BACKEND, from, to, x, y)
}

/// Transforms one point between EPSG codes with a chosen backend.
pub fn transform_with(
    backend: &dyn Backend,
    from: u32,
    to: u32,
    x: f64,
    y: f64,
) -> Result<(f64, f64), CrsError> {
    let mut point = [(x, y)];
    transform_chunk(backend, from, to, &mut point).map_err(CrsError::single)?;
    Ok(point[0])
}

/// Transforms many points in place, in parallel (rayon), with the build's default backend.
///
/// Built for planning grids of millions of points. The slice is processed in chunks of 16,384
/// points; a chunk is written back only when every point in it transformed to finite values. On
/// error the batch stops, the error ([`CrsError::AtIndex`]) names the lowest failing index, and the
/// slice may hold a mix of transformed and untransformed chunks: keep a copy if you need the input.
pub fn transform_many(from: Crs, to: Crs, points: &mut [(f64, f64)]) -> Result<(), CrsError> {
    transform_many_with(DEFAULT_BACKEND, from.epsg(), to.epsg(), points)
}

/// [`transform_many`] between EPSG codes (any code PROJ knows under the feature `proj`).
pub fn transform_many_epsg(from: u32, to: u32, points: &mut [(f64, f64)]) -> Result<(), CrsError> {
    transform_many_with(DEFAULT_BACKEND, from, to, points)
}

/// [`transform_many`] between EPSG codes with a chosen backend.
pub fn transform_many_with(
    backend: &dyn Backend,
    from: u32,
    to: u32,
    points: &mut [(f64, f64)],
) -> Result<(), CrsError> {
    let results: Vec<Result<(), CrsError>> = points
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(i, chunk)| {
            transform_chunk(backend, from, to, chunk).map_err(|e| e.shifted(i * CHUNK))
        })
        .collect();
    results.into_iter().collect()
}

/// Transforms one chunk, all or nothing: inputs checked, results checked, then written back.
fn transform_chunk(
    backend: &dyn Backend,
    from: u32,
    to: u32,
    points: &mut [(f64, f64)],
) -> Result<(), CrsError> {
    if let Some(i) = points
        .iter()
        .position(|(x, y)| !x.is_finite() || !y.is_finite())
    {
        let (x, y) = points[i];
        return Err(CrsError::NonFiniteInput { from, to, x, y }.at(i));
    }
    let mut out = vec![(0.0, 0.0); points.len()];
    backend.transform_into(from, to, points, &mut out)?;
    if let Some(i) = out
        .iter()
        .position(|(x, y)| !x.is_finite() || !y.is_finite())
    {
        let (x, y) = points[i];
        return Err(CrsError::NonFiniteResult { from, to, x, y }.at(i));
    }
    points.copy_from_slice(&out);
    Ok(())
}

/// Projects a WGS84 position into `to` (metres for 3067 and 2393).
pub fn from_wgs84(to: Crs, p: LonLat) -> Result<(f64, f64), CrsError> {
    transform(Crs::Wgs84, to, p.lon(), p.lat())
}

/// Unprojects a point in `from` to a validated WGS84 position.
pub fn to_wgs84(from: Crs, x: f64, y: f64) -> Result<LonLat, CrsError> {
    let (lon, lat) = transform(from, Crs::Wgs84, x, y)?;
    LonLat::new(lon, lat).map_err(|e| CrsError::Transform {
        from: from.epsg(),
        to: 4326,
        x,
        y,
        reason: e.to_string(),
    })
}
