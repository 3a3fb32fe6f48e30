//! The planning secret lives in the database the instances share: two servers on one database,
//! each with a data dir of its own, and `storenet plan` on that database publish the same
//! perturbed figures; planning writes nothing into the data dir; a secret that cannot be had is a
//! 503, not a 500.

use super::planning::{call, json_ok, key, planning_app, whatif_body, write_planning_data, WHATIF};
use super::{spawn_app_with, TestApp};
use crate::common::{bin, fixture, PgSchema};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use storenet::db::Db;
use storenet::density::{secret, KeySecret};
use storenet::store::Role;

const COVERAGE: &str = "/v1/planning/coverage?bands=1,5&distance_m=3000";

/// A data dir of its own (as on a machine of its own): outlets, chains, the grid, the centres.
fn data_dir(root: &Path, name: &str) -> PathBuf {
    let data = root.join(name);
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    write_planning_data(&data);
    data
}

async fn instance(url: &str, data: &Path) -> TestApp {
    let (url, data) = (url.to_string(), data.to_path_buf());
    spawn_app_with(move |s| {
        s.database_url = url;
        s.data_dir = data;
    })
    .await
}

async fn two_instances_publish_the_same_figures(url: &str) {
    let root = tempfile::tempdir().unwrap();
    let a = instance(url, &data_dir(root.path(), "a")).await;
    let b = instance(url, &data_dir(root.path(), "b")).await;
    let k = key(&a, Role::Planner).await;
    // The first planning requests of both, at once: both race to create the secret.
    let (ca, cb) = tokio::join!(
        json_ok(&a, Method::GET, COVERAGE, &k, None),
        json_ok(&b, Method::GET, COVERAGE, &k, None)
    );
    assert_eq!(ca, cb, "{url}: coverage differs between the instances");
    let (wa, wb) = tokio::join!(
        json_ok(&a, Method::POST, WHATIF, &k, Some(whatif_body())),
        json_ok(&b, Method::POST, WHATIF, &k, Some(whatif_body()))
    );
    assert_eq!(wa, wb, "{url}: what-if differs between the instances");
    let sa = secret::load_or_create(a.state.store.db()).await.unwrap();
    let sb = secret::load_or_create(b.state.store.db()).await.unwrap();
    assert_eq!(sa, sb);
    assert_ne!(sa, KeySecret::public_for_synthetic_grids());

    // `storenet plan` on the same database publishes the API's figures.
    let out = root.path().join("out");
    let data = root.path().join("a");
    let run = bin()
        .args(["--data-dir", data.to_str().unwrap(), "plan", "coverage"])
        .args(["--bands", "1,3,5", "--database-url", url])
        .args(["--out", out.to_str().unwrap()])
        .env_remove("STORENET_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let cli: Value =
        serde_json::from_slice(&std::fs::read(out.join("coverage.json")).unwrap()).unwrap();
    assert_eq!(cli, ca, "{url}: storenet plan differs from the API");
    // Neither instance wrote anything next to its grid.
    for d in ["a", "b"] {
        assert_eq!(
            entries(&root.path().join(d)),
            ["chains.csv", "households_1km.csv", "outlets.csv", "sources"],
            "{d}"
        );
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn two_instances_on_one_sqlite_file_publish_the_same_planning_figures() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    two_instances_publish_the_same_figures(&url).await;
}

#[tokio::test]
async fn two_instances_on_one_postgresql_publish_the_same_planning_figures() {
    let what = "two_instances_on_one_postgresql_publish_the_same_planning_figures";
    let Some(pg) = PgSchema::create(what).await else {
        return;
    };
    two_instances_publish_the_same_figures(&pg.url).await;
    pg.drop_now().await;
}

#[tokio::test]
async fn planning_works_from_a_read_only_data_dir() {
    let app = planning_app().await;
    let data = app._dir.path().join("data");
    let before = entries(&data);
    set_mode(&data, 0o555);
    let k = key(&app, Role::Planner).await;
    let (s, _, body) = call(&app, Method::GET, COVERAGE, Some(&k), None).await;
    set_mode(&data, 0o755);
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    // Nothing was written there (as root the mode above does not stop writes; this does tell).
    assert_eq!(entries(&data), before);
}

fn set_mode(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn planning_without_its_secret_is_a_503_until_the_secret_can_be_had() {
    let app = planning_app().await;
    let k = key(&app, Role::Planner).await;
    let Db::Sqlite(pool) = app.state.store.db() else {
        unreachable!("the test app is on SQLite")
    };
    // The secret's table gone (a restore that missed it, say): the secret can be neither read nor
    // created.
    sqlx::query("DROP TABLE planning_secret")
        .execute(pool)
        .await
        .unwrap();
    let (s, ctype, body) = call(&app, Method::GET, COVERAGE, Some(&k), None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "planning_secret_unavailable", "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("secret") && msg.contains("try again"), "{msg}");
    // Once the table is back, the next request is answered: the failure is not kept.
    sqlx::raw_sql(include_str!(
        "../../../migrations/sqlite/0008_planning_secret.sql"
    ))
    .execute(pool)
    .await
    .unwrap();
    json_ok(&app, Method::GET, COVERAGE, &k, None).await;
}

#[test]
fn plan_without_a_usable_database_says_so() {
    let root = tempfile::tempdir().unwrap();
    let data = data_dir(root.path(), "data");
    let url = format!(
        "sqlite://{}",
        root.path().join("no/such/dir/x.db").display()
    );
    let run = bin()
        .args(["--data-dir", data.to_str().unwrap(), "plan", "coverage"])
        .args(["--database-url", &url])
        .env_remove("STORENET_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("planning secret"), "{err}");
    assert!(err.contains("x.db"), "{err}");
}
