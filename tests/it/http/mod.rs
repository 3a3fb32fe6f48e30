//! Integration tests: the HTTP service, started on port 0 over a temp SQLite database seeded from
//! the fixtures, talked to with a real HTTP client.

use crate::common::fixture;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use storenet::config::Settings;
use storenet::http::AppState;
use storenet::store::{Role, Scope};

pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: Client,
    pub(crate) admin_key: String,
    state: AppState,
    _dir: tempfile::TempDir,
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the settings changed by `tweak` first. The rate limits are off unless
/// `tweak` turns them on: tests send bursts from one address.
pub(crate) async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("t.db").display()),
        data_dir: data,
        workers: Some(1),
        ..Settings::default()
    };
    settings.rate_limit.per_address_per_s = 0;
    settings.rate_limit.per_key_per_s = 0;
    tweak(&mut settings);
    let started = storenet::http::start(settings).await.unwrap();
    let admin_key = started
        .state
        .store
        .create_key(Role::Admin, Scope::Network)
        .await
        .unwrap();
    let base = format!("http://{}", started.addr);
    let state = started.state.clone();
    tokio::spawn(started.server);
    TestApp {
        base,
        client: Client::new(),
        admin_key,
        state,
        _dir: dir,
    }
}

impl TestApp {
    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn ids(v: &Value) -> Vec<u64> {
    v["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

/// The fixture outlets as (id, chain, lat, lon), read independently of the crate.
fn fixture_outlets() -> Vec<(u64, String, f64, f64)> {
    let mut r = csv::Reader::from_path(fixture("outlets_small.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].parse().unwrap(),
                rec[2].to_string(),
                rec[8].parse().unwrap(),
                rec[9].parse().unwrap(),
            )
        })
        .collect()
}

fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

const HELSINKI: (f64, f64) = (60.1699, 24.9384);

#[tokio::test]
async fn nearest_returns_the_k_closest_outlets_in_distance_order() {
    let app = spawn_app().await;
    let (lat, lon) = HELSINKI;
    let (s, v) = app
        .get(&format!("/v1/outlets/nearest?lat={lat}&lon={lon}&k=7"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["count"], 7);
    let mut expected: Vec<(f64, u64)> = fixture_outlets()
        .iter()
        .map(|(id, _, la, lo)| (haversine_m(lat, lon, *la, *lo), *id))
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let want: Vec<u64> = expected.iter().take(7).map(|e| e.1).collect();
    assert_eq!(ids(&v), want);
    let d: Vec<f64> = v["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["distance_m"].as_f64().unwrap())
        .collect();
    for (got, (exp, _)) in d.iter().zip(&expected) {
        assert!((got - exp).abs() < 0.5 + exp * 0.006, "{got} vs {exp}");
    }
}

#[tokio::test]
async fn chain_filters_take_repeats_and_comma_lists() {
    let app = spawn_app().await;
    let all = fixture_outlets();
    let want = all
        .iter()
        .filter(|o| o.1 == "k-citymarket" || o.1 == "k-supermarket")
        .count();
    let (s, a) = app
        .get("/v1/outlets?chain=k-citymarket,k-supermarket")
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, b) = app
        .get("/v1/outlets?chain=k-citymarket&chain=k-supermarket")
        .await;
    assert_eq!(a["count"].as_u64().unwrap() as usize, want);
    assert_eq!(ids(&a), ids(&b));
    for o in a["outlets"].as_array().unwrap() {
        assert!(["k-citymarket", "k-supermarket"].contains(&o["chain"].as_str().unwrap()));
    }
    let (_, n) = app
        .get("/v1/outlets/nearest?lat=65&lon=25.5&k=3&chain=k-citymarket")
        .await;
    assert!(n["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["chain"] == "k-citymarket"));
    let (_, food) = app.get("/v1/outlets?category=food").await;
    assert!(food["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["category"] == "food"));
    assert!(food["count"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn within_bbox_and_polygon_agree_with_the_fixtures() {
    let app = spawn_app().await;
    let all = fixture_outlets();
    let (lat, lon) = HELSINKI;
    let (s, v) = app
        .get(&format!(
            "/v1/outlets/within?lat={lat}&lon={lon}&radius_m=50000"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    let want = all
        .iter()
        .filter(|o| haversine_m(lat, lon, o.2, o.3) <= 50_000.0)
        .count();
    assert_eq!(v["count"].as_u64().unwrap() as usize, want);
    assert!(want > 1);
    assert!(v["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["distance_m"].as_f64().unwrap() <= 50_000.0));

    let (s, b) = app.get("/v1/outlets?bbox=23.5,60.0,26.0,61.0").await;
    assert_eq!(s, StatusCode::OK);
    let mut want: Vec<u64> = all
        .iter()
        .filter(|o| (60.0..=61.0).contains(&o.2) && (23.5..=26.0).contains(&o.3))
        .map(|o| o.0)
        .collect();
    want.sort();
    assert_eq!(ids(&b), want);

    let poly = json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
        "coordinates": [[[23.5, 60.0], [26.0, 60.0], [26.0, 61.0], [23.5, 61.0], [23.5, 60.0]]]}});
    let (s, p) = app
        .send(
            Method::POST,
            "/v1/outlets/in-polygon",
            None,
            Some(poly.to_string().into_bytes()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&p), want);
}

const ROUTE_GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Helsinki-Tampere</name><trkseg>
<trkpt lat="60.1699" lon="24.9384"/><trkpt lat="60.9827" lon="24.4641"/><trkpt lat="61.4978" lon="23.7610"/>
</trkseg></trk></gpx>"#;

#[tokio::test]
async fn along_route_orders_outlets_by_position_from_gpx_or_geojson() {
    let app = spawn_app().await;
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets/along-route?corridor_m=10000",
            None,
            Some(ROUTE_GPX.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hits = v["outlets"].as_array().unwrap();
    assert!(hits.len() >= 2, "{v}");
    let along: Vec<f64> = hits
        .iter()
        .map(|o| o["along_km"].as_f64().unwrap())
        .collect();
    assert!(along.windows(2).all(|w| w[0] <= w[1]), "{along:?}");
    assert!(along.iter().all(|&a| (0.0..=200.0).contains(&a)));
    assert!(hits
        .iter()
        .all(|o| o["distance_m"].as_f64().unwrap() <= 10_000.0));
    // The start is in Helsinki, so the first hits are the Helsinki outlets.
    assert!(hits[0]["along_km"].as_f64().unwrap() < 10.0);

    let line = json!({"type": "LineString", "coordinates": [[24.9384, 60.1699], [24.4641, 60.9827], [23.7610, 61.4978]]});
    let (s, g) = app
        .send(
            Method::POST,
            "/v1/outlets/along-route?corridor_m=10000",
            None,
            Some(line.to_string().into_bytes()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&g), ids(&v));
}

#[tokio::test]
async fn outlets_and_chains_by_id_and_as_geojson() {
    let app = spawn_app().await;
    let (s, o) = app.get("/v1/outlets/1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["name"], "K-Market Utsjoki");
    assert_eq!(o["municipality"], "890");
    assert_eq!(o["services"], json!(["post"]));

    let (s, c) = app.get("/v1/chains").await;
    assert_eq!(s, StatusCode::OK);
    let chains = csv::Reader::from_path(fixture("chains.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(c["count"].as_u64().unwrap() as usize, chains);
    let km = c["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "k-market")
        .unwrap();
    let want = fixture_outlets()
        .iter()
        .filter(|o| o.1 == "k-market")
        .count();
    assert_eq!(km["outlets"].as_u64().unwrap() as usize, want);

    let (s, fc) = app
        .get("/v1/outlets/nearest?lat=62&lon=25&k=4&format=geojson")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(fc["type"], "FeatureCollection");
    let feats = fc["features"].as_array().unwrap();
    assert_eq!(feats.len(), 4);
    let f = &feats[0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert_eq!(
        f["geometry"]["coordinates"],
        json!([f["properties"]["lon"], f["properties"]["lat"]])
    );
    assert!(f["properties"]["distance_m"].is_number());

    let r = app
        .client
        .get(format!("{}/v1/outlets/nearest?lat=62&lon=25&k=4", app.base))
        .header("Accept", "application/geo+json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/geo+json"
    );
    let via_accept: Value = r.json().await.unwrap();
    assert_eq!(via_accept, fc);
}

fn new_outlet(lat: f64, lon: f64) -> Value {
    json!({
        "name": "K-Market Testikylä", "chain": "k-market", "kind": "store",
        "street": "Testitie 1", "postal_code": "00100", "city": "Helsinki",
        "municipality": "091", "lat": lat, "lon": lon, "phone": "+358 9 123",
        "opening_hours": "Mo-Su 07:00-23:00", "services": ["post", "post"]
    })
}

#[tokio::test]
async fn admin_writes_are_persisted_and_visible_to_the_next_query() {
    let app = spawn_app().await;
    let key = app.admin_key.clone();
    // A spot in Lapland with no fixture outlet closer than a few km.
    let (lat, lon) = (67.0, 26.0);
    let (s, created) = app
        .send(
            Method::POST,
            "/v1/outlets",
            Some(&key),
            Some(new_outlet(lat, lon).to_string().into_bytes()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_u64().unwrap();
    assert_eq!(id, 301, "next id after the 300 fixtures");
    assert_eq!(created["services"], json!(["post"]));

    let (_, n) = app
        .get(&format!("/v1/outlets/nearest?lat={lat}&lon={lon}&k=1"))
        .await;
    assert_eq!(ids(&n), [id]);
    assert!(n["outlets"][0]["distance_m"].as_f64().unwrap() < 1.0);

    let (s, moved) = app
        .send(
            Method::PATCH,
            &format!("/v1/outlets/{id}"),
            Some(&key),
            Some(
                json!({"lat": 67.5, "name": "K-Market Siirretty"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["lat"], 67.5);
    assert_eq!(moved["lon"], 26.0);
    assert_eq!(moved["street"], Value::Null);
    assert_eq!(moved["address"]["street"], "Testitie 1");
    let (_, n) = app.get("/v1/outlets/nearest?lat=67.5&lon=26&k=1").await;
    assert_eq!(ids(&n), [id]);
    assert_eq!(n["outlets"][0]["name"], "K-Market Siirretty");

    // Persisted: a fresh load from the database sees it.
    let reg = app.state.store.load_registry().await.unwrap();
    let o = reg.outlet(storenet::model::OutletId(id as u32)).unwrap();
    assert_eq!(o.name, "K-Market Siirretty");

    let (s, _) = app
        .send(
            Method::DELETE,
            &format!("/v1/outlets/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, n) = app.get("/v1/outlets/nearest?lat=67.5&lon=26&k=1").await;
    assert_ne!(ids(&n), [id]);
    let (s, _) = app.get(&format!("/v1/outlets/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .send(
            Method::DELETE,
            &format!("/v1/outlets/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(app
        .state
        .store
        .load_registry()
        .await
        .unwrap()
        .outlet(storenet::model::OutletId(id as u32))
        .is_none());

    // An explicit id that is taken is a conflict.
    let mut dup = new_outlet(61.0, 25.0);
    dup["id"] = json!(1);
    let (s, e) = app
        .send(
            Method::POST,
            "/v1/outlets",
            Some(&key),
            Some(dup.to_string().into_bytes()),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["field"], "id");
}

#[tokio::test]
async fn metrics_count_requests_per_route_pattern() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/v1/outlets/nearest?lat=61&lon=25").await;
    }
    app.get("/v1/outlets/7").await;
    app.get("/v1/outlets/8").await;
    app.get("/v1/outlets/nearest?lat=x&lon=25").await;
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |endpoint: &str, status: &str| -> Option<f64> {
        text.lines()
            .find(|l| {
                l.starts_with("storenet_http_requests_total{")
                    && l.contains(&format!("endpoint=\"{endpoint}\""))
                    && l.contains(&format!("status=\"{status}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
    };
    assert_eq!(count("/v1/outlets/nearest", "200"), Some(3.0), "{text}");
    assert_eq!(count("/v1/outlets/nearest", "400"), Some(1.0));
    assert_eq!(count("/v1/outlets/{id}", "200"), Some(2.0));
    assert!(text.contains("storenet_http_requests_duration_seconds_bucket{"));
}

#[tokio::test]
async fn openapi_lists_every_route_and_the_api_page_is_served_locally() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/v1/outlets/nearest", &["get"][..]),
        ("/v1/outlets/within", &["get"]),
        ("/v1/outlets", &["get", "post"]),
        ("/v1/outlets/in-polygon", &["post"]),
        ("/v1/outlets/along-route", &["post"]),
        ("/v1/outlets/{id}", &["get", "patch", "delete"]),
        ("/v1/chains", &["get"]),
        ("/healthz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path} missing");
        }
    }
    for schema in [
        "OutletList",
        "OutletJson",
        "ChainList",
        "ErrorBody",
        "NewOutlet",
        "OutletChange",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());

    let html = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let js = app
        .client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.bytes().await.unwrap().len() > 100_000);
    let init = app
        .client
        .get(format!("{}/docs/swagger-initializer.js", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");

    let (s, h) = app.get("/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["outlets"], 300);
}

/// One bad request and what it must give.
struct Bad {
    method: Method,
    path: &'static str,
    key: KeyKind,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

#[derive(Clone, Copy)]
enum KeyKind {
    None,
    Admin,
    Planner,
    Wrong,
}

fn bad(path: &'static str, status: u16, code: &'static str, field: Option<&'static str>) -> Bad {
    Bad {
        method: Method::GET,
        path,
        key: KeyKind::None,
        body: None,
        status,
        code,
        field,
    }
}

fn bad_post(
    path: &'static str,
    key: KeyKind,
    body: impl Into<Vec<u8>>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
) -> Bad {
    Bad {
        method: Method::POST,
        path,
        key,
        body: Some(body.into()),
        status,
        code,
        field,
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_json_body_naming_the_field() {
    let app = spawn_app().await;
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    let wrong = format!("sn_{}", "0".repeat(64));
    let n = "/v1/outlets/nearest";
    let big = vec![b' '; 6 * 1024 * 1024];
    let outlet = |patch: Value| {
        let mut o = new_outlet(61.0, 25.0);
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                o.as_object_mut().unwrap().remove(k);
            } else {
                o[k] = v.clone();
            }
        }
        o.to_string().into_bytes()
    };
    let one_point = json!({"type": "LineString", "coordinates": [[24.9, 60.1]]}).to_string();
    let cases = vec![
        bad(
            "/v1/outlets/nearest?lon=25",
            400,
            "missing_parameter",
            Some("lat"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60",
            400,
            "missing_parameter",
            Some("lon"),
        ),
        bad(
            "/v1/outlets/nearest?lat=abc&lon=25",
            400,
            "invalid_parameter",
            Some("lat"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=",
            400,
            "invalid_parameter",
            Some("lon"),
        ),
        bad(
            "/v1/outlets/nearest?lat=NaN&lon=25",
            400,
            "out_of_range",
            Some("lat"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=inf",
            400,
            "out_of_range",
            Some("lon"),
        ),
        bad(
            "/v1/outlets/nearest?lat=91&lon=25",
            400,
            "out_of_range",
            Some("lat"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=-181",
            400,
            "out_of_range",
            Some("lon"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&k=0",
            400,
            "out_of_range",
            Some("k"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&k=101",
            400,
            "out_of_range",
            Some("k"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&k=-1",
            400,
            "invalid_parameter",
            Some("k"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&k=2.5",
            400,
            "invalid_parameter",
            Some("k"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lat=61&lon=25",
            400,
            "invalid_parameter",
            Some("lat"),
        ),
        bad(
            "/v1/outlets/within?lat=60&lon=25&radius_m=0",
            400,
            "out_of_range",
            Some("radius_m"),
        ),
        bad(
            "/v1/outlets/within?lat=60&lon=25&radius_m=-5",
            400,
            "out_of_range",
            Some("radius_m"),
        ),
        bad(
            "/v1/outlets/within?lat=60&lon=25&radius_m=600000",
            400,
            "out_of_range",
            Some("radius_m"),
        ),
        bad(
            "/v1/outlets/within?lat=60&lon=25&radius_m=NaN",
            400,
            "out_of_range",
            Some("radius_m"),
        ),
        bad(
            "/v1/outlets/within?lat=60&lon=25",
            400,
            "missing_parameter",
            Some("radius_m"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&chain=no-such",
            400,
            "unknown_chain",
            Some("chain"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&chain=K-Market",
            400,
            "unknown_chain",
            Some("chain"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&category=grocery",
            400,
            "unknown_category",
            Some("category"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&kind=shop",
            400,
            "invalid_parameter",
            Some("kind"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&open_at=tomorrow",
            400,
            "invalid_parameter",
            Some("open_at"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&open_at=2026-02-30T10:00",
            400,
            "invalid_parameter",
            Some("open_at"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&format=xml",
            400,
            "invalid_parameter",
            Some("format"),
        ),
        bad(
            "/v1/outlets/nearest?lat=60&lon=25&radius=5",
            400,
            "unknown_parameter",
            Some("radius"),
        ),
        bad(
            "/v1/outlets?bbox=1,2,3",
            400,
            "invalid_parameter",
            Some("bbox"),
        ),
        bad(
            "/v1/outlets?bbox=26,61,25,60",
            400,
            "out_of_range",
            Some("bbox"),
        ),
        bad(
            "/v1/outlets?bbox=a,b,c,d",
            400,
            "invalid_parameter",
            Some("bbox"),
        ),
        bad("/v1/outlets/abc", 400, "invalid_parameter", Some("id")),
        bad("/v1/outlets/0", 400, "invalid_parameter", Some("id")),
        bad("/v1/outlets/99999", 404, "not_found", None),
        bad("/v1/nothing-here", 404, "not_found", None),
        bad_post(
            "/v1/outlets/in-polygon",
            KeyKind::None,
            "",
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/in-polygon",
            KeyKind::None,
            "{not json",
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/in-polygon",
            KeyKind::None,
            one_point.clone(),
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/in-polygon",
            KeyKind::None,
            r#"{"type":"Polygon","coordinates":[[[24,60],[26,60],[26,95],[24,60]]]}"#,
            400,
            "out_of_range",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            "",
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            "<gpx><trk>",
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            "just text",
            400,
            "invalid_body",
            Some("body"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            r#"{"type":"LineString","coordinates":[]}"#,
            400,
            "invalid_body",
            Some("route"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            one_point,
            400,
            "out_of_range",
            Some("route"),
        ),
        bad_post(
            "/v1/outlets/along-route?corridor_m=0",
            KeyKind::None,
            ROUTE_GPX,
            400,
            "out_of_range",
            Some("corridor_m"),
        ),
        bad_post(
            "/v1/outlets/along-route",
            KeyKind::None,
            big.clone(),
            413,
            "payload_too_large",
            None,
        ),
        bad_post(
            "/v1/outlets/in-polygon",
            KeyKind::None,
            big,
            413,
            "payload_too_large",
            None,
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::None,
            outlet(json!({})),
            401,
            "missing_api_key",
            None,
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Wrong,
            outlet(json!({})),
            401,
            "invalid_api_key",
            None,
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Planner,
            outlet(json!({})),
            403,
            "forbidden",
            None,
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            "{not json",
            400,
            "invalid_json",
            None,
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"lat": 95.0})),
            422,
            "invalid_outlet",
            Some("lat"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"lon": 200.0})),
            422,
            "invalid_outlet",
            Some("lon"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"lat": 48.85, "lon": 2.35})),
            422,
            "invalid_outlet",
            Some("lat"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"lat": "sixty"})),
            422,
            "invalid_outlet",
            Some("lat"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"name": null})),
            422,
            "invalid_outlet",
            Some("name"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"name": "  "})),
            422,
            "invalid_outlet",
            Some("name"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"chain": "no-such"})),
            422,
            "invalid_outlet",
            Some("chain"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"kind": "shop"})),
            422,
            "invalid_outlet",
            Some("kind"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"postal_code": "1234"})),
            422,
            "invalid_outlet",
            Some("postal_code"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"municipality": "1000"})),
            422,
            "invalid_outlet",
            Some("municipality"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"opening_hours": ""})),
            422,
            "invalid_outlet",
            Some("opening_hours"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"services": ["Post Office"]})),
            422,
            "invalid_outlet",
            Some("services"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"colour": "#fff"})),
            422,
            "invalid_outlet",
            Some("colour"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"id": 0})),
            422,
            "invalid_outlet",
            Some("id"),
        ),
        bad_post(
            "/v1/outlets",
            KeyKind::Admin,
            outlet(json!({"id": 3000000000u64})),
            422,
            "invalid_outlet",
            Some("id"),
        ),
        Bad {
            method: Method::PATCH,
            path: "/v1/outlets/5",
            key: KeyKind::Admin,
            body: Some(br#"{"postal_code":"abcde"}"#.to_vec()),
            status: 422,
            code: "invalid_outlet",
            field: Some("postal_code"),
        },
        Bad {
            method: Method::PATCH,
            path: "/v1/outlets/99999",
            key: KeyKind::Admin,
            body: Some(br#"{"name":"x"}"#.to_vec()),
            status: 404,
            code: "not_found",
            field: None,
        },
        Bad {
            method: Method::PATCH,
            path: "/v1/outlets/5",
            key: KeyKind::Wrong,
            body: Some(br#"{"name":"x"}"#.to_vec()),
            status: 401,
            code: "invalid_api_key",
            field: None,
        },
        Bad {
            method: Method::DELETE,
            path: "/v1/outlets/5",
            key: KeyKind::Planner,
            body: None,
            status: 403,
            code: "forbidden",
            field: None,
        },
        Bad {
            method: Method::PUT,
            path: "/v1/chains",
            key: KeyKind::None,
            body: None,
            status: 405,
            code: "method_not_allowed",
            field: None,
        },
    ];
    let mut failures = Vec::new();
    for c in cases {
        let key = match c.key {
            KeyKind::None => None,
            KeyKind::Admin => Some(app.admin_key.as_str()),
            KeyKind::Planner => Some(planner.as_str()),
            KeyKind::Wrong => Some(wrong.as_str()),
        };
        let (status, body) = app.send(c.method.clone(), c.path, key, c.body).await;
        let ok = status.as_u16() == c.status
            && body["error"] == c.code
            && body["message"].as_str().is_some_and(|m| !m.is_empty())
            && body["field"] == c.field.map_or(Value::Null, |f| json!(f));
        if !ok {
            failures.push(format!("{} {} -> {status} {body}", c.method, c.path));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing bad was written.
    assert_eq!(
        app.state
            .store
            .load_registry()
            .await
            .unwrap()
            .outlets()
            .len(),
        300
    );
    let _ = n;
}

#[test]
fn keys_cli_creates_lists_and_revokes_without_showing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
            .arg("keys")
            .args(args)
            .args(["--database-url", &url])
            .env_remove("STORENET_DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = run(&["create", "--role", "retailer", "--outlet", "12"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("sn_") && key.len() == 67, "{key}");

    let list = run(&["list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(
        text.contains("retailer") && text.contains("outlet 12"),
        "{text}"
    );
    assert!(text.contains(&key[..11]), "the prefix is listed: {text}");
    assert!(!text.contains(&key[11..]), "the secret is not: {text}");

    let out = run(&["create", "--role", "chain"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--chain"));
    let out = run(&["create", "--role", "root"]);
    assert!(!out.status.success());

    assert!(run(&["revoke", "1"]).status.success());
    assert!(!run(&["revoke", "1"]).status.success(), "already revoked");
    let text = String::from_utf8(run(&["list"]).stdout).unwrap();
    assert!(
        !text.lines().nth(1).unwrap().trim_end().ends_with('-'),
        "{text}"
    );
}

mod capacity;
mod detail;
mod exports;
mod fast;
mod hardening;
mod instances;
mod ledger;
mod planning;
mod planning_secret;
