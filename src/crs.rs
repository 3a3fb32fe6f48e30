//! Coordinate reference systems: WGS84 (EPSG:4326) ⇄ ETRS-TM35FIN (EPSG:3067) ⇄ KKJ/YKJ (EPSG:2393).
//!
//! The default backend is the pure-Rust `proj4rs`; the cargo feature `proj` uses the real PROJ
//! library instead and also accepts any EPSG code.

use crate::model::LonLat;
use std::fmt;

/// Why a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// An EPSG code this build does not know.
    #[error("unsupported CRS EPSG:{0}: use 4326 (WGS84), 3067 (ETRS-TM35FIN) or 2393 (KKJ/YKJ)")]
    Unsupported(u32),
    /// The projection library refused the point.
    #[error("cannot transform ({x}, {y}) from EPSG:{from} to EPSG:{to}: {reason}")]
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
    /// The CRS for an EPSG code.
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

    /// The PROJ.4 definition used by the `proj4rs` backend.
    pub fn proj4(&self) -> &'static str {
        match self {
            Crs::Wgs84 => "+proj=longlat +datum=WGS84 +no_defs",
            Crs::Tm35Fin => "+proj=utm +zone=35 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            Crs::Ykj => "+proj=tmerc +lat_0=0 +lon_0=27 +k=1 +x_0=3500000 +y_0=0 +ellps=intl +towgs84=-96.062,-82.428,-121.753,4.801,0.345,-1.376,1.496 +units=m +no_defs",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

fn proj_of(crs: Crs) -> &'static proj4rs::Proj {
    use std::sync::LazyLock;
    // The definitions are constants that proj4rs parses; a failure is a bug caught by the tests.
    static WGS84: LazyLock<proj4rs::Proj> = LazyLock::new(|| {
        proj4rs::Proj::from_proj_string(Crs::Wgs84.proj4()).expect("valid WGS84 definition")
    });
    static TM35: LazyLock<proj4rs::Proj> = LazyLock::new(|| {
        proj4rs::Proj::from_proj_string(Crs::Tm35Fin.proj4()).expect("valid TM35FIN definition")
    });
    static YKJ: LazyLock<proj4rs::Proj> = LazyLock::new(|| {
        proj4rs::Proj::from_proj_string(Crs::Ykj.proj4()).expect("valid YKJ definition")
    });
    match crs {
        Crs::Wgs84 => &WGS84,
        Crs::Tm35Fin => &TM35,
        Crs::Ykj => &YKJ,
    }
}

/// Transforms one point from `from` to `to`. Degrees for WGS84 (x = lon, y = lat), metres otherwise.
pub fn transform(from: Crs, to: Crs, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
    if from == to {
        return Ok((x, y));
    }
    let err = |reason: String| CrsError::Transform {
        from: from.epsg(),
        to: to.epsg(),
        x,
        y,
        reason,
    };
    let mut p = if from == Crs::Wgs84 {
        (x.to_radians(), y.to_radians(), 0.0)
    } else {
        (x, y, 0.0)
    };
    proj4rs::transform::transform(proj_of(from), proj_of(to), &mut p)
        .map_err(|e| err(e.to_string()))?;
    let out = if to == Crs::Wgs84 {
        (p.0.to_degrees(), p.1.to_degrees())
    } else {
        (p.0, p.1)
    };
    if out.0.is_finite() && out.1.is_finite() {
        Ok(out)
    } else {
        Err(err("result is not finite".into()))
    }
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
