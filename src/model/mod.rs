//! The domain model: outlets, chains and the validated values they are made of.
//!
//! Raw input becomes these types at the edge (CSV, GeoJSON, HTTP, CLI); code inside the crate
//! trusts them and never checks again.

mod hours;
pub mod text;

pub use hours::{finnish_holiday, DayHours, Holiday, HoursError, HoursStatus, OpeningHours};
pub use text::{TextError, TextRule};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a raw value could not become one of the model's validated types.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A coordinate that is NaN, infinite or outside the WGS84 range.
    #[error("coordinate out of range: lon {lon}, lat {lat} (need finite lon in -180..=180 and lat in -90..=90)")]
    BadCoordinate {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A chain id that is not a lowercase slug.
    #[error("invalid chain id `{0}`: use lowercase letters, digits and '-' (e.g. `k-market`)")]
    BadChainId(String),
    /// An unknown category name.
    #[error("unknown category `{0}`: expected one of food, building, sports, home, fuel, restaurant, other")]
    BadCategory(String),
    /// An unknown outlet kind.
    #[error("unknown outlet kind `{0}`: expected `store` or `partner`")]
    BadKind(String),
    /// A colour that is not `#rrggbb`.
    #[error("invalid colour `{0}`: expected `#rrggbb`")]
    BadColour(String),
    /// A municipality code that is not 1–3 digits.
    #[error("invalid municipality code `{0}`: expected a number 1..=999 (e.g. `091`)")]
    BadMunicipality(String),
    /// A service tag that is not a lowercase slug.
    #[error(
        "invalid service tag `{0}`: use lowercase letters, digits and '_' (e.g. `ev_charging`)"
    )]
    BadService(String),
    /// An outlet id that is not a positive integer.
    #[error("invalid outlet id `{0}`: expected a positive integer")]
    BadOutletId(String),
}

/// An outlet's identifier: a positive integer, stable across exports and the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutletId(pub u32);

impl fmt::Display for OutletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for OutletId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(OutletId(n)),
            _ => Err(ModelError::BadOutletId(s.to_string())),
        }
    }
}

/// A chain's identifier: a lowercase slug such as `k-citymarket` or `teboil`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChainId(String);

impl ChainId {
    /// Validates a chain slug: 1–40 characters of `a-z`, `0-9` and `-`, not starting with `-`.
    pub fn new(s: &str) -> Result<Self, ModelError> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(ChainId(s.to_string()))
        } else {
            Err(ModelError::BadChainId(s.to_string()))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChainId {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ChainId::new(&s)
    }
}

impl From<ChainId> for String {
    fn from(c: ChainId) -> String {
        c.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ChainId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChainId::new(s)
    }
}

/// A validated WGS84 position (EPSG:4326), longitude and latitude in degrees.
///
/// Construction rejects NaN, infinities and values outside ±180° / ±90°, so every `LonLat`
/// in the crate is a real place on Earth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// Validates a longitude and latitude in degrees.
    ///
    /// ```
    /// use storenet::model::LonLat;
    /// assert!(LonLat::new(24.9384, 60.1699).is_ok());
    /// assert!(LonLat::new(f64::NAN, 60.0).is_err());
    /// assert!(LonLat::new(24.0, 91.0).is_err());
    /// ```
    pub fn new(lon: f64, lat: f64) -> Result<Self, ModelError> {
        if lon.is_finite()
            && lat.is_finite()
            && (-180.0..=180.0).contains(&lon)
            && (-90.0..=90.0).contains(&lat)
        {
            Ok(LonLat { lon, lat })
        } else {
            Err(ModelError::BadCoordinate { lon, lat })
        }
    }

    /// Longitude in degrees east.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Latitude in degrees north.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// As a `geo` point (x = lon, y = lat).
    pub fn to_point(&self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

impl<'de> Deserialize<'de> for LonLat {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            lon: f64,
            lat: f64,
        }
        let raw = Raw::deserialize(d)?;
        LonLat::new(raw.lon, raw.lat).map_err(serde::de::Error::custom)
    }
}

/// What a chain sells; used for filters, icons and planning reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Groceries: K-Citymarket, K-Supermarket, K-Market.
    Food,
    /// Building and home improvement: K-Rauta, Rautia.
    Building,
    /// Sports: Intersport, Budget Sport.
    Sports,
    /// Home and interior: Kodin Ykkönen.
    Home,
    /// Fuel stations: Teboil.
    Fuel,
    /// Restaurants: Center Inn.
    Restaurant,
    /// Anything else (car dealers, other partners).
    Other,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 7] = [
        Category::Food,
        Category::Building,
        Category::Sports,
        Category::Home,
        Category::Fuel,
        Category::Restaurant,
        Category::Other,
    ];

    /// The lowercase name used in files and URLs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Food => "food",
            Category::Building => "building",
            Category::Sports => "sports",
            Category::Home => "home",
            Category::Fuel => "fuel",
            Category::Restaurant => "restaurant",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| ModelError::BadCategory(s.to_string()))
    }
}

/// Whether an outlet is a K-Group store or a partner location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutletKind {
    /// A K-Group store.
    Store,
    /// A partner's location (fuel station, restaurant, …).
    Partner,
}

impl OutletKind {
    /// `store` or `partner`.
    pub fn as_str(&self) -> &'static str {
        match self {
            OutletKind::Store => "store",
            OutletKind::Partner => "partner",
        }
    }
}

impl FromStr for OutletKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "store" => Ok(OutletKind::Store),
            "partner" => Ok(OutletKind::Partner),
            _ => Err(ModelError::BadKind(s.to_string())),
        }
    }
}

/// An sRGB colour, written `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rgb(pub u8, pub u8, pub u8);

impl FromStr for Rgb {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ModelError::BadColour(s.to_string());
        let hex = s.trim().strip_prefix('#').ok_or_else(bad)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let p = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Rgb(p(0)?, p(2)?, p(4)?))
    }
}

impl TryFrom<String> for Rgb {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Rgb> for String {
    fn from(c: Rgb) -> String {
        c.to_string()
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// A Finnish municipality code (kuntanumero), 1..=999, written with three digits (`091`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(u16);

impl MunicipalityCode {
    /// The numeric code.
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl FromStr for MunicipalityCode {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.parse::<u16>() {
            Ok(n) if (1..=999).contains(&n) && t.len() <= 3 => Ok(MunicipalityCode(n)),
            _ => Err(ModelError::BadMunicipality(s.to_string())),
        }
    }
}

impl TryFrom<String> for MunicipalityCode {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MunicipalityCode> for String {
    fn from(c: MunicipalityCode) -> String {
        c.to_string()
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A service an outlet offers, as a lowercase tag: `post`, `pharmacy`, `fuel`, `ev_charging`, …
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Service(String);

impl Service {
    /// Validates a tag: 1–32 characters of `a-z`, `0-9` and `_`.
    pub fn new(s: &str) -> Result<Self, ModelError> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Service(s.to_string()))
        } else {
            Err(ModelError::BadService(s.to_string()))
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Service {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Service::new(&s)
    }
}

impl From<Service> for String {
    fn from(s: Service) -> String {
        s.0
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A postal address in Finland.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street and number, e.g. `Keskuskatu 5`.
    pub street: String,
    /// Five-digit postal code, e.g. `00100`.
    pub postal_code: String,
    /// Post office / city, e.g. `Helsinki`.
    pub city: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {} {}", self.street, self.postal_code, self.city)
    }
}

/// A chain of outlets: a K-Group chain or a partner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Slug, e.g. `k-citymarket`.
    pub id: ChainId,
    /// Display name, e.g. `K-Citymarket`.
    pub name: String,
    /// What it sells.
    pub category: Category,
    /// True for a K-Group chain, false for a partner.
    pub k_group: bool,
    /// The chain's colour on maps and icons.
    pub colour: Rgb,
    /// The letter drawn on the chain's icon.
    pub icon: char,
}

/// One outlet: a K-Group store or a partner location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlet {
    /// Stable id.
    pub id: OutletId,
    /// Display name, e.g. `K-Market Kärkölä`.
    pub name: String,
    /// The chain it belongs to.
    pub chain: ChainId,
    /// Store or partner.
    pub kind: OutletKind,
    /// Street address.
    pub address: Address,
    /// Municipality code of the municipality it lies in.
    pub municipality: MunicipalityCode,
    /// Position (WGS84).
    pub location: LonLat,
    /// Phone number in international format, e.g. `+358 9 1234 5678`.
    pub phone: String,
    /// Opening hours.
    pub hours: OpeningHours,
    /// Services offered, sorted, without duplicates.
    pub services: Vec<Service>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lonlat_rejects_nan_infinite_and_out_of_range() {
        assert!(LonLat::new(f64::NAN, 60.0).is_err());
        assert!(LonLat::new(25.0, f64::INFINITY).is_err());
        assert!(LonLat::new(180.5, 60.0).is_err());
        assert!(LonLat::new(25.0, -90.5).is_err());
        let p = LonLat::new(-180.0, 90.0).unwrap();
        assert_eq!((p.lon(), p.lat()), (-180.0, 90.0));
    }

    #[test]
    fn lonlat_deserialize_validates() {
        assert!(serde_json::from_str::<LonLat>(r#"{"lon":25.0,"lat":95.0}"#).is_err());
        let p: LonLat = serde_json::from_str(r#"{"lon":25.0,"lat":60.0}"#).unwrap();
        assert_eq!(p.lat(), 60.0);
    }

    #[test]
    fn chain_id_accepts_slugs_only() {
        assert!(ChainId::new("k-citymarket").is_ok());
        assert!(ChainId::new("K-Market").is_err());
        assert!(ChainId::new("").is_err());
        assert!(ChainId::new("-x").is_err());
        assert!(ChainId::new("a b").is_err());
    }

    #[test]
    fn colour_round_trips_through_hex() {
        let c: Rgb = "#E2001a".parse().unwrap();
        assert_eq!(c, Rgb(0xe2, 0x00, 0x1a));
        assert_eq!(c.to_string(), "#e2001a");
        assert!("e2001a".parse::<Rgb>().is_err());
        assert!("#e2001".parse::<Rgb>().is_err());
    }

    #[test]
    fn municipality_code_prints_three_digits() {
        let m: MunicipalityCode = "91".parse().unwrap();
        assert_eq!(m.to_string(), "091");
        assert!("0".parse::<MunicipalityCode>().is_err());
        assert!("1000".parse::<MunicipalityCode>().is_err());
        assert!("x".parse::<MunicipalityCode>().is_err());
    }

    #[test]
    fn category_and_kind_parse_their_names() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
        assert!("grocery".parse::<Category>().is_err());
        assert_eq!(
            "partner".parse::<OutletKind>().unwrap(),
            OutletKind::Partner
        );
        assert!("shop".parse::<OutletKind>().is_err());
    }

    #[test]
    fn outlet_id_is_positive() {
        assert_eq!("42".parse::<OutletId>().unwrap(), OutletId(42));
        assert!("0".parse::<OutletId>().is_err());
        assert!("-3".parse::<OutletId>().is_err());
    }
}
