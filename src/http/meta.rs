//! Service routes: health, Prometheus metrics, the OpenAPI document and the API page.

use super::auth::Authenticated;
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::store::Role;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// Registers the routes (the OpenAPI document and the API page are added by [`super::app`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(metrics).service(refused);
}

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Open outlets in the current snapshot.
    pub outlets: usize,
}

/// Healthy when the database answers; also tells the snapshot's size.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 500, description = "The database does not answer", body = ErrorBody)
    )
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        outlets: state.index.load().registry().outlets().len(),
    }))
}

/// Request counts and latency histograms per route pattern, Prometheus text format. They show
/// the volumes of purchases and balance reads per route, so they need an admin key; Prometheus
/// sends it with `authorization: { type: Bearer, credentials_file: … }` in its scrape config.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "Not an admin key", body = ErrorBody)
    ),
    security(("api_key" = ["admin"]))
)]
#[get("/metrics")]
pub async fn metrics(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    use prometheus::Encoder;
    auth.require(&[Role::Admin])?;
    let encoder = prometheus::TextEncoder::new();
    let mut buf = Vec::new();
    encoder
        .encode(&state.metrics.registry.gather(), &mut buf)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buf))
}

/// The answer to a request head the guard refused (`http::guard`): it stands in for that
/// request, so the client gets our JSON body and headers rather than actix's bare 400 or 431.
/// Not in the OpenAPI document: no client calls it on purpose.
#[get("/.well-known/storenet/refused/{status}")]
pub async fn refused(status: web::Path<u16>) -> Result<HttpResponse, ApiError> {
    use super::error::Kind;
    use super::guard::{MAX_HEADERS, MAX_HEAD_BYTES};
    Err(if status.into_inner() == 431 {
        ApiError::new(
            Kind::HeadTooLarge,
            "request_head_too_large",
            format!(
                "the request line and headers must be at most {MAX_HEAD_BYTES} bytes and at most \
                 {MAX_HEADERS} headers; send long selections in a body where the route takes one"
            ),
        )
    } else {
        ApiError::new(
            Kind::BadRequest,
            "malformed_request",
            "the request line or a header is not valid HTTP/1.1",
        )
    })
}
