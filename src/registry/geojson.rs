//! Reading outlets from GeoJSON: a FeatureCollection of Point features (WGS84 lon/lat, RFC 7946)
//! whose properties carry the CSV column names.
//!
//! Parsed with `serde_json` values rather than the `geojson` crate's types so that one bad
//! feature is reported by index and property while the others are still checked.

use super::error::{LoadError, Location, RowError};
use super::validate::{self, Coords, Raw};
use crate::model::{ChainId, Outlet};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

fn header_error(path: &Path, line: u64, reason: String) -> LoadError {
    LoadError::Header(RowError::new(path, Location::Line(line), None, reason))
}

/// The good outlets and the errors of the bad features; `chains` (if given) are the known ids.
pub(crate) fn read_outlets_checked(
    path: &Path,
    chains: Option<&HashSet<ChainId>>,
) -> Result<(Vec<Outlet>, Vec<RowError>), LoadError> {
    let bytes = super::read_bounded(path)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
            reason: "the file is empty: expected a GeoJSON FeatureCollection".into(),
        });
    }
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| header_error(path, e.line() as u64, format!("not valid JSON: {e}")))?;
    let features = match (doc.get("type").and_then(Value::as_str), doc.get("features")) {
        (Some("FeatureCollection"), Some(Value::Array(f))) => f,
        _ => {
            return Err(header_error(
                path,
                1,
                "expected a GeoJSON FeatureCollection with a `features` array".into(),
            ))
        }
    };
    if features.len() > super::MAX_IMPORT_ROWS {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "{} features, more than {}; split the file",
                features.len(),
                super::MAX_IMPORT_ROWS
            ),
        });
    }
    if features.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
            reason: "the FeatureCollection has no features".into(),
        });
    }
    let mut errors = Vec::new();
    let mut raws = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let at = Location::Feature(i);
        let mut values = HashMap::new();
        match f.get("properties") {
            Some(Value::Object(props)) => {
                for (k, v) in props {
                    match property_text(v) {
                        Some(s) => {
                            values.insert(k.clone(), s);
                        }
                        None => errors.push(RowError::new(
                            path,
                            at.clone(),
                            Some(k),
                            "expected a string, number or list of strings",
                        )),
                    }
                }
            }
            _ => {
                errors.push(RowError::new(
                    path,
                    at.clone(),
                    None,
                    "not a Feature with a `properties` object",
                ));
                continue;
            }
        }
        // RFC 7946 lets a feature carry its id outside `properties`.
        if !values.contains_key("id") {
            if let Some(id) = f.get("id").and_then(property_text) {
                values.insert("id".into(), id);
            }
        }
        raws.push(Raw {
            at,
            values,
            point: Some(point(f.get("geometry"))),
        });
    }
    let (outlets, mut more) = validate::outlets(path, raws.into_iter(), Coords::Geometry, chains);
    errors.append(&mut more);
    errors.sort_by_key(|e| match e.at {
        Location::Feature(i) => i,
        Location::Line(_) => 0,
    });
    Ok((outlets, errors))
}

fn property_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // A list of service tags.
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(";")),
        Value::Object(_) => None,
    }
}

fn point(geometry: Option<&Value>) -> Result<(f64, f64), String> {
    let g = match geometry {
        None | Some(Value::Null) => return Err("missing: expected a Point".into()),
        Some(g) => g,
    };
    match g.get("type").and_then(Value::as_str) {
        Some("Point") => {}
        Some(other) => return Err(format!("expected a Point, found a {other}")),
        None => return Err("expected a Point geometry with a `type`".into()),
    }
    let c = g
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or("Point has no `coordinates` array")?;
    match (
        c.first().and_then(Value::as_f64),
        c.get(1).and_then(Value::as_f64),
    ) {
        (Some(lon), Some(lat)) if c.len() <= 3 => Ok((lon, lat)),
        _ => Err("expected `coordinates` [lon, lat] as numbers".into()),
    }
}
