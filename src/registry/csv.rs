//! Reading chains and outlets from CSV: header-driven, BOM and CRLF tolerant, every bad row reported.

use super::error::{LoadError, Location, RowError};
use super::validate::{self, Raw};
use crate::model::text::{rules, TextProblem};
use crate::model::{Chain, ChainId, Outlet};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A CSV file read into trimmed string fields, with the header's column positions.
pub(crate) struct Table {
    /// Column name → position.
    pub columns: HashMap<String, usize>,
    /// The header's names in order (for naming the fields of short rows).
    pub header: Vec<String>,
    /// Rows with the right number of fields, with their 1-based line.
    pub rows: Vec<(u64, Vec<String>)>,
    /// Rows that could not be read (wrong field count, bad UTF-8).
    pub errors: Vec<RowError>,
}

impl Table {
    /// Fails with a header error unless every `required` column is present.
    pub fn require(&self, path: &Path, required: &[&str]) -> Result<(), LoadError> {
        match required.iter().find(|c| !self.columns.contains_key(**c)) {
            Some(c) => Err(LoadError::Header(RowError::new(
                path,
                Location::Line(1),
                Some(c),
                format!("missing column in header (have: {})", self.header.join(",")),
            ))),
            None => Ok(()),
        }
    }

    /// The value of `column` in `row` ("" if the column is absent).
    pub fn get<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|&i| row.get(i))
            .map_or("", String::as_str)
    }
}

/// Reads a CSV file. A UTF-8 BOM is dropped, CRLF and LF line ends both work, fields are trimmed.
pub(crate) fn read_table(path: &Path) -> Result<Table, LoadError> {
    let bytes = super::read_bounded(path)?;
    let body = crate::csvin::normalise(&bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
            reason: "the file is empty: expected a header line and at least one row".into(),
        });
    }
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(&*body);
    let csv_err = |e: ::csv::Error| LoadError::Csv {
        path: path.to_path_buf(),
        line: crate::csvin::record_line(&body, e.position()),
        reason: e.to_string(),
    };
    let mut records = rdr.byte_records();
    let header_rec = match records.next() {
        Some(r) => r.map_err(csv_err)?,
        None => {
            return Err(LoadError::Empty {
                path: path.to_path_buf(),
                reason: "the file is empty: expected a header line and at least one row".into(),
            })
        }
    };
    let header: Vec<String> = header_rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let mut columns = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if columns.insert(name.clone(), i).is_some() {
            return Err(LoadError::Header(RowError::new(
                path,
                Location::Line(1),
                Some(name),
                "column appears twice in the header",
            )));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (n, rec) in records.enumerate() {
        let rec = rec.map_err(csv_err)?;
        let line = crate::csvin::record_line(&body, rec.position());
        if n >= super::MAX_IMPORT_ROWS {
            return Err(LoadError::TooLarge {
                path: path.to_path_buf(),
                reason: format!(
                    "more than {} rows (line {line} is past the limit); split the file",
                    super::MAX_IMPORT_ROWS
                ),
            });
        }
        if rec.len() != header.len() {
            let reason = format!(
                "row has {} fields, the header has {}",
                rec.len(),
                header.len()
            );
            // Name the first missing column of a short row; a long row has no field to name.
            let field = header.get(rec.len()).filter(|_| rec.len() < header.len());
            errors.push(RowError::new(
                path,
                Location::Line(line),
                field.map(String::as_str),
                reason,
            ));
            continue;
        }
        let mut fields = Vec::with_capacity(rec.len());
        let mut utf8_ok = true;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.to_string()),
                Err(_) => {
                    errors.push(RowError::new(
                        path,
                        Location::Line(line),
                        Some(&header[i]),
                        "not valid UTF-8 (save the file as UTF-8)",
                    ));
                    utf8_ok = false;
                }
            }
        }
        if utf8_ok {
            rows.push((line, fields));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
            reason: "no rows after the header".into(),
        });
    }
    Ok(Table {
        columns,
        header,
        rows,
        errors,
    })
}

const CHAIN_COLUMNS: [&str; 6] = ["id", "name", "category", "k_group", "colour", "icon"];

/// Reads `chains.csv` (`id,name,category,k_group,colour,icon`); any bad row fails the whole file
/// with every problem listed.
pub fn read_chains(path: &Path) -> Result<Vec<Chain>, LoadError> {
    let table = read_table(path)?;
    table.require(path, &CHAIN_COLUMNS)?;
    let mut errors = table.errors.clone();
    let mut chains = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<ChainId, u64> = HashMap::new();
    for (line, row) in &table.rows {
        let mut bad = |field: &str, reason: String| {
            errors.push(RowError::new(
                path,
                Location::Line(*line),
                Some(field),
                reason,
            ))
        };
        let get = |c: &str| table.get(row, c);
        for c in CHAIN_COLUMNS {
            if get(c).is_empty() {
                bad(c, "required field is empty".into());
            }
        }
        let id = ChainId::new(get("id")).map_err(|e| e.to_string());
        let category = get("category")
            .parse()
            .map_err(|e: crate::model::ModelError| e.to_string());
        let k_group = match get("k_group") {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(format!("expected `true` or `false`, found `{other}`")),
        };
        let colour = get("colour")
            .parse()
            .map_err(|e: crate::model::ModelError| e.to_string());
        let icon = rules::CHAIN_ICON
            .clean(get("icon"))
            .map_err(|e| match e.problem {
                TextProblem::TooLong { .. } => {
                    format!("expected one letter, found `{}`", get("icon"))
                }
                _ => e.to_string(),
            })
            .map(|s| s.chars().next().unwrap_or(' '));
        let name = rules::CHAIN_NAME
            .clean(get("name"))
            .map_err(|e| e.to_string());
        match (id, category, k_group, colour, icon, name) {
            (Ok(id), Ok(category), Ok(k_group), Ok(colour), Ok(icon), Ok(name)) => {
                if let Some(first) = seen.insert(id.clone(), *line) {
                    bad(
                        "id",
                        format!("duplicate chain id `{id}` (first on line {first})"),
                    );
                    continue;
                }
                chains.push(Chain {
                    id,
                    name,
                    category,
                    k_group,
                    colour,
                    icon,
                });
            }
            (id, category, k_group, colour, icon, name) => {
                // Empty fields were reported above; report only the other parse failures.
                for (field, r) in [
                    ("id", id.err()),
                    ("name", name.err()),
                    ("category", category.err()),
                    ("k_group", k_group.err()),
                    ("colour", colour.err()),
                    ("icon", icon.err()),
                ] {
                    if let Some(r) = r.filter(|_| !get(field).is_empty()) {
                        bad(field, r);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(chains)
    } else {
        errors.sort_by_key(|e| e.line());
        Err(LoadError::Invalid { errors })
    }
}

/// Reads an outlets CSV (`id,name,chain,kind,street,postal_code,city,municipality,` then `lat,lon`
/// or `x,y,crs`, then `phone,opening_hours,services`), validating every row but not the chain ids
/// (see [`super::load`] for that); any bad row fails the whole file with every problem listed.
pub fn read_outlets(path: &Path) -> Result<Vec<Outlet>, LoadError> {
    let (outlets, errors) = read_outlets_checked(path, None)?;
    if errors.is_empty() {
        Ok(outlets)
    } else {
        Err(LoadError::Invalid { errors })
    }
}

/// The good outlets and the errors of the bad rows; `chains` (if given) are the known chain ids.
pub(crate) fn read_outlets_checked(
    path: &Path,
    chains: Option<&HashSet<ChainId>>,
) -> Result<(Vec<Outlet>, Vec<RowError>), LoadError> {
    let table = read_table(path)?;
    let coords = validate::coordinate_columns(&table, path)?;
    table.require(path, &validate::REQUIRED_COLUMNS)?;
    let raws = table.rows.iter().map(|(line, row)| Raw {
        at: Location::Line(*line),
        values: table
            .header
            .iter()
            .cloned()
            .zip(row.iter().cloned())
            .collect(),
        point: None,
    });
    let (outlets, mut errors) = validate::outlets(path, raws, coords, chains);
    errors.extend(table.errors.iter().cloned());
    errors.sort_by_key(|e| e.line());
    Ok((outlets, errors))
}
