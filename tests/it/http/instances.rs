//! Several `storenet serve` instances on one database: an outlet written through one is served by
//! the other after its next registry poll (src/http/sync.rs), on SQLite and on PostgreSQL.

use crate::common::{fixture, PgSchema};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use storenet::config::Settings;
use storenet::store::{Role, Scope};

struct Instance {
    base: String,
    state: storenet::http::AppState,
    handle: actix_web::dev::ServerHandle,
}

async fn instance(url: &str, data: &Path) -> Instance {
    let settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: url.to_string(),
        data_dir: data.to_path_buf(),
        workers: Some(1),
        registry_poll_ms: 100,
        ..Settings::default()
    };
    let started = storenet::http::start(settings).await.unwrap();
    let handle = started.server.handle();
    tokio::spawn(started.server);
    Instance {
        base: format!("http://{}", started.addr),
        state: started.state,
        handle,
    }
}

/// GETs `path` from `inst` until `done` holds for the answer, for at most 20 s (a deadline for a
/// broken propagation, not a speed check: the poll runs every 100 ms).
async fn eventually(
    client: &Client,
    inst: &Instance,
    path: &str,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = client
            .get(format!("{}{path}", inst.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if done(status, &body) || Instant::now() > deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn outlet_written_through_one_instance_is_served_by_the_other(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    let a = instance(url, &data).await;
    let b = instance(url, &data).await;
    let key = a
        .state
        .store
        .create_key(Role::Admin, Scope::Network)
        .await
        .unwrap();
    let client = Client::new();
    let (_, list) = eventually(&client, &b, "/v1/outlets", |s, _| s.is_success()).await;
    let id = list["outlets"][0]["id"].as_u64().unwrap();

    // A rename through A reaches B.
    let r = client
        .patch(format!("{}/v1/outlets/{id}", a.base))
        .bearer_auth(&key)
        .json(&json!({ "name": "K-Market Toisen Instanssin Testi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = eventually(&client, &b, &format!("/v1/outlets/{id}"), |_, v| {
        v["name"] == "K-Market Toisen Instanssin Testi"
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "K-Market Toisen Instanssin Testi", "{body}");

    // A closure through B reaches A.
    let r = client
        .delete(format!("{}/v1/outlets/{id}", b.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = eventually(&client, &a, &format!("/v1/outlets/{id}"), |s, _| {
        s == StatusCode::NOT_FOUND
    })
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    a.handle.stop(true).await;
    b.handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_sqlite_file_share_outlet_changes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    outlet_written_through_one_instance_is_served_by_the_other(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_outlet_changes() {
    let Some(pg) = PgSchema::create("the two-instance test").await else {
        return;
    };
    outlet_written_through_one_instance_is_served_by_the_other(&pg.url).await;
    pg.drop_now().await;
}
