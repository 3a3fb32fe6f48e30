//! Reading chains and outlets from CSV.
//!
//! BASIC VERSION: the registry work adds the `x,y,crs` columns, the inside-Finland check, GeoJSON,
//! every-error reporting and `--skip-invalid`.

use super::LoadError;
use crate::model::{Address, Chain, ChainId, LonLat, Outlet, OutletId, OutletKind, Service};
use std::path::Path;

#[derive(Debug, serde::Deserialize)]
struct ChainRow {
    id: String,
    name: String,
    category: String,
    k_group: String,
    colour: String,
    icon: String,
}

#[derive(Debug, serde::Deserialize)]
struct OutletRow {
    id: String,
    name: String,
    chain: String,
    kind: String,
    street: String,
    postal_code: String,
    city: String,
    municipality: String,
    lat: String,
    lon: String,
    phone: String,
    opening_hours: String,
    services: String,
}

fn bad(path: &Path, line: u64, field: &'static str, reason: impl ToString) -> LoadError {
    LoadError::BadField {
        path: path.to_path_buf(),
        line,
        field,
        reason: reason.to_string(),
    }
}

fn rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<(u64, T)>, LoadError> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_path(path)
        .map_err(|e| LoadError::Csv {
            path: path.to_path_buf(),
            line: 0,
            reason: e.to_string(),
        })?;
    let mut out = Vec::new();
    for rec in rdr.deserialize::<T>() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            LoadError::Csv {
                path: path.to_path_buf(),
                line,
                reason: e.to_string(),
            }
        })?;
        out.push((out.len() as u64 + 2, rec));
    }
    Ok(out)
}

/// Reads `chains.csv` (`id,name,category,k_group,colour,icon`).
pub fn read_chains(path: &Path) -> Result<Vec<Chain>, LoadError> {
    rows::<ChainRow>(path)?
        .into_iter()
        .map(|(line, r)| {
            let icon = r
                .icon
                .chars()
                .next()
                .ok_or_else(|| bad(path, line, "icon", "empty"))?;
            Ok(Chain {
                id: ChainId::new(&r.id).map_err(|e| bad(path, line, "id", e))?,
                name: r.name,
                category: r
                    .category
                    .parse()
                    .map_err(|e| bad(path, line, "category", e))?,
                k_group: r
                    .k_group
                    .parse()
                    .map_err(|_| bad(path, line, "k_group", "expected true or false"))?,
                colour: r.colour.parse().map_err(|e| bad(path, line, "colour", e))?,
                icon,
            })
        })
        .collect()
}

/// Reads `outlets.csv` (`id,name,chain,kind,street,postal_code,city,municipality,lat,lon,phone,opening_hours,services`).
pub fn read_outlets(path: &Path) -> Result<Vec<Outlet>, LoadError> {
    rows::<OutletRow>(path)?
        .into_iter()
        .map(|(line, r)| {
            let num = |field: &'static str, s: &str| {
                s.parse::<f64>().map_err(|e| bad(path, line, field, e))
            };
            let (lat, lon) = (num("lat", &r.lat)?, num("lon", &r.lon)?);
            Ok(Outlet {
                id: r
                    .id
                    .parse::<OutletId>()
                    .map_err(|e| bad(path, line, "id", e))?,
                name: r.name,
                chain: ChainId::new(&r.chain).map_err(|e| bad(path, line, "chain", e))?,
                kind: r
                    .kind
                    .parse::<OutletKind>()
                    .map_err(|e| bad(path, line, "kind", e))?,
                address: Address {
                    street: r.street,
                    postal_code: r.postal_code,
                    city: r.city,
                },
                municipality: r
                    .municipality
                    .parse()
                    .map_err(|e| bad(path, line, "municipality", e))?,
                location: LonLat::new(lon, lat).map_err(|e| bad(path, line, "lat", e))?,
                phone: r.phone,
                hours: r
                    .opening_hours
                    .parse()
                    .map_err(|e| bad(path, line, "opening_hours", e))?,
                services: r
                    .services
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Service::new(s).map_err(|e| bad(path, line, "services", e)))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}
