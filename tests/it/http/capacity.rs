//! Capacity: the heavy routes (planning, exports, route and polygon bodies) run on their own
//! bounded pools; beyond a pool and its queue, and past its deadline, the answer is a 503 with
//! `Retry-After` and a JSON body, while the other routes keep answering. Parameters that make
//! the work explode are bounded.

use super::{spawn_app_with, TestApp};
use crate::common::repo_path;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::Duration;
use storenet::capacity::BoundedPool;
use storenet::config::Settings;
use storenet::store::{Role, Scope};

/// The app with a corner of the bundled household grid and the municipal centres, so the
/// planning routes answer; `tweak` sets the pools.
async fn planning_app(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_with(tweak).await;
    let data = app._dir.path().join("data");
    let bundled = std::fs::read_to_string(repo_path("data/households_1km.csv")).unwrap();
    let mut csv = String::from("x,y,households,cardholders\n");
    for line in bundled.lines().skip(1) {
        let y: i64 = line.split(',').nth(1).unwrap().parse().unwrap();
        if y < 6_720_000 {
            csv.push_str(line);
            csv.push('\n');
        }
    }
    std::fs::write(data.join("households_1km.csv"), csv).unwrap();
    std::fs::create_dir_all(data.join("sources")).unwrap();
    std::fs::copy(
        repo_path("data/sources/fi_municipality_centres.csv"),
        data.join("sources/fi_municipality_centres.csv"),
    )
    .unwrap();
    app
}

/// Takes every thread of `pool` until the returned sender is dropped or sent to, once per
/// thread; returns when they are all taken.
async fn occupy(pool: &BoundedPool, threads: usize) -> mpsc::Sender<()> {
    let (release, hold) = mpsc::channel::<()>();
    let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
    let before = pool.in_use();
    for _ in 0..threads {
        let pool = pool.clone();
        let hold = hold.clone();
        tokio::spawn(async move {
            let _ = pool
                .run(move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await;
        });
    }
    while pool.in_use() < before + threads {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    release
}

async fn get_with(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut rb = app.client.get(format!("{}{path}", app.base));
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn planning_beyond_its_pool_and_queue_is_a_503_busy_while_exports_and_nearest_answer() {
    let app = planning_app(|s| {
        s.capacity.planning.threads = 1;
        s.capacity.planning.queue = 0;
        s.capacity.planning.deadline_ms = 60_000;
        s.capacity.exports.threads = 1;
    })
    .await;
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    // Warm the planning context (grid load) while the pool is free.
    let (s, _, v) = get_with(&app, "/v1/planning/coverage", Some(&planner)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let release = occupy(&app.state.pools.planning, 1).await;
    let (s, retry, v) = get_with(&app, "/v1/planning/huff", Some(&planner)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "busy", "{v}");
    assert!(v["message"].as_str().unwrap().contains("planning"), "{v}");
    assert_eq!(retry.as_deref(), Some("60"));
    // The other heavy route and the cheap one keep their capacity.
    let (s, _, _) = get_with(&app, "/v1/exports/gpx", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = get_with(&app, "/v1/outlets/nearest?lat=60.17&lon=24.94", None).await;
    assert_eq!(s, StatusCode::OK);
    drop(release);
    while app.state.pools.planning.in_use() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Once the pool is free again it takes work (coverage: cheap in a debug build, unlike Huff).
    let (s, _, v) = get_with(&app, "/v1/planning/coverage", Some(&planner)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_planning_request_not_done_by_its_deadline_is_a_503_with_retry_after() {
    let app = planning_app(|s| {
        s.capacity.planning.threads = 1;
        s.capacity.planning.queue = 1;
        s.capacity.planning.deadline_ms = 300;
    })
    .await;
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    let release = occupy(&app.state.pools.planning, 1).await;
    let (s, retry, v) = get_with(&app, "/v1/planning/coverage", Some(&planner)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "deadline_exceeded", "{v}");
    assert_eq!(v["field"], Value::Null);
    assert_eq!(retry.as_deref(), Some("1"));
    drop(release);
}

#[tokio::test]
async fn route_bodies_wait_for_their_own_pool_and_nearest_answers_meanwhile() {
    let app = spawn_app_with(|s| {
        s.capacity.routes.threads = 1;
        s.capacity.routes.queue = 1;
        s.capacity.routes.deadline_ms = 60_000;
    })
    .await;
    let release = occupy(&app.state.pools.routes, 1).await;
    let url = format!("{}/v1/outlets/along-route", app.base);
    let client = app.client.clone();
    let queued = tokio::spawn(async move {
        client
            .post(url)
            .body(super::ROUTE_GPX)
            .send()
            .await
            .unwrap()
            .status()
    });
    while app.state.pools.routes.in_use() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The pool and its queue are full: the next body is refused at once, nearest still answers.
    let r = app
        .client
        .post(format!("{}/v1/outlets/in-polygon", app.base))
        .body(r#"{"type":"Polygon","coordinates":[[[24,60],[26,60],[26,61],[24,61],[24,60]]]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "busy", "{v}");
    let (s, _) = app.get("/v1/outlets/nearest?lat=60.17&lon=24.94").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !queued.is_finished(),
        "the route must wait for the route pool"
    );
    release.send(()).unwrap();
    assert_eq!(queued.await.unwrap(), StatusCode::OK);
}

#[tokio::test]
async fn a_long_route_with_a_wide_corridor_is_refused_by_its_work() {
    let app = spawn_app_with(|_| {}).await;
    // 4,001 zig-zag points: allowed at the default 2 km, too much work at 50 km.
    let line: Vec<[f64; 2]> = (0..4_001)
        .map(|i| [24.9 + (i % 2) as f64 * 0.05, 60.1 + i as f64 * 1e-4])
        .collect();
    let route = json!({"type": "LineString", "coordinates": line}).to_string();
    let post = |q: &'static str| {
        app.client
            .post(format!("{}/v1/outlets/along-route{q}", app.base))
            .body(route.clone())
            .send()
    };
    let r = post("?corridor_m=50000").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["error"].as_str(), v["field"].as_str()),
        (Some("out_of_range"), Some("corridor_m")),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("at most 4000 points"),
        "{v}"
    );
    assert_eq!(post("").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        post("?corridor_m=49000").await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn huff_refuses_a_cutoff_that_makes_the_work_explode() {
    let app = planning_app(|_| {}).await;
    let planner = app
        .state
        .store
        .create_key(Role::Planner, Scope::Network)
        .await
        .unwrap();
    let (s, _, v) = get_with(
        &app,
        "/v1/planning/huff?lambda=2&cutoff_m=50001",
        Some(&planner),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "cutoff_m", "{v}");
    let (s, _, v) = get_with(&app, "/v1/planning/huff?cutoff_m=50000", Some(&planner)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_route_export_is_bounded_by_the_same_work_as_along_route() {
    let app = spawn_app_with(|_| {}).await;
    let line: Vec<[f64; 2]> = (0..4_001)
        .map(|i| [24.9 + (i % 2) as f64 * 0.05, 60.1 + i as f64 * 1e-4])
        .collect();
    let route = json!({"type": "LineString", "coordinates": line}).to_string();
    for path in ["/v1/exports/gpx", "/v1/exports"] {
        let r = app
            .client
            .post(format!("{}{path}?corridor_m=50000", app.base))
            .header("content-type", "application/geo+json")
            .body(route.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            (v["error"].as_str(), v["field"].as_str()),
            (Some("out_of_range"), Some("corridor_m")),
            "{path}: {v}"
        );
    }
}
