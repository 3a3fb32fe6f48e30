//! The web map: one page at `/` and its assets, every byte compiled into the binary.
//!
//! `src/http/web/` (the page, its script and style, and the vendored Leaflet build) is embedded
//! with rust-embed (`debug-embed`, so debug builds do not read the source tree either) and served
//! under `/assets/`. The map has no tile server: its base layer is the bundled Finland outline
//! ([`crate::finland::OUTLINE_GEOJSON`], at `/assets/finland.geojson`) and the municipal centres
//! (`data/sources/fi_municipality_centres.csv`, at `/assets/municipalities.json`).
//!
//! Every file is tagged by a hash of its content (`ETag`, `304` on `If-None-Match`) and, where it
//! is text of at least 4 kB, compressed once with brotli and gzip at their highest levels. The
//! page links its assets as `/assets/<path>?v=<hash>`; asked for with the current hash an asset
//! may be kept a year (`immutable`), otherwise (and the page itself) it is revalidated.

use super::compress::Fixed;
use super::error::ApiError;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use std::collections::HashMap;
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

/// `no-cache`: revalidate (a `304` when unchanged) before using a stored copy. For the page and
/// for assets asked for without their version: their URL stays while their content changes with
/// the binary.
fn no_cache() -> CacheControl {
    CacheControl(vec![CacheDirective::NoCache])
}

/// A year, never revalidated: an asset asked for with its current version (`?v=`), whose URL
/// changes with its content.
fn immutable() -> CacheControl {
    CacheControl(vec![
        CacheDirective::Public,
        CacheDirective::MaxAge(365 * 24 * 3600),
        CacheDirective::Extension("immutable".into(), None),
    ])
}

/// Every file the page loads, each tagged by its content and compressed once.
struct Site {
    /// The embedded assets by path under `/assets/`, and the outline.
    files: HashMap<String, Fixed>,
    /// The page, its asset URLs versioned.
    page: Fixed,
}

/// An asset's version in its URL: the start of its content hash.
fn version(f: &Fixed) -> &str {
    let t = f.tag().tag();
    t.get(..16).unwrap_or(t)
}

/// The page with `?v=<version>` after each `"/assets/<path>"` it names that is embedded, so that
/// a browser may keep those for a year: a new build with other content gives other URLs.
fn versioned_page(page: &str, files: &HashMap<String, Fixed>) -> String {
    const PREFIX: &str = "\"/assets/";
    let mut out = String::with_capacity(page.len() + 256);
    let mut rest = page;
    while let Some(at) = rest.find(PREFIX) {
        let start = at + PREFIX.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find('"') else { break };
        let path = &rest[..end];
        out.push_str(path);
        if let Some(f) = files.get(path) {
            out.push_str("?v=");
            out.push_str(version(f));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let mut files: HashMap<String, Fixed> = Assets::iter()
            .filter(|p| p != "index.html")
            .filter_map(|p| {
                let file = Assets::get(&p)?;
                let f = Fixed::new(file.data.into_owned(), content_type(&p));
                Some((p.into_owned(), f))
            })
            .collect();
        files.insert(
            "finland.geojson".into(),
            Fixed::new(
                crate::finland::OUTLINE_GEOJSON,
                super::response::GEOJSON.to_string(),
            ),
        );
        let page = Assets::get("index.html")
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_default();
        let page = Fixed::new(versioned_page(&page, &files), content_type("index.html"));
        Site { files, page }
    })
}

/// The municipal centres as JSON, made once.
fn centres_file() -> Result<&'static Fixed, ApiError> {
    static FILE: OnceLock<Result<Fixed, String>> = OnceLock::new();
    let file = FILE.get_or_init(|| {
        let json = centres().and_then(|c| serde_json::to_vec(&c).map_err(|e| e.to_string()))?;
        Ok(Fixed::new(json, "application/json"))
    });
    file.as_ref()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))
}

/// Compresses every file of the page now (brotli at its highest level takes a moment), so that
/// the first visitor does not wait for it. Blocking: run it on a blocking thread.
pub fn warm() {
    let s = site();
    s.page.warm();
    for f in s.files.values() {
        f.warm();
    }
    if let Ok(f) = centres_file() {
        f.warm();
    }
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

/// The map page.
#[get("/")]
pub async fn index(req: HttpRequest) -> HttpResponse {
    site().page.answer(&req, no_cache())
}

/// The Finland outline (Natural Earth), the map's base layer.
#[get("/assets/finland.geojson")]
pub async fn outline(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    asset_answer(&req, "finland.geojson")
}

/// The municipal centres as a JSON array of [`Centre`], for the map's labels.
#[get("/assets/municipalities.json")]
pub async fn municipalities(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Ok(centres_file()?.answer(&req, no_cache()))
}

/// Any other embedded asset: the script, the style, the vendored map library. With its current
/// version (`?v=`, as the page links it) it may be kept a year; otherwise it is revalidated.
#[get("/assets/{path:.*}")]
pub async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    asset_answer(&req, &path)
}

fn asset_answer(req: &HttpRequest, path: &str) -> Result<HttpResponse, ApiError> {
    let file = site()
        .files
        .get(path)
        .ok_or_else(|| ApiError::not_found(format!("no asset `{path}`")))?;
    // Any other query parameter is ignored: browsers and proxies add their own.
    let current = form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "v" && v == version(file));
    Ok(file.answer(req, if current { immutable() } else { no_cache() }))
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
    fn the_page_links_its_embedded_assets_by_version() {
        let page = &site().page;
        let text = String::from_utf8(page.bytes().to_vec()).unwrap();
        let js = &site().files["vendor/leaflet/leaflet.js"];
        assert!(
            text.contains(&format!(
                "\"/assets/vendor/leaflet/leaflet.js?v={}\"",
                version(js)
            )),
            "{text}"
        );
        assert!(text.contains(&format!(
            "\"/assets/app.js?v={}\"",
            version(&site().files["app.js"])
        )));
        // A path that is not embedded is left as it is.
        let files = HashMap::new();
        assert_eq!(
            versioned_page(r#"<a href="/assets/x.js">"#, &files),
            r#"<a href="/assets/x.js">"#
        );
    }

    #[test]
    fn the_page_preloads_the_list_the_script_asks_for_first() {
        // The preload only helps if the script's first request is the same URL; otherwise the
        // list is downloaded twice.
        let page = String::from_utf8(site().page.bytes().to_vec()).unwrap();
        assert!(page.contains(
            r#"<link rel="preload" href="/v1/outlets?view=map" as="fetch" crossorigin>"#
        ));
        let js = Assets::get("app.js").unwrap();
        let js = String::from_utf8_lossy(&js.data);
        assert!(js.contains("q.set('view', 'map');"));
        assert!(js.contains("api(`/v1/outlets?${q}`)"));
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
