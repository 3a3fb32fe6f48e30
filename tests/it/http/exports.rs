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
    let mut ids: Vec<u64> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_u64().unwrap())
        .collect();
    // The exporters group points by chain, so the file's order is not the request's order.
    ids.sort_unstable();
    assert_eq!(ids, vec![2, 5, 9]);

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
