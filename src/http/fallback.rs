//! Requests no route took: 405 with `Allow` when the path is one of the OpenAPI document's with
//! another method, 404 otherwise; both with our JSON error body.

use super::error::{ApiError, Kind};
use super::ApiDoc;
use actix_web::dev::ResourceDef;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::sync::OnceLock;
use utoipa::OpenApi;

/// Each documented path, as a pattern actix matches, with the methods it takes.
fn documented() -> &'static [(ResourceDef, Vec<&'static str>)] {
    static PATHS: OnceLock<Vec<(ResourceDef, Vec<&'static str>)>> = OnceLock::new();
    PATHS.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ];
                let methods = methods
                    .into_iter()
                    .filter_map(|(m, has)| has.then_some(m))
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect()
    })
}

/// The methods the documented routes take at `path`, in a fixed order; empty if none matches.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (def, methods) in documented() {
        if def.is_match(path) {
            for m in methods {
                if !out.contains(m) {
                    out.push(m);
                }
            }
        }
    }
    const ORDER: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    out.sort_by_key(|m| ORDER.iter().position(|o| o == m));
    out
}

/// The default service.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    let allow = allowed_methods(req.path());
    if allow.is_empty() {
        return ApiError::not_found("no such route; see /openapi.json or /docs/").error_response();
    }
    let allow = allow.join(", ");
    let mut resp = ApiError::new(
        Kind::MethodNotAllowed,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    )
    .error_response();
    if let Ok(v) = header::HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_paths_give_their_methods() {
        assert_eq!(allowed_methods("/v1/chains"), ["GET"]);
        let by_id = allowed_methods("/v1/outlets/123");
        assert!(
            by_id.contains(&"GET") && by_id.contains(&"DELETE"),
            "{by_id:?}"
        );
        assert!(allowed_methods("/v1/nothing-here").is_empty());
    }
}
