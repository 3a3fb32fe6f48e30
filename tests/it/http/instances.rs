//! Several `storenet serve` instances on one database, on SQLite and on PostgreSQL: an outlet
//! written through one is served by the other after its next registry poll (src/http/sync.rs),
//! and concurrent purchases sent through both add up exactly.

use crate::common::{fixture, PgSchema};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use storenet::config::{RateLimit, Settings};
use storenet::ledger::{CardId, CardKind, Holder, HouseholdId, Ledger, NewCard, NewHousehold};
use storenet::store::{Role, Scope};
use uuid::Uuid;

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
        // The clients below all come from 127.0.0.1; the limits have their own tests.
        rate_limit: RateLimit {
            per_address_per_s: 0,
            per_key_per_s: 0,
            ..RateLimit::default()
        },
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

async fn two_instances(url: &str) -> (Instance, Instance, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    let a = instance(url, &data).await;
    let b = instance(url, &data).await;
    (a, b, dir)
}

async fn outlet_written_through_one_instance_is_served_by_the_other(url: &str) {
    let (a, b, _dir) = two_instances(url).await;
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

/// 8 clients send 250 purchases each (2,000 in all, in batches of 1 to 20), alternating between
/// the two instances and retrying every batch once through the other instance, to 20 households
/// of 2 cards each; every household's balance must equal the points of its purchases exactly,
/// and the books must verify.
async fn purchases_through_both_instances_add_up_exactly(url: &str) {
    const HOUSEHOLDS: i64 = 20;
    const CLIENTS: usize = 8;
    const PER_CLIENT: usize = 250;
    let (a, b, _dir) = two_instances(url).await;
    let mut households = Vec::new();
    let mut cards = Vec::new();
    for h in 1..=HOUSEHOLDS {
        households.push(NewHousehold {
            id: HouseholdId(h),
            segments: Default::default(),
            chosen_chains: Default::default(),
        });
        for (n, holder) in [(1, Holder::Primary), (2, Holder::Secondary)] {
            cards.push(NewCard {
                id: CardId(h * 10 + n),
                household: HouseholdId(h),
                holder,
                kind: CardKind::Mobile,
            });
        }
    }
    a.state.ledger.enrol(households, cards, None).await.unwrap();
    let key = a
        .state
        .store
        .create_key(Role::Admin, Scope::Network)
        .await
        .unwrap();
    let (_, list) = eventually(&Client::new(), &b, "/v1/outlets", |s, _| s.is_success()).await;
    let outlet = list["outlets"][0]["id"].as_u64().unwrap();

    // Purchases fixed in advance: (household, points, body).
    let mut expected = vec![0i64; HOUSEHOLDS as usize + 1];
    let mut work: Vec<Vec<Value>> = vec![Vec::new(); CLIENTS];
    for (c, items) in work.iter_mut().enumerate() {
        for i in 0..PER_CLIENT {
            let n = (c * PER_CLIENT + i) as i64;
            let h = n % HOUSEHOLDS + 1;
            let amount = 1_000 + (n * 7_919) % 20_000; // 10.00 .. 209.99 €
            let ineligible = (n % 3) * 150;
            expected[h as usize] += (amount - ineligible) / 100;
            items.push(json!({
                "key": Uuid::now_v7(), "card": h * 10 + 1 + (n % 2), "outlet": outlet,
                "amount_cents": amount, "ineligible_cents": ineligible,
                "at": "2026-10-12T12:00:00Z",
            }));
        }
    }
    let bases = [a.base.clone(), b.base.clone()];
    let mut tasks = tokio::task::JoinSet::new();
    for (c, items) in work.into_iter().enumerate() {
        let bases = bases.clone();
        let key = key.clone();
        tasks.spawn(async move {
            let client = Client::new();
            let mut rest = &items[..];
            let mut batch = 1 + c % 20;
            let mut turn = c;
            while !rest.is_empty() {
                let n = batch.min(rest.len());
                let body = Value::Array(rest[..n].to_vec());
                // Through one instance, then the same batch again through the other: the retry
                // a client makes after a lost answer must change nothing.
                for attempt in 0..2 {
                    let base = &bases[(turn + attempt) % 2];
                    let r = client
                        .post(format!("{base}/v1/purchases"))
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status();
                    let text = r.text().await.unwrap();
                    assert!(status.is_success(), "{status}: {text}");
                }
                rest = &rest[n..];
                turn += 1;
                batch = 1 + (batch * 7) % 20;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    for h in 1..=HOUSEHOLDS {
        let bal = b.state.ledger.balance(HouseholdId(h)).await.unwrap();
        assert_eq!(bal.points, expected[h as usize], "household {h}");
    }
    let report = a.state.ledger.verify().await.unwrap();
    assert!(report.ok(), "{report:?}");
    a.handle.stop(true).await;
    b.handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchases_through_two_instances_on_one_sqlite_file_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    purchases_through_both_instances_add_up_exactly(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchases_through_two_instances_on_one_postgresql_add_up() {
    let Some(pg) = PgSchema::create("the two-instance purchase test").await else {
        return;
    };
    purchases_through_both_instances_add_up_exactly(&pg.url).await;
    pg.drop_now().await;
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
