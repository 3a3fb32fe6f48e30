//! Read-only outlet queries: nearest, within a radius, in a bbox or polygon, along a route, by id.
//! No key needed.

use super::body;
use super::compress;
use super::error::{ApiError, ErrorBody};
use super::listing::Listed;
use super::params::{Params, FILTER_PARAMS};
use super::response::{self, LocalTime, OfferSummary, OutletDetail, OutletJson, OutletList};
use super::AppState;
use crate::ledger::Ledger;
use crate::model::OutletId;
use actix_web::http::header::{self, CacheControl, CacheDirective, HeaderValue};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use utoipa::IntoParams;

/// Default k for nearest queries.
pub const DEFAULT_K: usize = 5;
/// Days of opening hours in an outlet's detail (`hours_week`).
pub const HOURS_DAYS: u16 = 14;
/// Default corridor half-width for along-route queries, metres.
pub const DEFAULT_CORRIDOR_M: f64 = 2_000.0;

/// Registers the routes. `nearest` and `within` come before `{id}` so they are not taken as ids.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(nearest)
        .service(within)
        .service(in_polygon)
        .service(along_route)
        .service(list)
        .service(by_id);
}

/// The filters every outlet query takes.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read through `Params`; this struct documents them in the OpenAPI document
pub struct FilterParams {
    /// Chain ids; repeat the parameter or give a comma list (`chain=k-market,k-supermarket`).
    chain: Option<Vec<String>>,
    /// Categories: food, building, sports, home, fuel, restaurant, other (repeat or comma list).
    category: Option<Vec<String>>,
    /// `store` (K-Group) or `partner`.
    kind: Option<String>,
    /// Service tags the outlet must all have (repeat or comma list), e.g. `post`.
    service: Option<Vec<String>>,
    /// Open at this time: RFC 3339 (`2026-06-01T18:00:00+03:00`) or Helsinki local time
    /// `YYYY-MM-DDTHH:MM`.
    open_at: Option<String>,
    /// `json` (default) or `geojson`; `Accept: application/geo+json` also selects GeoJSON.
    format: Option<String>,
}

fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().chain(FILTER_PARAMS.iter()).copied().collect()
}

/// The parameters of `nearest`, the hottest route, built once.
static NEAREST_PARAMS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| allowed(&["lat", "lon", "k"]));

/// The k nearest outlets to a point, nearest first (ties by id).
#[utoipa::path(
    tag = "outlets",
    params(
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees (-90..=90)"),
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees (-180..=180)"),
        ("k" = Option<usize>, Query, description = "How many, 1..=100 (default 5)"),
        FilterParams
    ),
    responses(
        (status = 200, description = "Outlets with `distance_m` (geodesic metres); a GeoJSON FeatureCollection if asked for", content((OutletList = "application/json"), (serde_json::Value = "application/geo+json"))),
        (status = 400, description = "A missing, malformed or out-of-range parameter", body = ErrorBody)
    )
)]
#[get("/v1/outlets/nearest")]
pub async fn nearest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &NEAREST_PARAMS)?;
    let index = state.index.load();
    let reg = index.registry();
    let now = LocalTime::now();
    let point = p.point()?;
    let k = p.opt_usize("k")?.unwrap_or(DEFAULT_K);
    let filter = p.filter(reg)?;
    let format = p.wants_geojson()?;
    let hits = index.nearest(point, k, &filter)?;
    let items: Vec<Listed> = hits.iter().map(Listed::from).collect();
    let rendered = state.rendered.of(&index);
    Ok(response::outlets(&req, format, &rendered, &items, now))
}

/// Outlets within a radius of a point, nearest first (ties by id).
#[utoipa::path(
    tag = "outlets",
    params(
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees"),
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees"),
        ("radius_m" = f64, Query, description = "Radius in metres, > 0 and ≤ 500000"),
        FilterParams
    ),
    responses(
        (status = 200, description = "Outlets with `distance_m`", content((OutletList = "application/json"), (serde_json::Value = "application/geo+json"))),
        (status = 400, description = "A missing, malformed or out-of-range parameter", body = ErrorBody)
    )
)]
#[get("/v1/outlets/within")]
pub async fn within(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &allowed(&["lat", "lon", "radius_m"]))?;
    let index = state.index.load();
    let reg = index.registry();
    let now = LocalTime::now();
    let point = p.point()?;
    let radius = p.f64("radius_m")?;
    let filter = p.filter(reg)?;
    let format = p.wants_geojson()?;
    let hits = index.within(point, radius, &filter)?;
    let items: Vec<Listed> = hits.iter().map(Listed::from).collect();
    let rendered = state.rendered.of(&index);
    Ok(response::outlets(&req, format, &rendered, &items, now))
}

/// The compact outlet list of `GET /v1/outlets?view=map`, for drawing the map: one array per
/// outlet, its items named by `fields`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MapList {
    /// Number of outlets.
    pub count: usize,
    /// The names of each outlet array's items, in order: `id`, `lat`, `lon` (WGS84 degrees),
    /// `chain` (chain id), `name`, `street`, `postal_code`, `city`, `municipality` (three-digit
    /// code), `open_now` (now, Europe/Helsinki time).
    pub fields: Vec<String>,
    /// One array per outlet, by id.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub outlets: Vec<Vec<serde_json::Value>>,
}

/// What `GET /v1/outlets` answers in JSON: the full list, or with `view=map` the compact arrays.
/// Only the OpenAPI document names it (one media type can carry one schema, so the two shapes
/// are its `oneOf`); the handler writes the chosen shape directly.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ListAnswer {
    /// Every field of every outlet (the default, `view=full`).
    Full(OutletList),
    /// The compact arrays of `view=map`.
    Map(MapList),
}

/// The shapes of `GET /v1/outlets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListView {
    /// Every field of each outlet (`OutletList`, or GeoJSON).
    Full,
    /// The map's compact arrays (`MapList`).
    Map,
}

impl ListView {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("full") => Ok(ListView::Full),
            Some("map") => Ok(ListView::Map),
            Some(other) => Err(ApiError::bad_param(
                "invalid_parameter",
                "view",
                format!("`{other}` is not a view; use `full` (default) or `map`"),
            )),
        }
    }
}

/// How a client may keep the outlet list: revalidate every time (it changes with every admin
/// write and with the clock through `open_now`), a `304` when it has not changed.
fn list_cache() -> CacheControl {
    CacheControl(vec![CacheDirective::NoCache])
}

/// Outlets in a bounding box (or all outlets without one), by id.
///
/// `view=map` gives the compact list the web map loads: per outlet an array of id, lat, lon,
/// chain, name, street, postal code, city, municipality code and `open_now` (named in `fields`),
/// about a fifth of the full list's bytes; the rest is at `GET /v1/outlets/{id}`. Every answer has
/// a weak `ETag` (a hash of the listed outlets' content, the query and their `open_now`) and
/// `Cache-Control: no-cache`; `If-None-Match` with the current tag gets `304`.
#[utoipa::path(
    tag = "outlets",
    params(
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat in WGS84 degrees"),
        ("view" = Option<String>, Query, description = "`full` (default): every field; `map`: the compact arrays of `MapList` (JSON only)"),
        FilterParams
    ),
    responses(
        (status = 200, description = "Outlets by id; `view=map`: a `MapList`", content((ListAnswer = "application/json"), (serde_json::Value = "application/geo+json")),
            headers(("ETag" = String, description = "Weak tag of this answer"), ("Cache-Control" = String, description = "`no-cache`: revalidate with `If-None-Match`"))),
        (status = 304, description = "The client's `If-None-Match` holds the current tag"),
        (status = 400, description = "A malformed parameter, or `view=map` with `format=geojson`", body = ErrorBody)
    )
)]
#[get("/v1/outlets")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &allowed(&["bbox", "view"]))?;
    let index = state.index.load();
    let reg = index.registry();
    let now = LocalTime::now();
    let bbox = p.bbox()?;
    let filter = p.filter(reg)?;
    let format = p.wants_geojson()?;
    let view = ListView::parse(p.one("view")?)?;
    if view == ListView::Map && format == Some(true) {
        return Err(ApiError::bad_param(
            "invalid_parameter",
            "view",
            "`view=map` is JSON only; leave out `format=geojson` or the view",
        ));
    }
    let items: Vec<Listed> = match bbox {
        Some(b) => index
            .in_bbox(b, &filter)
            .into_iter()
            .map(Listed::plain)
            .collect(),
        None => reg
            .outlets()
            .iter()
            .filter(|o| filter.matches(reg, o))
            .map(Listed::plain)
            .collect(),
    };
    let rendered = state.rendered.of(&index);
    let variant = match view {
        ListView::Map => "map",
        ListView::Full if response::wants_geojson(&req, format) => "geojson",
        ListView::Full => "json",
    };
    let tag = rendered.tag(variant, req.query_string(), &items, now);
    // The shape may follow `Accept` (GeoJSON), so caches must key on it.
    let vary = "Accept";
    if compress::not_modified(&req, &tag) {
        return Ok(compress::not_modified_answer(
            &tag,
            list_cache(),
            Some(vary),
        ));
    }
    let mut res = match view {
        ListView::Map => {
            let mut buf = Vec::with_capacity(64 + items.len() * MAP_ROW_BYTES);
            rendered.write_map(&mut buf, &items, now);
            HttpResponse::Ok()
                .content_type(header::ContentType::json())
                .body(buf)
        }
        ListView::Full => response::outlets(&req, format, &rendered, &items, now),
    };
    let headers = res.headers_mut();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&tag.to_string()).map_err(ApiError::internal)?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&list_cache().to_string()).map_err(ApiError::internal)?,
    );
    headers.append(header::VARY, HeaderValue::from_static(vary));
    Ok(res)
}

/// About the JSON size of one outlet of the map view, to size the buffer once.
const MAP_ROW_BYTES: usize = 110;

/// Outlets inside a GeoJSON Polygon or MultiPolygon (bare geometry, Feature or
/// FeatureCollection), by id.
#[utoipa::path(
    tag = "outlets",
    params(FilterParams),
    request_body(content = serde_json::Value, description = "GeoJSON Polygon / MultiPolygon / Feature / FeatureCollection, WGS84", content_type = "application/geo+json"),
    responses(
        (status = 200, description = "Outlets by id", content((OutletList = "application/json"), (serde_json::Value = "application/geo+json"))),
        (status = 400, description = "Malformed GeoJSON or parameter", body = ErrorBody),
        (status = 413, description = "Body over the limit (5 MiB by default)", body = ErrorBody)
    )
)]
#[post("/v1/outlets/in-polygon")]
pub async fn in_polygon(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &allowed(&[]))?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let index = state.index.load();
    let now = LocalTime::now();
    let filter = p.filter(index.registry())?;
    let format = p.wants_geojson()?;
    // Parsing up to 100,000 vertices and testing outlets against them is CPU work: on the route
    // pool (bounded, with a deadline), not on the worker that answers nearest.
    let ix = index.clone();
    let ids = state
        .pools
        .routes
        .run(move || -> Result<Vec<OutletId>, ApiError> {
            let area = body::parse_polygon(&bytes)?;
            Ok(ix.in_polygon(&area, &filter).iter().map(|o| o.id).collect())
        })
        .await??;
    let reg = index.registry();
    let items: Vec<Listed> = ids
        .iter()
        .filter_map(|id| reg.outlet(*id))
        .map(Listed::plain)
        .collect();
    let rendered = state.rendered.of(&index);
    Ok(response::outlets(&req, format, &rendered, &items, now))
}

/// Outlets within a corridor around a route, ordered by position along it.
#[utoipa::path(
    tag = "outlets",
    params(
        ("corridor_m" = Option<f64>, Query, description = "Corridor half-width in metres, > 0 and ≤ 50000 (default 2000)"),
        FilterParams
    ),
    request_body(content = String, description = "A GPX document (tracks, then routes) or GeoJSON LineString / MultiLineString / Feature / FeatureCollection; at least two points; up to 5 MiB", content_type = "application/gpx+xml"),
    responses(
        (status = 200, description = "Outlets with `distance_m` from the route and `along_km` from its start", content((OutletList = "application/json"), (serde_json::Value = "application/geo+json"))),
        (status = 400, description = "Malformed route or parameter, or a route of fewer than two points", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody)
    )
)]
#[post("/v1/outlets/along-route")]
pub async fn along_route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &allowed(&["corridor_m"]))?;
    let corridor = p.opt_f64("corridor_m")?.unwrap_or(DEFAULT_CORRIDOR_M);
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let index = state.index.load();
    let now = LocalTime::now();
    let filter = p.filter(index.registry())?;
    let format = p.wants_geojson()?;
    // Parsing a route of up to 100,000 points and querying its corridor takes up to a second of
    // CPU: on the route pool (bounded, with a deadline), not on the worker that answers nearest.
    let ix = index.clone();
    let hits = state
        .pools
        .routes
        .run(move || -> Result<Vec<(OutletId, f64, f64)>, ApiError> {
            let route = body::parse_route(&bytes)?;
            check_route_work(route.len(), corridor)?;
            let hits = ix.along_route(&route, corridor, &filter)?;
            Ok(hits
                .iter()
                .map(|h| (h.outlet.id, h.distance_m, h.along_km))
                .collect())
        })
        .await??;
    let reg = index.registry();
    let items: Vec<Listed> = hits
        .iter()
        .filter_map(|&(id, d, along)| {
            reg.outlet(id).map(|outlet| Listed {
                outlet,
                distance_m: Some(d),
                along_km: Some(along),
            })
        })
        .collect();
    let rendered = state.rendered.of(&index);
    Ok(response::outlets(&req, format, &rendered, &items, now))
}

/// Most route points × corridor half-width (metres) one along-route query may ask for: the work
/// grows with both (each leg searches an envelope widened by the corridor). 100,000 points at
/// the default 2 km, 4,000 points at the widest 50 km.
pub const MAX_ROUTE_POINT_METRES: f64 = 2.0e8;

/// Refuses a route whose points × corridor is over [`MAX_ROUTE_POINT_METRES`] (along-route
/// queries and route exports alike).
pub(super) fn check_route_work(points: usize, corridor_m: f64) -> Result<(), ApiError> {
    // A corridor out of range is refused by the query itself, with its own message.
    let in_range = corridor_m > 0.0 && corridor_m <= crate::spatial::MAX_CORRIDOR_M;
    if in_range && points as f64 * corridor_m > MAX_ROUTE_POINT_METRES {
        let most = (MAX_ROUTE_POINT_METRES / corridor_m).floor();
        return Err(ApiError::bad_param(
            "out_of_range",
            "corridor_m",
            format!(
                "a route of {points} points with a corridor of {corridor_m} m is too much work: \
                 points × corridor_m may be at most {MAX_ROUTE_POINT_METRES:e} (at this corridor, \
                 at most {most} points); simplify the route or narrow the corridor"
            ),
        ));
    }
    Ok(())
}

/// Parses an outlet id from the path.
pub fn parse_id(raw: &str) -> Result<OutletId, ApiError> {
    raw.parse::<OutletId>()
        .map_err(|e| ApiError::bad_param("invalid_parameter", "id", e.to_string()))
}

/// One open outlet, whether it is open, and the offers valid at it (store, chain and network
/// level).
#[utoipa::path(
    tag = "outlets",
    params(
        ("id" = u32, Path, description = "Outlet id"),
        ("at" = Option<String>, Query, description = "Judge `open_now`, the hours and the offers at this time: RFC 3339 or Helsinki local `YYYY-MM-DDTHH:MM` (default now)"),
        ("format" = Option<String>, Query, description = "`json` or `geojson` (a Feature)")
    ),
    responses(
        (status = 200, description = "The outlet with `open_now`, `closes_at`, `next_open`, `hours_week` (14 days) and `offers`", content((OutletDetail = "application/json"), (serde_json::Value = "application/geo+json"))),
        (status = 400, description = "Not an id, or a malformed `at`", body = ErrorBody),
        (status = 404, description = "No open outlet with this id", body = ErrorBody)
    )
)]
#[get("/v1/outlets/{id}")]
pub async fn by_id(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["format", "at"])?;
    let id = parse_id(&id)?;
    let format = p.wants_geojson()?;
    let at = match p.one("at")? {
        Some(s) => super::params::parse_instant("at", s)?,
        None => chrono::Utc::now(),
    };
    let index = state.index.load();
    let reg = index.registry();
    let o = reg
        .outlet(id)
        .ok_or_else(|| ApiError::not_found(format!("no open outlet with id {id}")))?;
    let offers = state.ledger.offers_at(o, at, None).await?;
    let hours = o.hours.status(at, HOURS_DAYS);
    let detail = OutletDetail {
        outlet: OutletJson::at_time(reg, o, LocalTime::of(at)),
        offers: offers.iter().map(OfferSummary::from).collect(),
        closes_at: hours.closes_at,
        next_open: hours.next_open,
        hours_week: hours.days.iter().map(Into::into).collect(),
    };
    Ok(if response::wants_geojson(&req, format) {
        HttpResponse::Ok()
            .content_type(response::GEOJSON)
            .json(response::feature_with(&detail.outlet, &detail))
    } else {
        HttpResponse::Ok().json(detail)
    })
}
