//! Network planning over HTTP: `/v1/planning/…`, for API keys of role `planner` (or `admin`).
//!
//! Every route is a thin reader of the request around one [`crate::planning`] function; the
//! figures are the library's own [`crate::density::Count`]s and [`crate::density::Real`]s, so the
//! cell-key perturbation and the privacy floor (`"<10"` for any figure about fewer than ten
//! households) hold in every answer.
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/planning/density?bbox=` | GeoJSON of 1 km cells (coarser blocks when the box is large) |
//! | `GET /v1/planning/coverage?distance_m=&bands=&chain=&category=` | coverage report |
//! | `GET /v1/planning/catchments?chain=&format=json\|geojson` | per-outlet catchments |
//! | `GET /v1/planning/gaps?distance_m=&chain=&format=json\|geojson` | gap areas |
//! | `POST /v1/planning/whatif?chain=` body `{open: [{lat, lon, chain}], close: [ids]}` | change in coverage |
//! | `GET\|POST /v1/planning/sites?p=&distance_m=&mode=mclp\|pmedian` | suggested sites |
//! | `GET /v1/planning/huff?lambda=&chain=` | Huff market share |
//!
//! **Maps**: every route also answers `format=png` with an `image/png` map of the same report
//! (drawn by [`crate::planning::map`]); that is the one scheme, there are no `.png` paths.
//!
//! The household grid (`DATA_DIR/households_1km.csv`, municipal centres from
//! `DATA_DIR/sources/fi_municipality_centres.csv` when present) is loaded on the first planning
//! request and kept, with its cell keys from the secret in the database every instance shares
//! ([`crate::density::secret`]; 503 `planning_secret_unavailable` while it cannot be had). The
//! [`PlanContext`] is rebuilt only when the outlet index is swapped, so every report is computed
//! against the live outlets. The computations run on the blocking pool.

use super::auth::Authenticated;
use super::error::{ApiError, ErrorBody, Kind};
use super::params::{check_lat_lon, Params};
use super::AppState;
use crate::crs::{self, Crs};
use crate::density::{secret, Count, Grid, GridOptions};
use crate::model::{ChainId, LonLat, OutletId};
use crate::planning::map::{self, Heat, MapSpec, Mark};
use crate::planning::site::{Objective, SiteOptions};
use crate::planning::{self, sphere, Connectivity, HuffOptions, NewOutlet, PlanContext, PlanError};
use crate::spatial::{Filter, OutletIndex};
use crate::store::Role;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;

/// Most features one density answer holds; larger boxes are answered with coarser blocks.
pub const MAX_DENSITY_FEATURES: usize = 6_000;
/// Most sites one suggestion may ask for.
pub const MAX_SITES: usize = 50;
/// Largest covering distance for site suggestion, metres (the work grows with its square).
pub const MAX_SITE_DISTANCE_M: f64 = 50_000.0;
/// Most candidate sites a request body may give.
pub const MAX_CANDIDATES: usize = 5_000;
/// Most outlets one what-if may open, and most it may close.
pub const MAX_WHATIF_OPEN: usize = 50;
/// See [`MAX_WHATIF_OPEN`].
pub const MAX_WHATIF_CLOSE: usize = 1_000;
/// Most distance bands of a coverage report.
pub const MAX_BANDS: usize = 20;
/// Largest distance any planning route accepts, metres.
pub const MAX_DISTANCE_M: f64 = 500_000.0;
/// Largest Huff `cutoff_m`, metres: the work grows with the outlets in reach of every cell, so
/// with the square of the cutoff (release build, loaded 2-core machine: 500 km took 23 s,
/// 100 km 12.7 s; the default is 30 km).
pub const MAX_HUFF_CUTOFF_M: f64 = 50_000.0;

/// The roles that may use the planning routes.
const ROLES: &[Role] = &[Role::Planner, Role::Admin];

/// The planning routes' share of the application state: the grid, loaded once on first use, and
/// the context for the current outlet snapshot.
#[derive(Default)]
pub struct PlanningState {
    grid: tokio::sync::OnceCell<Arc<Loaded>>,
    ctx: Mutex<Option<(Arc<OutletIndex>, Arc<PlanContext>)>>,
    /// One site suggestion at a time: it is the only heavy route.
    sites: tokio::sync::Mutex<()>,
}

struct Loaded {
    grid: Arc<Grid>,
    centres: Vec<planning::Municipality>,
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(density)
        .service(coverage)
        .service(catchments)
        .service(gaps)
        .service(whatif)
        .service(sites_get)
        .service(sites_post)
        .service(huff);
}

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        let message = e.to_string();
        match e {
            PlanError::BadParam { field, .. } => {
                ApiError::bad_param("invalid_parameter", field, message)
            }
            PlanError::UnknownOutlet(_) => {
                ApiError::new(Kind::Unprocessable, "unknown_outlet", message).field("close")
            }
            PlanError::NoOutlets(_) => ApiError::new(Kind::Unprocessable, "no_outlets", message),
            PlanError::Density(_)
            | PlanError::Io { .. }
            | PlanError::BadField { .. }
            | PlanError::Map(_) => ApiError::internal(e),
        }
    }
}

/// The grid and the context for the current outlet snapshot.
async fn context(state: &AppState) -> Result<(Arc<OutletIndex>, Arc<PlanContext>), ApiError> {
    let data_dir = state.settings.data_dir.clone();
    let grid_path = data_dir.join("households_1km.csv");
    if state.planning.grid.get().is_none() && !grid_path.exists() {
        // A deployment without the household grid has no planning reports: say so, as a missing
        // resource rather than a server fault.
        return Err(ApiError::new(
            Kind::NotFound,
            "no_density_grid",
            format!(
                "this server has no household density grid ({} is missing), so no planning reports",
                grid_path.display()
            ),
        ));
    }
    let db = state.store.db().clone();
    let loaded = state
        .planning
        .grid
        .get_or_try_init(|| async move {
            // The secret every instance on this database shares; without it no figure may be
            // published. A failure is not kept: the next request tries again.
            let secret = secret::load_or_create(&db).await.map_err(|e| {
                ApiError::unavailable_with(
                    "planning_secret_unavailable",
                    "planning is unavailable: the secret its figures are perturbed with could not \
                     be read from or created in the database; try again later",
                    e,
                )
            })?;
            web::block(move || -> Result<Arc<Loaded>, PlanError> {
                let grid = Grid::load(
                    &data_dir.join("households_1km.csv"),
                    &GridOptions::new(secret),
                )?;
                let centres_path = data_dir.join("sources/fi_municipality_centres.csv");
                let centres = if centres_path.exists() {
                    planning::read_municipality_centres(&centres_path)?
                } else {
                    Vec::new()
                };
                tracing::info!(
                    cells = grid.cells().len(),
                    "loaded the household grid for planning"
                );
                Ok(Arc::new(Loaded {
                    grid: Arc::new(grid),
                    centres,
                }))
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)
        })
        .await?
        .clone();
    let index = state.index.load();
    if let Some((i, c)) = lock(&state.planning.ctx).as_ref() {
        if Arc::ptr_eq(i, &index) {
            return Ok((index, c.clone()));
        }
    }
    let registry = index.registry().clone();
    let ctx = web::block(move || {
        Arc::new(PlanContext::new(
            loaded.grid.clone(),
            registry,
            &loaded.centres,
        ))
    })
    .await
    .map_err(ApiError::internal)?;
    *lock(&state.planning.ctx) = Some((index.clone(), ctx.clone()));
    Ok((index, ctx))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    GeoJson,
    Png,
}

fn format(p: &Params, allowed: &[Format], default: Format) -> Result<Format, ApiError> {
    let f = match p.one("format")? {
        None => return Ok(default),
        Some("json") => Format::Json,
        Some("geojson") => Format::GeoJson,
        Some("png") => Format::Png,
        Some(other) => return Format::parse_err(other, allowed),
    };
    if allowed.contains(&f) {
        Ok(f)
    } else {
        Format::parse_err(f.name(), allowed)
    }
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::GeoJson => "geojson",
            Format::Png => "png",
        }
    }

    fn parse_err(got: &str, allowed: &[Format]) -> Result<Format, ApiError> {
        let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
        Err(ApiError::bad_param(
            "invalid_parameter",
            "format",
            format!(
                "unknown format `{got}` for this route: expected {}",
                names.join(", ")
            ),
        ))
    }
}

/// What the blocking computation hands back; made into a response on the worker.
enum Output {
    Json(Vec<u8>),
    GeoJson(Vec<u8>),
    Png(Vec<u8>),
}

impl Output {
    fn json(v: &impl serde::Serialize) -> Result<Output, ApiError> {
        serde_json::to_vec(v)
            .map(Output::Json)
            .map_err(ApiError::internal)
    }

    fn geojson(fc: &geojson::FeatureCollection) -> Result<Output, ApiError> {
        serde_json::to_vec(fc)
            .map(Output::GeoJson)
            .map_err(ApiError::internal)
    }

    fn png(ctx: &PlanContext, spec: &MapSpec<'_>) -> Result<Output, ApiError> {
        Ok(Output::Png(map::png_bytes(ctx, spec)?))
    }

    fn response(self) -> HttpResponse {
        match self {
            Output::Json(b) => HttpResponse::Ok().content_type("application/json").body(b),
            Output::GeoJson(b) => HttpResponse::Ok()
                .content_type("application/geo+json")
                .body(b),
            Output::Png(b) => HttpResponse::Ok().content_type("image/png").body(b),
        }
    }
}

/// Runs `f` on the planning pool (bounded threads and queue, a deadline: 503 `busy` or
/// `deadline_exceeded` with `Retry-After`, see `crate::capacity`).
async fn blocking<F>(state: &AppState, f: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Result<Output, ApiError> + Send + 'static,
{
    let out = state.pools.planning.run(f).await??;
    Ok(out.response())
}

/// `chain=` and `category=` against the live registry (unknown chains are a 400).
fn filter(p: &Params, index: &OutletIndex) -> Result<Filter, ApiError> {
    p.filter(index.registry())
}

/// A distance in metres: positive, finite and at most [`MAX_DISTANCE_M`].
fn distance(p: &Params, name: &str, default: Option<f64>) -> Result<Option<f64>, ApiError> {
    let Some(d) = p.opt_f64(name)?.or(default) else {
        return Ok(None);
    };
    if d <= 0.0 || d > MAX_DISTANCE_M {
        return Err(ApiError::bad_param(
            "out_of_range",
            name,
            format!("`{name}` must be > 0 and at most {MAX_DISTANCE_M} m, got {d}"),
        ));
    }
    Ok(Some(d))
}

/// `bands=` (km, comma list; default 0.5,1,2,3,5,10,20) plus `distance_m` if given, in metres.
fn bands(p: &Params) -> Result<Vec<f64>, ApiError> {
    let mut out = Vec::new();
    let given = p.list("bands");
    if given.is_empty() {
        out.extend(planning::DEFAULT_BANDS_KM.iter().map(|k| k * 1000.0));
    }
    for b in given {
        let km: f64 = b.parse().map_err(|_| {
            ApiError::bad_param(
                "invalid_parameter",
                "bands",
                format!("`bands` are kilometres, e.g. 0.5,1,2; got `{b}`"),
            )
        })?;
        if !(km.is_finite() && km > 0.0 && km * 1000.0 <= MAX_DISTANCE_M) {
            return Err(ApiError::bad_param(
                "out_of_range",
                "bands",
                format!(
                    "a band must be > 0 and at most {} km, got {b}",
                    MAX_DISTANCE_M / 1000.0
                ),
            ));
        }
        out.push(km * 1000.0);
    }
    if let Some(d) = distance(p, "distance_m", None)? {
        out.push(d);
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    if out.len() > MAX_BANDS {
        return Err(ApiError::bad_param(
            "out_of_range",
            "bands",
            format!("at most {MAX_BANDS} bands"),
        ));
    }
    Ok(out)
}

/// Distance of every cell to the nearest of `sites`, metres (grid order).
fn distances(ctx: &PlanContext, sites: &[LonLat]) -> Vec<f64> {
    ctx.assign(sites)
        .iter()
        .map(|n| n.map_or(f64::INFINITY, |n| sphere::metres_from_dot(n.dot)))
        .collect()
}

fn spec<'a>(ctx: &'a PlanContext, filter: &Filter, title: String, heat: Heat) -> MapSpec<'a> {
    MapSpec {
        title,
        outlets: ctx.select(filter),
        heat,
        marks: Vec::new(),
        mark_label: String::new(),
    }
}

async fn start<'r>(
    req: &'r HttpRequest,
    state: &AppState,
    auth: &Authenticated,
    allowed: &[&str],
) -> Result<(Params<'r>, Arc<OutletIndex>, Arc<PlanContext>), ApiError> {
    auth.require(ROLES)?;
    let p = Params::parse(req.query_string(), allowed)?;
    let (index, ctx) = context(state).await?;
    Ok((p, index, ctx))
}

// ---------- density ----------

/// Household density as GeoJSON polygons in WGS84: the 1 km cells (or blocks of the national grid)
/// holding a cell whose centre lies in `bbox` (all of Finland without one), each with the figures
/// of the whole cell or block, inside the box or not.
///
/// Properties `households` and `cardholders` are perturbed by the cell-key method and read as the
/// string `"<10"` for a block of fewer than ten. When more than 6,000 cells would be returned,
/// cells are summed into blocks of 2, 4, 8… km aligned to multiples of their size in EPSG:3067;
/// the collection's `cell_m` member gives the size used. `format=png` draws the density map of
/// the whole grid.
#[utoipa::path(
    tag = "planning",
    params(
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat"),
        ("format" = Option<String>, Query, description = "`geojson` (default) or `png`")
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection of cells", content_type = "application/geo+json"),
        (status = 400, description = "A malformed bbox or format", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "The key is not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/density")]
pub async fn density(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (p, _index, ctx) = start(&req, &state, &auth, &["bbox", "format"]).await?;
    let bbox = p.bbox()?;
    let fmt = format(&p, &[Format::GeoJson, Format::Png], Format::GeoJson)?;
    blocking(&state, move || match fmt {
        Format::Png => {
            let s = spec(
                &ctx,
                &Filter::default(),
                "Households per km²".into(),
                Heat::Density,
            );
            Output::png(&ctx, &s)
        }
        _ => Output::geojson(&density_geojson(ctx.grid(), bbox)?),
    })
    .await
}

/// Cells (or blocks of cells) in `bbox` as GeoJSON, at most [`MAX_DENSITY_FEATURES`] features.
fn density_geojson(
    grid: &Grid,
    bbox: Option<crate::spatial::BBox>,
) -> Result<geojson::FeatureCollection, ApiError> {
    let b = crate::density::blocks(grid, bbox, MAX_DENSITY_FEATURES);
    let block_m = b.block_m;
    let mut features = Vec::with_capacity(b.blocks.len());
    for block in b.blocks {
        let (x0, y0) = (block.x as f64, block.y as f64);
        let (x1, y1) = (x0 + block_m as f64, y0 + block_m as f64);
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            .iter()
            .map(|&(x, y)| {
                crs::to_wgs84(Crs::Tm35Fin, x, y)
                    .map(|p| vec![(p.lon() * 1e6).round() / 1e6, (p.lat() * 1e6).round() / 1e6])
                    .map_err(ApiError::internal)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut props = serde_json::Map::new();
        let v = |f: Count| serde_json::to_value(f).unwrap_or_default();
        props.insert("households".into(), v(block.households));
        props.insert("cardholders".into(), v(block.cardholders));
        features.push(geojson::Feature {
            geometry: Some(geojson::Geometry::new(geojson::Value::Polygon(vec![ring]))),
            properties: Some(props),
            ..Default::default()
        });
    }
    let mut members = serde_json::Map::new();
    members.insert("cell_m".into(), block_m.into());
    Ok(geojson::FeatureCollection {
        features,
        bbox: None,
        foreign_members: Some(members),
    })
}

// ---------- coverage ----------

/// Share of households and cardholders within distance bands of the nearest selected outlet:
/// the whole selection, per chain, per category and per municipality.
///
/// `bands=` are kilometres (default 0.5,1,2,3,5,10,20); `distance_m=` adds one band in metres (the
/// web map's ring distance). `format=png` maps each cell's distance to the nearest outlet.
#[utoipa::path(
    tag = "planning",
    params(
        ("distance_m" = Option<f64>, Query, description = "An extra band, metres (> 0)"),
        ("bands" = Option<String>, Query, description = "Band limits in km, comma list"),
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("format" = Option<String>, Query, description = "`json` (default) or `png`")
    ),
    responses(
        (status = 200, description = "The coverage report; figures below the privacy floor read \"<10\"", content_type = "application/json"),
        (status = 400, description = "A bad distance, band, chain or category", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "No outlet matches the selection", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/coverage")]
pub async fn coverage(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let allowed = ["distance_m", "bands", "chain", "category", "format"];
    let (p, index, ctx) = start(&req, &state, &auth, &allowed).await?;
    let filter = filter(&p, &index)?;
    let bands = bands(&p)?;
    let fmt = format(&p, &[Format::Json, Format::Png], Format::Json)?;
    blocking(&state, move || {
        let r = planning::coverage(&ctx, &filter, &bands)?;
        if fmt != Format::Png {
            return Output::json(&r);
        }
        let sites: Vec<LonLat> = ctx.select(&filter).iter().map(|o| o.location).collect();
        let heat = Heat::Distance(distances(&ctx, &sites));
        let title = format!("Distance to the nearest outlet: {}", r.selection);
        Output::png(&ctx, &spec(&ctx, &filter, title, heat))
    })
    .await
}

// ---------- catchments ----------

/// Every cell assigned to its nearest selected outlet; per outlet households, cardholders, median
/// and 90th-percentile distance. `format=geojson` gives the catchment areas as MultiPolygons
/// (cells merged) with the same figures; `format=png` a map.
#[utoipa::path(
    tag = "planning",
    params(
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("format" = Option<String>, Query, description = "`json` (default), `geojson` or `png`")
    ),
    responses(
        (status = 200, description = "Catchments, largest first", content_type = "application/json"),
        (status = 400, description = "An unknown chain, category or format", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "No outlet matches the selection", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/catchments")]
pub async fn catchments(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (p, index, ctx) = start(&req, &state, &auth, &["chain", "category", "format"]).await?;
    let filter = filter(&p, &index)?;
    let fmt = format(
        &p,
        &[Format::Json, Format::GeoJson, Format::Png],
        Format::Json,
    )?;
    blocking(&state, move || {
        let r = planning::catchments(&ctx, &filter)?;
        match fmt {
            Format::Json => Output::json(&r),
            Format::GeoJson => Output::geojson(&planning::catchments_geojson(&ctx, &r)?),
            Format::Png => {
                let title = format!("Catchments and households: {}", r.selection);
                Output::png(&ctx, &spec(&ctx, &filter, title, Heat::Density))
            }
        }
    })
    .await
}

// ---------- gaps ----------

/// Cells with households farther than `distance_m` (default 10 km) from every selected outlet,
/// merged into contiguous areas (`connectivity` 4 or 8), ranked by households, each with its
/// centre and nearest outlet. `format=geojson` gives the areas; `format=png` a map.
#[utoipa::path(
    tag = "planning",
    params(
        ("distance_m" = Option<f64>, Query, description = "Distance D, metres (> 0; default 10000)"),
        ("connectivity" = Option<u8>, Query, description = "4 (default) or 8"),
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("format" = Option<String>, Query, description = "`json` (default), `geojson` or `png`")
    ),
    responses(
        (status = 200, description = "Gap areas, largest first", content_type = "application/json"),
        (status = 400, description = "A bad distance, connectivity, chain or format", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "No outlet matches the selection", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/gaps")]
pub async fn gaps(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let allowed = ["distance_m", "connectivity", "chain", "category", "format"];
    let (p, index, ctx) = start(&req, &state, &auth, &allowed).await?;
    let filter = filter(&p, &index)?;
    let d = distance(&p, "distance_m", Some(10_000.0))?.unwrap_or(10_000.0);
    let conn = match p.one("connectivity")? {
        None | Some("4") => Connectivity::Four,
        Some("8") => Connectivity::Eight,
        Some(other) => {
            return Err(ApiError::bad_param(
                "invalid_parameter",
                "connectivity",
                format!("`connectivity` is 4 or 8, got `{other}`"),
            ))
        }
    };
    let fmt = format(
        &p,
        &[Format::Json, Format::GeoJson, Format::Png],
        Format::Json,
    )?;
    blocking(&state, move || {
        let r = planning::gaps(&ctx, &filter, d, conn)?;
        match fmt {
            Format::Json => Output::json(&r),
            Format::GeoJson => Output::geojson(&planning::gaps_geojson(&ctx, &r)?),
            Format::Png => {
                let mut in_gap = vec![false; ctx.grid().cells().len()];
                for g in &r.gaps {
                    for &i in &g.members {
                        in_gap[i] = true;
                    }
                }
                let title = format!("Gaps farther than {} km: {}", d / 1000.0, r.selection);
                let mut s = spec(&ctx, &filter, title, Heat::Gaps(in_gap));
                s.marks = r
                    .gaps
                    .iter()
                    .take(10)
                    .map(|g| Mark {
                        location: g.centre,
                        label: format!("{} ({})", g.rank, g.households),
                    })
                    .collect();
                s.mark_label = "largest gaps (households)".into();
                Output::png(&ctx, &s)
            }
        }
    })
    .await
}

// ---------- what-if ----------

/// An outlet to open in a what-if.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenJson {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The chain id (must exist).
    pub chain: String,
}

/// The body of `POST /v1/planning/whatif`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfJson {
    /// Outlets to open (at most 50).
    #[serde(default)]
    pub open: Vec<OpenJson>,
    /// Ids of outlets to close (at most 1000); each must be among the selected outlets.
    #[serde(default)]
    pub close: Vec<u64>,
}

fn read_whatif(
    body: WhatIfJson,
    reg: &crate::registry::Registry,
) -> Result<(Vec<NewOutlet>, Vec<OutletId>), ApiError> {
    let invalid = |field: String, msg: String| {
        ApiError::new(Kind::Unprocessable, "invalid_value", msg).field(field)
    };
    if body.open.is_empty() && body.close.is_empty() {
        return Err(invalid(
            "open".into(),
            "nothing to do: give outlets to `open` and/or ids to `close`".into(),
        ));
    }
    if body.open.len() > MAX_WHATIF_OPEN {
        return Err(invalid(
            "open".into(),
            format!("at most {MAX_WHATIF_OPEN} outlets to open"),
        ));
    }
    if body.close.len() > MAX_WHATIF_CLOSE {
        return Err(invalid(
            "close".into(),
            format!("at most {MAX_WHATIF_CLOSE} outlets to close"),
        ));
    }
    let mut open = Vec::with_capacity(body.open.len());
    for (i, o) in body.open.into_iter().enumerate() {
        let location = check_lat_lon(o.lat, o.lon).map_err(|_| {
            invalid(
                format!("open[{i}]"),
                format!("open[{i}]: lat must be in -90..=90 and lon in -180..=180"),
            )
        })?;
        let chain = ChainId::new(&o.chain)
            .ok()
            .filter(|c| reg.chain(c).is_some())
            .ok_or_else(|| {
                ApiError::new(
                    Kind::Unprocessable,
                    "unknown_chain",
                    format!("open[{i}]: unknown chain `{}`; see GET /v1/chains", o.chain),
                )
                .field(format!("open[{i}].chain"))
            })?;
        open.push(NewOutlet { location, chain });
    }
    let close = body
        .close
        .into_iter()
        .map(|id| {
            u32::try_from(id).map(OutletId).map_err(|_| {
                ApiError::new(
                    Kind::Unprocessable,
                    "unknown_outlet",
                    format!("unknown outlet id {id}: nothing to close"),
                )
                .field("close")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((open, close))
}

/// Opens outlets at points and/or closes outlets by id among the selected ones, and reports the
/// coverage before and after and, per outlet, the households its catchment gains or loses.
///
/// Query: `chain`, `category`, `bands` (km), `distance_m` as for coverage; `format=png` maps the
/// distance to the nearest outlet after the change, with the opened outlets marked.
#[utoipa::path(
    tag = "planning",
    params(
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("bands" = Option<String>, Query, description = "Band limits in km, comma list"),
        ("distance_m" = Option<f64>, Query, description = "An extra band, metres (> 0)"),
        ("format" = Option<String>, Query, description = "`json` (default) or `png`")
    ),
    request_body = WhatIfJson,
    responses(
        (status = 200, description = "Coverage before and after, and the per-outlet changes", content_type = "application/json"),
        (status = 400, description = "A bad query parameter or malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "An unknown chain or outlet, or a point off the Earth", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[post("/v1/planning/whatif")]
pub async fn whatif(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let allowed = ["chain", "category", "bands", "distance_m", "format"];
    let (p, index, ctx) = start(&req, &state, &auth, &allowed).await?;
    // Read and parsed here, after the key is checked: a wrong key gets its 401/403 whatever the
    // body. Read with the size limit and the body timeout, like every other body.
    let body = super::body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let body: WhatIfJson = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(Kind::BadRequest, "invalid_json", e.to_string()))?;
    let filter = filter(&p, &index)?;
    let bands = bands(&p)?;
    let fmt = format(&p, &[Format::Json, Format::Png], Format::Json)?;
    let (open, close) = read_whatif(body, index.registry())?;
    blocking(&state, move || {
        let r = planning::what_if(&ctx, &filter, &open, &close, &bands)?;
        if fmt != Format::Png {
            return Output::json(&r);
        }
        let mut s = spec(
            &ctx,
            &filter,
            format!("What-if: {}", r.selection),
            Heat::Density,
        );
        s.outlets.retain(|o| !close.contains(&o.id));
        let mut sites: Vec<LonLat> = s.outlets.iter().map(|o| o.location).collect();
        sites.extend(open.iter().map(|n| n.location));
        s.heat = Heat::Distance(distances(&ctx, &sites));
        s.marks = open
            .iter()
            .enumerate()
            .map(|(k, n)| Mark {
                location: n.location,
                label: format!("new {}", k + 1),
            })
            .collect();
        s.mark_label = "opened outlets".into();
        Output::png(&ctx, &s)
    })
    .await
}

// ---------- sites ----------

/// A candidate site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointJson {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// The optional body of `POST /v1/planning/sites`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitesJson {
    /// Candidate sites (at most 5000); default: centres of cells with at least `min_households`.
    #[serde(default)]
    pub candidates: Option<Vec<PointJson>>,
}

const SITE_PARAMS: &[&str] = &[
    "p",
    "distance_m",
    "mode",
    "min_households",
    "chain",
    "category",
    "format",
];

async fn sites(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: SitesJson,
) -> Result<HttpResponse, ApiError> {
    let (p, index, ctx) = start(&req, &state, &auth, SITE_PARAMS).await?;
    let filter = filter(&p, &index)?;
    let count = p.opt_usize("p")?.ok_or_else(|| {
        ApiError::bad_param(
            "missing_parameter",
            "p",
            "`p` (number of sites) is required",
        )
    })?;
    if !(1..=MAX_SITES).contains(&count) {
        return Err(ApiError::bad_param(
            "out_of_range",
            "p",
            format!("`p` must be 1..={MAX_SITES}, got {count}"),
        ));
    }
    let d = distance(&p, "distance_m", Some(10_000.0))?.unwrap_or(10_000.0);
    if d > MAX_SITE_DISTANCE_M {
        return Err(ApiError::bad_param(
            "out_of_range",
            "distance_m",
            format!("`distance_m` must be at most {MAX_SITE_DISTANCE_M} m for site suggestion"),
        ));
    }
    let objective = match p.one("mode")? {
        None | Some("mclp") => Objective::Mclp,
        Some("pmedian") | Some("p-median") => Objective::PMedian,
        Some(other) => {
            return Err(ApiError::bad_param(
                "invalid_parameter",
                "mode",
                format!("`mode` is mclp or pmedian, got `{other}`"),
            ))
        }
    };
    let min_households = match p.opt_usize("min_households")? {
        None => 50,
        Some(n) if n >= crate::density::PRIVACY_FLOOR as usize => n as u64,
        Some(n) => {
            return Err(ApiError::bad_param(
                "out_of_range",
                "min_households",
                format!("`min_households` must be at least 10, got {n}"),
            ))
        }
    };
    let candidates = match body.candidates {
        None => None,
        Some(c) if c.len() > MAX_CANDIDATES => {
            return Err(ApiError::new(
                Kind::Unprocessable,
                "invalid_value",
                format!("at most {MAX_CANDIDATES} candidates"),
            )
            .field("candidates"))
        }
        Some(c) => Some(
            c.iter()
                .enumerate()
                .map(|(i, pt)| {
                    check_lat_lon(pt.lat, pt.lon).map_err(|_| {
                        ApiError::new(
                            Kind::Unprocessable,
                            "invalid_value",
                            format!("candidates[{i}]: lat must be in -90..=90, lon in -180..=180"),
                        )
                        .field(format!("candidates[{i}]"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let fmt = format(&p, &[Format::Json, Format::Png], Format::Json)?;
    let opts = SiteOptions {
        objective,
        p: count,
        distance_m: d,
        candidates,
        min_candidate_households: min_households,
    };
    // One suggestion at a time, so a burst of them cannot take every core.
    let _turn = state.planning.sites.lock().await;
    blocking(&state, move || {
        let r = planning::suggest_sites(&ctx, &filter, &opts)?;
        if fmt != Format::Png {
            return Output::json(&r);
        }
        let title = format!(
            "{} suggested sites ({}, D = {} km)",
            r.p,
            match r.objective {
                Objective::Mclp => "MCLP",
                Objective::PMedian => "p-median",
            },
            d / 1000.0
        );
        let mut s = spec(&ctx, &filter, title, Heat::Density);
        s.marks = r
            .sites
            .iter()
            .map(|x| Mark {
                location: x.location,
                label: x.rank.to_string(),
            })
            .collect();
        s.mark_label = "suggested sites".into();
        Output::png(&ctx, &s)
    })
    .await
}

/// Suggests `p` new sites (at most 50) keeping the selected outlets: `mode=mclp` (default)
/// maximises households newly within `distance_m` (default 10 km, at most 50 km), `mode=pmedian`
/// minimises total household distance. Candidates are the centres of cells with at least
/// `min_households` households (default 50). One suggestion runs at a time. `format=png` maps the
/// sites.
#[utoipa::path(
    tag = "planning",
    params(
        ("p" = usize, Query, description = "Number of sites, 1..=50"),
        ("distance_m" = Option<f64>, Query, description = "Covering distance D, metres (default 10000, at most 50000)"),
        ("mode" = Option<String>, Query, description = "`mclp` (default) or `pmedian`"),
        ("min_households" = Option<u64>, Query, description = "Households a cell needs to be a candidate (default 50, at least 10)"),
        ("chain" = Option<String>, Query, description = "Existing outlets: chain ids"),
        ("category" = Option<String>, Query, description = "Existing outlets: categories"),
        ("format" = Option<String>, Query, description = "`json` (default) or `png`")
    ),
    responses(
        (status = 200, description = "Suggested sites, best first", content_type = "application/json"),
        (status = 400, description = "p out of range, a bad distance or mode", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/sites")]
pub async fn sites_get(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    sites(auth, req, state, SitesJson::default()).await
}

/// As `GET /v1/planning/sites`, with an optional JSON body giving the candidate sites.
#[utoipa::path(
    tag = "planning",
    params(
        ("p" = usize, Query, description = "Number of sites, 1..=50"),
        ("distance_m" = Option<f64>, Query, description = "Covering distance D, metres (default 10000, at most 50000)"),
        ("mode" = Option<String>, Query, description = "`mclp` (default) or `pmedian`"),
        ("format" = Option<String>, Query, description = "`json` (default) or `png`")
    ),
    request_body(content = Option<SitesJson>, description = "Optional `{candidates: [{lat, lon}]}`"),
    responses(
        (status = 200, description = "Suggested sites, best first", content_type = "application/json"),
        (status = 400, description = "p out of range (or more than the candidates), a bad distance or mode", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "A bad candidate", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[post("/v1/planning/sites")]
pub async fn sites_post(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = super::body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        SitesJson::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(Kind::BadRequest, "invalid_json", e.to_string()))?
    };
    sites(auth, req, state, parsed).await
}

// ---------- huff ----------

/// Huff gravity model: the probability that a cell's households shop at each selected outlet is
/// ∝ attractiveness (by chain format) / distance^`lambda` (default 2), outlets farther than
/// `cutoff_m` (default 30 km) ignored. Expected households per outlet and market share per
/// municipality. `format=png` draws the density with the selected outlets.
#[utoipa::path(
    tag = "planning",
    params(
        ("lambda" = Option<f64>, Query, description = "Distance decay exponent (> 0, default 2)"),
        ("cutoff_m" = Option<f64>, Query, description = "Outlets farther away are ignored, metres (default 30000, at most 50000)"),
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("format" = Option<String>, Query, description = "`json` (default) or `png`")
    ),
    responses(
        (status = 200, description = "Expected households per outlet, market share per area", content_type = "application/json"),
        (status = 400, description = "A bad lambda, cutoff, chain or format", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not a planner or admin key", body = ErrorBody),
        (status = 404, description = "The server has no household density grid", body = ErrorBody),
        (status = 422, description = "No outlet matches the selection", body = ErrorBody)
    ),
    security(("api_key" = ["planner", "admin"]))
)]
#[get("/v1/planning/huff")]
pub async fn huff(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let allowed = ["lambda", "cutoff_m", "chain", "category", "format"];
    let (p, index, ctx) = start(&req, &state, &auth, &allowed).await?;
    let filter = filter(&p, &index)?;
    let mut opts = HuffOptions::default();
    if let Some(l) = p.opt_f64("lambda")? {
        if !(l > 0.0 && l <= 10.0) {
            return Err(ApiError::bad_param(
                "out_of_range",
                "lambda",
                format!("`lambda` must be > 0 and at most 10, got {l}"),
            ));
        }
        opts.lambda = l;
    }
    if let Some(c) = distance(&p, "cutoff_m", None)? {
        if c > MAX_HUFF_CUTOFF_M {
            return Err(ApiError::bad_param(
                "out_of_range",
                "cutoff_m",
                format!("`cutoff_m` must be at most {MAX_HUFF_CUTOFF_M} m, got {c}"),
            ));
        }
        opts.cutoff_m = c;
    }
    let fmt = format(&p, &[Format::Json, Format::Png], Format::Json)?;
    blocking(&state, move || {
        let r = planning::huff(&ctx, &filter, &opts)?;
        if fmt != Format::Png {
            return Output::json(&r);
        }
        let title = format!(
            "Huff market share {:.1} %: {}",
            r.share.map(|s| s * 100.0),
            r.selection
        );
        Output::png(&ctx, &spec(&ctx, &filter, title, Heat::Density))
    })
    .await
}
