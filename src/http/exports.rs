//! Navigator file downloads: `GET /v1/exports/{format}` with the export selection as query
//! parameters, `POST /v1/exports/{format}` with a route file as the body, and the download
//! choices `GET|POST /v1/exports` (each format labelled by device, with the number of places and
//! each file's size). The library's `export` module makes the files; this file only reads the
//! request.

use super::error::{ApiError, ErrorBody, Kind};
use super::params::Params;
use super::AppState;
use crate::export::{
    self, Codepage, ExportContext, ExportError, ExportOptions, Format, Selected, Selection,
};
use crate::i18n::Lang;
use crate::model::{MunicipalityCode, OutletId};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// Most outlet ids one request may name in `ids=`.
pub const MAX_IDS: usize = 5_000;

const PARAMS: &[&str] = &[
    "chain",
    "category",
    "kind",
    "bbox",
    "municipality",
    "ids",
    "split",
    "proximity_m",
    "codepage",
    "date",
    "lang",
    "name",
];

/// The parameters of the route-body requests: the above and the corridor.
const ROUTE_PARAMS: &[&str] = &[
    "chain",
    "category",
    "kind",
    "bbox",
    "municipality",
    "ids",
    "split",
    "proximity_m",
    "codepage",
    "date",
    "lang",
    "name",
    "corridor_m",
];

/// Default corridor half-width around a posted route, metres.
pub const DEFAULT_CORRIDOR_M: f64 = 2_000.0;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(choices)
        .service(choices_along_route)
        .service(download)
        .service(download_along_route);
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::EmptySelection(_) => {
                ApiError::new(Kind::NotFound, "empty_selection", e.to_string())
            }
            ExportError::UnknownFormat(_) => {
                ApiError::bad_param("unknown_format", "format", e.to_string())
            }
            ExportError::UnknownChain(_) => {
                ApiError::bad_param("unknown_chain", "chain", e.to_string())
            }
            ExportError::BadOption { field, .. } => {
                ApiError::bad_param("bad_option", field, e.to_string())
            }
            ExportError::Query(q) => q.into(),
            ExportError::Route { field, message } => {
                ApiError::new(Kind::BadRequest, "invalid_route", message).field(field)
            }
            ExportError::Input { .. } | ExportError::Io { .. } | ExportError::Zip(_) => {
                ApiError::internal(e)
            }
        }
    }
}

fn flag(p: &Params, name: &str) -> Result<bool, ApiError> {
    match p.one(name)? {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => Err(ApiError::bad_param(
            "bad_option",
            name,
            format!("`{other}`: expected true or false"),
        )),
    }
}

/// A download request, read and checked.
struct Request {
    selection: Selection,
    ids: Vec<OutletId>,
    options: ExportOptions,
    day: chrono::NaiveDate,
    /// `lang=` as given (errors about the route file speak it; English when absent).
    lang: Option<Lang>,
}

/// Reads the selection and options of a download request.
fn read_request(p: &Params, reg: &crate::registry::Registry) -> Result<Request, ApiError> {
    let chains: Vec<String> = p.list("chain").into_iter().map(str::to_string).collect();
    let filter = p.filter(reg)?;
    let mut sel = Selection {
        chains: export::parse_chains(reg, &chains)?,
        categories: filter.categories,
        kind: filter.kind,
        bbox: p.bbox()?,
        ..Selection::default()
    };
    for m in p.list("municipality") {
        let code: MunicipalityCode = m.parse().map_err(|e: crate::model::ModelError| {
            ApiError::bad_param("bad_option", "municipality", e.to_string())
        })?;
        sel.municipalities.push(code);
    }
    let ids = p
        .list("ids")
        .into_iter()
        .map(|s| {
            s.parse::<OutletId>()
                .map_err(|e| ApiError::bad_param("bad_option", "ids", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_param(
            "bad_option",
            "ids",
            format!("at most {MAX_IDS} ids"),
        ));
    }
    let proximity_m = match p.opt_f64("proximity_m")? {
        None => None,
        Some(m) if (1.0..=u16::MAX as f64).contains(&m) => Some(m.round() as u16),
        Some(_) => {
            return Err(ApiError::bad_param(
                "bad_option",
                "proximity_m",
                "must be 1..=65535 metres",
            ))
        }
    };
    let codepage = match p.one("codepage")? {
        None => Codepage::default(),
        Some(c) => c.parse::<Codepage>()?,
    };
    let lang = match p.one("lang")? {
        None => None,
        Some(l) => Some(
            l.parse::<Lang>()
                .map_err(|e| ApiError::bad_param("bad_option", "lang", e.to_string()))?,
        ),
    };
    let date = match p.one("date")? {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_param("bad_option", "date", format!("`{d}`: expected YYYY-MM-DD"))
            })?,
        ),
    };
    let day = date.unwrap_or_else(|| {
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Helsinki)
            .date_naive()
    });
    let name = p.one("name")?;
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(ApiError::bad_param(
            "bad_option",
            "name",
            "at most 200 characters",
        ));
    }
    let options = ExportOptions {
        proximity_m,
        speed_kmh: None,
        codepage,
        split: flag(p, "split")?,
        zip: false,
        lang: lang.unwrap_or_default(),
        file_stem: Some(export::download_stem(name, lang.unwrap_or_default(), day)),
    };
    Ok(Request {
        selection: sel,
        ids,
        options,
        day,
        lang,
    })
}

/// Reads the corridor of a route request, metres.
fn corridor(p: &Params) -> Result<f64, ApiError> {
    let c = p.opt_f64("corridor_m")?.unwrap_or(DEFAULT_CORRIDOR_M);
    if !(c > 0.0 && c <= crate::spatial::MAX_CORRIDOR_M) {
        return Err(ApiError::bad_param(
            "out_of_range",
            "corridor_m",
            format!(
                "corridor_m must be more than 0 and at most {} metres",
                crate::spatial::MAX_CORRIDOR_M
            ),
        ));
    }
    Ok(c)
}

/// Runs `make` with the selected outlets on the blocking pool: a whole-network export takes tens
/// of milliseconds of CPU, a long route more, and the worker keeps answering meanwhile. A posted
/// route is read there too.
async fn with_selection<T: Send + 'static>(
    state: &web::Data<AppState>,
    req: Request,
    route: Option<(web::Bytes, f64)>,
    make: impl FnOnce(&Selected<'_>, &ExportContext<'_>) -> Result<T, ExportError> + Send + 'static,
) -> Result<T, ApiError> {
    let index = state.index.load();
    let book = state.ledger.offer_book().await?;
    // A whole-network export takes tens of milliseconds of CPU: on the exports' own pool
    // (bounded, with a deadline, see `crate::capacity`), so the worker keeps answering other
    // requests meanwhile and planning cannot take the export's cores.
    state
        .pools
        .exports
        .run(move || -> Result<T, ApiError> {
            let reg = index.registry();
            let Request {
                mut selection,
                ids,
                options,
                day,
                lang,
            } = req;
            if let Some((body, corridor_m)) = route {
                let line = export::read_route(&body, lang)?;
                super::outlets::check_route_work(line.len(), corridor_m)?;
                selection.route = Some((line, corridor_m));
            }
            let selected = if ids.is_empty() {
                export::select(&index, &selection)?
            } else {
                let outlets = ids
                    .iter()
                    .map(|id| {
                        reg.outlet(*id).ok_or_else(|| {
                            ApiError::bad_param(
                                "unknown_outlet",
                                "ids",
                                format!("no open outlet {id}"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Selected {
                    outlets,
                    description: format!("{} outlets by id", ids.len()),
                    route: selection.route.map(|(r, _)| r),
                }
            };
            let ctx = ExportContext {
                registry: reg,
                offers: &book,
                day,
                options,
            };
            Ok(make(&selected, &ctx)?)
        })
        .await?
}

fn file_response(rendered: export::Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(rendered.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                rendered.file_name.replace('"', "")
            ),
        ))
        .body(rendered.bytes)
}

fn one_format(raw: &str) -> Result<Format, ApiError> {
    let format = Format::parse_list(raw)?;
    let [format] = format[..] else {
        return Err(ApiError::bad_param(
            "unknown_format",
            "format",
            "name exactly one format",
        ));
    };
    Ok(format)
}

/// The download choices for a selection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Choices {
    /// How many places (outlets) every file holds.
    pub places: usize,
    /// One entry per format, car navigators first.
    pub formats: Vec<ChoiceJson>,
}

/// One format a user can download.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceJson {
    /// The format's name in URLs: gpi, ov2, gpx, kml, kmz, csv, geojson.
    pub format: &'static str,
    /// Which device or program it is for, in the request's language, e.g. `Garmin car navigator – GPI`.
    pub label: String,
    /// The file's exact size in bytes.
    pub bytes: usize,
    /// The file's name, after `name=` (or the localised default) and the day.
    pub filename: String,
    /// Where to download it: the same query on `/v1/exports/{format}`.
    pub href: String,
    /// `GET`, or `POST` with the same route body for a route request.
    pub method: &'static str,
}

fn choices_json(
    req: &HttpRequest,
    method: &'static str,
    places: usize,
    list: Vec<export::Choice>,
) -> Choices {
    let q = req.query_string();
    Choices {
        places,
        formats: list
            .into_iter()
            .map(|c| ChoiceJson {
                format: c.format.name(),
                href: if q.is_empty() {
                    format!("/v1/exports/{}", c.format.name())
                } else {
                    format!("/v1/exports/{}?{q}", c.format.name())
                },
                label: c.label,
                bytes: c.bytes,
                filename: c.filename,
                method,
            })
            .collect(),
    }
}

/// The download choices for a selection: each format labelled by the device it is for, in
/// `lang` (fi, sv or en; default fi), with the number of places and each file's exact size.
#[utoipa::path(
    tag = "exports",
    params(
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("kind" = Option<String>, Query, description = "`store` or `partner`"),
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat"),
        ("municipality" = Option<String>, Query, description = "Municipality codes (repeat or comma list)"),
        ("ids" = Option<String>, Query, description = "Outlet ids (comma list, at most 5000)"),
        ("lang" = Option<String>, Query, description = "fi (default), sv or en: labels, descriptions and file names"),
        ("name" = Option<String>, Query, description = "File name before the date, e.g. the route's name (sanitised to a-z, 0-9 and -, at most 60 characters)"),
        ("date" = Option<String>, Query, description = "Offers valid on this day (YYYY-MM-DD, default today in Helsinki)")
    ),
    responses(
        (status = 200, description = "The formats with labels, sizes, file names and links", body = Choices),
        (status = 400, description = "An unknown chain, language or malformed option", body = ErrorBody),
        (status = 404, description = "The selection matched no outlet", body = ErrorBody)
    )
)]
#[get("/v1/exports")]
pub async fn choices(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), PARAMS)?;
    let r = read_request(&p, state.index.load().registry())?;
    let (places, list) = with_selection(&state, r, None, |s, ctx| {
        Ok((s.outlets.len(), export::choices(s, ctx)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(choices_json(&req, "GET", places, list)))
}

/// The download choices for the outlets along a route sent as the body (GPX or GeoJSON), as
/// `GET /v1/exports`; each `href` is to be POSTed with the same body.
#[utoipa::path(
    tag = "exports",
    params(
        ("corridor_m" = Option<f64>, Query, description = "Corridor half-width around the route, metres (default 2000, at most 50000)"),
        ("lang" = Option<String>, Query, description = "fi (default), sv or en; also the language of errors about the route file"),
        ("name" = Option<String>, Query, description = "File name before the date, e.g. `helsinki-oulu`")
    ),
    request_body(content = String, description = "The route: GPX (track, route) or GeoJSON LineString", content_type = "application/gpx+xml"),
    responses(
        (status = 200, description = "The formats with labels, sizes, file names and links", body = Choices),
        (status = 400, description = "A route file that cannot be used, said in plain words", body = ErrorBody),
        (status = 404, description = "No outlet along the route", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody)
    )
)]
#[post("/v1/exports")]
pub async fn choices_along_route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), ROUTE_PARAMS)?;
    let r = read_request(&p, state.index.load().registry())?;
    let c = corridor(&p)?;
    let body = super::body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let (places, list) = with_selection(&state, r, Some((body, c)), |s, ctx| {
        Ok((s.outlets.len(), export::choices(s, ctx)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(choices_json(&req, "POST", places, list)))
}

/// A navigator file of the outlets along a route sent as the body (GPX or GeoJSON), in route
/// order; the GPX carries the route as a track beside the stops.
#[utoipa::path(
    tag = "exports",
    params(
        ("format" = String, Path, description = "gpx, ov2, gpi, csv (Garmin POI Loader), kml, kmz or geojson"),
        ("corridor_m" = Option<f64>, Query, description = "Corridor half-width around the route, metres (default 2000, at most 50000)"),
        ("lang" = Option<String>, Query, description = "fi (default), sv or en; also the language of errors about the route file"),
        ("name" = Option<String>, Query, description = "File name before the date, e.g. `helsinki-oulu`")
    ),
    request_body(content = String, description = "The route: GPX (track, route) or GeoJSON LineString", content_type = "application/gpx+xml"),
    responses(
        (status = 200, description = "The file, with Content-Disposition naming it: the format's own type, or a zip when it comes with companion files (icons, one file per chain) or `zip=true`", content(
            (String = "application/gpx+xml"),
            (Vec<u8> = "application/octet-stream"),
            (String = "text/csv"),
            (String = "application/vnd.google-earth.kml+xml"),
            (Vec<u8> = "application/vnd.google-earth.kmz"),
            (serde_json::Value = "application/geo+json"),
            (Vec<u8> = "application/zip"),
        )),
        (status = 400, description = "A route file that cannot be used, said in plain words", body = ErrorBody),
        (status = 404, description = "No outlet along the route", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody)
    )
)]
#[post("/v1/exports/{format}")]
pub async fn download_along_route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    format: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let format = one_format(&format)?;
    let p = Params::parse(req.query_string(), ROUTE_PARAMS)?;
    let r = read_request(&p, state.index.load().registry())?;
    let c = corridor(&p)?;
    let body = super::body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let rendered = with_selection(&state, r, Some((body, c)), move |s, ctx| {
        export::render(format, s, ctx)
    })
    .await?;
    Ok(file_response(rendered))
}

/// A navigator file of the selected outlets, with their current offers in the descriptions.
///
/// OV2, Garmin CSV and KML come as a zip with their icons; `split=true` gives one file per chain
/// in a zip. `ids=` (comma list) picks these outlets, e.g. the web map's route list.
#[utoipa::path(
    tag = "exports",
    params(
        ("format" = String, Path, description = "gpx, ov2, gpi, csv (Garmin POI Loader), kml, kmz or geojson"),
        ("chain" = Option<String>, Query, description = "Chain ids (repeat or comma list)"),
        ("category" = Option<String>, Query, description = "Categories (repeat or comma list)"),
        ("kind" = Option<String>, Query, description = "`store` or `partner`"),
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat"),
        ("municipality" = Option<String>, Query, description = "Municipality codes (repeat or comma list)"),
        ("ids" = Option<String>, Query, description = "Outlet ids (comma list, at most 5000)"),
        ("split" = Option<bool>, Query, description = "One file per chain, zipped"),
        ("proximity_m" = Option<u16>, Query, description = "Proximity alert radius, metres (GPX, GPI)"),
        ("codepage" = Option<u16>, Query, description = "GPI text encoding: 65001 (default) or 1252"),
        ("date" = Option<String>, Query, description = "Offers valid on this day (YYYY-MM-DD, default today in Helsinki)"),
        ("lang" = Option<String>, Query, description = "fi (default), sv or en: descriptions (hours in words, offers) and the file name"),
        ("name" = Option<String>, Query, description = "File name before the date, e.g. `helsinki-oulu` (default `k-plussa-kaupat`, localised)")
    ),
    responses(
        (status = 200, description = "The file, with Content-Disposition naming it: the format's own type, or a zip when it comes with companion files (icons, one file per chain) or `zip=true`", content(
            (String = "application/gpx+xml"),
            (Vec<u8> = "application/octet-stream"),
            (String = "text/csv"),
            (String = "application/vnd.google-earth.kml+xml"),
            (Vec<u8> = "application/vnd.google-earth.kmz"),
            (serde_json::Value = "application/geo+json"),
            (Vec<u8> = "application/zip"),
        )),
        (status = 400, description = "An unknown format, chain or malformed option", body = ErrorBody),
        (status = 404, description = "The selection matched no outlet", body = ErrorBody)
    )
)]
#[get("/v1/exports/{format}")]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    format: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let format = one_format(&format)?;
    let p = Params::parse(req.query_string(), PARAMS)?;
    let r = read_request(&p, state.index.load().registry())?;
    let rendered = with_selection(&state, r, None, move |s, ctx| {
        export::render(format, s, ctx)
    })
    .await?;
    Ok(file_response(rendered))
}
