//! `GET /v1/exports/{format}`: navigator files over HTTP.

use super::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

fn fixture_chain_count(chain: &str) -> usize {
    let mut rdr = csv::Reader::from_path(crate::common::fixture("outlets_small.csv")).unwrap();
    rdr.records()
        .filter(|r| &r.as_ref().unwrap()[2] == chain)
        .count()
}

#[tokio::test]
async fn export_route_streams_a_gpx_file_of_the_selected_chain() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/v1/exports/gpx?chain=k-market", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/gpx+xml");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    let body = r.text().await.unwrap();
    let gpx = gpx::read(body.as_bytes()).expect("our GPX parses with the gpx crate");
    assert_eq!(gpx.waypoints.len(), fixture_chain_count("k-market"));
    assert!(gpx
        .waypoints
        .iter()
        .all(|w| w.name.as_deref().unwrap_or("").starts_with("K-Market ")));
}

#[tokio::test]
async fn export_route_selects_by_ids_and_zips_companion_files() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/v1/exports/geojson?ids=5,2,9", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fc: Value = r.json().await.unwrap();
    let ids: Vec<u64> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_u64().unwrap())
        .collect();
    // The request's order (a route's order on the web map), not grouped by chain.
    assert_eq!(ids, vec![5, 2, 9]);

    let r = app
        .client
        .get(format!("{}/v1/exports/ov2?chain=teboil", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.unwrap();
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<&str> = zip.file_names().collect();
    assert!(names.iter().any(|n| n.ends_with(".ov2")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".bmp")), "{names:?}");
}

#[tokio::test]
async fn export_route_rejects_bad_requests_with_json_errors() {
    let app = spawn_app().await;
    for (path, status, code, field) in [
        ("/v1/exports/shp", 400, "unknown_format", "format"),
        (
            "/v1/exports/gpx?chain=no-such-chain",
            400,
            "unknown_chain",
            "chain",
        ),
        ("/v1/exports/gpx?ids=99999", 400, "unknown_outlet", "ids"),
        (
            "/v1/exports/gpx?proximity_m=0",
            400,
            "bad_option",
            "proximity_m",
        ),
        (
            "/v1/exports/gpx?bbox=19.0,69.9,19.1,70.0",
            404,
            "empty_selection",
            "",
        ),
        ("/v1/exports/gpx?color=red", 400, "", ""),
    ] {
        let (s, body) = app.get(path).await;
        assert_eq!(s.as_u16(), status, "{path}: {body}");
        if !code.is_empty() {
            assert_eq!(body["error"], code, "{path}: {body}");
        }
        if !field.is_empty() {
            assert_eq!(body["field"], field, "{path}: {body}");
        }
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }
}

/// The chain of each fixture outlet id.
fn fixture_chains() -> std::collections::HashMap<u64, String> {
    let mut rdr = csv::Reader::from_path(crate::common::fixture("outlets_small.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[2].to_string())
        })
        .collect()
}

#[tokio::test]
async fn gpx_and_kml_of_ids_keep_the_route_order_across_chains() {
    let app = spawn_app().await;
    let chains = fixture_chains();
    // Ids of at least two chains, interleaved and against id order, as a route would give them.
    let mut by_chain: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for (id, c) in &chains {
        by_chain.entry(c.as_str()).or_default().push(*id);
    }
    let mut lists: Vec<Vec<u64>> = by_chain
        .into_values()
        .filter(|v| v.len() >= 3)
        .take(2)
        .map(|mut v| {
            v.sort_unstable_by(|a, b| b.cmp(a));
            v.truncate(3);
            v
        })
        .collect();
    assert_eq!(lists.len(), 2, "the fixture has two chains of 3+ outlets");
    let (b, a) = (lists.pop().unwrap(), lists.pop().unwrap());
    let route: Vec<u64> = vec![a[0], b[0], a[1], b[1], a[2], b[2]];
    let q = route
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");

    let body = app
        .client
        .get(format!("{}/v1/exports/gpx?ids={q}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gpx = gpx::read(body.as_bytes()).unwrap();
    let names: Vec<String> = gpx
        .waypoints
        .iter()
        .map(|w| w.name.clone().unwrap())
        .collect();
    let mut expected = Vec::new();
    for id in &route {
        let (_, o) = app.get(&format!("/v1/outlets/{id}")).await;
        expected.push(o["name"].as_str().unwrap().to_string());
    }
    assert_eq!(names, expected, "GPX waypoints in the order of `ids`");

    // KML needs a folder per chain: folders by chain, each in route order.
    let r = app
        .client
        .get(format!("{}/v1/exports/kmz?ids={q}", app.base))
        .send()
        .await
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut kml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("doc.kml").unwrap(), &mut kml).unwrap();
    let pos = |name: &str| kml.find(&format!("<name>{name}</name>")).unwrap();
    for chain in [&a, &b] {
        let names: Vec<&String> = route
            .iter()
            .zip(&expected)
            .filter(|(id, _)| chain.contains(id))
            .map(|(_, n)| n)
            .collect();
        assert!(
            names.windows(2).all(|w| pos(w[0]) < pos(w[1])),
            "{names:?} in route order within their folder"
        );
    }
}

/// A GPX track from Helsinki to Tampere through the fixture's outlets there.
const HELSINKI_TAMPERE: &str = r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.168250" lon="24.952913"/><trkpt lat="60.98" lon="24.46"/><trkpt lat="61.497947" lon="23.759410"/></trkseg></trk></gpx>"#;

#[tokio::test]
async fn download_choices_label_each_format_by_device_with_places_bytes_and_names() {
    let app = spawn_app().await;
    let (s, v) = app
        .get("/v1/exports?chain=k-market&lang=en&name=Helsinki%E2%80%93Oulu&date=2026-12-04")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["places"], fixture_chain_count("k-market"));
    let formats = v["formats"].as_array().unwrap();
    let names: Vec<&str> = formats
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gpi", "ov2", "gpx", "kml", "kmz", "csv", "geojson"]);
    let label = |f: &str| {
        formats.iter().find(|x| x["format"] == f).unwrap()["label"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(label("gpi"), "Garmin car navigator – GPI");
    assert_eq!(label("ov2"), "TomTom – OV2");
    assert_eq!(label("gpx"), "Phone apps such as OsmAnd – GPX");
    assert_eq!(label("kml"), "Google Earth / My Maps – KML");
    // Each size and name is the file the link gives.
    for f in formats {
        let href = f["href"].as_str().unwrap();
        assert!(href.starts_with(&format!("/v1/exports/{}?", f["format"].as_str().unwrap())));
        let r = app
            .client
            .get(format!("{}{href}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{href}");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        let bytes = r.bytes().await.unwrap();
        assert_eq!(f["bytes"], bytes.len(), "{href}");
        assert_eq!(
            disposition,
            format!(
                "attachment; filename=\"{}\"",
                f["filename"].as_str().unwrap()
            )
        );
    }
    assert_eq!(
        formats[0]["filename"], "helsinki-oulu-2026-12-04.gpi",
        "after the name and the day"
    );

    // Finnish by default, Swedish on request; the default name is localised.
    let (_, fi) = app.get("/v1/exports?chain=k-market&date=2026-12-04").await;
    assert_eq!(fi["formats"][0]["label"], "Garmin-autonavigaattori – GPI");
    assert_eq!(
        fi["formats"][0]["filename"],
        "k-plussa-kaupat-2026-12-04.gpi"
    );
    let (_, sv) = app
        .get("/v1/exports?chain=k-market&date=2026-12-04&lang=sv")
        .await;
    assert_eq!(sv["formats"][0]["label"], "Garmin bilnavigator – GPI");
    assert_eq!(
        sv["formats"][2]["filename"],
        "k-plussa-butiker-2026-12-04.gpx"
    );
    let (s, e) = app.get("/v1/exports?lang=de").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "lang");
}

#[tokio::test]
async fn two_route_downloads_get_their_own_names_and_the_gpx_carries_the_track() {
    let app = spawn_app().await;
    let post = |path: String, body: &'static str| {
        app.client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/gpx+xml")
            .body(body)
            .send()
    };
    let r = post(
        "/v1/exports/gpx?corridor_m=5000&name=Helsinki-Tampere&date=2026-12-04".into(),
        HELSINKI_TAMPERE,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"helsinki-tampere-2026-12-04.gpx\""
    );
    let doc = gpx::read(&r.bytes().await.unwrap()[..]).unwrap();
    let names: Vec<String> = doc
        .waypoints
        .iter()
        .map(|w| w.name.clone().unwrap())
        .collect();
    assert!(
        names.contains(&"K-Market Helsinki".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"K-Citymarket Tampere".to_string()),
        "{names:?}"
    );
    let h = names.iter().position(|n| n == "K-Market Helsinki").unwrap();
    let t = names
        .iter()
        .position(|n| n == "K-Citymarket Tampere")
        .unwrap();
    assert!(h < t, "stops in route order");
    assert_eq!(doc.tracks.len(), 1, "the route as a track");
    assert_eq!(doc.tracks[0].segments[0].points.len(), 3);

    let r = post(
        "/v1/exports/gpi?corridor_m=5000&name=Oulu%20trip".into(),
        HELSINKI_TAMPERE,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let d = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(d.starts_with("attachment; filename=\"oulu-trip-20"), "{d}");
    assert!(d.ends_with(".gpi\""), "{d}");

    // The choices for a route: same places, links to POST.
    let r = post(
        "/v1/exports?corridor_m=5000&lang=en".into(),
        HELSINKI_TAMPERE,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["places"], names.len());
    assert_eq!(v["formats"][2]["method"], "POST");
}

#[tokio::test]
async fn a_bad_route_file_gets_plain_words_in_the_requests_language() {
    let app = spawn_app().await;
    let post = |path: &str, body: &'static [u8]| {
        app.client
            .post(format!("{}{path}", app.base))
            .body(body)
            .send()
    };
    let r = post("/v1/exports/gpx?lang=fi", b"%PDF-1.7 binary")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_route");
    assert_eq!(v["field"], "body");
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("odotettiin GPX-tiedostoa"), "{m}");
    assert!(m.contains("PDF-asiakirja"), "{m}");
    assert!(!m.contains('`') && !m.contains('‹'), "{m}");

    let r = post(
        "/v1/exports/gpx?lang=sv",
        b"<html><body>route</body></html>",
    )
    .await
    .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("en webbsida (HTML)"),
        "{v}"
    );

    let r = post("/v1/exports/gpx", b"Helsinki to Oulu please")
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let m = v["message"].as_str().unwrap();
    assert!(
        m.contains("expected a GPX file") && m.contains("text starting “Helsinki to Oulu please”"),
        "{m}"
    );

    let one = br#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.1" lon="24.9"/></trkseg></trk></gpx>"#;
    let r = post("/v1/exports/gpx?lang=en", one).await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "route");
    assert!(
        v["message"].as_str().unwrap().contains("only one point"),
        "{v}"
    );

    let r = post("/v1/exports/gpx?corridor_m=0", HELSINKI_TAMPERE.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "corridor_m");
}

#[tokio::test]
async fn lang_chooses_the_language_of_the_descriptions() {
    let app = spawn_app().await;
    let desc = |lang: &'static str| {
        let url = format!("{}/v1/exports/gpx?ids=210&lang={lang}", app.base);
        let client = app.client.clone();
        async move {
            let body = client.get(url).send().await.unwrap().text().await.unwrap();
            let gpx = gpx::read(body.as_bytes()).unwrap();
            gpx.waypoints[0].description.clone().unwrap()
        }
    };
    let fi = desc("fi").await;
    assert!(fi.contains("Aukioloajat: ma–la 7–21, su 10–21"), "{fi}");
    let sv = desc("sv-FI").await;
    assert!(sv.contains("Öppettider: mån–lör 7–21, sön 10–21"), "{sv}");
    let en = desc("en").await;
    assert!(
        en.contains("Opening hours: Mon–Sat 7–21, Sun 10–21"),
        "{en}"
    );
}
