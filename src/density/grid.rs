//! Loading household grids: ours (`x,y,households,cardholders`) and Statistics Finland's
//! (`grd_id,xkoord,ykoord,vaesto`, 1 km or 250 m), in EPSG:3067, WGS84 or YKJ.

use super::privacy::{CellKey, KeySecret, Tally};
use super::{Count, DensityError};
use crate::crs::{self, Crs};
use crate::model::{LonLat, MunicipalityCode};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Persons per household used when a grid gives population (`vaesto`) but no households.
///
/// Finland's household-dwelling units averaged about two persons in the 2010s–2020s (Statistics
/// Finland reports 1.9–2.1); the default is ours, configurable.
pub const PERSONS_PER_HOUSEHOLD: f64 = 2.0;

/// Cardholders per household used when a grid has no `cardholders` column: 3.6 million
/// cardholders in about 2 million households (K-Plussa 2008) is 1.8 per card-holding household,
/// and 84% of households hold a card (2011), so about 1.5 per household. Our default, documented.
pub const CARDHOLDERS_PER_HOUSEHOLD: f64 = 1.5;

/// How to read a grid file.
#[derive(Debug, Clone)]
pub struct GridOptions {
    /// The CRS of the coordinates; `None` recognises it from the columns and values.
    pub crs: Option<Crs>,
    /// Cell size in metres; `None` takes it from `grd_id` (`1kmN…`, `250mN…`) or 1000.
    pub cell_size_m: Option<u32>,
    /// Persons per household for population-only grids (default [`PERSONS_PER_HOUSEHOLD`]).
    pub persons_per_household: f64,
    /// Cardholders per household when the grid has none (default [`CARDHOLDERS_PER_HOUSEHOLD`]).
    pub cardholders_per_household: f64,
    /// The secret the cells' keys derive from: the database's
    /// ([`crate::density::secret::load_or_create`]) for every grid whose figures are published.
    pub key_secret: KeySecret,
}

impl GridOptions {
    /// The defaults, with the cells' keys derived from `key_secret`. There is no default secret:
    /// a grid loaded with one anyone can compute would publish figures whose noise anyone can
    /// take off.
    pub fn new(key_secret: KeySecret) -> Self {
        GridOptions {
            crs: None,
            cell_size_m: None,
            persons_per_household: PERSONS_PER_HOUSEHOLD,
            cardholders_per_household: CARDHOLDERS_PER_HOUSEHOLD,
            key_secret,
        }
    }
}

/// One grid cell with households.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// South-west corner, EPSG:3067 easting, metres.
    pub x: i64,
    /// South-west corner, EPSG:3067 northing, metres.
    pub y: i64,
    households: u32,
    cardholders: u32,
    household_key: CellKey,
    cardholder_key: CellKey,
    /// Municipality code when the grid file carries one.
    pub municipality: Option<MunicipalityCode>,
    /// Centre of the cell, WGS84.
    pub centre: LonLat,
}

impl Cell {
    /// Households in the cell, perturbed and behind the privacy floor.
    pub fn households(&self) -> Count {
        self.tally().households()
    }

    /// Cardholders in the cell, perturbed and behind the privacy floor.
    pub fn cardholders(&self) -> Count {
        self.tally().cardholders()
    }

    /// The cell's counts and keys, to add into the tally of a set of cells.
    pub fn tally(&self) -> Tally {
        Tally {
            households: self.households as u64,
            cardholders: self.cardholders as u64,
            household_key: self.household_key,
            cardholder_key: self.cardholder_key,
        }
    }

    pub(crate) fn hh(&self) -> u64 {
        self.households as u64
    }
}

/// A household density grid: cells with at least one household, in EPSG:3067 metres.
#[derive(Debug, Clone)]
pub struct Grid {
    cells: Vec<Cell>,
    cell_size_m: u32,
    source: PathBuf,
}

/// Recognised column names, ours first, then Statistics Finland's.
const X_COLS: &[&str] = &["x", "xkoord", "euref_x", "easting"];
const Y_COLS: &[&str] = &["y", "ykoord", "euref_y", "northing"];
const LON_COLS: &[&str] = &["lon", "longitude"];
const LAT_COLS: &[&str] = &["lat", "latitude"];
const HH_COLS: &[&str] = &["households", "te_taly", "taloudet"];
const POP_COLS: &[&str] = &["vaesto", "population", "he_vakiy"];
const CH_COLS: &[&str] = &["cardholders"];
const MUNI_COLS: &[&str] = &["municipality", "kunta", "kuntakoodi"];
const ID_COLS: &[&str] = &["grd_id", "nro"];

impl Grid {
    /// Builds a grid from cells (for tests and synthetic instances); zero-household cells dropped.
    /// The cell keys derive from [`KeySecret::public_for_synthetic_grids`], so its figures'
    /// perturbations are public: never use it for real households.
    pub fn from_cells(
        cells: impl IntoIterator<Item = (i64, i64, u32, u32)>,
        cell_size_m: u32,
    ) -> Result<Grid, DensityError> {
        let source = PathBuf::from("<memory>");
        let raw: Vec<Raw> = cells
            .into_iter()
            .map(|(x, y, h, c)| Raw {
                x: x as f64,
                y: y as f64,
                households: h,
                cardholders: c,
                municipality: None,
            })
            .collect();
        let secret = KeySecret::public_for_synthetic_grids();
        build(&source, raw, Crs::Tm35Fin, cell_size_m, true, &secret)
    }

    /// Loads a grid CSV; see [`GridOptions`]. Errors name file, line and field.
    pub fn load(path: &Path, opts: &GridOptions) -> Result<Grid, DensityError> {
        if opts.persons_per_household.is_nan() || opts.persons_per_household <= 0.0 {
            return Err(DensityError::BadOption {
                option: "persons_per_household",
                reason: "must be > 0".into(),
            });
        }
        if opts.cardholders_per_household.is_nan() || opts.cardholders_per_household < 0.0 {
            return Err(DensityError::BadOption {
                option: "cardholders_per_household",
                reason: "must be ≥ 0".into(),
            });
        }
        let io = |source| DensityError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = crate::csvin::read(path).map_err(io)?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(bytes.as_slice());
        let csv_err = |e: csv::Error| DensityError::Csv {
            path: path.to_path_buf(),
            line: crate::csvin::record_line(&bytes, e.position()),
            reason: e.to_string(),
        };
        let header: Vec<String> = rdr
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        let missing = |wanted| DensityError::MissingColumn {
            path: path.to_path_buf(),
            wanted,
            header: header.join(","),
        };
        let (xi, yi, lonlat) = match (find(X_COLS), find(Y_COLS), find(LON_COLS), find(LAT_COLS)) {
            (Some(x), Some(y), _, _) => (x, y, false),
            (_, _, Some(x), Some(y)) => (x, y, true),
            _ => return Err(missing("coordinate (x,y / xkoord,ykoord / lon,lat)")),
        };
        let hh = find(HH_COLS);
        let pop = find(POP_COLS);
        if hh.is_none() && pop.is_none() {
            return Err(missing("households (or population `vaesto`)"));
        }
        let ch = find(CH_COLS);
        let muni = find(MUNI_COLS);
        let id = find(ID_COLS);

        let mut raw = Vec::new();
        let mut size_from_id: Option<u32> = None;
        for rec in rdr.records() {
            let rec = rec.map_err(csv_err)?;
            let line = crate::csvin::record_line(&bytes, rec.position());
            let bad = |col: usize, reason: String| DensityError::BadField {
                path: path.to_path_buf(),
                line,
                field: header[col].clone(),
                reason,
            };
            let num = |col: usize| -> Result<f64, DensityError> {
                let s = rec.get(col).unwrap_or("");
                match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(bad(col, format!("`{s}` is not a number"))),
                }
            };
            let count = |col: usize| -> Result<f64, DensityError> {
                let v = num(col)?;
                if v < 0.0 {
                    return Err(bad(col, format!("{v} is negative")));
                }
                if v > u32::MAX as f64 {
                    return Err(bad(col, format!("{v} is too large")));
                }
                Ok(v)
            };
            let households = match (hh, pop) {
                (Some(c), _) => count(c)?.round() as u32,
                (None, Some(c)) => (count(c)? / opts.persons_per_household).round() as u32,
                (None, None) => 0, // ruled out above
            };
            let cardholders = match ch {
                Some(c) => count(c)?.round() as u32,
                None => (households as f64 * opts.cardholders_per_household).round() as u32,
            };
            let municipality = match muni {
                Some(c) => {
                    let s = rec.get(c).unwrap_or("");
                    Some(
                        s.parse::<MunicipalityCode>()
                            .map_err(|e| bad(c, e.to_string()))?,
                    )
                }
                None => None,
            };
            if size_from_id.is_none() {
                if let Some(c) = id {
                    let s = rec.get(c).unwrap_or("").to_ascii_lowercase();
                    size_from_id = if s.starts_with("250m") {
                        Some(250)
                    } else if s.starts_with("1km") {
                        Some(1000)
                    } else if s.starts_with("5km") {
                        Some(5000)
                    } else {
                        None
                    };
                }
            }
            raw.push(Raw {
                x: num(xi)?,
                y: num(yi)?,
                households,
                cardholders,
                municipality,
            });
        }
        if raw.is_empty() {
            return Err(DensityError::Empty {
                path: path.to_path_buf(),
            });
        }
        let crs = match opts.crs {
            Some(c) => c,
            None if lonlat => Crs::Wgs84,
            None => detect_crs(path, raw[0].x, raw[0].y)?,
        };
        let size = opts.cell_size_m.or(size_from_id).unwrap_or(1000);
        if size == 0 {
            return Err(DensityError::BadOption {
                option: "cell_size_m",
                reason: "must be > 0".into(),
            });
        }
        check_range(path, crs, &raw)?;
        build(path, raw, crs, size, crs == Crs::Tm35Fin, &opts.key_secret)
    }

    /// The cells, in row-major order (south to north, west to east).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Cell size in metres.
    pub fn cell_size_m(&self) -> u32 {
        self.cell_size_m
    }

    /// Where the grid came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Total households, perturbed and behind the privacy floor.
    pub fn total_households(&self) -> Count {
        self.cells
            .iter()
            .map(Cell::tally)
            .sum::<Tally>()
            .households()
    }

    /// Total cardholders, perturbed and behind the privacy floor.
    pub fn total_cardholders(&self) -> Count {
        self.cells
            .iter()
            .map(Cell::tally)
            .sum::<Tally>()
            .cardholders()
    }

    /// Column and row index of a cell (easting / size, northing / size).
    pub fn col_row(&self, c: &Cell) -> (i64, i64) {
        let s = self.cell_size_m as i64;
        (c.x.div_euclid(s), c.y.div_euclid(s))
    }
}

struct Raw {
    x: f64,
    y: f64,
    households: u32,
    cardholders: u32,
    municipality: Option<MunicipalityCode>,
}

fn detect_crs(path: &Path, x: f64, y: f64) -> Result<Crs, DensityError> {
    if (-100_000.0..1_000_000.0).contains(&x) && (6_400_000.0..7_900_000.0).contains(&y) {
        Ok(Crs::Tm35Fin)
    } else if (3_000_000.0..3_900_000.0).contains(&x) && (6_500_000.0..7_900_000.0).contains(&y) {
        Ok(Crs::Ykj)
    } else if (15.0..35.0).contains(&x) && (55.0..72.0).contains(&y) {
        Ok(Crs::Wgs84)
    } else {
        Err(DensityError::UnknownCrs {
            path: path.to_path_buf(),
            reason: format!(
                "first cell at ({x}, {y}) fits neither EPSG:3067, EPSG:2393 nor WGS84 over Finland"
            ),
        })
    }
}

/// Rejects coordinates far outside Finland for the CRS, which means the CRS is wrong.
fn check_range(path: &Path, crs: Crs, raw: &[Raw]) -> Result<(), DensityError> {
    let ok = |r: &Raw| match crs {
        Crs::Wgs84 => (15.0..35.0).contains(&r.x) && (55.0..72.0).contains(&r.y),
        Crs::Tm35Fin => {
            (-200_000.0..1_100_000.0).contains(&r.x) && (6_300_000.0..8_000_000.0).contains(&r.y)
        }
        Crs::Ykj => {
            (2_900_000.0..4_000_000.0).contains(&r.x) && (6_300_000.0..8_000_000.0).contains(&r.y)
        }
    };
    match raw.iter().position(|r| !ok(r)) {
        None => Ok(()),
        Some(i) => Err(DensityError::UnknownCrs {
            path: path.to_path_buf(),
            reason: format!(
                "cell {} at ({}, {}) is not in Finland in {crs}",
                i + 1,
                raw[i].x,
                raw[i].y
            ),
        }),
    }
}

/// Snaps cells to the 3067 grid (corners as given for 3067; points elsewhere), merges duplicates,
/// drops empty cells, computes centres in WGS84.
fn build(
    path: &Path,
    raw: Vec<Raw>,
    crs: Crs,
    size: u32,
    corners: bool,
    secret: &KeySecret,
) -> Result<Grid, DensityError> {
    let s = size as f64;
    let snapped: Vec<Result<(i64, i64, &Raw), DensityError>> = raw
        .par_iter()
        .filter(|r| r.households > 0)
        .map(|r| {
            let (x, y) = if crs == Crs::Tm35Fin {
                (r.x, r.y)
            } else {
                crs::transform(crs, Crs::Tm35Fin, r.x, r.y).map_err(|e| {
                    DensityError::UnknownCrs {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    }
                })?
            };
            // Corners name their cell directly; points (cell centres in other CRSs) fall in it.
            let (x, y) = if corners {
                (x + s / 2.0, y + s / 2.0)
            } else {
                (x, y)
            };
            let col = (x / s).floor() as i64;
            let row = (y / s).floor() as i64;
            Ok((col, row, r))
        })
        .collect();
    let mut merged: HashMap<(i64, i64), (u32, u32, Option<MunicipalityCode>)> = HashMap::new();
    for item in snapped {
        let (col, row, r) = item?;
        let e = merged.entry((col, row)).or_insert((0, 0, r.municipality));
        e.0 = e.0.saturating_add(r.households);
        e.1 = e.1.saturating_add(r.cardholders);
    }
    if merged.is_empty() {
        return Err(DensityError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut keys: Vec<(i64, i64)> = merged.keys().copied().collect();
    keys.sort_by_key(|&(c, r)| (r, c));
    let si = size as i64;
    let cells: Result<Vec<Cell>, DensityError> = keys
        .par_iter()
        .map(|&(col, row)| {
            let (h, c, m) = merged[&(col, row)];
            let (x, y) = (col * si, row * si);
            let centre = crs::to_wgs84(Crs::Tm35Fin, x as f64 + s / 2.0, y as f64 + s / 2.0)
                .map_err(|e| DensityError::UnknownCrs {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            Ok(Cell {
                x,
                y,
                households: h,
                cardholders: c,
                household_key: secret.cell_key(b'h', x, y),
                cardholder_key: secret.cell_key(b'c', x, y),
                municipality: m,
                centre,
            })
        })
        .collect();
    Ok(Grid {
        cells: cells?,
        cell_size_m: size,
        source: path.to_path_buf(),
    })
}
