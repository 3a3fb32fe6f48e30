//! The planning routes: roles, the privacy floor in every answer, figures equal to the library's,
//! PNG maps, and bad input.

use super::{spawn_app, TestApp};
use crate::common::repo_path;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use storenet::density::{secret, Grid, GridOptions, KeySecret};
use storenet::model::{ChainId, LonLat, OutletId};
use storenet::planning::site::{Objective, SiteOptions};
use storenet::planning::{self, Connectivity, HuffOptions, NewOutlet, PlanContext};
use storenet::spatial::Filter;
use storenet::store::{Role, Scope};

/// A remote cell of 5 households, far from every outlet: below the privacy floor.
const LONE_CELL: (i64, i64, u32, u32) = (250_000, 7_660_000, 5, 7);

/// Writes part of the bundled household grid and the municipal centres into `data`.
pub(super) fn write_planning_data(data: &Path) {
    // The bundled grid, southern Finland only to keep debug-build tests quick, and a lone remote
    // cell below the privacy floor.
    let bundled = std::fs::read_to_string(repo_path("data/households_1km.csv")).unwrap();
    let mut lines = bundled.lines();
    assert_eq!(lines.next(), Some("x,y,households,cardholders"));
    let mut csv = String::from("x,y,households,cardholders\n");
    for line in lines {
        let y: i64 = line.split(',').nth(1).unwrap().parse().unwrap();
        if y < 6_800_000 {
            csv.push_str(line);
            csv.push('\n');
        }
    }
    let (x, y, h, c) = LONE_CELL;
    csv.push_str(&format!("{x},{y},{h},{c}\n"));
    std::fs::write(data.join("households_1km.csv"), csv).unwrap();
    std::fs::create_dir_all(data.join("sources")).unwrap();
    std::fs::copy(
        repo_path("data/sources/fi_municipality_centres.csv"),
        data.join("sources/fi_municipality_centres.csv"),
    )
    .unwrap();
}

/// The app with part of the bundled household grid and the municipal centres in its data dir,
/// and a fixed cell-key secret in its database, so the perturbed figures are the same on every
/// run.
pub(super) async fn planning_app() -> TestApp {
    let app = spawn_app().await;
    write_planning_data(&app._dir.path().join("data"));
    let fixed = secret::load_or_insert(
        app.state.store.db(),
        KeySecret::public_for_synthetic_grids(),
    )
    .await
    .unwrap();
    assert_eq!(fixed, KeySecret::public_for_synthetic_grids());
    app
}

/// The library's context over the same grid file and the service's live registry.
fn library_ctx(app: &TestApp) -> PlanContext {
    let data = app._dir.path().join("data");
    let grid = Grid::load(
        &data.join("households_1km.csv"),
        &GridOptions::new(KeySecret::public_for_synthetic_grids()),
    )
    .unwrap();
    let centres =
        planning::read_municipality_centres(&data.join("sources/fi_municipality_centres.csv"))
            .unwrap();
    let registry = app.state.index.load().registry().clone();
    PlanContext::new(Arc::new(grid), registry, &centres)
}

pub(super) async fn key(app: &TestApp, role: Role) -> String {
    let scope = match role {
        Role::Admin | Role::Planner => Scope::Network,
        Role::Retailer => Scope::Outlet(OutletId(1)),
        Role::Chain => Scope::Chain(ChainId::new("k-market").unwrap()),
        Role::Household => Scope::Household("hh-1".into()),
    };
    app.state.store.create_key(role, scope).await.unwrap()
}

/// GET or POST with a key; the status, content type and raw body.
pub(super) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, Vec<u8>) {
    // No pooled connections: the library runs between requests can outlast the server's
    // keep-alive, and a reused connection closed meanwhile fails the request.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut rb = client.request(method, format!("{}{path}", app.base));
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.bytes().await.unwrap().to_vec())
}

pub(super) async fn json_ok(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> Value {
    let (s, _, b) = call(app, method, path, Some(key), body).await;
    assert_eq!(s, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

pub(super) const WHATIF: &str = "/v1/planning/whatif";

pub(super) fn whatif_body() -> Value {
    // Open a K-Market in remote Lapland and close fixture outlet 1.
    json!({ "open": [{ "lat": 68.9, "lon": 21.0, "chain": "k-market" }], "close": [1] })
}

/// Every route once, as (method, path, body).
fn routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/v1/planning/density", None),
        (Method::GET, "/v1/planning/density?bbox=20,66,26,70", None),
        (Method::GET, "/v1/planning/coverage?distance_m=3000", None),
        (Method::GET, "/v1/planning/catchments", None),
        (Method::GET, "/v1/planning/catchments?format=geojson", None),
        (Method::GET, "/v1/planning/gaps?distance_m=5000", None),
        (
            Method::GET,
            "/v1/planning/gaps?distance_m=5000&format=geojson",
            None,
        ),
        (Method::POST, WHATIF, Some(whatif_body())),
        (Method::GET, "/v1/planning/sites?p=3&distance_m=10000", None),
        (Method::POST, "/v1/planning/sites?p=2&mode=pmedian", None),
        (Method::GET, "/v1/planning/huff", None),
    ]
}

#[tokio::test]
async fn every_route_needs_a_planner_or_admin_key() {
    let app = planning_app().await;
    for (m, path, body) in routes() {
        let (s, _, b) = call(&app, m.clone(), path, None, body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path} without a key");
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["error"], "missing_api_key");
    }
    for role in [Role::Household, Role::Retailer, Role::Chain] {
        let k = key(&app, role).await;
        for (m, path, body) in routes() {
            let (s, _, b) = call(&app, m.clone(), path, Some(&k), body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path} with a {role} key");
            let v: Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(v["error"], "forbidden");
        }
    }
    let admin = app.admin_key.clone();
    let planner = key(&app, Role::Planner).await;
    for k in [&admin, &planner] {
        for (m, path, body) in routes() {
            let (s, _, b) = call(&app, m.clone(), path, Some(k), body.clone()).await;
            assert_eq!(s, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&b));
        }
    }
}

/// Keys whose values are household or cardholder counts.
fn is_count_key(k: &str) -> bool {
    k.starts_with("households")
        || k.starts_with("cardholders")
        || k == "gained"
        || k == "lost"
        || k == "expected_households"
}

/// Every count in `v` is a number of at least 10 or the string "<10"; returns how many "<10".
fn check_floor(v: &Value, path: &str, at: &str) -> usize {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| {
                if is_count_key(k) {
                    match x {
                        Value::Number(n) => {
                            let n = n.as_f64().unwrap();
                            // 0 is an empty set (a closed outlet after closing), known anyway.
                            assert!(
                                n >= 10.0 || n == 0.0,
                                "{path}: {at}.{k} = {n} is below the floor"
                            );
                            0
                        }
                        Value::String(s) => {
                            assert_eq!(s, "<10", "{path}: {at}.{k}");
                            1
                        }
                        other => check_floor(other, path, &format!("{at}.{k}")),
                    }
                } else {
                    check_floor(x, path, &format!("{at}.{k}"))
                }
            })
            .sum(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| check_floor(x, path, &format!("{at}[{i}]")))
            .sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn no_figure_below_ten_households_is_shown_on_any_route() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let mut suppressed = 0;
    for (m, path, body) in routes() {
        let v = json_ok(&app, m, path, &k, body).await;
        suppressed += check_floor(&v, path, "");
    }
    // The lone 5-household cell is in the answer, as "<10".
    let v = json_ok(
        &app,
        Method::GET,
        "/v1/planning/density?bbox=20.5,68.5,21.5,69.5",
        &k,
        None,
    )
    .await;
    let lone: Vec<&Value> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["households"] == "<10")
        .collect();
    assert!(!lone.is_empty(), "the 5-household cell reads <10");
    assert!(lone.iter().all(|f| f["properties"]["cardholders"] == "<10"));
    assert!(suppressed > 0, "some figures are suppressed somewhere");
}

#[tokio::test]
async fn density_cells_are_wgs84_squares_and_large_boxes_are_aggregated() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let ctx = library_ctx(&app);
    // Every household of the grid, small cells included (the grid's total is far above the floor).
    let total = ctx.grid().total_households().shown().unwrap();
    // A small box around Helsinki: 1 km cells, households as in the grid.
    let bbox = (24.8, 60.1, 25.1, 60.3);
    let v = json_ok(
        &app,
        Method::GET,
        &format!(
            "/v1/planning/density?bbox={},{},{},{}",
            bbox.0, bbox.1, bbox.2, bbox.3
        ),
        &k,
        None,
    )
    .await;
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["cell_m"], 1000);
    let want: Vec<&storenet::density::Cell> = ctx
        .grid()
        .cells()
        .iter()
        .filter(|c| {
            (bbox.0..=bbox.2).contains(&c.centre.lon())
                && (bbox.1..=bbox.3).contains(&c.centre.lat())
        })
        .collect();
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), want.len());
    assert!(!feats.is_empty());
    let mut got: Vec<Value> = feats
        .iter()
        .map(|f| f["properties"]["households"].clone())
        .collect();
    let mut exp: Vec<Value> = want
        .iter()
        .map(|c| serde_json::to_value(c.households()).unwrap())
        .collect();
    let key_of = |v: &Value| v.to_string();
    got.sort_by_key(key_of);
    exp.sort_by_key(key_of);
    assert_eq!(got, exp);
    for f in feats {
        assert_eq!(f["geometry"]["type"], "Polygon");
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 5);
        assert_eq!(ring[0], ring[4]);
        let lon = ring[0][0].as_f64().unwrap();
        let lat = ring[0][1].as_f64().unwrap();
        assert!((24.7..25.2).contains(&lon) && (60.0..60.4).contains(&lat));
    }
    // The whole country: coarser blocks, bounded, same total households.
    let v = json_ok(&app, Method::GET, "/v1/planning/density", &k, None).await;
    let feats = v["features"].as_array().unwrap();
    assert!(feats.len() <= storenet::http::planning::MAX_DENSITY_FEATURES);
    if ctx.grid().cells().len() > storenet::http::planning::MAX_DENSITY_FEATURES {
        assert!(v["cell_m"].as_u64().unwrap() > 1000);
    }
    let shown: u64 = feats
        .iter()
        .filter_map(|f| f["properties"]["households"].as_u64())
        .sum();
    // Blocks hold every household; only those in blocks of fewer than ten are not shown.
    let suppressed = feats
        .iter()
        .filter(|f| f["properties"]["households"] == "<10")
        .count() as u64;
    // Each block is perturbed on its own (at most ±3), so the sum is near the total, not equal.
    let slack = storenet::density::MAX_PERTURBATION * (feats.len() as u64 + 1);
    assert!(shown <= total + slack, "{shown} of {total}");
    assert!(
        shown + 9 * suppressed + slack >= total,
        "{shown} + <10 × {suppressed} < {total}"
    );
}

/// Issue 18: opening a hypothetical outlet on an isolated cell at bands=0.3 told its households
/// and cardholders exactly (273,640 → 273,641). Pairs of what-ifs whose difference is the lone
/// cell alone (open X, then X and the lone cell, for several X): the differences must not all be
/// exact, as they were.
#[tokio::test]
async fn whatif_differences_do_not_reveal_an_isolated_cell() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let ctx = library_ctx(&app);
    let (x, y, h, c) = LONE_CELL;
    let lone = storenet::crs::to_wgs84(
        storenet::crs::Crs::Tm35Fin,
        x as f64 + 500.0,
        y as f64 + 500.0,
    )
    .unwrap();
    // Other places to open: centres of well populated cells far from the lone one.
    let others: Vec<LonLat> = ctx
        .grid()
        .cells()
        .iter()
        .filter(|c| c.households().shown().is_some_and(|h| h >= 100))
        .step_by(97)
        .take(12)
        .map(|c| c.centre)
        .collect();
    assert_eq!(others.len(), 12);
    let open = |p: &LonLat| json!({ "lat": p.lat(), "lon": p.lon(), "chain": "k-market" });
    let (mut exact_h, mut exact_c, mut errors) = (0, 0, std::collections::BTreeSet::new());
    for p in &others {
        let path = format!("{WHATIF}?bands=0.3");
        let a = json_ok(
            &app,
            Method::POST,
            &path,
            &k,
            Some(json!({ "open": [open(p)] })),
        )
        .await;
        let body = json!({ "open": [open(p), open(&lone)] });
        let b = json_ok(&app, Method::POST, &path, &k, Some(body)).await;
        let fig = |v: &Value, f: &str| v["after"]["bands"][0][f].as_i64().unwrap();
        let dh = fig(&b, "households") - fig(&a, "households");
        let dc = fig(&b, "cardholders") - fig(&a, "cardholders");
        exact_h += usize::from(dh == h as i64);
        exact_c += usize::from(dc == c as i64);
        errors.insert(dh - h as i64);
    }
    assert!(
        exact_h * 2 < others.len(),
        "{exact_h} of 12 household differences exact"
    );
    assert!(
        exact_c * 2 < others.len(),
        "{exact_c} of 12 cardholder differences exact"
    );
    assert!(errors.len() >= 3, "errors {errors:?}");
}

/// Issue 18: two boxes differing by a sliver gave a 2 km block two values (20/32, then 16/25),
/// revealing the cell the sliver cut off. Blocks now come whole from the national grid.
#[tokio::test]
async fn density_boxes_differing_by_a_sliver_give_the_same_blocks() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let get = |west: f64| {
        let app = &app;
        let k = &k;
        async move {
            let path = format!("/v1/planning/density?bbox={west},60.0,27.0,62.0");
            json_ok(app, Method::GET, &path, k, None).await
        }
    };
    let (a, b) = (get(22.0).await, get(22.013).await);
    assert_eq!(a["cell_m"], b["cell_m"]);
    assert!(a["cell_m"].as_u64().unwrap() > 1000, "{}", a["cell_m"]);
    let block_m = a["cell_m"].as_f64().unwrap();
    let by_geometry = |v: &Value| -> std::collections::HashMap<String, Value> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["geometry"].to_string(), f["properties"].clone()))
            .collect()
    };
    let (a, b) = (by_geometry(&a), by_geometry(&b));
    let common: Vec<&String> = b.keys().filter(|g| a.contains_key(*g)).collect();
    assert!(common.len() > 1000, "{} blocks in both", common.len());
    assert_eq!(
        common.len(),
        b.len(),
        "the narrower box selects no new block"
    );
    for g in common {
        assert_eq!(a[g], b[g], "block {g}");
    }
    // The blocks are aligned to multiples of their size in EPSG:3067.
    for g in a.keys().take(50) {
        let ring: Value = serde_json::from_str(g).unwrap();
        let p = &ring["coordinates"][0][0];
        let ll = LonLat::new(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()).unwrap();
        let (x, y) = storenet::crs::from_wgs84(storenet::crs::Crs::Tm35Fin, ll).unwrap();
        let m = block_m;
        for v in [x, y] {
            let off = v.rem_euclid(m).min(m - v.rem_euclid(m));
            assert!(off < 0.5, "{g}: corner {x}, {y}");
        }
    }
}

#[tokio::test]
async fn reports_equal_the_library_for_the_same_input() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let ctx = library_ctx(&app);
    let kmarket = Filter {
        chains: vec![ChainId::new("k-market").unwrap()],
        ..Filter::default()
    };
    let lib = |v: &dyn erased::Ser| Approx(v.value());

    let got = json_ok(
        &app,
        Method::GET,
        "/v1/planning/coverage?bands=1,5&distance_m=3000&chain=k-market",
        &k,
        None,
    )
    .await;
    let want = planning::coverage(&ctx, &kmarket, &[1000.0, 3000.0, 5000.0]).unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));

    let got = json_ok(&app, Method::GET, "/v1/planning/catchments", &k, None).await;
    let want = planning::catchments(&ctx, &Filter::default()).unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));
    let got = json_ok(
        &app,
        Method::GET,
        "/v1/planning/catchments?format=geojson&chain=k-market",
        &k,
        None,
    )
    .await;
    let r = planning::catchments(&ctx, &kmarket).unwrap();
    let want = planning::catchments_geojson(&ctx, &r).unwrap();
    assert_eq!(Approx(got), Approx(serde_json::to_value(&want).unwrap()));

    let got = json_ok(
        &app,
        Method::GET,
        "/v1/planning/gaps?distance_m=8000&connectivity=8",
        &k,
        None,
    )
    .await;
    let want = planning::gaps(&ctx, &Filter::default(), 8000.0, Connectivity::Eight).unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));
    assert!(!got["gaps"].as_array().unwrap().is_empty());

    let got = json_ok(&app, Method::POST, WHATIF, &k, Some(whatif_body())).await;
    let open = [NewOutlet {
        location: LonLat::new(21.0, 68.9).unwrap(),
        chain: ChainId::new("k-market").unwrap(),
    }];
    let bands: Vec<f64> = planning::DEFAULT_BANDS_KM
        .iter()
        .map(|b| b * 1000.0)
        .collect();
    let want = planning::what_if(&ctx, &Filter::default(), &open, &[OutletId(1)], &bands).unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));
    let statuses: Vec<&str> = got["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"opened") && statuses.contains(&"closed"));

    let got = json_ok(
        &app,
        Method::GET,
        "/v1/planning/sites?p=3&distance_m=10000&chain=k-market",
        &k,
        None,
    )
    .await;
    let want = planning::suggest_sites(
        &ctx,
        &kmarket,
        &SiteOptions {
            objective: Objective::Mclp,
            p: 3,
            distance_m: 10_000.0,
            ..SiteOptions::default()
        },
    )
    .unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));
    assert_eq!(got["sites"].as_array().unwrap().len(), 3);

    let got = json_ok(&app, Method::GET, "/v1/planning/huff?lambda=1.5", &k, None).await;
    let want = planning::huff(
        &ctx,
        &Filter::default(),
        &HuffOptions {
            lambda: 1.5,
            ..HuffOptions::default()
        },
    )
    .unwrap();
    assert_eq!(Approx(got.clone()), lib(&want));
}

/// JSON compared with numbers equal to 1e-9 relative (sums over threads differ in the last bit).
#[derive(Debug)]
struct Approx(Value);

impl PartialEq for Approx {
    fn eq(&self, other: &Self) -> bool {
        fn eq(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => {
                    let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
                }
                (Value::Array(x), Value::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(x, y)| eq(x, y))
                }
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
                }
                _ => a == b,
            }
        }
        eq(&self.0, &other.0)
    }
}

/// A tiny object-safe `Serialize` to JSON value, so one closure compares every report type.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

#[tokio::test]
async fn reports_follow_the_live_outlets() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let before = json_ok(&app, Method::GET, "/v1/planning/catchments", &k, None).await;
    let n = before["outlets"].as_array().unwrap().len();
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets",
            Some(&app.admin_key),
            Some(serde_json::to_vec(&super::new_outlet(68.9, 21.0)).unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let after = json_ok(&app, Method::GET, "/v1/planning/catchments", &k, None).await;
    assert_eq!(after["outlets"].as_array().unwrap().len(), n + 1);
    let id = v["id"].as_u64().unwrap();
    assert!(after["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["outlet"] == id));
}

fn check_png(bytes: &[u8], path: &str) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(info.width >= 400 && info.height >= 400, "{path}");
    // Not a blank image: more than a handful of distinct colours.
    let px = info.line_size / info.width as usize;
    let mut colours = std::collections::HashSet::new();
    for c in buf[..info.buffer_size()].chunks(px) {
        colours.insert(c.to_vec());
        if colours.len() > 8 {
            break;
        }
    }
    assert!(colours.len() > 8, "{path}: a near-blank image");
}

#[tokio::test]
async fn every_report_comes_as_a_png_map() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    for (m, path, body) in routes() {
        let path = if path.contains("format=") {
            path.replace("format=geojson", "format=png")
        } else if path.contains('?') {
            format!("{path}&format=png")
        } else {
            format!("{path}?format=png")
        };
        let (s, ctype, bytes) = call(&app, m, &path, Some(&k), body).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(ctype, "image/png", "{path}");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}");
        check_png(&bytes, &path);
    }
}

/// (method, path, body, status, error code, field).
type Case = (
    Method,
    &'static str,
    Option<Value>,
    u16,
    &'static str,
    Option<&'static str>,
);

#[tokio::test]
async fn bad_planning_input_gets_a_4xx_naming_the_field() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            "/v1/planning/coverage?distance_m=0",
            None,
            400,
            "out_of_range",
            Some("distance_m"),
        ),
        (
            Method::GET,
            "/v1/planning/coverage?distance_m=-5",
            None,
            400,
            "out_of_range",
            Some("distance_m"),
        ),
        (
            Method::GET,
            "/v1/planning/coverage?bands=1,x",
            None,
            400,
            "invalid_parameter",
            Some("bands"),
        ),
        (
            Method::GET,
            "/v1/planning/coverage?chain=no-such-chain",
            None,
            400,
            "unknown_chain",
            Some("chain"),
        ),
        (
            Method::GET,
            "/v1/planning/coverage?format=xml",
            None,
            400,
            "invalid_parameter",
            Some("format"),
        ),
        (
            Method::GET,
            "/v1/planning/coverage?radius=5",
            None,
            400,
            "unknown_parameter",
            Some("radius"),
        ),
        (
            Method::GET,
            "/v1/planning/gaps?distance_m=0",
            None,
            400,
            "out_of_range",
            Some("distance_m"),
        ),
        (
            Method::GET,
            "/v1/planning/gaps?connectivity=6",
            None,
            400,
            "invalid_parameter",
            Some("connectivity"),
        ),
        (
            Method::GET,
            "/v1/planning/catchments?chain=nope",
            None,
            400,
            "unknown_chain",
            Some("chain"),
        ),
        (
            Method::GET,
            "/v1/planning/density?bbox=1,2,3",
            None,
            400,
            "invalid_parameter",
            Some("bbox"),
        ),
        (
            Method::GET,
            "/v1/planning/density?format=json",
            None,
            400,
            "invalid_parameter",
            Some("format"),
        ),
        (
            Method::GET,
            "/v1/planning/sites?p=0",
            None,
            400,
            "out_of_range",
            Some("p"),
        ),
        (
            Method::GET,
            "/v1/planning/sites?p=1000",
            None,
            400,
            "out_of_range",
            Some("p"),
        ),
        (
            Method::GET,
            "/v1/planning/sites",
            None,
            400,
            "missing_parameter",
            Some("p"),
        ),
        (
            Method::GET,
            "/v1/planning/sites?p=2&distance_m=-1",
            None,
            400,
            "out_of_range",
            Some("distance_m"),
        ),
        (
            Method::GET,
            "/v1/planning/sites?p=2&mode=best",
            None,
            400,
            "invalid_parameter",
            Some("mode"),
        ),
        (
            Method::POST,
            "/v1/planning/sites?p=2",
            Some(json!({ "candidates": [{ "lat": 95, "lon": 25 }] })),
            422,
            "invalid_value",
            Some("candidates[0]"),
        ),
        (
            Method::POST,
            "/v1/planning/sites?p=2",
            Some(json!({ "candidates": [{ "lat": 61, "lon": 25 }] })),
            400,
            "invalid_parameter",
            Some("p"),
        ),
        (
            Method::GET,
            "/v1/planning/huff?lambda=0",
            None,
            400,
            "out_of_range",
            Some("lambda"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({ "close": [999999] })),
            422,
            "unknown_outlet",
            Some("close"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({ "close": [99999999999u64] })),
            422,
            "unknown_outlet",
            Some("close"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({ "open": [{ "lat": 61, "lon": 25, "chain": "nope" }] })),
            422,
            "unknown_chain",
            Some("open[0].chain"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({ "open": [{ "lat": 91, "lon": 25, "chain": "k-market" }] })),
            422,
            "invalid_value",
            Some("open[0]"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({})),
            422,
            "invalid_value",
            Some("open"),
        ),
        (
            Method::POST,
            WHATIF,
            Some(json!({ "close": "1" })),
            400,
            "invalid_json",
            None,
        ),
        (
            Method::POST,
            "/v1/planning/whatif?distance_m=0",
            Some(whatif_body()),
            400,
            "out_of_range",
            Some("distance_m"),
        ),
    ];
    for (m, path, body, status, code, field) in cases {
        let (s, ctype, b) = call(&app, m, path, Some(&k), body).await;
        let text = String::from_utf8_lossy(&b);
        assert_eq!(s.as_u16(), status, "{path}: {text}");
        assert!(ctype.starts_with("application/json"), "{path}: {ctype}");
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["error"], code, "{path}: {text}");
        assert_eq!(v["field"].as_str(), field, "{path}: {text}");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_planning_routes_are_in_the_openapi_document() {
    let app = planning_app().await;
    let (s, v) = app.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/v1/planning/density",
        "/v1/planning/coverage",
        "/v1/planning/catchments",
        "/v1/planning/gaps",
        "/v1/planning/whatif",
        "/v1/planning/sites",
        "/v1/planning/huff",
    ] {
        assert!(v["paths"][p].is_object(), "{p} missing");
    }
    assert!(v["paths"]["/v1/planning/sites"]["get"].is_object());
    assert!(v["paths"]["/v1/planning/sites"]["post"].is_object());
    assert!(v["paths"]["/v1/planning/whatif"]["post"].is_object());
}
