//! The ledger and offers over HTTP: purchases, returns, balances, statements, offers, and who may
//! do what. Every scenario runs on SQLite and on PostgreSQL (`STORENET_TEST_DATABASE_URL`, a
//! fresh schema per test; skipped with a notice when unset, unless `STORENET_REQUIRE_POSTGRES=1`).

use crate::common::fixture;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;
use std::collections::BTreeSet;
use std::net::TcpListener;
use storenet::config::Settings;
use storenet::db::Db;
use storenet::http::AppState;
use storenet::ledger::{CardId, CardKind, Holder, HouseholdId, Ledger, NewCard, NewHousehold};
use storenet::model::{ChainId, OutletId};
use storenet::store::{Role, Scope, Store};
use uuid::Uuid;

// ---------------------------------------------------------------- the app on either backend

struct Keys {
    admin: String,
    planner: String,
    /// Retailer of outlet 1 (k-market).
    retailer1: String,
    /// Retailer of outlet 4 (k-supermarket).
    retailer4: String,
    chain_kmarket: String,
    chain_krauta: String,
    household1: String,
    household2: String,
}

struct LedgerApp {
    base: String,
    client: Client,
    state: AppState,
    keys: Keys,
    _dir: tempfile::TempDir,
    schema: Option<(String, String)>,
}

fn data_dir(dir: &std::path::Path) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    data
}

async fn sqlite_app() -> LedgerApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("t.db").display()),
        data_dir: data_dir(dir.path()),
        workers: Some(2),
        ..Settings::default()
    };
    let started = storenet::http::start(settings).await.unwrap();
    let base = format!("http://{}", started.addr);
    let state = started.state.clone();
    tokio::spawn(started.server);
    finish_setup(base, state, dir, None).await
}

/// The app over PostgreSQL in a fresh schema, or `None` (with a notice) when no server is set.
async fn postgres_app() -> Option<LedgerApp> {
    let Ok(url) = std::env::var("STORENET_TEST_DATABASE_URL") else {
        if std::env::var("STORENET_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("STORENET_REQUIRE_POSTGRES=1 but STORENET_TEST_DATABASE_URL is not set");
        }
        eprintln!(
            "notice: STORENET_TEST_DATABASE_URL is not set; skipping the PostgreSQL half of this HTTP ledger test"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let schema = format!("t_{}", Uuid::now_v7().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    admin.close().await;
    let path = schema.clone();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            let sql = format!("SET search_path TO {path}");
            Box::pin(async move {
                conn.execute(sql.as_str()).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .unwrap();
    let db = Db::Postgres(pool);
    db.migrate().await.unwrap();
    let store = Store::new(db);
    let reg = storenet::registry::load_dir(&data).unwrap();
    store.import_if_empty(&reg).await.unwrap();
    let registry = store.load_registry().await.unwrap();
    let settings = Settings {
        workers: Some(2),
        data_dir: data,
        ..Settings::default()
    };
    let state = AppState::new(store, registry, settings).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = storenet::http::server(listener, state.clone()).unwrap();
    tokio::spawn(server);
    Some(finish_setup(base, state, dir, Some((url, schema))).await)
}

/// Households 1, 2 and 3 (2 is in segment `napero`), each with cards `h*10+1` and `h*10+2`,
/// and one key of each kind.
async fn finish_setup(
    base: String,
    state: AppState,
    dir: tempfile::TempDir,
    schema: Option<(String, String)>,
) -> LedgerApp {
    let mut households = Vec::new();
    let mut cards = Vec::new();
    for h in 1..=3 {
        households.push(NewHousehold {
            id: HouseholdId(h),
            segments: if h == 2 {
                BTreeSet::from(["napero".to_string()])
            } else {
                BTreeSet::new()
            },
            chosen_chains: BTreeSet::new(),
        });
        for (n, holder) in [(1, Holder::Primary), (2, Holder::Secondary)] {
            cards.push(NewCard {
                id: CardId(h * 10 + n),
                household: HouseholdId(h),
                holder,
                kind: CardKind::Plastic,
            });
        }
    }
    state.ledger.enrol(households, cards, None).await.unwrap();
    let store = &state.store;
    let key = |role, scope| store.create_key(role, scope);
    let chain = |c: &str| Scope::Chain(ChainId::new(c).unwrap());
    let keys = Keys {
        admin: key(Role::Admin, Scope::Network).await.unwrap(),
        planner: key(Role::Planner, Scope::Network).await.unwrap(),
        retailer1: key(Role::Retailer, Scope::Outlet(OutletId(1)))
            .await
            .unwrap(),
        retailer4: key(Role::Retailer, Scope::Outlet(OutletId(4)))
            .await
            .unwrap(),
        chain_kmarket: key(Role::Chain, chain("k-market")).await.unwrap(),
        chain_krauta: key(Role::Chain, chain("k-rauta")).await.unwrap(),
        household1: key(Role::Household, Scope::Household("1".into()))
            .await
            .unwrap(),
        household2: key(Role::Household, Scope::Household("2".into()))
            .await
            .unwrap(),
    };
    LedgerApp {
        base,
        client: Client::new(),
        state,
        keys,
        _dir: dir,
        schema,
    }
}

impl LedgerApp {
    async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, key, Some(body)).await
    }

    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        self.send(Method::GET, path, key, None).await
    }

    /// Household `h`'s points, read with the admin key.
    async fn points(&self, h: i64) -> i64 {
        let (s, v) = self
            .get(
                &format!("/v1/households/{h}/balance"),
                Some(&self.keys.admin),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["points"].as_i64().unwrap()
    }

    async fn finish(self) {
        let verified = self.state.ledger.verify().await.unwrap();
        assert!(verified.ok(), "verify: {verified:?}");
        if let Some((url, schema)) = self.schema {
            if let Db::Postgres(p) = self.state.store.db() {
                p.close().await;
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .unwrap();
            admin
                .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                .await
                .unwrap();
        }
    }
}

/// Runs a scenario `async fn name(app: &LedgerApp)` on both backends.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = super::sqlite_app().await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = super::postgres_app().await {
                    super::$name(&app).await;
                    app.finish().await;
                }
            }
        }
    )+};
}

on_both_backends!(
    purchases_earn_points_and_returns_reverse_them,
    same_key_same_content_exists_and_other_content_conflicts,
    a_batch_with_a_bad_item_names_it_and_writes_nothing,
    returns_of_unknown_purchases_or_more_than_bought_are_refused,
    every_write_route_refuses_wrong_roles_and_missing_keys,
    households_read_only_their_own_balance_and_statements,
    offers_are_listed_and_shown_per_outlet_by_level_date_and_household,
    concurrent_clients_writing_to_one_household_lose_no_update,
);

mod trust;

// ---------------------------------------------------------------- helpers

/// A purchase at outlet 1 (k-market) in October 2026.
fn purchase(key: Uuid, card: i64, amount: i64, ineligible: i64) -> Value {
    json!({
        "key": key, "card": card, "outlet": 1, "amount_cents": amount,
        "ineligible_cents": ineligible, "at": "2026-10-05T10:00:00Z"
    })
}

fn purchase_at(key: Uuid, card: i64, outlet: u32, amount: i64) -> Value {
    json!({
        "key": key, "card": card, "outlet": outlet, "amount_cents": amount,
        "at": "2026-10-06T10:00:00Z"
    })
}

fn ret(key: Uuid, purchase: Uuid, amount: i64) -> Value {
    json!({"key": key, "purchase": purchase, "amount_cents": amount, "at": "2026-10-07T10:00:00Z"})
}

fn offer(id: &str, level: &str, target: Option<&str>, segments: &[&str]) -> Value {
    json!({
        "id": id, "level": level, "target": target, "title": format!("Offer {id}"),
        "benefit": "discount", "value": 20, "valid_from": "2026-11-01",
        "valid_to": "2026-11-30", "segments": segments
    })
}

fn offer_ids(v: &Value) -> Vec<String> {
    v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------- scenarios

async fn purchases_earn_points_and_returns_reverse_them(app: &LedgerApp) {
    let k = &app.keys;
    let key = Uuid::now_v7();
    // €45.99 of which €12.50 ineligible: 33 points; the chain comes from the outlet.
    let (s, v) = app
        .post(
            "/v1/purchases",
            Some(&k.admin),
            &purchase(key, 11, 4_599, 1_250),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "created");
    assert_eq!(v["key"], key.to_string());
    assert_eq!(v["receipt"]["household"], 1);
    assert_eq!(v["receipt"]["points"], 33);
    // The secondary card pools into the same household.
    let (s, _) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &purchase(Uuid::now_v7(), 12, 10_000, 0),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .get("/v1/households/1/balance", Some(&k.household1))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"household": 1, "points": 133, "money_cents": 0}));
    // Returning €23 of the €45.99 purchase reverses part of its 33 points.
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.chain_kmarket),
            &ret(Uuid::now_v7(), key, 2_300),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "created");
    let reversed = v["receipt"]["points"].as_i64().unwrap();
    assert!(reversed > 0 && reversed < 33, "{v}");
    assert_eq!(app.points(1).await, 133 - reversed);
    assert_eq!(app.points(2).await, 0);
}

async fn same_key_same_content_exists_and_other_content_conflicts(app: &LedgerApp) {
    let admin = Some(app.keys.admin.as_str());
    let key = Uuid::now_v7();
    let p = purchase(key, 21, 5_000, 0);
    let (s1, first) = app.post("/v1/purchases", admin, &p).await;
    let (s2, again) = app.post("/v1/purchases", admin, &p).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(again["status"], "exists");
    assert_eq!(again["receipt"], first["receipt"]);
    let (s, v) = app
        .post("/v1/purchases", admin, &purchase(key, 21, 5_001, 0))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "conflict");
    assert_eq!(app.points(2).await, 50);

    // A batch resent answers every item `exists`; a batch reusing a key for other content is 409
    // and writes none of its new items.
    let batch: Vec<Value> = (0..4)
        .map(|i| purchase(Uuid::now_v7(), 22, 1_000 + i, 0))
        .collect();
    let (s, v) = app
        .post("/v1/purchases", admin, &json!({ "purchases": batch }))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["count"].as_u64(), v["created"].as_u64()),
        (Some(4), Some(4))
    );
    let (s, v) = app.post("/v1/purchases", admin, &json!(batch)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["existing"], 4);
    assert!(v["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "exists"));
    let mut changed = batch.clone();
    changed.push(purchase(Uuid::now_v7(), 22, 9_900, 0));
    changed[1]["amount_cents"] = json!(7_777);
    let (s, v) = app.post("/v1/purchases", admin, &json!(changed)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["field"], "[1]");
    assert_eq!(app.points(2).await, 50 + 40);
}

async fn a_batch_with_a_bad_item_names_it_and_writes_nothing(app: &LedgerApp) {
    let admin = Some(app.keys.admin.as_str());
    let good = |i: i64| purchase(Uuid::now_v7(), 31, 2_000 + i, 0);
    let cases: Vec<(usize, Value, &str, StatusCode)> = vec![
        (
            3,
            purchase(Uuid::now_v7(), 31, 0, 0),
            "[3].amount_cents",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            2,
            purchase(Uuid::now_v7(), 999, 100, 0),
            "[2].card",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            1,
            json!({"key": Uuid::now_v7(), "card": 31, "outlet": 1, "amount_cents": 100}),
            "[1].at",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            4,
            json!({"key": Uuid::now_v7(), "card": 31, "outlet": 1, "chain": "k-rauta",
                   "amount_cents": 100, "at": "2026-10-05T10:00:00Z"}),
            "[4].chain",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            0,
            purchase_at(Uuid::now_v7(), 31, 999_999, 100),
            "[0].outlet",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            2,
            purchase(Uuid::now_v7(), 31, 100, 101),
            "[2].ineligible_cents",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (bad_at, bad, field, status) in cases {
        let mut items: Vec<Value> = (0..5).map(good).collect();
        items[bad_at] = bad;
        let (s, v) = app.post("/v1/purchases", admin, &json!(items)).await;
        assert_eq!(s, status, "{field}: {v}");
        assert_eq!(v["field"], field, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            app.points(3).await,
            0,
            "nothing of a refused batch is written"
        );
    }
    // Not JSON, an empty batch, and one over the limit.
    let r = app
        .client
        .post(format!("{}/v1/purchases", app.base))
        .bearer_auth(&app.keys.admin)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (s, v) = app.post("/v1/purchases", admin, &json!([])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "purchases");
    let too_many: Vec<Value> = (0..10_001)
        .map(|_| json!({"key": Uuid::now_v7(), "card": 31, "outlet": 1, "amount_cents": 100, "at": "2026-10-05T10:00:00Z"}))
        .collect();
    let (s, v) = app.post("/v1/purchases", admin, &json!(too_many)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "purchases");
    // The same batch, repaired, goes through whole.
    let items: Vec<Value> = (0..5).map(good).collect();
    let (s, v) = app.post("/v1/purchases", admin, &json!(items)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["created"], 5);
    assert_eq!(app.points(3).await, 20 * 5);
}

async fn returns_of_unknown_purchases_or_more_than_bought_are_refused(app: &LedgerApp) {
    let k = &app.keys;
    let key = Uuid::now_v7();
    let (s, _) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &purchase(key, 11, 10_000, 0),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.admin),
            &ret(Uuid::now_v7(), Uuid::now_v7(), 100),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "unknown_purchase");
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.retailer1),
            &ret(Uuid::now_v7(), key, 10_001),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "return_exceeds_purchase");
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.retailer1),
            &ret(Uuid::now_v7(), key, 0),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.points(1).await, 100);
    // All of it in two returns; then nothing is left to return. A resent return is `exists`.
    let first = ret(Uuid::now_v7(), key, 6_000);
    let (s, _) = app.post("/v1/returns", Some(&k.retailer1), &first).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app.post("/v1/returns", Some(&k.retailer1), &first).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("exists")));
    let (s, _) = app
        .post(
            "/v1/returns",
            Some(&k.admin),
            &ret(Uuid::now_v7(), key, 4_000),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post("/v1/returns", Some(&k.admin), &ret(Uuid::now_v7(), key, 1))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.points(1).await, 0);
}

async fn every_write_route_refuses_wrong_roles_and_missing_keys(app: &LedgerApp) {
    let k = &app.keys;
    let p = purchase(Uuid::now_v7(), 11, 10_000, 0);
    // Purchases at outlet 1 (k-market).
    for (key, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("sn_not_a_key"), StatusCode::UNAUTHORIZED),
        (Some(k.planner.as_str()), StatusCode::FORBIDDEN),
        (Some(k.household1.as_str()), StatusCode::FORBIDDEN),
        (Some(k.retailer4.as_str()), StatusCode::FORBIDDEN),
        (Some(k.chain_krauta.as_str()), StatusCode::FORBIDDEN),
    ] {
        let (s, v) = app.post("/v1/purchases", key, &p).await;
        assert_eq!(s, want, "purchase with {key:?}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    assert_eq!(app.points(1).await, 0);
    // A batch with one item outside the retailer's outlet is refused whole, naming the item.
    let batch = json!([
        purchase_at(Uuid::now_v7(), 11, 1, 1_000),
        purchase_at(Uuid::now_v7(), 11, 4, 1_000)
    ]);
    let (s, v) = app.post("/v1/purchases", Some(&k.retailer1), &batch).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["field"], "[1].outlet");
    let (s, v) = app
        .post("/v1/purchases", Some(&k.chain_kmarket), &batch)
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::FORBIDDEN, Some("[1].outlet"))
    );
    assert_eq!(app.points(1).await, 0);
    // The right keys: the outlet's retailer, its chain, admin.
    for key in [&k.retailer1, &k.chain_kmarket, &k.admin] {
        let (s, v) = app
            .post(
                "/v1/purchases",
                Some(key),
                &purchase(Uuid::now_v7(), 11, 1_000, 0),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, _) = app
        .post("/v1/purchases", Some(&k.retailer4), &batch[1])
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.points(1).await, 40);

    // Returns of a purchase made at outlet 1.
    let (_, v) = app.post("/v1/purchases", Some(&k.admin), &p).await;
    assert_eq!(v["status"], "created");
    let r = ret(
        Uuid::now_v7(),
        p["key"].as_str().unwrap().parse().unwrap(),
        500,
    );
    for (key, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(k.planner.as_str()), StatusCode::FORBIDDEN),
        (Some(k.household1.as_str()), StatusCode::FORBIDDEN),
        (Some(k.retailer4.as_str()), StatusCode::FORBIDDEN),
        (Some(k.chain_krauta.as_str()), StatusCode::FORBIDDEN),
    ] {
        let (s, v) = app.post("/v1/returns", key, &r).await;
        assert_eq!(s, want, "return with {key:?}: {v}");
    }
    assert_eq!(app.points(1).await, 140);
    let (s, _) = app.post("/v1/returns", Some(&k.retailer1), &r).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.points(1).await, 135);

    // Offers: each key only its own level and target.
    // Retailer and chain keys write ids of their own namespace (issue 18: no id squatting).
    let store1 = offer("store-1:S-1", "store", Some("1"), &[]);
    let store4 = offer("store-4:S-4", "store", Some("4"), &[]);
    let chain_km = offer("chain-k-market:C-KM", "chain", Some("k-market"), &[]);
    let chain_kr = offer("chain-k-rauta:C-KR", "chain", Some("k-rauta"), &[]);
    let network = offer("N-1", "network", None, &[]);
    for (key, body, want) in [
        (None, &network, StatusCode::UNAUTHORIZED),
        (None, &store1, StatusCode::UNAUTHORIZED),
        (Some(k.planner.as_str()), &store1, StatusCode::FORBIDDEN),
        (Some(k.household1.as_str()), &store1, StatusCode::FORBIDDEN),
        (Some(k.retailer1.as_str()), &store4, StatusCode::FORBIDDEN),
        (Some(k.retailer1.as_str()), &chain_km, StatusCode::FORBIDDEN),
        (Some(k.retailer1.as_str()), &network, StatusCode::FORBIDDEN),
        (
            Some(k.chain_kmarket.as_str()),
            &chain_kr,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(k.chain_kmarket.as_str()),
            &store1,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(k.chain_kmarket.as_str()),
            &network,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(k.chain_krauta.as_str()),
            &chain_km,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (s, v) = app.post("/v1/offers", key, body).await;
        assert_eq!(s, want, "offer {} with {key:?}: {v}", body["id"]);
    }
    let (_, listed) = app.get("/v1/offers", None).await;
    assert_eq!(listed["total"], 0, "no refused offer was stored: {listed}");
    for (key, body) in [
        (&k.retailer1, &store1),
        (&k.retailer4, &store4),
        (&k.chain_kmarket, &chain_km),
        (&k.chain_krauta, &chain_kr),
        (&k.admin, &network),
    ] {
        let (s, v) = app.post("/v1/offers", Some(key), body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(&v, body);
    }
    let (s, _) = app.post("/v1/offers", Some(&k.admin), &network).await;
    assert_eq!(s, StatusCode::OK, "the same offer again exists");
    let mut other = network.clone();
    other["value"] = json!(30);
    let (s, _) = app.post("/v1/offers", Some(&k.admin), &other).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let mut bad = offer("S-9", "store", Some("1"), &[]);
    bad["value"] = json!(5);
    let (s, v) = app.post("/v1/offers", Some(&k.admin), &bad).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("value"))
    );
    let (s, v) = app
        .post(
            "/v1/offers",
            Some(&k.admin),
            &offer("S-9", "store", Some("999999"), &[]),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("target"))
    );
}

async fn households_read_only_their_own_balance_and_statements(app: &LedgerApp) {
    let k = &app.keys;
    for (card, amount) in [(11, 40_000), (21, 2_500)] {
        let (s, _) = app
            .post(
                "/v1/purchases",
                Some(&k.admin),
                &purchase(Uuid::now_v7(), card, amount, 0),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    for path in [
        "/v1/households/2/balance",
        "/v1/households/2/statements/2026-10",
    ] {
        for (key, want) in [
            (None, StatusCode::UNAUTHORIZED),
            (Some(k.household1.as_str()), StatusCode::FORBIDDEN),
            (Some(k.planner.as_str()), StatusCode::FORBIDDEN),
            (Some(k.retailer1.as_str()), StatusCode::FORBIDDEN),
            (Some(k.chain_kmarket.as_str()), StatusCode::FORBIDDEN),
        ] {
            let (s, v) = app.get(path, key).await;
            assert_eq!(s, want, "{path} with {key:?}: {v}");
        }
    }
    let (s, v) = app
        .get("/v1/households/2/balance", Some(&k.household2))
        .await;
    assert_eq!((s, v["points"].as_i64()), (StatusCode::OK, Some(25)));
    let (s, _) = app.get("/v1/households/99/balance", Some(&k.admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/v1/households/x/balance", Some(&k.admin)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // No statement before the month end; then one, for the household's own key.
    let (s, _) = app
        .get("/v1/households/1/statements/2026-10", Some(&k.household1))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.state
        .ledger
        .month_end("2026-10".parse().unwrap())
        .await
        .unwrap();
    let (s, v) = app
        .get("/v1/households/1/statements/2026-10", Some(&k.household1))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["household"], 1);
    assert_eq!(v["month"], "2026-10");
    assert_eq!(v["purchases"], 1);
    assert_eq!(v["purchase_cents"], 40_000);
    // €400 reaches the first step (1 % in all): the base points are worth 0.5 %, the bonus tops
    // up the other 0.5 % = €2 = 400 points.
    assert_eq!(v["bonus_points"], 400);
    let (s, v) = app
        .get("/v1/households/1/statements/2026-13", Some(&k.household1))
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("month"))
    );
    let (s, _) = app
        .get("/v1/households/1/statements/2026-10", Some(&k.household2))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn offers_are_listed_and_shown_per_outlet_by_level_date_and_household(app: &LedgerApp) {
    let k = &app.keys;
    for o in [
        offer("S-1", "store", Some("1"), &[]),
        offer("S-4", "store", Some("4"), &[]),
        offer("C-KM", "chain", Some("k-market"), &["napero"]),
        offer("C-KS", "chain", Some("k-supermarket"), &[]),
        offer("N-1", "network", None, &[]),
    ] {
        let (s, v) = app.post("/v1/offers", Some(&k.admin), &o).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = app.get("/v1/offers", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 5);
    assert_eq!(offer_ids(&v), ["C-KM", "C-KS", "N-1", "S-1", "S-4"]);
    let (_, v) = app.get("/v1/offers?level=store", None).await;
    assert_eq!(offer_ids(&v), ["S-1", "S-4"]);
    let (_, v) = app.get("/v1/offers?chain=k-market", None).await;
    assert_eq!(offer_ids(&v), ["C-KM", "S-1"]);
    let (_, v) = app.get("/v1/offers?outlet=4", None).await;
    assert_eq!(offer_ids(&v), ["S-4"]);
    let (_, v) = app.get("/v1/offers?at=2026-12-01", None).await;
    assert_eq!(v["total"], 0);
    let (_, v) = app.get("/v1/offers?limit=2&offset=1", None).await;
    assert_eq!(
        (v["total"].as_u64(), offer_ids(&v)),
        (Some(5), vec!["C-KS".to_string(), "N-1".to_string()])
    );
    for bad in [
        "/v1/offers?limit=0",
        "/v1/offers?limit=1001",
        "/v1/offers?level=galaxy",
        "/v1/offers?chain=nope",
        "/v1/offers?at=yesterday",
        "/v1/offers?colour=red",
    ] {
        let (s, v) = app.get(bad, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(v["field"].is_string(), "{bad}: {v}");
    }

    // Outlet 1 (k-market): its store offer and the network's; the targeted chain offer only for
    // household 2 (napero), asked with its own key or an admin key.
    let (s, v) = app.get("/v1/outlets/1/offers?at=2026-11-15", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(offer_ids(&v), ["S-1", "N-1"]);
    assert_eq!(v["date"], "2026-11-15");
    let path = "/v1/outlets/1/offers?at=2026-11-15&household=2";
    for key in [&k.household2, &k.admin] {
        let (s, v) = app.get(path, Some(key)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(offer_ids(&v), ["S-1", "C-KM", "N-1"]);
    }
    let (_, v) = app
        .get(
            "/v1/outlets/1/offers?at=2026-11-15&household=1",
            Some(&k.household1),
        )
        .await;
    assert_eq!(offer_ids(&v), ["S-1", "N-1"], "household 1 is not napero");
    for (key, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(k.household1.as_str()), StatusCode::FORBIDDEN),
        (Some(k.retailer1.as_str()), StatusCode::FORBIDDEN),
        (Some(k.planner.as_str()), StatusCode::FORBIDDEN),
    ] {
        let (s, v) = app.get(path, key).await;
        assert_eq!(s, want, "{key:?}: {v}");
    }
    let (_, v) = app
        .get("/v1/outlets/4/offers?at=2026-11-30T21:59:00Z", None)
        .await;
    assert_eq!(offer_ids(&v), ["S-4", "C-KS", "N-1"]);
    let (_, v) = app
        .get("/v1/outlets/4/offers?at=2026-11-30T22:00:00Z", None)
        .await;
    assert_eq!(v["count"], 0, "midnight in Helsinki ends November: {v}");
    let (s, _) = app.get("/v1/outlets/999999/offers", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/v1/outlets/1/offers?at=soon", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The routes and their shapes are in the OpenAPI document.
    let (_, doc) = app.get("/openapi.json", None).await;
    for path in [
        "/v1/purchases",
        "/v1/returns",
        "/v1/households/{id}/balance",
        "/v1/households/{id}/statements/{month}",
        "/v1/offers",
        "/v1/outlets/{id}/offers",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
    for schema in [
        "PurchaseIn",
        "PurchaseBatchResult",
        "OfferJson",
        "StatementJson",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

async fn concurrent_clients_writing_to_one_household_lose_no_update(app: &LedgerApp) {
    const CLIENTS: i64 = 8;
    const EACH: i64 = 25;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let client = app.client.clone();
        let url = format!("{}/v1/purchases", app.base);
        let key = app.keys.admin.clone();
        tasks.spawn(async move {
            for i in 0..EACH {
                // Alternate the household's two cards; amounts differ per client and item.
                let body = purchase(Uuid::now_v7(), 11 + (i % 2), 100 * (c * EACH + i + 1), 0);
                let r = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let n = CLIENTS * EACH;
    assert_eq!(app.points(1).await, n * (n + 1) / 2);
}
