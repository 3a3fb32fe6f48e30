//! Response headers for browsers: security headers on every response, and CORS only for the
//! origins listed in [`Settings::cors_origins`](crate::config::Settings::cors_origins).
//!
//! The content security policy fits the two pages we serve, the map at `/` and Swagger UI at
//! `/docs/`: scripts, styles, fonts and data only from this origin (both pages load nothing from
//! elsewhere: Leaflet and Swagger UI are compiled into the binary); images also as `data:` and
//! `blob:` (Leaflet's and Swagger UI's icons); inline `style` attributes, which both set on the
//! markers and legends they build, but never inline scripts. No page may frame ours.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::HttpResponse;

/// The content security policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The security headers of every response, by name.
fn security_headers() -> [(HeaderName, HeaderValue); 6] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("geolocation=(self), camera=(), microphone=()"),
        ),
    ]
}

/// Adds each security header the response does not set itself.
pub fn add_security_headers(h: &mut HeaderMap) {
    for (name, value) in security_headers() {
        if !h.contains_key(&name) {
            h.insert(name, value);
        }
    }
}

/// Methods a cross-origin page may use, answered to preflights.
const CORS_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a cross-origin page may send.
const CORS_HEADERS: &str = "authorization, content-type, accept";

/// The request's `Origin` if it is one of `origins`: only those pages may read our answers.
pub fn allowed_origin(origins: &[String], req: &ServiceRequest) -> Option<HeaderValue> {
    if origins.is_empty() {
        return None;
    }
    req.headers()
        .get(header::ORIGIN)
        .filter(|o| origins.iter().any(|a| a.as_bytes() == o.as_bytes()))
        .cloned()
}

/// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`).
pub fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from an allowed origin.
pub fn preflight(origin: HeaderValue) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, CORS_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

/// Marks a response readable by `origin` (an allowed one), or, with none, only says that the
/// answer depends on `Origin` when some origins are allowed: caches must not give one origin's
/// answer to another. With no origins configured, adds nothing and browsers keep the API closed.
pub fn cors_response_headers(h: &mut HeaderMap, origins: &[String], origin: Option<HeaderValue>) {
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after, content-disposition"),
        );
    }
    if !origins.is_empty() {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
