//! `GET /v1/outlets/{id}`: the outlet with `open_now` and the offers valid at it on all three
//! levels, read from the ledger.

use super::{fixture_outlets, spawn_app};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use storenet::ledger::Ledger;
use storenet::model::{ChainId, OutletId};
use storenet::offers::{Benefit, Level, Offer};

fn offer(id: &str, level: Level, benefit: Benefit, from: (u32, u32), to: (u32, u32)) -> Offer {
    let d = |(m, dd): (u32, u32)| NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
    Offer {
        id: id.into(),
        level,
        title: format!("offer {id}"),
        benefit,
        valid_from: d(from),
        valid_to: d(to),
        segments: BTreeSet::new(),
    }
}

/// Ids of the outlets of `within` around (lat, lon), with a filter.
async fn within_ids(app: &super::TestApp, lat: f64, lon: f64, extra: &str) -> Vec<u64> {
    let (s, v) = app
        .get(&format!(
            "/v1/outlets/within?lat={lat}&lon={lon}&radius_m=500000{extra}"
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    super::ids(&v)
}

#[tokio::test]
async fn outlet_detail_lists_store_chain_and_network_offers_valid_at_the_time() {
    let app = spawn_app().await;
    let outlets = fixture_outlets();
    let (id, chain, _, _) = outlets[0].clone();
    let other = outlets
        .iter()
        .find(|o| o.1 != chain)
        .expect("a second chain")
        .clone();
    let pct = |p| Benefit::Discount { percent: p };
    let pts = |p| Benefit::ExtraPoints { points: p };
    let mut targeted = offer("N-T", Level::Network, pct(10), (11, 1), (11, 30));
    targeted.segments.insert("napero".into());
    for o in [
        offer(
            "S-1",
            Level::Store(OutletId(id as u32)),
            pct(15),
            (11, 20),
            (11, 26),
        ),
        offer(
            "S-2",
            Level::Store(OutletId(other.0 as u32)),
            pct(20),
            (11, 1),
            (11, 30),
        ),
        offer(
            "C-1",
            Level::Chain(ChainId::new(&chain).unwrap()),
            pts(300),
            (11, 1),
            (11, 30),
        ),
        offer(
            "C-2",
            Level::Chain(ChainId::new(&other.1).unwrap()),
            pts(100),
            (11, 1),
            (11, 30),
        ),
        offer("N-1", Level::Network, pts(50), (11, 23), (11, 23)),
        offer("N-OLD", Level::Network, pct(30), (10, 1), (10, 31)),
        targeted,
    ] {
        app.state.ledger.put_offer(o).await.unwrap();
    }

    let (s, v) = app
        .get(&format!("/v1/outlets/{id}?at=2026-11-23T12:00"))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id"], id);
    let got: Vec<(&str, &str, &str, u64)> = v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap(),
                o["level"].as_str().unwrap(),
                o["benefit"].as_str().unwrap(),
                o["value"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("S-1", "store", "discount", 15),
            ("C-1", "chain", "extra_points", 300),
            ("N-1", "network", "extra_points", 50),
        ]
    );
    assert_eq!(v["offers"][0]["valid_from"], "2026-11-20");
    assert_eq!(v["offers"][0]["valid_to"], "2026-11-26");
    assert_eq!(v["offers"][0]["title"], "offer S-1");

    // A day later the one-day network offer is gone; the GeoJSON Feature carries the same view.
    let (s, v) = app
        .get(&format!(
            "/v1/outlets/{id}?at=2026-11-24T12:00&format=geojson"
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["properties"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S-1", "C-1"]);

    let (s, v) = app.get(&format!("/v1/outlets/{id}?at=tomorrow")).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["field"], "at");
}

#[tokio::test]
async fn open_now_agrees_with_the_open_at_filter() {
    let app = spawn_app().await;
    let outlets = fixture_outlets();
    let (_, _, lat, lon) = outlets[0].clone();
    // Sunday late evening, Monday noon, Monday 03:00: times when some outlets are open and some not.
    for at in ["2026-11-22T21:30", "2026-11-23T12:00", "2026-11-23T03:00"] {
        let all = within_ids(&app, lat, lon, "").await;
        let open: BTreeSet<u64> = within_ids(&app, lat, lon, &format!("&open_at={at}"))
            .await
            .into_iter()
            .collect();
        for id in all.iter().take(15) {
            let (s, v) = app.get(&format!("/v1/outlets/{id}?at={at}")).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(
                v["open_now"].as_bool().unwrap(),
                open.contains(id),
                "outlet {id} at {at}: {}",
                v["opening_hours"]
            );
        }
    }
    // Every list answer says open_now too, judged now.
    let now = chrono::Utc::now().to_rfc3339();
    let (_, v) = app
        .get(&format!("/v1/outlets/nearest?lat={lat}&lon={lon}&k=10"))
        .await;
    let open: BTreeSet<u64> = within_ids(&app, lat, lon, &format!("&open_at={}", urlencode(&now)))
        .await
        .into_iter()
        .collect();
    for o in v["outlets"].as_array().unwrap() {
        let id = o["id"].as_u64().unwrap();
        let Some(flag) = o["open_now"].as_bool() else {
            panic!("open_now missing: {o}");
        };
        // The minute may turn between the two requests; only then may they differ.
        if chrono::Utc::now().to_rfc3339()[..16] == now[..16] {
            assert_eq!(flag, open.contains(&id), "{o}");
        }
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn outlet_detail_tells_when_it_closes_opens_and_the_coming_days_hours() {
    let app = spawn_app().await;
    // Outlet 1 of the fixture: `Mo-Sa 07:00-21:00; Su 10:00-21:00`.
    let (s, v) = app.get("/v1/outlets/1?at=2026-12-04T15:00").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["open_now"], true);
    assert_eq!(v["closes_at"], "2026-12-04T21:00:00+02:00");
    assert_eq!(v["next_open"], "2026-12-05T07:00:00+02:00");
    let week = v["hours_week"].as_array().unwrap();
    assert_eq!(week.len(), 14);
    assert_eq!(week[0]["date"], "2026-12-04");
    assert_eq!(week[0]["holiday"], serde_json::Value::Null);
    assert_eq!(
        week[0]["intervals"],
        serde_json::json!([["07:00", "21:00"]])
    );
    // Sunday 6 December is Independence Day; without a PH rule the Sunday hours hold.
    assert_eq!(week[2]["date"], "2026-12-06");
    assert_eq!(week[2]["holiday"], "Itsenäisyyspäivä");
    assert_eq!(
        week[2]["holiday_names"],
        serde_json::json!({"fi": "Itsenäisyyspäivä", "sv": "Självständighetsdagen", "en": "Independence Day"})
    );
    assert_eq!(
        week[2]["intervals"],
        serde_json::json!([["10:00", "21:00"]])
    );
    // Christmas Eve is no public holiday.
    let (_, v) = app.get("/v1/outlets/1?at=2026-12-24T22:30").await;
    assert_eq!(v["open_now"], false);
    assert_eq!(v["closes_at"], serde_json::Value::Null);
    assert_eq!(v["next_open"], "2026-12-25T07:00:00+02:00");
    assert_eq!(v["hours_week"][0]["holiday"], serde_json::Value::Null);
    assert_eq!(v["hours_week"][1]["holiday"], "Joulupäivä");
    // Existing fields stay.
    assert_eq!(v["opening_hours"], "Mo-Sa 07:00-21:00; Su 10:00-21:00");
    assert!(v["offers"].is_array());
}
