//! Issue 18, section 1, over HTTP: the exact attacks of the issue answer 4xx naming the field,
//! and nothing of them is written. Both backends; the server reads the system clock.

use super::*;
use chrono::{Duration, Utc};

on_both_backends!(
    huge_amounts_answer_422_naming_the_field,
    the_wrapping_return_answers_422,
    dates_outside_an_open_month_answer_422_naming_at,
    a_closed_outlet_takes_no_purchase_return_or_offer,
    a_retailer_cannot_take_an_offer_id_before_the_admin,
);

fn at_purchase(key: Uuid, card: i64, amount: i64, at: &str) -> Value {
    json!({"key": key, "card": card, "outlet": 1, "amount_cents": amount, "at": at})
}

fn assert_422(s: StatusCode, v: &Value, field: &str) {
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
        "{v}"
    );
    assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
}

async fn huge_amounts_answer_422_naming_the_field(app: &LedgerApp) {
    let k = &app.keys;
    for amount in [i64::MAX, 4_611_686_018_427_387_903, 10_000_001] {
        let (s, v) = app
            .post(
                "/v1/purchases",
                Some(&k.retailer1),
                &purchase(Uuid::now_v7(), 11, amount, 0),
            )
            .await;
        assert_422(s, &v, "amount_cents");
        let batch = json!([
            purchase(Uuid::now_v7(), 11, 1_000, 0),
            purchase(Uuid::now_v7(), 12, amount, 0)
        ]);
        let (s, v) = app.post("/v1/purchases", Some(&k.admin), &batch).await;
        assert_422(s, &v, "[1].amount_cents");
    }
    assert_eq!(app.points(1).await, 0, "nothing was written");
    // €100,000 exactly is the documented maximum.
    let (s, v) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &purchase(Uuid::now_v7(), 11, 10_000_000, 0),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.points(1).await, 100_000);
}

async fn the_wrapping_return_answers_422(app: &LedgerApp) {
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
    let (s, _) = app
        .post(
            "/v1/returns",
            Some(&k.retailer1),
            &ret(Uuid::now_v7(), key, 5_000),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The attack: answered 201 with points -90248258677639685.
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.retailer1),
            &ret(Uuid::now_v7(), key, i64::MAX),
        )
        .await;
    assert_422(s, &v, "amount_cents");
    assert_eq!(app.points(1).await, 50);
}

async fn dates_outside_an_open_month_answer_422_naming_at(app: &LedgerApp) {
    let k = &app.keys;
    let future = (Utc::now() + Duration::minutes(10)).to_rfc3339();
    for when in [
        "1970-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
        "0001-01-01T12:00:00Z",
        "-0001-01-01T12:00:00Z",
        future.as_str(),
    ] {
        let (s, v) = app
            .post(
                "/v1/purchases",
                Some(&k.retailer1),
                &at_purchase(Uuid::now_v7(), 11, 1_000, when),
            )
            .await;
        assert_422(s, &v, "at");
    }
    // A return dated before its purchase.
    let key = Uuid::now_v7();
    let (s, _) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &at_purchase(key, 11, 10_000, "2026-10-05T10:00:00Z"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let early = json!({"key": Uuid::now_v7(), "purchase": key, "amount_cents": 1_000,
                       "at": "2026-10-04T10:00:00Z"});
    let (s, v) = app.post("/v1/returns", Some(&k.retailer1), &early).await;
    assert_422(s, &v, "at");
    // A few seconds ahead of the server's clock is a drifting checkout clock: accepted.
    let soon = (Utc::now() + Duration::seconds(30)).to_rfc3339();
    let (s, v) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &at_purchase(Uuid::now_v7(), 11, 1_000, &soon),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.points(1).await, 110);
}

async fn a_closed_outlet_takes_no_purchase_return_or_offer(app: &LedgerApp) {
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
        .send(Method::DELETE, "/v1/outlets/1", Some(&k.admin), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // The issue: both answered 201 after the outlet was closed.
    let (s, v) = app
        .post(
            "/v1/purchases",
            Some(&k.retailer1),
            &purchase(Uuid::now_v7(), 11, 1_000, 0),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let store1 = offer("store-1:late", "store", Some("1"), &[]);
    let (s, v) = app.post("/v1/offers", Some(&k.retailer1), &store1).await;
    assert!(s.is_client_error() && s != StatusCode::NOT_FOUND, "{s} {v}");
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.retailer1),
            &ret(Uuid::now_v7(), key, 1_000),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Nobody records purchases there any more, nor writes its store offers.
    let (s, v) = app
        .post(
            "/v1/purchases",
            Some(&k.admin),
            &purchase(Uuid::now_v7(), 11, 1_000, 0),
        )
        .await;
    assert_422(s, &v, "outlet");
    assert_eq!(v["error"], "outlet_closed");
    let (s, v) = app.post("/v1/offers", Some(&k.admin), &store1).await;
    assert_422(s, &v, "target");
    // Its history stays: the admin may still take a return of its purchase.
    let (s, v) = app
        .post(
            "/v1/returns",
            Some(&k.admin),
            &ret(Uuid::now_v7(), key, 1_000),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.points(1).await, 90);
    let (_, listed) = app.get("/v1/offers", None).await;
    assert_eq!(listed["total"], 0, "{listed}");
}

async fn a_retailer_cannot_take_an_offer_id_before_the_admin(app: &LedgerApp) {
    let k = &app.keys;
    // The programme's ids (no `:`) and other namespaces are out of a retailer's reach.
    for id in [
        "N-0001",
        "S-0001",
        "network:N-0001",
        "store-4:x",
        "chain-k-market:x",
        "store-1:",
    ] {
        let (s, v) = app
            .post(
                "/v1/offers",
                Some(&k.retailer1),
                &offer(id, "store", Some("1"), &[]),
            )
            .await;
        assert_422(s, &v, "id");
    }
    let (s, v) = app
        .post(
            "/v1/offers",
            Some(&k.chain_kmarket),
            &offer("C-0001", "chain", Some("k-market"), &[]),
        )
        .await;
    assert_422(s, &v, "id");
    // So the admin's ids stay free for the admin.
    let (s, v) = app
        .post(
            "/v1/offers",
            Some(&k.admin),
            &offer("N-0001", "network", None, &[]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The retailer's own namespace works, and a retry answers "exists" (200).
    let mine = offer("store-1:N-0001", "store", Some("1"), &[]);
    let (s, v) = app.post("/v1/offers", Some(&k.retailer1), &mine).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = app.post("/v1/offers", Some(&k.retailer1), &mine).await;
    assert_eq!(s, StatusCode::OK);
    // Even the admin writes a namespaced id only for that namespace's level and target.
    let (s, v) = app
        .post(
            "/v1/offers",
            Some(&k.admin),
            &offer("store-1:other", "store", Some("4"), &[]),
        )
        .await;
    assert_422(s, &v, "id");
    let (_, listed) = app.get("/v1/offers", None).await;
    assert_eq!(offer_ids(&listed), ["N-0001", "store-1:N-0001"]);
}
