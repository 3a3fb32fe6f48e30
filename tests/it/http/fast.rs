//! What makes the page fast on a slow phone: compression, entity tags and `304`, caching headers,
//! and the compact map view of the outlet list.

use super::{new_outlet, spawn_app, TestApp};
use reqwest::header::{HeaderMap, CACHE_CONTROL, CONTENT_ENCODING, ETAG, VARY};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::Read;

/// Status, headers and the raw (still encoded) body of a GET with `headers`.
async fn raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut rb = app.client.get(format!("{}{path}", app.base));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let h = r.headers().clone();
    (status, h, r.bytes().await.unwrap().to_vec())
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The body decoded by its `Content-Encoding`.
fn decode(h: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match header(h, CONTENT_ENCODING) {
        "" => out.extend_from_slice(body),
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        other => panic!("unexpected Content-Encoding {other}"),
    }
    out
}

/// The same path fetched plainly and with `accept`, retried until both carry the same tag (an
/// outlet may open or close between the two requests).
async fn plain_and_encoded(
    app: &TestApp,
    path: &str,
    accept: &str,
) -> (Vec<u8>, HeaderMap, Vec<u8>) {
    for _ in 0..3 {
        let (s, plain_h, plain) = raw(app, path, &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(header(&plain_h, CONTENT_ENCODING), "");
        let (s, h, body) = raw(app, path, &[("accept-encoding", accept)]).await;
        assert_eq!(s, StatusCode::OK);
        if header(&plain_h, ETAG) == header(&h, ETAG) {
            return (plain, h, body);
        }
    }
    panic!("{path}: the tag kept changing");
}

#[tokio::test]
async fn the_outlet_list_is_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    for path in [
        "/v1/outlets",
        "/v1/outlets?view=map",
        "/v1/outlets?format=geojson",
    ] {
        for (accept, want) in [
            ("gzip", "gzip"),
            ("br", "br"),
            // Chromium's header: brotli wins the tie.
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0.5, gzip;q=0.8", "gzip"),
        ] {
            let (plain, h, body) = plain_and_encoded(&app, path, accept).await;
            assert_eq!(header(&h, CONTENT_ENCODING), want, "{path} {accept}");
            assert!(
                header(&h, VARY).contains("Accept-Encoding"),
                "{path}: {h:?}"
            );
            let decoded = decode(&h, &body);
            assert_eq!(
                String::from_utf8(decoded).unwrap(),
                String::from_utf8(plain.clone()).unwrap(),
                "{path} {accept}"
            );
            // At least halved (the full list of 300 fixture outlets to about a tenth).
            assert!(
                body.len() * 2 < plain.len(),
                "{path} {accept}: {} of {} bytes",
                body.len(),
                plain.len()
            );
        }
        // Nothing acceptable: as it is.
        let (_, h, _) = raw(&app, path, &[("accept-encoding", "identity")]).await;
        assert_eq!(header(&h, CONTENT_ENCODING), "");
    }
}

#[tokio::test]
async fn small_answers_are_not_compressed() {
    let app = spawn_app().await;
    let (s, h, body) = raw(
        &app,
        "/v1/outlets/nearest?lat=60.17&lon=24.94&k=5",
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.len() < storenet::http::compress::MIN_BYTES,
        "{}",
        body.len()
    );
    assert_eq!(header(&h, CONTENT_ENCODING), "");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["count"], 5);
}

#[tokio::test]
async fn the_list_revalidates_with_its_etag_until_an_admin_write() {
    let app = spawn_app().await;
    let (s, h, _) = raw(&app, "/v1/outlets?view=map", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let tag = header(&h, ETAG).to_string();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(header(&h, CACHE_CONTROL), "no-cache");
    assert!(header(&h, VARY).contains("Accept"), "{h:?}");

    let (s, h, body) = raw(
        &app,
        "/v1/outlets?view=map",
        &[("if-none-match", &tag), ("accept-encoding", "br")],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&h, ETAG), tag);
    assert_eq!(header(&h, CACHE_CONTROL), "no-cache");

    // Another view or filter is another answer with its own tag.
    let (_, full, _) = raw(&app, "/v1/outlets", &[]).await;
    assert_ne!(header(&full, ETAG), tag);
    let (s, _, _) = raw(
        &app,
        "/v1/outlets?view=map&chain=k-market",
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // An admin write changes the list, so the old tag no longer matches.
    let (s, created) = app
        .send(
            Method::POST,
            "/v1/outlets",
            Some(&app.admin_key),
            Some(new_outlet(67.0, 26.0).to_string().into_bytes()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, h, body) = raw(&app, "/v1/outlets?view=map", &[("if-none-match", &tag)]).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(header(&h, ETAG), tag);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r[0] == created["id"]));
}

#[tokio::test]
async fn the_map_view_has_every_open_outlet_with_its_list_fields() {
    let app = spawn_app().await;
    let (_, full) = app.get("/v1/outlets").await;
    let (s, map) = app.get("/v1/outlets?view=map").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(map["count"], full["count"]);
    assert_eq!(map["count"], 300);
    let fields: Vec<&str> = map["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        storenet::http::listing::MAP_FIELDS,
        "the fields are named in order"
    );
    let rows = map["outlets"].as_array().unwrap();
    let outlets = full["outlets"].as_array().unwrap();
    assert_eq!(rows.len(), outlets.len());
    for (r, o) in rows.iter().zip(outlets) {
        let want = [
            &o["id"],
            &o["lat"],
            &o["lon"],
            &o["chain"],
            &o["name"],
            &o["address"]["street"],
            &o["address"]["postal_code"],
            &o["address"]["city"],
            &o["municipality"],
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(&r[i], *w, "{} of {o}", fields[i]);
        }
        assert!(r[9].is_boolean(), "{r}");
    }
    let (f, m) = (full.to_string().len(), map.to_string().len());
    assert!(m * 2 < f, "map view {m} bytes vs {f}");

    // A closed outlet leaves the map view; filters apply as to the full list.
    let (s, _) = app
        .send(Method::DELETE, "/v1/outlets/1", Some(&app.admin_key), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, map) = app.get("/v1/outlets?view=map").await;
    assert_eq!(map["count"], 299);
    assert!(map["outlets"].as_array().unwrap().iter().all(|r| r[0] != 1));
    let (_, k) = app.get("/v1/outlets?view=map&chain=k-market").await;
    let (_, kf) = app.get("/v1/outlets?chain=k-market").await;
    assert_eq!(k["count"], kf["count"]);
    assert!(k["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r[3] == "k-market"));
}

#[tokio::test]
async fn a_bad_view_is_a_400_naming_it() {
    let app = spawn_app().await;
    for q in ["view=tiny", "view=map&format=geojson"] {
        let (s, body) = app.get(&format!("/v1/outlets?{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(body["field"], "view", "{q}: {body}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_map_view() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/openapi.json").await;
    let params = doc["paths"]["/v1/outlets"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "view"), "{params:?}");
    assert!(doc["components"]["schemas"]["MapList"].is_object());
    let get = &doc["paths"]["/v1/outlets"]["get"]["responses"];
    assert!(get["304"].is_object(), "{get}");
}

#[tokio::test]
async fn page_assets_are_tagged_compressed_and_kept_by_version() {
    let app = spawn_app().await;
    let (s, h, page) = raw(&app, "/", &[("accept-encoding", "br")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(header(&h, CACHE_CONTROL), "no-cache");
    let page_tag = header(&h, ETAG).to_string();
    let page = String::from_utf8(decode(&h, &page)).unwrap();
    let (s, _, _) = raw(&app, "/", &[("if-none-match", &page_tag)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);

    // The page links the library with its version.
    let at = page
        .find("/assets/vendor/leaflet/leaflet.js?v=")
        .expect("versioned link");
    let url = &page[at..at + page[at..].find('"').unwrap()];
    let (_, plain_h, plain) = raw(&app, url, &[]).await;
    assert!(
        header(&plain_h, CACHE_CONTROL).contains("immutable"),
        "{plain_h:?}"
    );
    assert!(header(&plain_h, CACHE_CONTROL).contains("max-age=31536000"));
    for accept in ["br", "gzip"] {
        let (s, h, body) = raw(&app, url, &[("accept-encoding", accept)]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(header(&h, CONTENT_ENCODING), accept);
        assert!(body.len() * 3 < plain.len(), "{accept}: {}", body.len());
        assert_eq!(decode(&h, &body), plain);
        assert_eq!(header(&h, ETAG), header(&plain_h, ETAG));
    }
    // Without its version (or with an old one) it is revalidated; its tag still gives a 304.
    for path in [
        "/assets/vendor/leaflet/leaflet.js",
        "/assets/vendor/leaflet/leaflet.js?v=0123456789abcdef",
    ] {
        let (_, h, _) = raw(&app, path, &[]).await;
        assert_eq!(header(&h, CACHE_CONTROL), "no-cache", "{path}");
        let (s, _, body) = raw(&app, path, &[("if-none-match", header(&plain_h, ETAG))]).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
    }
    // The data files the page fetches are tagged and compressed too.
    for path in ["/assets/finland.geojson", "/assets/municipalities.json"] {
        let (plain, h, body) = plain_and_encoded(&app, path, "gzip, br").await;
        assert_eq!(header(&h, CONTENT_ENCODING), "br", "{path}");
        assert_eq!(decode(&h, &body), plain, "{path}");
        assert!(header(&h, ETAG).starts_with("W/"), "{path}");
    }
    // A PNG is not compressed again.
    let (s, h, _) = raw(
        &app,
        "/assets/vendor/leaflet/images/layers.png",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(header(&h, CONTENT_ENCODING), "");
}
