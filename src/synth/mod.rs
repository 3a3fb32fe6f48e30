//! The deterministic generator of the bundled data set from real Finnish geography.
//!
//! Outlets, the household grid and the offers are SYNTHETIC: no real outlet list or population grid
//! can be had offline. They are placed on real geography (municipal centres with their
//! populations, GeoNames places, the Finland outline; see `data/sources/`) by seeded random draws
//! (`ChaCha8Rng`), so the same seed always gives the same bytes. Nothing here reads the clock, and
//! every collection that decides an order is a `Vec` or a `BTreeMap`.
//!
//! ```no_run
//! let set = storenet::synth::generate(&storenet::synth::Settings::default()).unwrap();
//! storenet::synth::write_dir(std::path::Path::new("data"), &set).unwrap();
//! ```

mod chains;
mod households;
mod ledger;
mod map;
mod naming;
mod offers;
mod outlets;
mod sources;

pub use chains::ChainSpec;
pub use households::Cell;
pub use ledger::{CardRow, Demo, PurchaseRow, DEMO_HOUSEHOLDS, DEMO_MONTH, FIRST_HOUSEHOLD};
pub use map::render_map;
pub use offers::OfferRow;
pub use outlets::OutletRow;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The seed of the committed data set.
pub const DEFAULT_SEED: u64 = 2026;

/// The day offers are generated around (the committed data set's "today"). A constant, never the
/// clock, so that output is reproducible.
pub const REFERENCE_DATE: (i32, u32, u32) = (2026, 11, 23);

/// K-Plussa households in the grid (2011: about 2.2 million).
pub const TOTAL_HOUSEHOLDS: u64 = 2_200_000;

/// Why generation or writing failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A bundled source file is malformed (a broken checkout).
    #[error("{file}:{line}: {reason}")]
    Source {
        /// The source file.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A coordinate transformation failed.
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
    /// No point on land could be found near a place (the outline and sources disagree).
    #[error("no land within reach of {place} ({lon:.5}, {lat:.5})")]
    NoLand {
        /// The place.
        place: String,
        /// Its longitude.
        lon: f64,
        /// Its latitude.
        lat: f64,
    },
    /// Writing an output file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Drawing the map failed.
    #[error("drawing the map {path}: {reason}")]
    Map {
        /// The PNG file.
        path: PathBuf,
        /// What plotters said.
        reason: String,
    },
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The random seed; [`DEFAULT_SEED`] reproduces the committed files.
    pub seed: u64,
    /// The day offers' validity windows are placed around.
    pub reference_date: NaiveDate,
}

impl Default for Settings {
    fn default() -> Self {
        let (y, m, d) = REFERENCE_DATE;
        Settings {
            seed: DEFAULT_SEED,
            // A fixed valid calendar date.
            reference_date: NaiveDate::from_ymd_opt(y, m, d).expect("valid reference date"),
        }
    }
}

/// The generated data set, ready to be written.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Rows of `chains.csv`.
    pub chains: Vec<ChainSpec>,
    /// Rows of `outlets.csv`, ids 1..=N in order.
    pub outlets: Vec<OutletRow>,
    /// Rows of `households_1km.csv`, sorted by y then x.
    pub cells: Vec<Cell>,
    /// Rows of `offers.csv`.
    pub offers: Vec<OfferRow>,
    /// The ledger demo: `ledger/cards.csv` and `ledger/purchases-2026-10.csv`.
    pub demo: Demo,
}

/// One random stream per stage, so a change in one stage leaves the others' draws alone.
fn stage_rng(seed: u64, stage: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ stage.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Generates the whole data set for `settings`.
pub fn generate(settings: &Settings) -> Result<DataSet, SynthError> {
    let geo = sources::Geography::load()?;
    let chains = chains::all();
    let outlets = outlets::generate(&geo, &mut stage_rng(settings.seed, 1))?;
    let cells = households::generate(&geo, &mut stage_rng(settings.seed, 2))?;
    let offers = offers::generate(
        &chains,
        &outlets,
        settings.reference_date,
        &mut stage_rng(settings.seed, 3),
    );
    let demo = ledger::generate(&outlets, &mut stage_rng(settings.seed, 4));
    Ok(DataSet {
        chains,
        outlets,
        cells,
        offers,
        demo,
    })
}

/// The files [`write_dir`] writes, in order (paths relative to the output directory).
pub const FILES: [&str; 7] = [
    "chains.csv",
    "outlets.csv",
    "households_1km.csv",
    "offers.csv",
    "finland.geojson",
    "ledger/cards.csv",
    "ledger/purchases-2026-10.csv",
];

/// Writes the data set's CSV files and the outline into `dir` (created if missing), each
/// atomically: a temporary file in the same directory renamed over the target.
pub fn write_dir(dir: &Path, set: &DataSet) -> Result<(), SynthError> {
    std::fs::create_dir_all(dir).map_err(|source| SynthError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    write_atomic(&dir.join(FILES[0]), &chains::to_csv(&set.chains))?;
    write_atomic(&dir.join(FILES[1]), &outlets::to_csv(&set.outlets))?;
    write_atomic(&dir.join(FILES[2]), &households::to_csv(&set.cells))?;
    write_atomic(&dir.join(FILES[3]), &offers::to_csv(&set.offers))?;
    write_atomic(
        &dir.join(FILES[4]),
        crate::finland::OUTLINE_GEOJSON.as_bytes(),
    )?;
    let ledger_dir = dir.join("ledger");
    std::fs::create_dir_all(&ledger_dir).map_err(|source| SynthError::Io {
        path: ledger_dir.clone(),
        source,
    })?;
    write_atomic(&dir.join(FILES[5]), &ledger::cards_csv(&set.demo))?;
    debug_assert_eq!(FILES[6], format!("ledger/{}", ledger::purchases_file()));
    write_atomic(&dir.join(FILES[6]), &ledger::purchases_csv(&set.demo))?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary sibling file and a rename, so a reader never
/// sees a half-written file and a failure leaves the old file in place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Serialises rows with the csv crate into bytes (LF line ends, minimal quoting).
fn csv_bytes<R: serde::Serialize>(rows: &[R]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in rows {
        // Serialising plain structs of strings and numbers into memory cannot fail.
        w.serialize(r).expect("in-memory CSV serialisation");
    }
    w.into_inner().expect("in-memory CSV flush")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing").join("x.csv");
        assert!(matches!(
            write_atomic(&target, b"a"),
            Err(SynthError::Io { .. })
        ));
        let ok = dir.path().join("x.csv");
        write_atomic(&ok, b"old").unwrap();
        write_atomic(&ok, b"new").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
