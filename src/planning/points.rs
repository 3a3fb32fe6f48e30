//! Small points files: municipal centres, site candidates, competitors.

use super::PlanError;
use crate::model::{LonLat, MunicipalityCode};
use std::path::Path;

/// A municipality and its centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// The code.
    pub code: MunicipalityCode,
    /// The name.
    pub name: String,
    /// The centre, WGS84.
    pub centre: LonLat,
}

/// A competitor's outlet for the Huff model.
#[derive(Debug, Clone, PartialEq)]
pub struct Competitor {
    /// Name or label.
    pub name: String,
    /// Position, WGS84.
    pub location: LonLat,
    /// Attractiveness (same scale as chain formats; 1 = a neighbourhood store).
    pub attractiveness: f64,
}

struct Table {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

fn read(path: &Path) -> Result<Table, PlanError> {
    let text = crate::csvin::read(path).map_err(|source| PlanError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_slice());
    let e = |e: csv::Error| PlanError::BadField {
        path: path.to_path_buf(),
        line: crate::csvin::record_line(&text, e.position()),
        field: "-".into(),
        reason: e.to_string(),
    };
    let header = r
        .headers()
        .map_err(e)?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(e)?;
        let line = crate::csvin::record_line(&text, rec.position());
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(Table { header, rows })
}

impl Table {
    fn col(&self, path: &Path, names: &[&str]) -> Result<usize, PlanError> {
        self.header
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .ok_or_else(|| PlanError::BadField {
                path: path.to_path_buf(),
                line: 1,
                field: names[0].into(),
                reason: format!("missing column (header: {})", self.header.join(",")),
            })
    }
}

fn bad(path: &Path, line: u64, field: &str, reason: impl std::fmt::Display) -> PlanError {
    PlanError::BadField {
        path: path.to_path_buf(),
        line,
        field: field.into(),
        reason: reason.to_string(),
    }
}

fn lonlat(path: &Path, t: &Table, line: u64, row: &[String]) -> Result<LonLat, PlanError> {
    let (lo, la) = (
        t.col(path, &["lon", "longitude"])?,
        t.col(path, &["lat", "latitude"])?,
    );
    let num = |i: usize, f: &str| {
        row[i]
            .parse::<f64>()
            .map_err(|_| bad(path, line, f, format!("`{}` is not a number", row[i])))
    };
    LonLat::new(num(lo, "lon")?, num(la, "lat")?).map_err(|e| bad(path, line, "lat", e))
}

/// Reads `kunta,name,lon,lat[,population]` (the bundled `fi_municipality_centres.csv`).
pub fn read_municipality_centres(path: &Path) -> Result<Vec<Municipality>, PlanError> {
    let t = read(path)?;
    let (k, n) = (
        t.col(path, &["kunta", "code", "municipality"])?,
        t.col(path, &["name"])?,
    );
    t.rows
        .iter()
        .map(|(line, row)| {
            Ok(Municipality {
                code: row[k].parse().map_err(|e| bad(path, *line, "kunta", e))?,
                name: row[n].clone(),
                centre: lonlat(path, &t, *line, row)?,
            })
        })
        .collect()
}

/// Reads site candidates: a CSV with `lat,lon` columns (others ignored).
pub fn read_candidates(path: &Path) -> Result<Vec<LonLat>, PlanError> {
    let t = read(path)?;
    let v: Vec<LonLat> = t
        .rows
        .iter()
        .map(|(line, row)| lonlat(path, &t, *line, row))
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(bad(path, 1, "lat", "no candidates in the file"));
    }
    Ok(v)
}

/// Reads competitors: `name,lat,lon[,attractiveness]` (attractiveness defaults to 1).
pub fn read_competitors(path: &Path) -> Result<Vec<Competitor>, PlanError> {
    let t = read(path)?;
    let name = t.col(path, &["name"]).ok();
    let attr = t.col(path, &["attractiveness", "weight"]).ok();
    t.rows
        .iter()
        .map(|(line, row)| {
            let attractiveness = match attr {
                Some(i) => match row[i].parse::<f64>() {
                    Ok(a) if a.is_finite() && a > 0.0 => a,
                    _ => return Err(bad(path, *line, "attractiveness", "must be a number > 0")),
                },
                None => 1.0,
            };
            Ok(Competitor {
                name: name.map_or_else(String::new, |i| row[i].clone()),
                location: lonlat(path, &t, *line, row)?,
                attractiveness,
            })
        })
        .collect()
}
