//! The real geography the generator builds on: municipal centres and GeoNames places.
//!
//! Both files are compiled in (they are small), so `storenet synth` works from any directory and
//! its output depends on nothing but the seed.

use super::SynthError;

const CENTRES_CSV: &str = include_str!("../../data/sources/fi_municipality_centres.csv");
const PLACES_CSV: &str = include_str!("../../data/sources/geonames_fi_places.csv");

/// Mean Earth radius in km (IUGG).
const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// A municipality's central locality.
#[derive(Debug, Clone)]
pub(crate) struct Centre {
    /// Kunta code.
    pub code: u16,
    /// Name, title case (`Kärkölä`).
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// Population of the whole municipality (2022).
    pub pop: f64,
}

/// How a GeoNames place relates to its municipality's centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceRole {
    /// A district inside the town around the centre.
    District,
    /// A separate village or town in the municipality.
    Village,
}

/// A GeoNames populated place that is not its municipality's centre itself.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub pop: f64,
    /// Index into [`Geography::centres`] of the nearest centre.
    pub centre: usize,
    pub role: PlaceRole,
    /// Whether the name reads like a district or village name (some GeoNames names are
    /// administrative labels such as `VI kaupunginosa`); unnamed places still add population.
    pub nameable: bool,
}

/// Centres and places, with places assigned to their nearest centre.
#[derive(Debug, Clone)]
pub(crate) struct Geography {
    pub centres: Vec<Centre>,
    pub places: Vec<Place>,
}

/// Great-circle distance in kilometres on the mean-radius sphere (haversine).
pub(crate) fn km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// Moves a point `dx_km` east and `dy_km` north (local plane; fine for a few km).
pub(crate) fn offset(lon: f64, lat: f64, dx_km: f64, dy_km: f64) -> (f64, f64) {
    let km_per_deg = EARTH_RADIUS_KM.to_radians();
    (
        lon + dx_km / (km_per_deg * lat.to_radians().cos()),
        lat + dy_km / km_per_deg,
    )
}

/// `KÄRKÖLÄ` → `Kärkölä`, `MÄNTTÄ-VILPPULA` → `Mänttä-Vilppula`.
pub(crate) fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = c == ' ' || c == '-';
    }
    out
}

/// A place this close to a centre and with a good share of its population is that centre under
/// another name (`Hyvinge` for Hyvinkää); a small one is an inner-city district (`Kallio`).
const SAME_PLACE_KM: f64 = 2.5;
/// The population share that marks such a duplicate.
const SAME_PLACE_SHARE: f64 = 0.3;

/// The radius in km inside which places count as districts of a town of `pop` people.
pub(crate) fn town_radius_km(pop: f64) -> f64 {
    (1.5 + 8.0 * (pop / 100_000.0).sqrt()).clamp(2.5, 14.0)
}

fn nameable(name: &str) -> bool {
    let lower = name.to_lowercase();
    if lower.ends_with("kirkonkylä") {
        return true;
    }
    !name.contains(' ') && !name.chars().any(|c| c.is_ascii_digit())
}

fn field<'a>(
    rec: &'a csv::StringRecord,
    i: usize,
    file: &'static str,
    line: u64,
) -> Result<&'a str, SynthError> {
    rec.get(i).ok_or(SynthError::Source {
        file,
        line,
        reason: format!("missing column {}", i + 1),
    })
}

fn num(s: &str, file: &'static str, line: u64) -> Result<f64, SynthError> {
    s.trim().parse::<f64>().map_err(|e| SynthError::Source {
        file,
        line,
        reason: format!("`{s}`: {e}"),
    })
}

fn records(text: &'static str, file: &'static str) -> Result<Vec<csv::StringRecord>, SynthError> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .enumerate()
        .map(|(i, r)| {
            r.map_err(|e| SynthError::Source {
                file,
                line: i as u64 + 2,
                reason: e.to_string(),
            })
        })
        .collect()
}

impl Geography {
    /// Parses the bundled source files.
    pub fn load() -> Result<Geography, SynthError> {
        const CF: &str = "data/sources/fi_municipality_centres.csv";
        const PF: &str = "data/sources/geonames_fi_places.csv";
        let mut centres = Vec::new();
        for (i, rec) in records(CENTRES_CSV, CF)?.iter().enumerate() {
            let line = i as u64 + 2;
            let pop = field(rec, 4, CF, line)?;
            // Two centres of municipalities merged away have no population: not places any more.
            if pop.trim().is_empty() {
                continue;
            }
            centres.push(Centre {
                code: num(field(rec, 0, CF, line)?, CF, line)? as u16,
                name: title_case(field(rec, 1, CF, line)?),
                lon: num(field(rec, 2, CF, line)?, CF, line)?,
                lat: num(field(rec, 3, CF, line)?, CF, line)?,
                pop: num(pop, CF, line)?,
            });
        }
        let mut places = Vec::new();
        for (i, rec) in records(PLACES_CSV, PF)?.iter().enumerate() {
            let line = i as u64 + 2;
            let name = field(rec, 1, PF, line)?.trim().to_string();
            let lat = num(field(rec, 2, PF, line)?, PF, line)?;
            let lon = num(field(rec, 3, PF, line)?, PF, line)?;
            let pop = num(field(rec, 4, PF, line)?, PF, line)?;
            // GeoNames' "East Helsinki" is an English label for a whole city part, not a place.
            if name.starts_with("East ") {
                continue;
            }
            let (centre, d) = nearest_centre(&centres, lon, lat);
            if d < 0.5 || (d < SAME_PLACE_KM && pop > SAME_PLACE_SHARE * centres[centre].pop) {
                continue;
            }
            let role = if d < town_radius_km(centres[centre].pop) {
                PlaceRole::District
            } else {
                PlaceRole::Village
            };
            places.push(Place {
                nameable: nameable(&name),
                name,
                lon,
                lat,
                pop,
                centre,
                role,
            });
        }
        Ok(Geography { centres, places })
    }

    /// A stand-in for the main road network: straight lines from every centre to its three
    /// nearest neighbours closer than 120 km, as `(a, b, km)` with `a < b`, sorted.
    pub fn road_edges(&self) -> Vec<(usize, usize, f64)> {
        let mut edges = std::collections::BTreeMap::new();
        for (i, a) in self.centres.iter().enumerate() {
            let mut near: Vec<(f64, usize)> = self
                .centres
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, c)| (km(a.lon, a.lat, c.lon, c.lat), j))
                .collect();
            near.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            for &(d, j) in near.iter().take(3).filter(|(d, _)| *d < 120.0) {
                edges.insert((i.min(j), i.max(j)), d);
            }
        }
        edges.into_iter().map(|((a, b), d)| (a, b, d)).collect()
    }

    /// The nearest centre to a point and its distance in km.
    pub fn nearest_centre(&self, lon: f64, lat: f64) -> (usize, f64) {
        nearest_centre(&self.centres, lon, lat)
    }
}

fn nearest_centre(centres: &[Centre], lon: f64, lat: f64) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, c) in centres.iter().enumerate() {
        let d = km(lon, lat, c.lon, c.lat);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_handles_finnish_letters_and_hyphens() {
        assert_eq!(title_case("KÄRKÖLÄ"), "Kärkölä");
        assert_eq!(title_case("MÄNTTÄ-VILPPULA"), "Mänttä-Vilppula");
        assert_eq!(title_case("KOSKI TL"), "Koski Tl");
        assert_eq!(title_case("VÅRDÖ"), "Vårdö");
    }

    #[test]
    fn sources_parse_and_places_find_their_centres() {
        let g = Geography::load().unwrap();
        assert_eq!(g.centres.len(), 307);
        let helsinki = g.centres.iter().position(|c| c.code == 91).unwrap();
        assert_eq!(g.centres[helsinki].name, "Helsinki");
        let kallio = g.places.iter().find(|p| p.name == "Kallio").unwrap();
        assert_eq!(kallio.centre, helsinki);
        assert_eq!(kallio.role, PlaceRole::District);
        assert!(g.places.iter().all(|p| p.name != "Helsinki"));
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // Helsinki–Tampere is about 160 km as the crow flies.
        let d = km(24.9384, 60.1699, 23.7610, 61.4978);
        assert!((d - 160.0).abs() < 3.0, "{d}");
    }
}
