//! Outlet writes (key of role `admin`): open, change and close outlets. Each write is persisted,
//! then the snapshot is rebuilt from the database and swapped in, so the next query sees it.

use super::auth::Authenticated;
use super::body;
use super::error::{ApiError, ErrorBody, Kind};
use super::outlets::parse_id;
use super::params::check_lat_lon;
use super::response::OutletJson;
use super::AppState;
use crate::model::text::{rules, TextRule};
use crate::model::{
    Address, ChainId, LonLat, MunicipalityCode, OpeningHours, Outlet, OutletKind, Service,
};
use crate::registry::Registry;
use crate::store::{OutletPatch, Role};
use actix_web::http::header;
use actix_web::{delete, patch, post, web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::ToSchema;

/// How far outside Finland's outline (metres) a written outlet may lie: border towns, islands.
const FINLAND_TOLERANCE_M: f64 = 25_000.0;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(update).service(close);
}

/// A new outlet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutlet {
    /// Id; the next free one when left out.
    pub id: Option<u32>,
    /// Display name.
    pub name: String,
    /// Chain id (must exist).
    pub chain: String,
    /// `store` or `partner`.
    pub kind: String,
    /// Street and number.
    pub street: String,
    /// Five-digit postal code.
    pub postal_code: String,
    /// Post office / city.
    pub city: String,
    /// Municipality code, 1..=999.
    pub municipality: String,
    /// Latitude, WGS84 degrees (in Finland).
    pub lat: f64,
    /// Longitude, WGS84 degrees (in Finland).
    pub lon: f64,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
    /// Opening hours, e.g. `Mo-Fr 07:00-21:00; Sa 08:00-21:00`.
    pub opening_hours: String,
    /// Service tags.
    #[serde(default)]
    pub services: Vec<String>,
}

/// A change to an outlet: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutletChange {
    /// Display name.
    pub name: Option<String>,
    /// Chain id (must exist).
    pub chain: Option<String>,
    /// `store` or `partner`.
    pub kind: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// Five-digit postal code.
    pub postal_code: Option<String>,
    /// Post office / city.
    pub city: Option<String>,
    /// Municipality code.
    pub municipality: Option<String>,
    /// Latitude (with or without `lon`).
    pub lat: Option<f64>,
    /// Longitude (with or without `lat`).
    pub lon: Option<f64>,
    /// Phone number.
    pub phone: Option<String>,
    /// Opening hours.
    pub opening_hours: Option<String>,
    /// Service tags, replacing the old list.
    pub services: Option<Vec<String>>,
}

/// Parses a JSON body, naming the field at fault: 400 for text that is not JSON, 422 for JSON
/// whose fields are missing, unknown or of the wrong type.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                Kind::BadRequest,
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let msg = inner.to_string();
        // serde reports a missing or unknown field at the parent's path, naming it in the text.
        let named = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field") || msg.starts_with("unknown field"));
        let field = match named {
            Some(f) => f.to_string(),
            None if path == "." => "body".to_string(),
            None => path,
        };
        ApiError::invalid_outlet(&field, msg)
    })
}

/// A free-text field under the crate's one set of text rules ([`crate::model::text`]).
fn text(rule: TextRule, v: &str) -> Result<String, ApiError> {
    rule.clean(v)
        .map_err(|e| ApiError::invalid_outlet(rule.field, format!("`{}` {e}", rule.field)))
}

fn chain(reg: &Registry, v: &str) -> Result<ChainId, ApiError> {
    ChainId::new(v.trim())
        .ok()
        .filter(|c| reg.chain(c).is_some())
        .ok_or_else(|| ApiError::invalid_outlet("chain", format!("unknown chain `{v}`")))
}

fn kind(v: &str) -> Result<OutletKind, ApiError> {
    v.parse()
        .map_err(|e: crate::model::ModelError| ApiError::invalid_outlet("kind", e.to_string()))
}

fn postal_code(v: &str) -> Result<String, ApiError> {
    let v = v.trim();
    if v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        Err(ApiError::invalid_outlet(
            "postal_code",
            format!("`postal_code` must be five digits, got `{v}`"),
        ))
    }
}

fn municipality(v: &str) -> Result<MunicipalityCode, ApiError> {
    v.parse().map_err(|e: crate::model::ModelError| {
        ApiError::invalid_outlet("municipality", e.to_string())
    })
}

fn location(lat: f64, lon: f64) -> Result<LonLat, ApiError> {
    let p = check_lat_lon(lat, lon).map_err(|e| {
        let field = if lat.is_finite() && (-90.0..=90.0).contains(&lat) {
            "lon"
        } else {
            "lat"
        };
        ApiError::invalid_outlet(field, e.to_string())
    })?;
    if !crate::finland::outline().contains_with_tolerance(p, FINLAND_TOLERANCE_M) {
        return Err(ApiError::invalid_outlet(
            "lat",
            format!("lat {lat}, lon {lon} is not in Finland"),
        ));
    }
    Ok(p)
}

fn hours(v: &str) -> Result<OpeningHours, ApiError> {
    let v = text(rules::OPENING_HOURS, v)?;
    OpeningHours::parse(&v).map_err(|e| ApiError::invalid_outlet("opening_hours", e.to_string()))
}

fn services(v: &[String]) -> Result<Vec<Service>, ApiError> {
    let mut s = v
        .iter()
        .map(|t| {
            Service::new(t.trim()).map_err(|e| ApiError::invalid_outlet("services", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    s.sort();
    s.dedup();
    Ok(s)
}

/// Persists nothing itself: validates a change against the current snapshot.
fn patch_of(reg: &Registry, current: &Outlet, c: &OutletChange) -> Result<OutletPatch, ApiError> {
    let location = match (c.lat, c.lon) {
        (None, None) => None,
        (lat, lon) => Some(location(
            lat.unwrap_or(current.location.lat()),
            lon.unwrap_or(current.location.lon()),
        )?),
    };
    Ok(OutletPatch {
        name: c
            .name
            .as_deref()
            .map(|v| text(rules::OUTLET_NAME, v))
            .transpose()?,
        chain: c.chain.as_deref().map(|v| chain(reg, v)).transpose()?,
        kind: c.kind.as_deref().map(kind).transpose()?,
        street: c
            .street
            .as_deref()
            .map(|v| text(rules::STREET, v))
            .transpose()?,
        postal_code: c.postal_code.as_deref().map(postal_code).transpose()?,
        city: c
            .city
            .as_deref()
            .map(|v| text(rules::CITY, v))
            .transpose()?,
        municipality: c.municipality.as_deref().map(municipality).transpose()?,
        location,
        phone: c
            .phone
            .as_deref()
            .map(|v| text(rules::PHONE, v))
            .transpose()?,
        hours: c.opening_hours.as_deref().map(hours).transpose()?,
        services: c.services.as_deref().map(services).transpose()?,
    })
}

/// Rebuilds the snapshot from the database and swaps it in.
async fn reload(state: &AppState) -> Result<(), ApiError> {
    state.reload().await.map_err(ApiError::internal)
}

/// Opens a new outlet.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = ["admin"])),
    request_body = NewOutlet,
    responses(
        (status = 201, description = "Created; visible to the next query", body = OutletJson),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key of another role", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 422, description = "An invalid field, named in `field`", body = ErrorBody)
    )
)]
#[post("/v1/outlets")]
pub async fn create(
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin])?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let n: NewOutlet = parse_json(&bytes)?;
    let reg = state.index.load().registry().clone();
    let mut outlet = Outlet {
        id: crate::model::OutletId(0),
        name: text(rules::OUTLET_NAME, &n.name)?,
        chain: chain(&reg, &n.chain)?,
        kind: kind(&n.kind)?,
        address: Address {
            street: text(rules::STREET, &n.street)?,
            postal_code: postal_code(&n.postal_code)?,
            city: text(rules::CITY, &n.city)?,
        },
        municipality: municipality(&n.municipality)?,
        location: location(n.lat, n.lon)?,
        phone: text(rules::PHONE, &n.phone)?,
        hours: hours(&n.opening_hours)?,
        services: services(&n.services)?,
    };
    let _writer = state.writer.lock().await;
    outlet.id = match n.id {
        Some(0) => return Err(ApiError::invalid_outlet("id", "`id` must be positive")),
        Some(id) => crate::model::OutletId(id),
        None => state.store.next_outlet_id().await?,
    };
    state.store.insert_outlet(&outlet).await?;
    reload(&state).await?;
    let json = OutletJson::new(&reg, &outlet);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/outlets/{}", outlet.id)))
        .json(json))
}

/// Changes fields of an open outlet.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = ["admin"])),
    params(("id" = u32, Path, description = "Outlet id")),
    request_body = OutletChange,
    responses(
        (status = 200, description = "The outlet as now stored", body = OutletJson),
        (status = 400, description = "Not JSON, or not an id", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key of another role", body = ErrorBody),
        (status = 404, description = "No open outlet with this id", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 422, description = "An invalid field, named in `field`, or an id past the largest storable", body = ErrorBody)
    )
)]
#[patch("/v1/outlets/{id}")]
pub async fn update(
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin])?;
    let id = parse_id(&id)?;
    let bytes = body::read_limited(&req, payload, state.settings.max_body_bytes).await?;
    let change: OutletChange = parse_json(&bytes)?;
    let _writer = state.writer.lock().await;
    let index = state.index.load();
    let reg = index.registry();
    let current = reg
        .outlet(id)
        .ok_or_else(|| ApiError::not_found(format!("no open outlet with id {id}")))?;
    let patch = patch_of(reg, current, &change)?;
    let updated = state
        .store
        .update_outlet(id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no open outlet with id {id}")))?;
    reload(&state).await?;
    Ok(HttpResponse::Ok().json(OutletJson::new(reg, &updated)))
}

/// Closes an outlet: it leaves every query; its row stays for the ledger's history.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = ["admin"])),
    params(("id" = u32, Path, description = "Outlet id")),
    responses(
        (status = 204, description = "Closed"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "Missing or invalid key", body = ErrorBody),
        (status = 403, description = "Key of another role", body = ErrorBody),
        (status = 404, description = "No open outlet with this id", body = ErrorBody),
        (status = 422, description = "An id past the largest storable", body = ErrorBody)
    )
)]
#[delete("/v1/outlets/{id}")]
pub async fn close(
    auth: Authenticated,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(&[Role::Admin])?;
    let id = parse_id(&id)?;
    let _writer = state.writer.lock().await;
    if !state.store.close_outlet(id).await? {
        return Err(ApiError::not_found(format!("no open outlet with id {id}")));
    }
    reload(&state).await?;
    Ok(HttpResponse::NoContent().finish())
}
