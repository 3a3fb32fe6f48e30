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
