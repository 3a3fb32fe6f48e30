//! The shapes the API answers with, and the JSON / GeoJSON choice.

use super::listing::{Listed, Rendered};
use crate::model::{Chain, DayHours, Outlet};
use crate::offers::{Benefit, Offer};
use crate::registry::Registry;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of GeoJSON (RFC 7946).
pub const GEOJSON: &str = "application/geo+json";

/// A postal address.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressJson {
    /// Street and number.
    pub street: String,
    /// Five-digit postal code.
    pub postal_code: String,
    /// Post office / city.
    pub city: String,
}

/// One outlet as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletJson {
    /// Stable id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Chain id, e.g. `k-market`.
    pub chain: String,
    /// The chain's display name.
    pub chain_name: String,
    /// The chain's category: food, building, sports, home, fuel, restaurant, other.
    pub category: String,
    /// `store` (K-Group) or `partner`.
    pub kind: String,
    /// Street address.
    pub address: AddressJson,
    /// Three-digit municipality code.
    pub municipality: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Phone number.
    pub phone: String,
    /// Opening hours, OpenStreetMap syntax, Europe/Helsinki time.
    pub opening_hours: String,
    /// Service tags.
    pub services: Vec<String>,
    /// Geodesic distance from the query point or route, metres (nearest, within, along-route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Position along the route of its closest point, km from the start (along-route only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub along_km: Option<f64>,
    /// Open now by its opening hours (Europe/Helsinki time); for `GET /v1/outlets/{id}?at=`, open
    /// at that time. `null` where the answer has no time to judge by.
    pub open_now: Option<bool>,
}

/// A moment as Helsinki wall-clock time, converted once per request so that every outlet of an
/// answer is judged open or closed at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime(NaiveDateTime);

impl LocalTime {
    /// Now.
    pub fn now() -> Self {
        Self::of(Utc::now())
    }

    /// The instant `t`.
    pub fn of(t: DateTime<Utc>) -> Self {
        LocalTime(t.with_timezone(&chrono_tz::Europe::Helsinki).naive_local())
    }

    /// The Helsinki wall-clock time.
    pub fn naive(self) -> NaiveDateTime {
        self.0
    }
}

impl OutletJson {
    /// The outlet with its chain's name and category, `open_now` judged at the current time.
    pub fn new(reg: &Registry, o: &Outlet) -> Self {
        Self::at_time(reg, o, LocalTime::now())
    }

    /// The outlet with its chain's name and category, `open_now` judged at `when`.
    pub fn at_time(reg: &Registry, o: &Outlet, when: LocalTime) -> Self {
        let chain = reg.chain(&o.chain);
        OutletJson {
            id: o.id.0,
            name: o.name.clone(),
            chain: o.chain.to_string(),
            chain_name: chain.map_or_else(|| o.chain.to_string(), |c| c.name.clone()),
            category: chain.map_or("other", |c| c.category.as_str()).to_string(),
            kind: o.kind.as_str().to_string(),
            address: AddressJson {
                street: o.address.street.clone(),
                postal_code: o.address.postal_code.clone(),
                city: o.address.city.clone(),
            },
            municipality: o.municipality.to_string(),
            lat: o.location.lat(),
            lon: o.location.lon(),
            phone: o.phone.clone(),
            opening_hours: o.hours.as_str().to_string(),
            services: o.services.iter().map(|s| s.to_string()).collect(),
            distance_m: None,
            along_km: None,
            open_now: Some(o.hours.is_open_local(when.0)),
        }
    }

    /// With a distance, rounded to the decimetre (the positions are not more precise).
    pub fn at(mut self, distance_m: f64) -> Self {
        self.distance_m = Some(round_distance(distance_m));
        self
    }

    /// With a position along a route, rounded to the metre.
    pub fn along(mut self, along_km: f64) -> Self {
        self.along_km = Some(round_along(along_km));
        self
    }
}

/// A distance in metres as the API shows it: to the decimetre (the positions are not more
/// precise).
pub fn round_distance(distance_m: f64) -> f64 {
    (distance_m * 10.0).round() / 10.0
}

/// A position along a route in km as the API shows it: to the metre.
pub fn round_along(along_km: f64) -> f64 {
    (along_km * 1000.0).round() / 1000.0
}

/// One offer as the outlet detail shows it (the per-location view).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OfferSummary {
    /// Stable id, e.g. `S-0002`.
    pub id: String,
    /// Where it applies: `store` (this outlet), `chain` (its chain) or `network` (everywhere).
    pub level: String,
    /// Text shown to the customer.
    pub title: String,
    /// `discount` (percent off) or `extra_points` (K-Plussa points).
    pub benefit: String,
    /// Percent for a discount, points for extra points.
    pub value: u32,
    /// First valid day (inclusive), Helsinki date.
    pub valid_from: NaiveDate,
    /// Last valid day (inclusive), Helsinki date.
    pub valid_to: NaiveDate,
}

impl From<&Offer> for OfferSummary {
    fn from(o: &Offer) -> Self {
        let (benefit, value) = match o.benefit {
            Benefit::Discount { percent } => ("discount", u32::from(percent)),
            Benefit::ExtraPoints { points } => ("extra_points", points),
        };
        OfferSummary {
            id: o.id.clone(),
            level: o.level.name().to_string(),
            title: o.title.clone(),
            benefit: benefit.to_string(),
            value,
            valid_from: o.valid_from,
            valid_to: o.valid_to,
        }
    }
}

/// One outlet with what applies there: `GET /v1/outlets/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletDetail {
    /// The outlet.
    #[serde(flatten)]
    pub outlet: OutletJson,
    /// The untargeted offers valid at it at the time asked (now by default): the store's, its
    /// chain's and the network's, in that order.
    pub offers: Vec<OfferSummary>,
    /// When open at the time asked: when it closes (RFC 3339, Helsinki offset), following an
    /// opening past midnight; `null` when closed or not closing within a year (`24/7`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// The next opening after the time asked (after `closes_at` when open), RFC 3339 Helsinki;
    /// `null` when none within a year.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_open: Option<DateTime<FixedOffset>>,
    /// The opening hours of 14 days from the Helsinki date of the time asked, with their Finnish
    /// public holidays.
    pub hours_week: Vec<DayHoursJson>,
}

/// One date's opening hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayHoursJson {
    /// The Helsinki date, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// The Finnish public holiday's Finnish name, e.g. `Itsenäisyyspäivä`; `null` on other days.
    pub holiday: Option<&'static str>,
    /// The holiday's name in Finnish, Swedish and English; `null` on other days.
    pub holiday_names: Option<HolidayNames>,
    /// Open intervals, local `["HH:MM", "HH:MM"]`; an end at midnight is `24:00`, and a span past
    /// midnight shows on both dates. Empty when closed all day.
    pub intervals: Vec<[String; 2]>,
}

/// A public holiday's names.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayNames {
    /// Finnish.
    pub fi: &'static str,
    /// Swedish.
    pub sv: &'static str,
    /// English.
    pub en: &'static str,
}

impl From<&DayHours> for DayHoursJson {
    fn from(d: &DayHours) -> Self {
        DayHoursJson {
            date: d.date,
            holiday: d.holiday.map(|h| h.fi),
            holiday_names: d.holiday.map(|h| HolidayNames {
                fi: h.fi,
                sv: h.sv,
                en: h.en,
            }),
            intervals: d.interval_texts(),
        }
    }
}

/// A list of outlets: `count` and `outlets`, in the order the query defines.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutletList {
    /// Number of outlets.
    pub count: usize,
    /// The outlets.
    pub outlets: Vec<OutletJson>,
}

/// A chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainJson {
    /// Slug, e.g. `k-citymarket`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: String,
    /// True for K-Group chains, false for partners.
    pub k_group: bool,
    /// Map colour `#rrggbb`.
    pub colour: String,
    /// Icon letter.
    pub icon: String,
    /// Open outlets of the chain.
    pub outlets: usize,
}

impl ChainJson {
    /// The chain with its outlet count.
    pub fn new(c: &Chain, outlets: usize) -> Self {
        ChainJson {
            id: c.id.to_string(),
            name: c.name.clone(),
            category: c.category.as_str().to_string(),
            k_group: c.k_group,
            colour: c.colour.to_string(),
            icon: c.icon.to_string(),
            outlets,
        }
    }
}

/// All chains.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainList {
    /// Number of chains.
    pub count: usize,
    /// The chains, by id.
    pub chains: Vec<ChainJson>,
}

/// True if the client asked for GeoJSON: `format` wins, else the `Accept` header.
pub fn wants_geojson(req: &HttpRequest, format: Option<bool>) -> bool {
    format.unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(GEOJSON))
    })
}

/// The list as JSON, or as a GeoJSON FeatureCollection of points with the same properties;
/// `open_now` judged at `when`.
pub fn outlets(
    req: &HttpRequest,
    format: Option<bool>,
    rendered: &Rendered,
    items: &[Listed<'_>],
    when: LocalTime,
) -> HttpResponse {
    if wants_geojson(req, format) {
        let reg = rendered.index().registry();
        let features: Vec<serde_json::Value> = items
            .iter()
            .map(|l| feature(&l.to_json(reg, when)))
            .collect();
        HttpResponse::Ok()
            .content_type(GEOJSON)
            .json(serde_json::json!({
                "type": "FeatureCollection",
                "features": features,
            }))
    } else {
        let mut buf = Vec::with_capacity(64 + items.len() * OUTLET_JSON_BYTES);
        rendered.write_list(&mut buf, items, when);
        HttpResponse::Ok()
            .content_type(header::ContentType::json())
            .body(buf)
    }
}

/// About the JSON size of one outlet, to size the response buffer once.
const OUTLET_JSON_BYTES: usize = 512;

/// One outlet as a GeoJSON Feature.
pub fn feature(o: &OutletJson) -> serde_json::Value {
    feature_with(o, o)
}

/// One outlet as a GeoJSON Feature with `properties` as its properties (e.g. an [`OutletDetail`]).
pub fn feature_with(o: &OutletJson, properties: &impl Serialize) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "id": o.id,
        "geometry": { "type": "Point", "coordinates": [o.lon, o.lat] },
        "properties": properties,
    })
}
