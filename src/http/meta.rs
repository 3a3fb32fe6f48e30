//! Service routes: health, Prometheus metrics, the OpenAPI document and the API page.

use super::error::{ApiError, ErrorBody};
use super::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// Registers the routes (the OpenAPI document and the API page are added by [`super::app`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(metrics);
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

/// Request counts and latency histograms per route pattern, Prometheus text format.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    use prometheus::Encoder;
    let encoder = prometheus::TextEncoder::new();
    let mut buf = Vec::new();
    encoder
        .encode(&state.metrics.registry.gather(), &mut buf)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buf))
}
