//! Response headers for browsers: security headers on every response, and CORS only for the
//! origins listed in [`Settings::cors_origins`](crate::config::Settings::cors_origins).
//!
//! The content security policy fits the two pages we serve, the map at `/` and Swagger UI at
//! `/docs/`: scripts, styles, fonts and data only from this origin (both pages load nothing from
//! elsewhere: Leaflet and Swagger UI are compiled into the binary); images also as `data:` and
//! `blob:` (Leaflet's and Swagger UI's icons); inline `style` attributes, which both set on the
//! markers and legends they build, but never inline scripts. No page may frame ours.

use super::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpResponse};

/// The content security policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Security headers added to every response that does not set its own.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .add((
            HeaderName::from_static("permissions-policy"),
            "geolocation=(), camera=(), microphone=()",
        ))
}

/// Methods a cross-origin page may use, answered to preflights.
const CORS_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a cross-origin page may send.
const CORS_HEADERS: &str = "authorization, content-type, accept";

/// The middleware: for an allowed `Origin`, answers preflights and marks responses readable by
/// that origin; for any other origin (or none) adds nothing, so browsers keep the API closed.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let settings = req
        .app_data::<web::Data<AppState>>()
        .map(|s| std::sync::Arc::clone(&s.settings));
    let origins: &[String] = settings.as_deref().map_or(&[], |s| &s.cors_origins);
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| origins.iter().any(|a| a.as_bytes() == o.as_bytes()))
        .cloned();
    let Some(origin) = allowed else {
        let mut res = next.call(req).await?;
        if !origins.is_empty() {
            vary_origin(res.headers_mut());
        }
        return Ok(res.map_into_left_body());
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let resp = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, CORS_METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(req.into_response(resp).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, content-disposition"),
    );
    vary_origin(h);
    Ok(res.map_into_left_body())
}

/// Caches must not give one origin's answer to another when the answer depends on `Origin`.
fn vary_origin(h: &mut actix_web::http::header::HeaderMap) {
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}
