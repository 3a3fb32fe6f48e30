//! Query-string parsing: raw text becomes validated values here, with the parameter named in every
//! error. Repeated parameters (`chain=a&chain=b`) and comma lists (`chain=a,b`) both work.

use super::error::ApiError;
use crate::model::{Category, ChainId, LonLat, OutletKind, Service};
use crate::registry::Registry;
use crate::spatial::{BBox, Filter};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use std::borrow::Cow;

/// The parameters every outlet query accepts besides its own.
pub const FILTER_PARAMS: [&str; 6] = ["chain", "category", "kind", "service", "open_at", "format"];

/// A parsed query string: each name with its value, in order. Names and values borrow from the
/// query unless they had to be percent-decoded (the hot routes parse without allocating).
#[derive(Debug, Default)]
pub struct Params<'q> {
    pairs: Vec<(Cow<'q, str>, Cow<'q, str>)>,
}

impl<'q> Params<'q> {
    /// Parses `query` and refuses names outside `allowed` (a typo such as `radius=` for
    /// `radius_m=` must not silently fall back to a default).
    pub fn parse(query: &'q str, allowed: &[&str]) -> Result<Params<'q>, ApiError> {
        let mut pairs = Vec::with_capacity(allowed.len().min(8));
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::bad_param(
                    "unknown_parameter",
                    &k,
                    format!(
                        "unknown parameter `{k}`; this route takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            pairs.push((k, v));
        }
        Ok(Params { pairs })
    }

    /// The values given for `name`, in order.
    fn values<'s, 'n>(&'s self, name: &'n str) -> impl Iterator<Item = &'s str> + use<'s, 'n, 'q> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The single value of `name`, if given; an error if given twice.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.values(name);
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => Ok(Some(v.trim())),
            (Some(_), Some(_)) => Err(ApiError::bad_param(
                "invalid_parameter",
                name,
                format!("`{name}` given more than once"),
            )),
        }
    }

    /// Every value of `name`, comma lists split, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.values(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A required number.
    pub fn f64(&self, name: &str) -> Result<f64, ApiError> {
        let v = self.one(name)?.ok_or_else(|| {
            ApiError::bad_param("missing_parameter", name, format!("`{name}` is required"))
        })?;
        parse_f64(name, v)
    }

    /// An optional number.
    pub fn opt_f64(&self, name: &str) -> Result<Option<f64>, ApiError> {
        self.one(name)?.map(|v| parse_f64(name, v)).transpose()
    }

    /// An optional non-negative integer.
    pub fn opt_usize(&self, name: &str) -> Result<Option<usize>, ApiError> {
        self.one(name)?
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    ApiError::bad_param(
                        "invalid_parameter",
                        name,
                        format!("`{name}` must be a whole number, got `{v}`"),
                    )
                })
            })
            .transpose()
    }

    /// The point given by `lat` and `lon`.
    pub fn point(&self) -> Result<LonLat, ApiError> {
        let lat = self.f64("lat")?;
        let lon = self.f64("lon")?;
        check_lat_lon(lat, lon)
    }

    /// `bbox=minlon,minlat,maxlon,maxlat`, if given.
    pub fn bbox(&self) -> Result<Option<BBox>, ApiError> {
        let Some(raw) = self.one("bbox")? else {
            return Ok(None);
        };
        let bad = |msg: String| ApiError::bad_param("invalid_parameter", "bbox", msg);
        let nums = raw
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                bad(format!(
                    "`bbox` must be four numbers minlon,minlat,maxlon,maxlat, got `{raw}`"
                ))
            })?;
        let [min_lon, min_lat, max_lon, max_lat] = nums[..] else {
            return Err(bad(format!(
                "`bbox` must be four numbers minlon,minlat,maxlon,maxlat, got {}",
                nums.len()
            )));
        };
        let range = |e: crate::model::ModelError| {
            ApiError::bad_param("out_of_range", "bbox", format!("bbox: {e}"))
        };
        let min = LonLat::new(min_lon, min_lat).map_err(range)?;
        let max = LonLat::new(max_lon, max_lat).map_err(range)?;
        if min.lon() > max.lon() || min.lat() > max.lat() {
            return Err(ApiError::bad_param(
                "out_of_range",
                "bbox",
                "bbox: the minimum corner must be south-west of the maximum corner",
            ));
        }
        Ok(Some(BBox { min, max }))
    }

    /// The filter parameters, checked against the registry (chains must exist).
    pub fn filter(&self, reg: &Registry) -> Result<Filter, ApiError> {
        let chains = self
            .list("chain")
            .into_iter()
            .map(|c| {
                let id = ChainId::new(c).ok().filter(|id| reg.chain(id).is_some());
                id.ok_or_else(|| {
                    ApiError::bad_param(
                        "unknown_chain",
                        "chain",
                        format!("unknown chain `{c}`; see GET /v1/chains"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let categories = self
            .list("category")
            .into_iter()
            .map(|c| {
                c.parse::<Category>()
                    .map_err(|e| ApiError::bad_param("unknown_category", "category", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let kind = self
            .one("kind")?
            .map(|k| {
                k.parse::<OutletKind>()
                    .map_err(|e| ApiError::bad_param("invalid_parameter", "kind", e.to_string()))
            })
            .transpose()?;
        let services = self
            .list("service")
            .into_iter()
            .map(|s| {
                Service::new(s)
                    .map_err(|e| ApiError::bad_param("invalid_parameter", "service", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let open_at = self.one("open_at")?.map(parse_open_at).transpose()?;
        Ok(Filter {
            chains,
            categories,
            kind,
            services,
            open_at,
        })
    }

    /// True if `format=geojson`; an error for any format but `json` and `geojson`.
    pub fn wants_geojson(&self) -> Result<Option<bool>, ApiError> {
        match self.one("format")? {
            None => Ok(None),
            Some("geojson") => Ok(Some(true)),
            Some("json") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_param(
                "invalid_parameter",
                "format",
                format!("unknown format `{other}`: expected json or geojson"),
            )),
        }
    }
}

fn parse_f64(name: &str, v: &str) -> Result<f64, ApiError> {
    let x = v.parse::<f64>().map_err(|_| {
        ApiError::bad_param(
            "invalid_parameter",
            name,
            format!("`{name}` must be a number, got `{v}`"),
        )
    })?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(ApiError::bad_param(
            "out_of_range",
            name,
            format!("`{name}` must be a finite number, got `{v}`"),
        ))
    }
}

/// Validates a latitude and longitude, naming the one at fault.
pub fn check_lat_lon(lat: f64, lon: f64) -> Result<LonLat, ApiError> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::bad_param(
            "out_of_range",
            "lat",
            format!("`lat` must be in -90..=90, got {lat}"),
        ));
    }
    LonLat::new(lon, lat).map_err(|_| {
        ApiError::bad_param(
            "out_of_range",
            "lon",
            format!("`lon` must be in -180..=180, got {lon}"),
        )
    })
}

/// `open_at`: an RFC 3339 instant (`2026-11-23T18:00:00Z`, `…+02:00`) or a Helsinki wall-clock
/// time `YYYY-MM-DDTHH:MM` (seconds optional).
pub fn parse_open_at(s: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_instant("open_at", s)
}

/// A time parameter named `field`, in the forms [`parse_open_at`] reads.
pub fn parse_instant(field: &'static str, s: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            ApiError::bad_param(
                "invalid_parameter",
                field,
                format!(
                    "`{field}` must be RFC 3339 (2026-06-01T18:00:00+03:00) or Helsinki local \
                     time YYYY-MM-DDTHH:MM, got `{s}`"
                ),
            )
        })?;
    chrono_tz::Europe::Helsinki
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            ApiError::bad_param(
                "invalid_parameter",
                field,
                format!("`{s}` does not exist in Helsinki (skipped by the change to summer time)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_at_reads_rfc3339_and_helsinki_local_time() {
        let utc = parse_open_at("2026-06-01T12:00").unwrap();
        assert_eq!(
            utc.to_rfc3339(),
            "2026-06-01T09:00:00+00:00",
            "summer: UTC+3"
        );
        let utc = parse_open_at("2026-01-10T12:00").unwrap();
        assert_eq!(
            utc.to_rfc3339(),
            "2026-01-10T10:00:00+00:00",
            "winter: UTC+2"
        );
        assert_eq!(
            parse_open_at("2026-01-10T12:00:00Z").unwrap().to_rfc3339(),
            "2026-01-10T12:00:00+00:00"
        );
        assert!(parse_open_at("2026-03-29T03:30").is_err(), "DST gap");
        assert!(parse_open_at("tomorrow").is_err());
        assert!(parse_open_at("2026-13-01T12:00").is_err());
    }

    #[test]
    fn lists_split_commas_and_repeats() {
        let p = Params::parse("chain=a,b&chain=c&chain=", &["chain"]).unwrap();
        assert_eq!(p.list("chain"), ["a", "b", "c"]);
        assert!(Params::parse("chian=a", &["chain"]).is_err());
    }
}
