//! The PROJ backend (cargo feature `proj`): the C library through the `proj` crate.

use super::{Backend, CrsError};
use std::cell::RefCell;
use std::collections::HashMap;

/// The real PROJ library: any EPSG code in PROJ's database, with the operation PROJ ranks best
/// among those whose grids are installed.
///
/// PROJ fetches grids only when the environment says `PROJ_NETWORK=ON`; storenet never sets it.
/// With NLS Finland's `fi_nls_ykj_etrs35fin.json` triangulation present (installed or fetched),
/// PROJ prefers it for 3067 ⇄ 2393, which differs from the Helmert of [`super::Proj4rs`] by up to
/// decimetres; the agreement tests assume Debian's stock `proj-data`, which lacks it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LibProj;

thread_local! {
    // A `proj::Proj` owns a PROJ context, which must not be shared between threads (the type is
    // neither Send nor Sync); building one reads PROJ's SQLite database and takes milliseconds,
    // so each thread keeps the pairs it has used.
    static CACHE: RefCell<HashMap<(u32, u32), proj::Proj>> = RefCell::new(HashMap::new());
}

/// Runs `f` with the cached PROJ transformation from `from` to `to`, creating it on first use.
fn with_proj<T>(
    from: u32,
    to: u32,
    f: impl FnOnce(&proj::Proj) -> Result<T, CrsError>,
) -> Result<T, CrsError> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let pj = match cache.entry((from, to)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                // `new_known_crs` normalises axis order for visualisation: EPSG:4326 then takes
                // (lon, lat) and 2393 (easting, northing), as the rest of storenet expects.
                let pj =
                    proj::Proj::new_known_crs(&format!("EPSG:{from}"), &format!("EPSG:{to}"), None)
                        .map_err(|e| CrsError::NoOperation {
                            from,
                            to,
                            reason: e.to_string(),
                        })?;
                e.insert(pj)
            }
        };
        f(pj)
    })
}

impl Backend for LibProj {
    fn name(&self) -> &'static str {
        "PROJ"
    }

    fn transform_into(
        &self,
        from: u32,
        to: u32,
        input: &[(f64, f64)],
        output: &mut [(f64, f64)],
    ) -> Result<(), CrsError> {
        with_proj(from, to, |pj| {
            output.copy_from_slice(input);
            if pj.convert_array(output).is_ok() {
                return Ok(());
            }
            // The array call says only that something failed; find the point and PROJ's reason.
            for (i, &(x, y)) in input.iter().enumerate() {
                match pj.convert((x, y)) {
                    Ok(p) => output[i] = p,
                    Err(e) => {
                        return Err(CrsError::Transform {
                            from,
                            to,
                            x,
                            y,
                            reason: e.to_string(),
                        }
                        .at(i))
                    }
                }
            }
            Ok(())
        })
    }
}
