//! The web map: one page at `/` and its assets, every byte compiled into the binary.
//!
//! `src/http/web/` (the page, its script and style, and the vendored Leaflet build) is embedded
//! with rust-embed (`debug-embed`, so debug builds do not read the source tree either) and served
//! under `/assets/`. The map has no tile server: its base layer is the bundled Finland outline
//! ([`crate::finland::OUTLINE_GEOJSON`], at `/assets/finland.geojson`) and the municipal centres
//! (`data/sources/fi_municipality_centres.csv`, at `/assets/municipalities.json`).

use super::error::ApiError;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::sync::OnceLock;

/// The page and its assets, compiled in.
#[derive(rust_embed::Embed)]
#[folder = "src/http/web/"]
struct Assets;

/// The municipal centres, compiled in.
const CENTRES_CSV: &str = include_str!("../../data/sources/fi_municipality_centres.csv");

/// Registers the routes. The two data files come before the catch-all asset route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(outline)
        .service(municipalities)
        .service(asset);
}

/// A municipality's central locality, as the page labels it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Centre {
    /// Three-digit municipality code.
    pub code: String,
    /// Name, capitalised as a name (the source has it in capitals).
    pub name: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Population (2022), where the source has one.
    pub population: Option<u64>,
}

#[derive(serde::Deserialize)]
struct CentreRow {
    kunta: String,
    name: String,
    lon: f64,
    lat: f64,
    population: Option<u64>,
}

/// "MÄNTTÄ-VILPPULA" → "Mänttä-Vilppula": each letter run starts upper case.
fn name_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for ch in s.chars() {
        if ch.is_alphabetic() {
            if start {
                out.extend(ch.to_uppercase());
            } else {
                out.extend(ch.to_lowercase());
            }
            start = false;
        } else {
            out.push(ch);
            start = true;
        }
    }
    out
}

/// Parses the bundled centres file; an error names the line.
pub fn centres() -> Result<Vec<Centre>, String> {
    let mut rdr = csv::Reader::from_reader(CENTRES_CSV.as_bytes());
    rdr.deserialize::<CentreRow>()
        .enumerate()
        .map(|(i, row)| {
            // Line numbers count the header as line 1.
            let r = row.map_err(|e| format!("fi_municipality_centres.csv:{}: {e}", i + 2))?;
            Ok(Centre {
                code: format!("{:0>3}", r.kunta),
                name: name_case(&r.name),
                lat: r.lat,
                lon: r.lon,
                population: r.population,
            })
        })
        .collect()
}

fn no_cache() -> CacheControl {
    // The assets change with the binary; `no-cache` revalidates instead of serving a stale page.
    CacheControl(vec![CacheDirective::NoCache])
}

/// The Content-Type of an asset by its extension; text types say UTF-8.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json"
        );
    if text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

fn embedded(path: &str) -> Result<HttpResponse, ApiError> {
    let file =
        Assets::get(path).ok_or_else(|| ApiError::not_found(format!("no asset `{path}`")))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(path))
        .insert_header(no_cache())
        .body(file.data.into_owned()))
}

/// The map page.
#[get("/")]
pub async fn index() -> Result<HttpResponse, ApiError> {
    embedded("index.html")
}

/// The Finland outline (Natural Earth), the map's base layer.
#[get("/assets/finland.geojson")]
pub async fn outline() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(super::response::GEOJSON)
        .insert_header(no_cache())
        .body(crate::finland::OUTLINE_GEOJSON)
}

/// The municipal centres as a JSON array of [`Centre`], for the map's labels.
#[get("/assets/municipalities.json")]
pub async fn municipalities() -> Result<HttpResponse, ApiError> {
    static JSON: OnceLock<Result<String, String>> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        centres().and_then(|c| serde_json::to_string(&c).map_err(|e| e.to_string()))
    });
    match json {
        Ok(body) => Ok(HttpResponse::Ok()
            .insert_header(ContentType::json())
            .insert_header(no_cache())
            .body(body.clone())),
        Err(e) => Err(ApiError::internal(anyhow::anyhow!("{e}"))),
    }
}

/// Any other embedded asset: the script, the style, the vendored map library.
#[get("/assets/{path:.*}")]
pub async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    embedded(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_centre_parses_with_a_three_digit_code_inside_finland() {
        let c = centres().expect("bundled centres parse");
        assert_eq!(c.len(), 309);
        for m in &c {
            assert_eq!(m.code.len(), 3, "{m:?}");
            assert!(
                (59.0..71.0).contains(&m.lat) && (19.0..32.0).contains(&m.lon),
                "{m:?}"
            );
        }
        let helsinki = c.iter().find(|m| m.code == "091").expect("Helsinki");
        assert_eq!(helsinki.name, "Helsinki");
    }

    #[test]
    fn names_are_capitalised_per_word_and_hyphen_part() {
        assert_eq!(name_case("MÄNTTÄ-VILPPULA"), "Mänttä-Vilppula");
        assert_eq!(name_case("KOSKI TL"), "Koski Tl");
        assert_eq!(name_case("ÄÄNEKOSKI"), "Äänekoski");
    }

    #[test]
    fn assets_have_their_content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert!(content_type("app.js").contains("javascript"));
        assert_eq!(
            content_type("vendor/leaflet/images/layers.png"),
            "image/png"
        );
    }

    #[test]
    fn the_page_and_the_vendored_library_are_embedded() {
        for p in [
            "index.html",
            "app.js",
            "style.css",
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/leaflet.css",
            "vendor/leaflet/LICENSE",
            "vendor/leaflet.markercluster/leaflet.markercluster.js",
        ] {
            assert!(Assets::get(p).is_some(), "{p} is not embedded");
        }
    }
}
