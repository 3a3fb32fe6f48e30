//! Navigator file downloads: `GET /v1/exports/{format}` with the export selection as query
//! parameters. The library's `export::render` makes the file; this file only reads the request.

use super::error::{ApiError, ErrorBody, Kind};
use super::params::Params;
use super::AppState;
use crate::export::{
    self, Codepage, ExportContext, ExportError, ExportOptions, Format, Selected, Selection,
};
use crate::model::{MunicipalityCode, OutletId};
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

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
];

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(download);
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

/// Reads the selection and options of a download request.
fn read_request(
    p: &Params,
    reg: &crate::registry::Registry,
) -> Result<
    (
        Selection,
        Vec<OutletId>,
        ExportOptions,
        Option<chrono::NaiveDate>,
    ),
    ApiError,
> {
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
    let options = ExportOptions {
        proximity_m,
        speed_kmh: None,
        codepage,
        split: flag(p, "split")?,
        zip: false,
    };
    let date = match p.one("date")? {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_param("bad_option", "date", format!("`{d}`: expected YYYY-MM-DD"))
            })?,
        ),
    };
    Ok((sel, ids, options, date))
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
        ("date" = Option<String>, Query, description = "Offers valid on this day (YYYY-MM-DD, default today in Helsinki)")
    ),
    responses(
        (status = 200, description = "The file, with Content-Disposition naming it", content_type = "application/octet-stream"),
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
    let format = Format::parse_list(&format)?;
    let [format] = format[..] else {
        return Err(ApiError::bad_param(
            "unknown_format",
            "format",
            "name exactly one format",
        ));
    };
    let p = Params::parse(req.query_string(), PARAMS)?;
    let index = state.index.load();
    let (selection, ids, options, date) = read_request(&p, index.registry())?;
    let book = state.ledger.offer_book().await?;
    let day = date.unwrap_or_else(|| {
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Helsinki)
            .date_naive()
    });
    // A whole-network export takes tens of milliseconds of CPU: on the exports' own pool
    // (bounded, with a deadline, see `crate::capacity`), so the worker keeps answering other
    // requests meanwhile and planning cannot take the export's cores.
    let rendered = state
        .pools
        .exports
        .run(move || -> Result<export::Rendered, ApiError> {
            let reg = index.registry();
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
                }
            };
            let ctx = ExportContext {
                registry: reg,
                offers: &book,
                day,
                options,
            };
            Ok(export::render(format, &selected, &ctx)?)
        })
        .await??;
    Ok(HttpResponse::Ok()
        .content_type(rendered.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                rendered.file_name.replace('"', "")
            ),
        ))
        .body(rendered.bytes))
}
