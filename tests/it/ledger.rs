//! Integration tests: ledger. Every scenario runs on SQLite (temp dir) and on PostgreSQL
//! (`STORENET_TEST_DATABASE_URL`, a fresh schema per test; skipped with a notice when unset,
//! unless `STORENET_REQUIRE_POSTGRES=1`).

use crate::common::fixture;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;
use std::collections::BTreeSet;
use std::time::Duration;
use storenet::db::Db;
use storenet::ledger::*;
use storenet::model::{ChainId, Outlet, OutletId};
use storenet::offers::{Benefit, Level, Offer};
use uuid::Uuid;

// ---------------------------------------------------------------- backends

struct Backend {
    ledger: SqlLedger,
    db: Db,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

/// The scenarios' clock: 1 January 2030, after every month they write in or close.
fn test_clock() -> Clock {
    Clock::fixed(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap())
}

async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let db = Db::open(&url).await.unwrap();
    Backend {
        ledger: SqlLedger::with_clock(db.clone(), Rules::default(), test_clock()).unwrap(),
        db,
        _dir: Some(dir),
        schema: None,
    }
}

/// A PostgreSQL ledger in a fresh schema, or `None` (with a notice) when no server is configured.
async fn postgres() -> Option<Backend> {
    let Ok(url) = std::env::var("STORENET_TEST_DATABASE_URL") else {
        if std::env::var("STORENET_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("STORENET_REQUIRE_POSTGRES=1 but STORENET_TEST_DATABASE_URL is not set");
        }
        eprintln!(
            "notice: STORENET_TEST_DATABASE_URL is not set; skipping the PostgreSQL half of this ledger test"
        );
        return None;
    };
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
    Some(Backend {
        ledger: SqlLedger::with_clock(db.clone(), Rules::default(), test_clock()).unwrap(),
        db,
        _dir: None,
        schema: Some((url, schema)),
    })
}

impl Backend {
    async fn finish(self) {
        if let Some((url, schema)) = self.schema {
            drop(self.ledger);
            if let Db::Postgres(p) = &self.db {
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

/// Runs a scenario `async fn name(l: &SqlLedger, db: &Db)` on both backends.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let b = super::sqlite().await;
                super::$name(&b.ledger, &b.db).await;
                b.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = super::postgres().await {
                    super::$name(&b.ledger, &b.db).await;
                    b.finish().await;
                }
            }
        }
    )+};
}

on_both_backends!(
    points_follow_the_rules_and_exclude_ineligible_amounts,
    purchases_of_all_cards_pool_in_the_household,
    campaign_points_are_their_own_entries_outside_the_bonus_base,
    month_end_grants_the_bonus_step_converts_points_and_runs_once,
    plussa_money_expires_after_thirteen_months_oldest_first,
    returns_reverse_points_in_part_and_refuse_unknown_or_excess,
    redemption_never_goes_below_zero,
    same_key_same_content_exists_and_other_content_conflicts,
    concurrent_writers_to_one_household_lose_no_update,
    verify_detects_a_tampered_cached_balance,
    verify_detects_a_tampered_purchase,
    a_resent_batch_answers_its_stored_purchases_as_stored,
    a_batch_with_one_bad_purchase_writes_nothing,
    a_large_batch_writes_exactly_what_single_purchases_write,
    writes_dated_in_a_closed_month_are_refused,
    corrections_are_entries_and_never_go_below_zero,
    offers_at_an_outlet_follow_levels_dates_and_audience,
    an_offer_another_instance_stores_shows_within_the_cache_age,
);

mod cli_trust;
mod pending;
mod trust;

// ---------------------------------------------------------------- helpers

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn chain(s: &str) -> ChainId {
    ChainId::new(s).unwrap()
}

/// A household `h` with cards `h*10+1` (primary, plastic) and `h*10+2` (secondary, mobile).
async fn household<L: Ledger>(l: &L, h: i64) {
    l.add_household(NewHousehold {
        id: HouseholdId(h),
        segments: BTreeSet::new(),
        chosen_chains: BTreeSet::new(),
    })
    .await
    .unwrap();
    for (n, holder, kind) in [
        (1, Holder::Primary, CardKind::Plastic),
        (2, Holder::Secondary, CardKind::Mobile),
    ] {
        l.add_card(NewCard {
            id: CardId(h * 10 + n),
            household: HouseholdId(h),
            holder,
            kind,
        })
        .await
        .unwrap();
    }
}

fn purchase(
    card: i64,
    chain_id: &str,
    amount: i64,
    ineligible: i64,
    when: DateTime<Utc>,
) -> Purchase {
    Purchase {
        key: Uuid::now_v7(),
        card: CardId(card),
        outlet: OutletId(1),
        chain: chain(chain_id),
        amount_cents: amount,
        ineligible_cents: ineligible,
        at: when,
    }
}

async fn assert_verified<L: Ledger>(l: &L) {
    let v = l.verify().await.unwrap();
    assert!(v.ok(), "verify found problems: {v:?}");
}

// ---------------------------------------------------------------- scenarios

async fn points_follow_the_rules_and_exclude_ineligible_amounts<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    // €45.99 of which €12.50 alcohol: €33.49 eligible → 33 points.
    let r = l
        .purchase(purchase(11, "k-market", 4_599, 1_250, at(2026, 10, 3)))
        .await
        .unwrap();
    assert_eq!(r.status, WriteStatus::Created);
    assert_eq!(
        (r.value.household, r.value.points, r.value.campaign_points),
        (HouseholdId(1), 33, 0)
    );
    // Entirely ineligible (bottle returns): no points.
    let r = l
        .purchase(purchase(11, "k-market", 800, 800, at(2026, 10, 3)))
        .await
        .unwrap();
    assert_eq!(r.value.points, 0);
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 33);
    // Refused: ineligible above the total, zero amount, unknown card.
    assert!(matches!(
        l.purchase(purchase(11, "k-market", 100, 101, at(2026, 10, 3)))
            .await,
        Err(LedgerError::Invalid {
            field: "ineligible_cents",
            ..
        })
    ));
    assert!(matches!(
        l.purchase(purchase(11, "k-market", 0, 0, at(2026, 10, 3)))
            .await,
        Err(LedgerError::Invalid {
            field: "amount_cents",
            ..
        })
    ));
    assert!(matches!(
        l.purchase(purchase(999, "k-market", 100, 0, at(2026, 10, 3)))
            .await,
        Err(LedgerError::UnknownCard(CardId(999)))
    ));
    assert_verified(l).await;
}

async fn purchases_of_all_cards_pool_in_the_household<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    household(l, 2).await;
    l.purchase(purchase(11, "k-market", 10_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    l.purchase(purchase(12, "k-rauta", 25_050, 0, at(2026, 10, 4)))
        .await
        .unwrap();
    l.purchase(purchase(21, "k-market", 5_000, 0, at(2026, 10, 4)))
        .await
        .unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 100 + 250);
    assert_eq!(l.balance(HouseholdId(2)).await.unwrap().points, 50);
    assert!(matches!(
        l.balance(HouseholdId(3)).await,
        Err(LedgerError::UnknownHousehold(HouseholdId(3)))
    ));
    // A card never moves to another household.
    let moved = l
        .add_card(NewCard {
            id: CardId(11),
            household: HouseholdId(2),
            holder: Holder::Primary,
            kind: CardKind::Plastic,
        })
        .await;
    assert!(matches!(moved, Err(LedgerError::Conflict(_))));
    assert_verified(l).await;
}

async fn campaign_points_are_their_own_entries_outside_the_bonus_base<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let double = Campaign {
        key: Uuid::now_v7(),
        chain: chain("k-rauta"),
        title: "Double points at K-Rauta".into(),
        starts: at(2026, 10, 1),
        ends: at(2026, 10, 10),
        extra: Extra::Multiplier(2),
    };
    assert_eq!(
        l.add_campaign(double.clone()).await.unwrap().status,
        WriteStatus::Created
    );
    assert_eq!(
        l.add_campaign(double).await.unwrap().status,
        WriteStatus::Exists
    );
    l.add_campaign(Campaign {
        key: Uuid::now_v7(),
        chain: chain("k-rauta"),
        title: "50 extra points".into(),
        starts: at(2026, 10, 5),
        ends: at(2026, 10, 20),
        extra: Extra::Fixed(50),
    })
    .await
    .unwrap();
    // €340 at K-Rauta during both campaigns: 340 base + 340 (double) + 50 (fixed).
    let r = l
        .purchase(purchase(11, "k-rauta", 34_000, 0, at(2026, 10, 6)))
        .await
        .unwrap();
    assert_eq!((r.value.points, r.value.campaign_points), (340, 390));
    // Another chain: no campaign. After the campaigns: none either.
    let r = l
        .purchase(purchase(11, "k-market", 2_000, 0, at(2026, 10, 6)))
        .await
        .unwrap();
    assert_eq!(r.value.campaign_points, 0);
    let r = l
        .purchase(purchase(11, "k-rauta", 1_000, 0, at(2026, 10, 25)))
        .await
        .unwrap();
    assert_eq!(r.value.campaign_points, 0);
    // Eligible €370 ≥ €350: the bonus step counts the €370 of purchases, not the campaign points.
    let report = l.month_end(month("2026-10")).await.unwrap();
    let s = l
        .statement(HouseholdId(1), month("2026-10"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.eligible_cents, 37_000);
    assert_eq!(s.points, 370);
    assert_eq!(s.campaign_points, 390);
    assert_eq!(s.bonus_step_bp, 100);
    assert_eq!(s.bonus_points, 370);
    assert_eq!(report.value.bonus_points, 370);
    // 370 + 390 + 370 = 1,130 points → 1,000 converted to €5, 130 carried.
    assert_eq!(
        (s.converted_points, s.money_paid_cents, s.points_balance),
        (1_000, 500, 130)
    );
    assert_verified(l).await;
}

async fn month_end_grants_the_bonus_step_converts_points_and_runs_once<L: Ledger>(l: &L, _: &Db) {
    for h in 1..=3 {
        household(l, h).await;
    }
    // Household 1: €349.99 eligible (below the first step). Household 2: €700 across both cards
    // (3 %). Household 3: €2,000 (5 %, the top step).
    l.purchase(purchase(11, "k-market", 34_999, 0, at(2026, 10, 2)))
        .await
        .unwrap();
    l.purchase(purchase(21, "k-market", 40_000, 0, at(2026, 10, 2)))
        .await
        .unwrap();
    l.purchase(purchase(22, "k-citymarket", 30_000, 0, at(2026, 10, 20)))
        .await
        .unwrap();
    l.purchase(purchase(
        31,
        "k-citymarket",
        210_000,
        10_000,
        at(2026, 10, 31),
    ))
    .await
    .unwrap();
    // November's purchase stays out of October.
    l.purchase(purchase(31, "k-citymarket", 50_000, 0, at(2026, 11, 2)))
        .await
        .unwrap();

    let first = l.month_end(month("2026-10")).await.unwrap();
    assert_eq!(first.status, WriteStatus::Created);
    let s1 = l
        .statement(HouseholdId(1), month("2026-10"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s1.bonus_step_bp, s1.bonus_points), (0, 0));
    assert_eq!((s1.converted_points, s1.points_balance), (0, 349));
    let s2 = l
        .statement(HouseholdId(2), month("2026-10"))
        .await
        .unwrap()
        .unwrap();
    // 3 % of €700 = €21 in all; base 700 points = €3.50, bonus €17.50 = 3,500 points.
    assert_eq!((s2.bonus_step_bp, s2.bonus_points), (300, 3_500));
    assert_eq!(
        (s2.converted_points, s2.money_paid_cents, s2.points_balance),
        (4_000, 2_000, 200)
    );
    assert_eq!(s2.money_valid_to.to_string(), "2027-11-30");
    let s3 = l
        .statement(HouseholdId(3), month("2026-10"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s3.eligible_cents, s3.bonus_step_bp, s3.bonus_points),
        (200_000, 500, 18_000)
    );
    // 2,000 + 18,000 = 20,000 points → €100: 5 % of €2,000.
    assert_eq!(s3.money_paid_cents, 10_000);
    let b3 = l.balance(HouseholdId(3)).await.unwrap();
    assert_eq!((b3.points, b3.money_cents), (500, 10_000));

    // Idempotent: the second run changes nothing and answers the stored report.
    let again = l.month_end(month("2026-10")).await.unwrap();
    assert_eq!(again.status, WriteStatus::Exists);
    assert_eq!(again.value, first.value);
    assert_eq!(l.balance(HouseholdId(3)).await.unwrap(), b3);
    assert!(l
        .statement(HouseholdId(1), month("2026-09"))
        .await
        .unwrap()
        .is_none());
    assert_verified(l).await;
}

async fn plussa_money_expires_after_thirteen_months_oldest_first<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    // October 2026: €1,000 at the 4 % step: 1,000 + 7,000 bonus points → €40, valid to 30 Nov 2027.
    l.purchase(purchase(11, "k-market", 100_000, 0, at(2026, 10, 5)))
        .await
        .unwrap();
    l.month_end(month("2026-10")).await.unwrap();
    // December 2026: €500 at 2 %: 500 + 1,500 points → €10, valid to 31 Jan 2028.
    l.purchase(purchase(11, "k-market", 50_000, 0, at(2026, 12, 5)))
        .await
        .unwrap();
    l.month_end(month("2026-12")).await.unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 5_000);
    // €3 used in January 2027 comes out of the oldest money.
    l.redeem(Redemption {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        cents: 300,
        at: at(2027, 1, 10),
    })
    .await
    .unwrap();
    // October 2027: still valid.
    let oct = l.month_end(month("2027-10")).await.unwrap();
    assert_eq!(oct.value.money_expired_cents, 0);
    // November 2027's end: the €37 left of October's €40 expires; December's €10 stays.
    l.month_end(month("2027-11")).await.unwrap();
    let s = l
        .statement(HouseholdId(1), month("2027-11"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.money_expired_cents, 3_700);
    assert_eq!(s.money_balance_cents, 1_000);
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 1_000);
    // Running the month end again expires nothing more; December keeps its money.
    l.month_end(month("2027-11")).await.unwrap();
    l.month_end(month("2027-12")).await.unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 1_000);
    l.month_end(month("2028-01")).await.unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 0);
    assert_verified(l).await;
}

async fn returns_reverse_points_in_part_and_refuse_unknown_or_excess<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    l.add_campaign(Campaign {
        key: Uuid::now_v7(),
        chain: chain("intersport"),
        title: "Triple points".into(),
        starts: at(2026, 10, 1),
        ends: at(2026, 11, 1),
        extra: Extra::Multiplier(3),
    })
    .await
    .unwrap();
    // €100.00: 100 points, 200 campaign points.
    let p = purchase(11, "intersport", 10_000, 0, at(2026, 10, 3));
    l.purchase(p.clone()).await.unwrap();
    let ret = |cents: i64| Return {
        key: Uuid::now_v7(),
        purchase: p.key,
        amount_cents: cents,
        at: at(2026, 10, 4),
    };
    // A third, then another third, then the rest: parts add up to exactly what was earned.
    let a = l.return_goods(ret(3_333)).await.unwrap().value;
    let b = l.return_goods(ret(3_333)).await.unwrap().value;
    assert!(matches!(
        l.return_goods(ret(3_335)).await,
        Err(LedgerError::ReturnExceedsPurchase {
            remaining: 3_334,
            requested: 3_335,
            ..
        })
    ));
    let c = l.return_goods(ret(3_334)).await.unwrap().value;
    assert_eq!((a.points, b.points, c.points), (33, 33, 34));
    assert_eq!(a.points + b.points + c.points, 100);
    assert_eq!(
        a.campaign_points + b.campaign_points + c.campaign_points,
        200
    );
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 0);
    assert!(matches!(
        l.return_goods(ret(1)).await,
        Err(LedgerError::ReturnExceedsPurchase { remaining: 0, .. })
    ));
    let unknown = Uuid::now_v7();
    assert!(matches!(
        l.return_goods(Return { purchase: unknown, ..ret(100) }).await,
        Err(LedgerError::UnknownPurchase(u)) if u == unknown
    ));
    // Returns made in October take their eligible amount off October's bonus base.
    l.month_end(month("2026-10")).await.unwrap();
    let s = l
        .statement(HouseholdId(1), month("2026-10"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            s.purchase_cents,
            s.returned_cents,
            s.eligible_cents,
            s.points
        ),
        (10_000, 10_000, 0, 0)
    );
    assert_verified(l).await;
}

async fn redemption_never_goes_below_zero<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    // €1,000 at the 4 % step: 8,000 points → €40.
    l.purchase(purchase(11, "k-market", 100_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    l.month_end(month("2026-10")).await.unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 4_000);
    let redeem = |cents| Redemption {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        cents,
        at: at(2026, 11, 5),
    };
    assert_eq!(
        l.redeem(redeem(3_500)).await.unwrap().value.money_cents,
        500
    );
    assert!(matches!(
        l.redeem(redeem(501)).await,
        Err(LedgerError::Insufficient {
            available: 500,
            requested: 501,
            ..
        })
    ));
    assert!(matches!(
        l.redeem(redeem(0)).await,
        Err(LedgerError::Invalid { .. })
    ));
    assert_eq!(l.redeem(redeem(500)).await.unwrap().value.money_cents, 0);
    assert!(l.redeem(redeem(1)).await.is_err());
    assert!(matches!(
        l.redeem(Redemption {
            household: HouseholdId(9),
            ..redeem(1)
        })
        .await,
        Err(LedgerError::UnknownHousehold(_))
    ));
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().money_cents, 0);
    assert_verified(l).await;
}

async fn same_key_same_content_exists_and_other_content_conflicts<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let p = purchase(11, "k-market", 5_000, 0, at(2026, 10, 3));
    let first = l.purchase(p.clone()).await.unwrap();
    let again = l.purchase(p.clone()).await.unwrap();
    assert_eq!(first.status, WriteStatus::Created);
    assert_eq!(again.status, WriteStatus::Exists);
    assert_eq!(again.value, first.value);
    let other = Purchase {
        amount_cents: 5_001,
        ..p.clone()
    };
    assert!(matches!(
        l.purchase(other).await,
        Err(LedgerError::Conflict(_))
    ));
    // A purchase's key reused for a return, a redemption's for a purchase: conflicts.
    let as_return = Return {
        key: p.key,
        purchase: p.key,
        amount_cents: 100,
        at: at(2026, 10, 4),
    };
    assert!(matches!(
        l.return_goods(as_return).await,
        Err(LedgerError::Conflict(_))
    ));
    let r = Redemption {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        cents: 1,
        at: at(2026, 10, 4),
    };
    let _ = l.redeem(r.clone()).await; // refused (no money) and so not stored
    l.correct(Correction {
        key: r.key,
        household: HouseholdId(1),
        unit: Unit::Cents,
        delta: 100,
        reason: "goodwill".into(),
        at: at(2026, 10, 4),
    })
    .await
    .unwrap();
    assert!(matches!(
        l.purchase(Purchase {
            key: r.key,
            ..p.clone()
        })
        .await,
        Err(LedgerError::Conflict(_))
    ));
    // The same key twice inside one batch, and a batch resent whole.
    let q = purchase(12, "k-market", 1_000, 0, at(2026, 10, 5));
    let batch = vec![
        q.clone(),
        q.clone(),
        purchase(12, "k-market", 2_000, 0, at(2026, 10, 5)),
    ];
    let w = l.purchase_batch(batch.clone()).await.unwrap();
    assert_eq!(
        w.iter().map(|w| w.status).collect::<Vec<_>>(),
        [
            WriteStatus::Created,
            WriteStatus::Exists,
            WriteStatus::Created
        ]
    );
    let w = l.purchase_batch(batch).await.unwrap();
    assert!(w.iter().all(|w| w.status == WriteStatus::Exists));
    assert_eq!(
        l.balance(HouseholdId(1)).await.unwrap().points,
        50 + 10 + 20
    );
    assert_verified(l).await;
}

async fn concurrent_writers_to_one_household_lose_no_update<L: Ledger + Clone + 'static>(
    l: &L,
    _: &Db,
) {
    household(l, 1).await;
    let tasks = 32;
    let per_task = 25;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let l = l.clone();
        handles.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for i in 0..per_task {
                let card = 11 + (i % 2);
                let p = purchase(
                    card,
                    "k-market",
                    100 * (1 + t as i64 % 7) + 37,
                    0,
                    at(2026, 10, 3),
                );
                l.purchase(p.clone()).await.unwrap();
                sent.push(p);
            }
            // Every client resends everything: nothing may double.
            for p in &sent {
                assert_eq!(
                    l.purchase(p.clone()).await.unwrap().status,
                    WriteStatus::Exists
                );
            }
            sent.iter().map(|p| p.amount_cents / 100).sum::<i64>()
        }));
    }
    let mut expected = 0;
    for h in handles {
        expected += h.await.unwrap();
    }
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, expected);
    assert_verified(l).await;
}

/// Runs `sql` on the ledger's database behind its back.
async fn tamper(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

/// Household 1 with one purchase of 50 points, verified.
async fn one_verified_purchase<L: Ledger>(l: &L) {
    household(l, 1).await;
    l.purchase(purchase(11, "k-market", 5_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    assert_verified(l).await;
}

/// Verify finds household 1's cached balance a point above its entries, and the books a point off.
async fn assert_household_one_a_point_off<L: Ledger>(l: &L) {
    let v = l.verify().await.unwrap();
    assert!(!v.ok());
    assert!(
        v.problems.iter().any(|p| p.contains("household 1")),
        "{v:?}"
    );
    assert_eq!(v.points_sum, 1, "the books no longer balance");
}

async fn verify_detects_a_tampered_cached_balance<L: Ledger>(l: &L, db: &Db) {
    one_verified_purchase(l).await;
    tamper(
        db,
        "UPDATE ledger_balances SET points = points + 1 WHERE household = 1",
    )
    .await;
    assert_household_one_a_point_off(l).await;
}

/// A purchase row is its own journal entry: changing its points makes the journal disagree with
/// the cached balance.
async fn verify_detects_a_tampered_purchase<L: Ledger>(l: &L, db: &Db) {
    household(l, 1).await;
    l.purchase(purchase(11, "k-market", 5_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    let v = l.verify().await.unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(v.entries, 1, "the purchase is the journal's one entry");
    tamper(db, "UPDATE ledger_purchases SET points = points + 7").await;
    let v = l.verify().await.unwrap();
    assert!(!v.ok());
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("household 1") && p.contains("entries give 57 points")),
        "{v:?}"
    );
}

/// Batches are written as if every key were new and looked up only when the insert skipped a
/// stored one (`store::purchases`): resends mixed with new purchases, a changed resend, and
/// resends that could no longer be written (their month closed) must all answer as stored.
async fn a_resent_batch_answers_its_stored_purchases_as_stored<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let october: Vec<Purchase> = (0..20)
        .map(|i| purchase(11, "k-market", 1_000 + i * 100, 0, at(2026, 10, 3)))
        .collect();
    let first = l.purchase_batch(october.clone()).await.unwrap();
    assert!(first.iter().all(|w| w.status == WriteStatus::Created));

    let mut mixed = october[..10].to_vec();
    mixed.extend((0..20).map(|_| purchase(12, "k-market", 2_000, 0, at(2026, 10, 4))));
    let w = l.purchase_batch(mixed).await.unwrap();
    for (i, w) in w.iter().enumerate() {
        if i < 10 {
            assert_eq!(w.status, WriteStatus::Exists, "item {i}");
            assert_eq!(w.value, first[i].value, "item {i}");
        } else {
            assert_eq!(w.status, WriteStatus::Created, "item {i}");
        }
    }
    let want = first.iter().map(|w| w.value.points).sum::<i64>() + 20 * 20;
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, want);

    let mut changed = october.clone();
    changed[5].amount_cents += 1;
    let err = l.purchase_batch(changed).await.unwrap_err();
    assert!(
        matches!(&err, LedgerError::BatchItem { index: 5, source } if matches!(**source, LedgerError::Conflict(_))),
        "{err:?}"
    );
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, want);

    l.month_end(month("2026-10")).await.unwrap();
    let mut late = october.clone();
    late.extend((0..20).map(|_| purchase(11, "k-market", 500, 0, at(2026, 11, 2))));
    let w = l.purchase_batch(late).await.unwrap();
    assert!(
        w[..20].iter().all(|w| w.status == WriteStatus::Exists),
        "{w:?}"
    );
    assert!(w[20..].iter().all(|w| w.status == WriteStatus::Created));
    assert_verified(l).await;
}

async fn a_batch_with_one_bad_purchase_writes_nothing<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let mut batch: Vec<Purchase> = (0..50)
        .map(|_| purchase(11, "k-market", 1_000, 0, at(2026, 10, 3)))
        .collect();
    batch[37].card = CardId(404);
    let err = l.purchase_batch(batch.clone()).await.unwrap_err();
    assert!(
        matches!(&err, LedgerError::BatchItem { index: 37, source } if matches!(**source, LedgerError::UnknownCard(_))),
        "{err:?}"
    );
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 0);
    assert_eq!(l.verify().await.unwrap().entries, 0);
    batch[37].card = CardId(12);
    assert_eq!(l.purchase_batch(batch).await.unwrap().len(), 50);
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 500);
    let too_many = vec![purchase(11, "k-market", 1_000, 0, at(2026, 10, 3)); MAX_BATCH + 1];
    assert!(matches!(
        l.purchase_batch(too_many).await,
        Err(LedgerError::Invalid { .. })
    ));
    assert_verified(l).await;
}

/// Large batches take the staged bulk path, small ones the direct one: both give the same
/// answers, entries and balances, with stored keys, repeated keys and campaigns in the batch.
async fn a_large_batch_writes_exactly_what_single_purchases_write<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    household(l, 2).await;
    l.add_campaign(Campaign {
        key: Uuid::now_v7(),
        chain: chain("k-rauta"),
        title: "Double points at K-Rauta".into(),
        starts: at(2026, 10, 1),
        ends: at(2026, 10, 10),
        extra: Extra::Multiplier(2),
    })
    .await
    .unwrap();
    let cards = [11, 12, 21, 22];
    let chains = ["k-market", "k-rauta", "teboil"];
    // 99 cents earn nothing: a purchase with no entry.
    let amounts = [99, 1_000, 2_550, 12_345, 40_000];
    let mut batch: Vec<Purchase> = (0..120)
        .map(|i| {
            purchase(
                cards[i % 4],
                chains[i % 3],
                amounts[i % 5],
                if i % 7 == 0 { amounts[i % 5] / 3 } else { 0 },
                at(2026, 10, 1 + (i % 20) as u32),
            )
        })
        .collect();
    // Some of them were written one by one before.
    for p in batch.iter().step_by(10) {
        assert_eq!(
            l.purchase(p.clone()).await.unwrap().status,
            WriteStatus::Created
        );
    }
    batch.push(batch[5].clone());
    batch.push(batch[77].clone());
    let expect = |p: &Purchase| {
        let base = (p.amount_cents - p.ineligible_cents) / 100;
        let extra = if p.chain.as_str() == "k-rauta" && p.at < at(2026, 10, 10) {
            base
        } else {
            0
        };
        (base, extra)
    };
    let w = l.purchase_batch(batch.clone()).await.unwrap();
    let mut want_points = [0i64; 3];
    let mut want_entries = 0;
    for (i, (p, w)) in batch.iter().zip(&w).enumerate() {
        let (base, extra) = expect(p);
        assert_eq!(
            (w.value.points, w.value.campaign_points),
            (base, extra),
            "{i}"
        );
        let first = i < 120;
        let want = if first && i % 10 != 0 {
            WriteStatus::Created
        } else {
            WriteStatus::Exists
        };
        assert_eq!(w.status, want, "item {i}");
        if first {
            want_points[(p.card.0 / 10) as usize] += base + extra;
            want_entries += i64::from(base > 0) + i64::from(extra > 0);
        }
    }
    for h in [1, 2] {
        assert_eq!(
            l.balance(HouseholdId(h)).await.unwrap().points,
            want_points[h as usize],
            "household {h}"
        );
    }
    let v = l.verify().await.unwrap();
    assert!(v.ok(), "{v:?}");
    // The campaign itself writes no entry.
    assert_eq!(v.entries, want_entries);
    // Resent whole: nothing changes.
    let again = l.purchase_batch(batch).await.unwrap();
    assert!(again.iter().all(|w| w.status == WriteStatus::Exists));
    assert_eq!(l.verify().await.unwrap().entries, want_entries);
    assert_eq!(
        l.balance(HouseholdId(1)).await.unwrap().points,
        want_points[1]
    );
}

async fn writes_dated_in_a_closed_month_are_refused<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let p = purchase(11, "k-market", 10_000, 0, at(2026, 10, 3));
    l.purchase(p.clone()).await.unwrap();
    l.month_end(month("2026-10")).await.unwrap();
    assert!(matches!(
        l.purchase(purchase(11, "k-market", 1_000, 0, at(2026, 10, 30))).await,
        Err(LedgerError::MonthClosed(m)) if m == "2026-10"
    ));
    // A resend of an October purchase still answers "exists"; a November return is fine.
    assert_eq!(
        l.purchase(p.clone()).await.unwrap().status,
        WriteStatus::Exists
    );
    let r = l
        .return_goods(Return {
            key: Uuid::now_v7(),
            purchase: p.key,
            amount_cents: 5_000,
            at: at(2026, 11, 2),
        })
        .await
        .unwrap();
    assert_eq!(r.value.points, 50);
    assert_verified(l).await;
}

async fn corrections_are_entries_and_never_go_below_zero<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let c = |unit, delta| Correction {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        unit,
        delta,
        reason: "customer service".into(),
        at: at(2026, 10, 3),
    };
    assert_eq!(
        l.correct(c(Unit::Points, 250)).await.unwrap().value.points,
        250
    );
    assert_eq!(
        l.correct(c(Unit::Points, -50)).await.unwrap().value.points,
        200
    );
    assert!(matches!(
        l.correct(c(Unit::Points, -201)).await,
        Err(LedgerError::Insufficient {
            available: 200,
            requested: 201,
            ..
        })
    ));
    assert_eq!(
        l.correct(c(Unit::Cents, 300))
            .await
            .unwrap()
            .value
            .money_cents,
        300
    );
    assert!(l.correct(c(Unit::Cents, -301)).await.is_err());
    assert!(l.correct(c(Unit::Cents, 0)).await.is_err());
    let b = l.balance(HouseholdId(1)).await.unwrap();
    assert_eq!((b.points, b.money_cents), (200, 300));
    assert_eq!(l.verify().await.unwrap().entries, 3);
    assert_verified(l).await;
}

fn outlets() -> Vec<Outlet> {
    storenet::registry::csv::read_outlets(&fixture("outlets_small.csv")).unwrap()
}

fn offer(
    id: &str,
    level: Level,
    percent: u8,
    from: (i32, u32, u32),
    to: (i32, u32, u32),
    segments: &[&str],
) -> Offer {
    Offer {
        id: id.into(),
        level,
        title: format!("offer {id}"),
        benefit: Benefit::Discount { percent },
        valid_from: chrono::NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap(),
        valid_to: chrono::NaiveDate::from_ymd_opt(to.0, to.1, to.2).unwrap(),
        segments: segments.iter().map(|s| s.to_string()).collect(),
    }
}

/// The per-location view reads offers from memory (`ledger::offer_cache`): this ledger's own
/// writes show at once, another instance's on the same database within `MAX_AGE`.
async fn an_offer_another_instance_stores_shows_within_the_cache_age<L: Ledger>(l: &L, db: &Db) {
    let here = outlets()
        .into_iter()
        .find(|o| o.chain.as_str() == "k-market")
        .unwrap();
    let oct = ((2026, 10, 1), (2026, 10, 31));
    let ids = |v: Vec<Offer>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let when = at(2026, 10, 10);
    assert!(l.offers_at(&here, when, None).await.unwrap().is_empty());

    let other = SqlLedger::new(db.clone(), Rules::default()).unwrap();
    let theirs = offer("N-9", Level::Network, 10, oct.0, oct.1, &[]);
    other.put_offer(theirs).await.unwrap();
    tokio::time::sleep(offer_cache::MAX_AGE + Duration::from_millis(200)).await;
    assert_eq!(ids(l.offers_at(&here, when, None).await.unwrap()), ["N-9"]);

    let ours = offer("S-9", Level::Store(here.id), 20, oct.0, oct.1, &[]);
    l.put_offer(ours).await.unwrap();
    assert_eq!(
        ids(l.offers_at(&here, when, None).await.unwrap()),
        ["S-9", "N-9"],
        "our own write shows at once"
    );
}

async fn offers_at_an_outlet_follow_levels_dates_and_audience<L: Ledger>(l: &L, _: &Db) {
    let all = outlets();
    let here = all
        .iter()
        .find(|o| o.chain.as_str() == "k-market")
        .unwrap()
        .clone();
    let elsewhere = all
        .iter()
        .find(|o| o.chain.as_str() == "k-rauta")
        .unwrap()
        .clone();
    let oct = ((2026, 10, 1), (2026, 10, 31));
    let offers = vec![
        offer("S-1", Level::Store(here.id), 20, oct.0, oct.1, &[]),
        offer("S-2", Level::Store(elsewhere.id), 20, oct.0, oct.1, &[]),
        offer(
            "C-1",
            Level::Chain(chain("k-market")),
            15,
            oct.0,
            oct.1,
            &[],
        ),
        offer("C-2", Level::Chain(chain("k-rauta")), 15, oct.0, oct.1, &[]),
        offer("N-1", Level::Network, 10, oct.0, oct.1, &[]),
        offer(
            "N-2",
            Level::Network,
            10,
            (2026, 11, 1),
            (2026, 11, 30),
            &[],
        ),
        offer("N-3", Level::Network, 30, oct.0, oct.1, &["napero"]),
    ];
    for o in &offers {
        assert_eq!(
            l.put_offer(o.clone()).await.unwrap().status,
            WriteStatus::Created
        );
    }
    assert_eq!(
        l.put_offer(offers[0].clone()).await.unwrap().status,
        WriteStatus::Exists
    );
    let changed = Offer {
        title: "other".into(),
        ..offers[0].clone()
    };
    assert!(matches!(
        l.put_offer(changed).await,
        Err(LedgerError::Conflict(_))
    ));
    let low = offer("X-1", Level::Network, 5, oct.0, oct.1, &[]);
    assert!(matches!(
        l.put_offer(low).await,
        Err(LedgerError::Invalid { .. })
    ));
    assert_eq!(l.offers().await.unwrap().len(), 7);

    let ids = |v: Vec<Offer>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let when = at(2026, 10, 15);
    assert_eq!(
        ids(l.offers_at(&here, when, None).await.unwrap()),
        ["S-1", "C-1", "N-1"]
    );
    assert_eq!(
        ids(l.offers_at(&elsewhere, when, None).await.unwrap()),
        ["S-2", "C-2", "N-1"]
    );
    assert_eq!(
        ids(l.offers_at(&here, at(2026, 11, 15), None).await.unwrap()),
        ["N-2"]
    );
    // 31 Oct 23:30 UTC is already 1 November in Helsinki.
    let late = Utc.with_ymd_and_hms(2026, 10, 31, 23, 30, 0).unwrap();
    assert_eq!(ids(l.offers_at(&here, late, None).await.unwrap()), ["N-2"]);

    // A napero household that chose K-Rauta: sees the napero offer, not K-Market's chain offer.
    l.add_household(NewHousehold {
        id: HouseholdId(7),
        segments: ["napero".to_string()].into(),
        chosen_chains: [chain("k-rauta")].into(),
    })
    .await
    .unwrap();
    assert_eq!(
        ids(l
            .offers_at(&here, when, Some(HouseholdId(7)))
            .await
            .unwrap()),
        ["S-1", "N-1", "N-3"]
    );
    assert!(matches!(
        l.offers_at(&here, when, Some(HouseholdId(8))).await,
        Err(LedgerError::UnknownHousehold(_))
    ));
    let book = storenet::offers::OfferBook::new(l.offers().await.unwrap());
    assert_eq!(book.all().len(), 7);
}

#[test]
fn only_the_right_key_may_write_each_level_of_offer() {
    let oct = ((2026, 10, 1), (2026, 10, 31));
    let store = offer("S", Level::Store(OutletId(5)), 20, oct.0, oct.1, &[]);
    let chain_offer = offer("C", Level::Chain(chain("k-rauta")), 20, oct.0, oct.1, &[]);
    let network = offer("N", Level::Network, 20, oct.0, oct.1, &[]);
    let retailer = Scope {
        outlets: [OutletId(5), OutletId(6)].into(),
        ..Scope::default()
    };
    let other_retailer = Scope {
        outlets: [OutletId(7)].into(),
        ..Scope::default()
    };
    let k_rauta = Scope {
        chain: Some(chain("k-rauta")),
        ..Scope::default()
    };
    let intersport = Scope {
        chain: Some(chain("intersport")),
        ..Scope::default()
    };
    let household = Scope {
        household: Some(HouseholdId(1)),
        ..Scope::default()
    };

    assert!(can_write_offer(Role::Retailer, &retailer, &store));
    assert!(!can_write_offer(Role::Retailer, &other_retailer, &store));
    assert!(!can_write_offer(Role::Retailer, &retailer, &chain_offer));
    assert!(!can_write_offer(Role::Retailer, &retailer, &network));

    assert!(can_write_offer(Role::Chain, &k_rauta, &chain_offer));
    assert!(!can_write_offer(Role::Chain, &intersport, &chain_offer));
    assert!(!can_write_offer(Role::Chain, &k_rauta, &network));
    assert!(!can_write_offer(Role::Chain, &k_rauta, &store));

    assert!(can_write_offer(Role::Admin, &Scope::default(), &network));
    for o in [&store, &chain_offer, &network] {
        assert!(!can_write_offer(Role::Household, &household, o));
    }

    assert!(can_read_household(
        Role::Household,
        &household,
        HouseholdId(1)
    ));
    assert!(!can_read_household(
        Role::Household,
        &household,
        HouseholdId(2)
    ));
    assert!(!can_read_household(
        Role::Retailer,
        &retailer,
        HouseholdId(1)
    ));
    assert!(!can_read_household(Role::Chain, &k_rauta, HouseholdId(1)));
    assert!(can_read_household(
        Role::Admin,
        &Scope::default(),
        HouseholdId(1)
    ));
}

fn storenet(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ledger_cli_ingests_all_or_nothing_and_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let f = |name: &str| fixture("ledger").join(name).display().to_string();
    // Purchases are checked against the registry: the small fixture one.
    let data = cli_trust::data_dir(dir.path()).display().to_string();
    let run = |args: &[&str]| {
        let mut v = vec!["--data-dir", data.as_str(), "ledger"];
        v.extend_from_slice(args);
        v.extend_from_slice(&["--database-url", &url]);
        storenet(&v)
    };
    let (ok, _, err) = run(&["ingest", &f("cards.csv")]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["ingest", &f("purchases_bad_line4.csv")]);
    assert!(!ok);
    assert!(
        err.contains("purchases_bad_line4.csv:4: unknown card 99"),
        "{err}"
    );
    let (ok, _, err) = run(&["ingest", &f("purchases_bad_field.csv")]);
    assert!(!ok);
    assert!(
        err.contains("purchases_bad_field.csv:2: field `amount_cents`"),
        "{err}"
    );
    // Lines 2 and 3 of the bad file were good, yet nothing of it was applied.
    let (ok, out, _) = run(&["balance", "--household", "1"]);
    assert!(ok);
    assert!(out.contains("\"points\": 0"), "{out}");

    let (ok, out, err) = run(&["ingest", &f("purchases.csv")]);
    assert!(ok, "{err}");
    assert!(out.contains("3 new"), "{out}");
    let (_, out, _) = run(&["ingest", &f("purchases.csv")]);
    assert!(out.contains("0 new, 3 already recorded"), "{out}");
    // 33 + 250 points on household 1's two cards.
    let (_, out, _) = run(&["balance", "--household", "1"]);
    assert!(out.contains("\"points\": 283"), "{out}");
    let (ok, out, _) = run(&["month-end", "2026-10"]);
    assert!(ok && out.contains("ran"), "{out}");
    let (_, out, _) = run(&["month-end", "2026-10"]);
    assert!(out.contains("had already run"), "{out}");
    let (ok, out, _) = run(&["statement", "--household", "2", "--month", "2026-10"]);
    assert!(ok);
    let s: Statement = serde_json::from_str(&out).unwrap();
    assert_eq!((s.bonus_step_bp, s.money_paid_cents), (400, 4_000));
    let (ok, out, err) = run(&["verify"]);
    assert!(ok, "{out}{err}");
}

/// Writes a cards file for households 1..=n and `files` purchase files of `per_file` rows;
/// answers the expected points per household.
fn crash_fixture(
    dir: &std::path::Path,
    n: i64,
    files: usize,
    per_file: usize,
) -> std::collections::BTreeMap<i64, i64> {
    use std::io::Write;
    let mut cards = std::fs::File::create(dir.join("cards.csv")).unwrap();
    writeln!(cards, "{CARDS_HEADER}").unwrap();
    for h in 1..=n {
        writeln!(cards, "{},{h},primary,plastic,,", h * 10 + 1).unwrap();
        writeln!(cards, "{},{h},secondary,mobile,,", h * 10 + 2).unwrap();
    }
    let mut expected = std::collections::BTreeMap::new();
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for f in 0..files {
        let mut out = std::fs::File::create(dir.join(format!("p{f}.csv"))).unwrap();
        writeln!(out, "{PURCHASES_HEADER}").unwrap();
        for _ in 0..per_file {
            let h = (next() % n as u64) as i64 + 1;
            let card = h * 10 + 1 + (next() % 2) as i64;
            let amount = (next() % 30_000) as i64 + 1;
            let ineligible = if next() % 5 == 0 { amount / 3 } else { 0 };
            *expected.entry(h).or_insert(0) += (amount - ineligible) / 100;
            writeln!(
                out,
                "{},{card},1,k-market,{amount},{ineligible},2026-10-0{}T10:00:00Z",
                Uuid::now_v7(),
                1 + next() % 9
            )
            .unwrap();
        }
    }
    expected
}

/// Several `storenet ledger ingest` processes write at once and are killed with SIGKILL once the
/// first file is committed; resending every file must give each household exactly its points.
async fn sigkilled_ingest_loses_and_doubles_nothing(url: &str, db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let (files, per_file) = (4, 10_000);
    let expected = crash_fixture(dir.path(), 200, files, per_file);
    // Purchases are checked against the registry: the small fixture one (outlet 1 is k-market).
    let data = cli_trust::data_dir(dir.path());
    let cli = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_storenet"));
        c.arg("--data-dir").arg(&data).arg("ledger");
        c.args(args).args(["--database-url", url]);
        c
    };
    let path = |f: &str| dir.path().join(f).display().to_string();
    assert!(cli(&["ingest", &path("cards.csv")])
        .status()
        .unwrap()
        .success());
    // An empty purchases file imports the registry into the empty database first, as `serve`
    // would, so that the concurrent ingests below do not all try to.
    std::fs::write(dir.path().join("none.csv"), format!("{PURCHASES_HEADER}\n")).unwrap();
    assert!(cli(&["ingest", &path("none.csv")])
        .status()
        .unwrap()
        .success());
    let mut children: Vec<_> = (0..files)
        .map(|f| {
            cli(&["ingest", &path(&format!("p{f}.csv"))])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let count = "SELECT COUNT(*) FROM ledger_purchases";
    loop {
        let n: i64 = match db {
            Db::Sqlite(p) => sqlx::query_scalar(count).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(count).fetch_one(p).await.unwrap(),
        };
        let done = children.iter_mut().all(|c| c.try_wait().unwrap().is_some());
        if n > 0 || done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for c in &mut children {
        let _ = c.kill(); // SIGKILL
        let _ = c.wait();
    }
    let mut new = 0;
    for f in 0..files {
        let out = cli(&["ingest", &path(&format!("p{f}.csv"))])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        new += text
            .split(": ")
            .nth(2)
            .and_then(|s| s.split(' ').next())
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert!(
        new < files * per_file,
        "at least one file was committed before the kill"
    );
    let l = SqlLedger::new(db.clone(), Rules::default()).unwrap();
    for (h, points) in expected {
        assert_eq!(
            l.balance(HouseholdId(h)).await.unwrap().points,
            points,
            "household {h}"
        );
    }
    assert_verified(&l).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_ingest_loses_and_doubles_nothing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let db = Db::open(&url).await.unwrap();
    sigkilled_ingest_loses_and_doubles_nothing(&url, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_ingest_loses_and_doubles_nothing_postgres() {
    let Some(b) = postgres().await else { return };
    let (base, schema) = b.schema.clone().unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    sigkilled_ingest_loses_and_doubles_nothing(&url, &b.db).await;
    b.finish().await;
}

/// Migration 0006 on a ledger written before it: the copies of purchases' points in
/// `ledger_entries` go, the journal shows the purchases instead, and verify still balances.
#[tokio::test]
async fn a_ledger_written_before_purchases_were_entries_verifies_after_the_upgrade_sqlite() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use std::str::FromStr;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true),
        )
        .await
        .unwrap();
    let old = Db::Sqlite(pool);
    upgrade_across_0006(old, &url).await;
}

#[tokio::test]
async fn a_ledger_written_before_purchases_were_entries_verifies_after_the_upgrade_postgres() {
    let Some(s) = crate::common::PgSchema::create("the upgrade across migration 0006").await else {
        return;
    };
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&s.url)
        .await
        .unwrap();
    upgrade_across_0006(Db::Postgres(pool), &s.url).await;
    s.drop_now().await;
}

/// Writes, through `old` (an empty database), what the ledger wrote before migration 0006, then
/// opens `url` as the service does (which runs the later migrations) and checks the result.
async fn upgrade_across_0006(old: Db, url: &str) {
    use sqlx::migrate::Migrator;

    let dir = match &old {
        Db::Sqlite(_) => "migrations/sqlite",
        Db::Postgres(_) => "migrations/postgres",
    };
    let mut before = Migrator::new(crate::common::repo_path(dir).as_path())
        .await
        .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version <= 5)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    // What the ledger wrote then for household 1: a purchase of 50 points with 10 campaign
    // points, both also as entries, and a correction of 5 points as an entry of its own.
    let key = Uuid::now_v7().as_bytes().to_vec();
    let t = at(2026, 10, 3).timestamp_millis();
    let fixed = [
        "INSERT INTO ledger_households VALUES (1, '', '', 0)",
        "INSERT INTO ledger_cards VALUES (11, 1, 'primary', 'plastic', 0)",
        "INSERT INTO ledger_balances VALUES (1, 65, 0)",
        "INSERT INTO ledger_programme VALUES ('programme/points-issued', 'points', -60), \
         ('programme/corrections-points', 'points', -5)",
    ];
    let purchase = "INSERT INTO ledger_purchases (key, hash, household, card, outlet, chain, \
                    amount, ineligible, at, points, campaign_points) \
                    VALUES ($1, 1, 1, 11, 7, 'k-market', 5000, 0, $2, 50, 10)";
    let entry = "INSERT INTO ledger_entries (key, kind, unit, src, dst, amount, household, at) \
                 VALUES ($1, $2, 'points', $3, 'household/1/points', $4, 1, $5)";
    let entries = [
        (
            Some(key.clone()),
            "purchase",
            "programme/points-issued",
            50i64,
        ),
        (Some(key.clone()), "campaign", "programme/points-issued", 10),
        (None, "correction", "programme/corrections-points", 5),
    ];
    // The same statements on either pool (SQLite reads `$1` as a parameter too).
    macro_rules! write_old {
        ($pool:expr) => {{
            let pool = $pool;
            before.run(pool).await.unwrap();
            for sql in fixed {
                sqlx::query(sql).execute(pool).await.unwrap();
            }
            sqlx::query(purchase)
                .bind(&key)
                .bind(t)
                .execute(pool)
                .await
                .unwrap();
            for (key, kind, src, amount) in &entries {
                sqlx::query(entry)
                    .bind(key)
                    .bind(kind)
                    .bind(src)
                    .bind(amount)
                    .bind(t)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }};
    }
    match &old {
        Db::Sqlite(p) => write_old!(p),
        Db::Postgres(p) => write_old!(p),
    }

    let db = Db::open(url).await.unwrap();
    let l = SqlLedger::new(db.clone(), Rules::default()).unwrap();
    let v = l.verify().await.unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(
        v.entries, 3,
        "the purchase's two moves and the correction, once each"
    );
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 65);
    let copies = "SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('purchase', 'campaign')";
    let copies: i64 = match &db {
        Db::Sqlite(p) => sqlx::query_scalar(copies).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(copies).fetch_one(p).await.unwrap(),
    };
    assert_eq!(copies, 0, "the entries that copied purchases are gone");
    drop(l);
    if let Db::Postgres(p) = &db {
        p.close().await;
    }
}

// ---------------------------------------------------------------- enrolment

on_both_backends!(
    enrolling_the_same_rows_again_answers_every_one_as_existing,
    a_changed_row_in_a_re_enrol_is_refused_at_its_index_and_nothing_is_written,
    an_id_repeated_in_one_enrol_answers_like_a_stored_one,
    a_card_of_an_unknown_household_is_refused,
    a_large_enrol_runs_in_chunks_and_reports_progress_as_before,
    enrol_refuses_the_row_single_writes_refuse_and_writes_what_they_write,
);

fn new_household(id: i64, segments: &[&str], chains: &[&str]) -> NewHousehold {
    NewHousehold {
        id: HouseholdId(id),
        segments: segments.iter().map(|s| s.to_string()).collect(),
        chosen_chains: chains.iter().map(|c| chain(c)).collect(),
    }
}

fn new_card(id: i64, household: i64, holder: Holder, kind: CardKind) -> NewCard {
    NewCard {
        id: CardId(id),
        household: HouseholdId(household),
        holder,
        kind,
    }
}

/// Households `ids` (segment `s{id % 3}`), with cards `h*10+1` (primary) and `h*10+2`
/// (secondary) each.
fn network(ids: impl Iterator<Item = i64> + Clone) -> (Vec<NewHousehold>, Vec<NewCard>) {
    let hs = ids
        .clone()
        .map(|h| new_household(h, &[&format!("s{}", h % 3)], &[]))
        .collect();
    let cards = ids
        .flat_map(|h| {
            [
                new_card(h * 10 + 1, h, Holder::Primary, CardKind::Plastic),
                new_card(h * 10 + 2, h, Holder::Secondary, CardKind::Mobile),
            ]
        })
        .collect();
    (hs, cards)
}

type Households = Vec<(i64, String, String)>;
type Cards = Vec<(i64, i64, String, String)>;
type Balances = Vec<(i64, i64, i64)>;

/// Every stored household, card and balance, by id.
async fn enrolled_rows(db: &Db) -> (Households, Cards, Balances) {
    const H: &str = "SELECT id, segments, chosen_chains FROM ledger_households ORDER BY id";
    const C: &str = "SELECT id, household, holder, kind FROM ledger_cards ORDER BY id";
    const B: &str = "SELECT household, points, money FROM ledger_balances ORDER BY household";
    macro_rules! read {
        ($p:expr) => {
            (
                sqlx::query_as(H).fetch_all($p).await.unwrap(),
                sqlx::query_as(C).fetch_all($p).await.unwrap(),
                sqlx::query_as(B).fetch_all($p).await.unwrap(),
            )
        };
    }
    match db {
        Db::Sqlite(p) => read!(p),
        Db::Postgres(p) => read!(p),
    }
}

/// The refused item of an enrol: its index and why.
fn refusal(r: Result<EnrolReport, LedgerError>) -> (usize, LedgerError) {
    match r {
        Err(LedgerError::BatchItem { index, source }) => (index, *source),
        other => panic!("expected a refused item, got {other:?}"),
    }
}

fn report(hc: u64, he: u64, cc: u64, ce: u64) -> EnrolReport {
    EnrolReport {
        households_created: hc,
        households_existing: he,
        cards_created: cc,
        cards_existing: ce,
    }
}

async fn enrolling_the_same_rows_again_answers_every_one_as_existing(l: &SqlLedger, db: &Db) {
    let (hs, cs) = network(1..=50);
    let first = l.enrol(hs.clone(), cs.clone(), None).await.unwrap();
    assert_eq!(first, report(50, 0, 100, 0));
    let rows = enrolled_rows(db).await;
    assert_eq!(rows.0.len(), 50);
    assert_eq!(rows.0[6], (7, "s1".to_string(), String::new()));
    assert_eq!(rows.1[0], (11, 1, "primary".into(), "plastic".into()));
    assert_eq!(rows.2.len(), 50);
    let again = l.enrol(hs.clone(), cs.clone(), None).await.unwrap();
    assert_eq!(again, report(0, 50, 0, 100));
    assert_eq!(enrolled_rows(db).await, rows);
    // The same rows with new ones among them: only the new ones are created.
    let (more_hs, more_cs) = network(51..=60);
    let mixed = l
        .enrol(
            more_hs.into_iter().chain(hs).collect(),
            cs.into_iter().chain(more_cs).collect(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(mixed, report(10, 50, 20, 100));
    assert_eq!(l.balance(HouseholdId(60)).await.unwrap().points, 0);
    assert_verified(l).await;
}

async fn a_changed_row_in_a_re_enrol_is_refused_at_its_index_and_nothing_is_written(
    l: &SqlLedger,
    db: &Db,
) {
    let (hs, cs) = network(1..=20);
    l.enrol(hs.clone(), cs.clone(), None).await.unwrap();
    let before = enrolled_rows(db).await;
    let (new_hs, new_cs) = network(21..=30);

    // A household's segments changed, after ten new households.
    let mut changed = new_hs.clone();
    changed.extend(hs.iter().cloned());
    changed[10 + 4] = new_household(5, &["s2", "extra"], &[]);
    let r = l.enrol(changed, new_cs.clone(), None).await;
    let (index, e) = refusal(r);
    assert_eq!(index, 14);
    assert!(
        matches!(&e, LedgerError::Conflict(m) if m == "household 5"),
        "{e:?}"
    );

    // Its chosen chains changed.
    let mut changed = hs.clone();
    changed[7].chosen_chains.insert(chain("k-market"));
    let (index, e) = refusal(l.enrol(changed, vec![], None).await);
    assert_eq!(index, 7);
    assert!(
        matches!(&e, LedgerError::Conflict(m) if m == "household 8"),
        "{e:?}"
    );

    // A card's holder, kind or household changed, after new households and cards: the index
    // counts the households, then the cards.
    let hs_all: Vec<NewHousehold> = hs.iter().cloned().chain(new_hs.clone()).collect();
    let edits: [fn(&mut NewCard); 3] = [
        |c| c.holder = Holder::Secondary,
        |c| c.kind = CardKind::Traveller,
        |c| c.household = HouseholdId(21),
    ];
    for (k, edit) in edits.into_iter().enumerate() {
        let mut cards: Vec<NewCard> = new_cs.iter().copied().chain(cs.iter().copied()).collect();
        let at = new_cs.len() + 2 * k; // cards 11, 21, 31: primary
        edit(&mut cards[at]);
        let (index, e) = refusal(l.enrol(hs_all.clone(), cards, None).await);
        assert_eq!(index, hs_all.len() + at);
        let want = format!("card {}", (k as i64 + 1) * 10 + 1);
        assert!(
            matches!(&e, LedgerError::Conflict(m) if *m == want),
            "{e:?}"
        );
    }

    // Nothing of the refused calls was written: not their new households, cards or balances.
    assert_eq!(enrolled_rows(db).await, before);
    assert!(matches!(
        l.balance(HouseholdId(21)).await,
        Err(LedgerError::UnknownHousehold(_))
    ));
    assert_verified(l).await;
}

async fn an_id_repeated_in_one_enrol_answers_like_a_stored_one(l: &SqlLedger, db: &Db) {
    let h = |id| new_household(id, &["napero"], &["k-market"]);
    let c = |id, household| new_card(id, household, Holder::Primary, CardKind::Plastic);
    let r = l
        .enrol(
            vec![h(1), h(2), h(1), h(3), h(2)],
            vec![c(11, 1), c(21, 2), c(11, 1), c(31, 3), c(11, 1)],
            None,
        )
        .await
        .unwrap();
    assert_eq!(r, report(3, 2, 3, 2));
    let rows = enrolled_rows(db).await;
    assert_eq!(rows.0.len(), 3);
    assert_eq!(rows.1.len(), 3);
    assert_eq!(rows.2.len(), 3);

    // A later copy that differs is a conflict, new (4) or stored (1) alike; so is a card's.
    let other = new_household(4, &["traveller"], &[]);
    let (index, e) = refusal(l.enrol(vec![h(4), h(5), other], vec![], None).await);
    assert_eq!(index, 2);
    assert!(
        matches!(&e, LedgerError::Conflict(m) if m == "household 4"),
        "{e:?}"
    );
    let other = new_household(1, &[], &[]);
    let (index, e) = refusal(l.enrol(vec![h(1), other], vec![], None).await);
    assert_eq!(index, 1);
    assert!(
        matches!(&e, LedgerError::Conflict(m) if m == "household 1"),
        "{e:?}"
    );
    let other = new_card(41, 4, Holder::Secondary, CardKind::Plastic);
    let (index, e) = refusal(
        l.enrol(vec![h(4)], vec![c(41, 4), c(12, 1), other], None)
            .await,
    );
    assert_eq!(index, 1 + 2);
    assert!(
        matches!(&e, LedgerError::Conflict(m) if m == "card 41"),
        "{e:?}"
    );
    assert_eq!(enrolled_rows(db).await, rows);
}

async fn a_card_of_an_unknown_household_is_refused(l: &SqlLedger, db: &Db) {
    let (hs, cs) = network(1..=3);
    l.enrol(hs, cs, None).await.unwrap();
    let before = enrolled_rows(db).await;
    let c = |id, household| new_card(id, household, Holder::Secondary, CardKind::CoBranded);
    // Cards of a stored household (2) and of one this call enrols (4) are fine; 9 is unknown.
    let (index, e) = refusal(
        l.enrol(
            vec![new_household(4, &[], &[])],
            vec![c(23, 2), c(43, 4), c(91, 9), c(44, 4)],
            None,
        )
        .await,
    );
    assert_eq!(index, 1 + 2);
    assert!(
        matches!(e, LedgerError::UnknownHousehold(HouseholdId(9))),
        "{e:?}"
    );
    assert_eq!(enrolled_rows(db).await, before);
    // A refused household stops the call before any card.
    let (index, e) = refusal(
        l.enrol(vec![new_household(5, &[""], &[])], vec![c(51, 5)], None)
            .await,
    );
    assert_eq!(index, 0);
    assert!(
        matches!(
            e,
            LedgerError::Invalid {
                field: "segments",
                ..
            }
        ),
        "{e:?}"
    );
    // Without the bad ones, all of it goes in.
    let r = l
        .enrol(
            vec![new_household(4, &[], &[])],
            vec![c(23, 2), c(43, 4), c(44, 4)],
            None,
        )
        .await
        .unwrap();
    assert_eq!(r, report(1, 0, 3, 0));
    assert_verified(l).await;
}

async fn a_large_enrol_runs_in_chunks_and_reports_progress_as_before(l: &SqlLedger, db: &Db) {
    // Stored before: households 1..=3,000 and 20,001..=20,100, with their cards.
    let (hs, cs) = network((1..=3_000).chain(20_001..=20_100));
    l.enrol(hs, cs, None).await.unwrap();

    // 12,345 households, 3,000 of them stored; household 5 again at the end. Their cards, the
    // stored households' 200 cards (their households are not in the call), and card 11 again.
    let (mut hs, mut cs) = network(1..=12_345);
    hs.push(hs[4].clone());
    cs.extend(network(20_001..=20_100).1);
    cs.push(cs[0]);
    let ticks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = ticks.clone();
    let progress: Progress = std::sync::Arc::new(move |n| seen.lock().unwrap().push(n));
    let r = l
        .enrol(hs.clone(), cs.clone(), Some(progress))
        .await
        .unwrap();
    assert_eq!(r, report(9_345, 3_001, 18_690, 6_201));
    // After every 1,000th household, then every 1,000th card, and once at the end.
    let (nh, nc) = (hs.len() as u64, cs.len() as u64);
    let want: Vec<u64> = (1..=nh / 1_000)
        .map(|k| k * 1_000)
        .chain((1..=nc / 1_000).map(|k| nh + k * 1_000))
        .chain([nh + nc])
        .collect();
    assert_eq!(*ticks.lock().unwrap(), want);
    let rows = enrolled_rows(db).await;
    assert_eq!(rows.0.len(), 12_445);
    assert_eq!(rows.1.len(), 24_890);
    assert_eq!(rows.2.len(), 12_445);
    assert!(rows.2.iter().all(|&(_, p, m)| p == 0 && m == 0));

    let again = l.enrol(hs.clone(), cs.clone(), None).await.unwrap();
    assert_eq!(again, report(0, 12_346, 0, 24_891));
    // A changed stored card near the end, after new households and cards: refused, nothing
    // written.
    let (more_hs, mut all_cs) = network(30_001..=36_000);
    let mut all_hs = hs.clone();
    all_hs.extend(more_hs);
    all_cs.extend(cs.iter().copied());
    let at = all_cs.len() - 7;
    all_cs[at].kind = CardKind::Traveller;
    let (index, e) = refusal(l.enrol(all_hs.clone(), all_cs, None).await);
    assert_eq!(index, all_hs.len() + at);
    assert!(matches!(e, LedgerError::Conflict(_)), "{e:?}");
    assert_eq!(enrolled_rows(db).await, rows);
}

/// Single writes ([`Ledger::add_household`], [`Ledger::add_card`]) of the same rows, one by one,
/// on a second ledger of the same backend: the enrol refuses the row they refuse first, and once
/// every refused row is taken out both ledgers hold the same rows.
async fn enrol_refuses_the_row_single_writes_refuse_and_writes_what_they_write(
    l: &SqlLedger,
    db: &Db,
) {
    let single = match db {
        Db::Sqlite(_) => sqlite().await,
        Db::Postgres(_) => postgres().await.expect("PostgreSQL is configured"),
    };
    let c = new_card;
    let (p, s) = (Holder::Primary, Holder::Secondary);
    let (plastic, mobile) = (CardKind::Plastic, CardKind::Mobile);
    let stored_hs = vec![
        new_household(1, &[], &[]),
        new_household(2, &["a", "b"], &[]),
        new_household(3, &["x"], &["k-market"]),
    ];
    let stored_cs = vec![c(11, 1, p, plastic), c(21, 2, p, plastic)];
    for led in [l, &single.ledger] {
        led.enrol(stored_hs.clone(), stored_cs.clone(), None)
            .await
            .unwrap();
    }
    let mut hs = vec![
        new_household(2, &["a;b"], &[]), // stored as "a;b" too: exists
        new_household(1, &[""], &[]),    // stored as "" too: exists
        new_household(6, &["p"], &[]),
        new_household(6, &["p"], &[]),
        new_household(6, &["q"], &[]),          // conflict
        new_household(7, &[""], &[]),           // invalid
        new_household(8, &["a;b"], &[]),        // invalid
        new_household(3, &["x"], &["k-rauta"]), // conflict
        new_household(9, &[], &["k-market", "k-rauta"]),
        new_household(9, &[], &["k-rauta", "k-market"]),
    ];
    let mut cs = vec![
        c(11, 1, p, plastic),
        c(11, 1, p, mobile), // conflict
        c(61, 6, p, plastic),
        c(61, 6, p, plastic),
        c(61, 6, s, plastic),  // conflict
        c(99, 100, s, mobile), // unknown household
        c(31, 3, s, mobile),
        c(71, 7, p, plastic), // household 7 refused: unknown
        c(91, 9, p, plastic),
        c(21, 9, p, plastic), // conflict (stored for household 2)
    ];
    let mut refused = 0;
    loop {
        let got = l.enrol(hs.clone(), cs.clone(), None).await;
        // One by one, committed: rows before a refusal stay, and answer "exists" next round
        // as the enrol's own earlier rows would.
        let mut want = None;
        for (i, h) in hs.iter().enumerate() {
            if let Err(e) = single.ledger.add_household(h.clone()).await {
                want = Some((i, e));
                break;
            }
        }
        if want.is_none() {
            for (i, card) in cs.iter().enumerate() {
                if let Err(e) = single.ledger.add_card(*card).await {
                    want = Some((hs.len() + i, e));
                    break;
                }
            }
        }
        match (got, want) {
            (Err(LedgerError::BatchItem { index, source }), Some((i, e))) => {
                assert_eq!((index, format!("{source:?}")), (i, format!("{e:?}")));
                if index < hs.len() {
                    hs.remove(index);
                } else {
                    cs.remove(index - hs.len());
                }
                refused += 1;
            }
            (Ok(_), None) => break,
            (got, want) => panic!("enrol: {got:?}; single writes: {want:?}"),
        }
    }
    assert_eq!(refused, 9);
    assert_eq!(
        l.enrol(hs.clone(), cs.clone(), None).await.unwrap(),
        report(0, hs.len() as u64, 0, cs.len() as u64)
    );
    assert_eq!(enrolled_rows(db).await, enrolled_rows(&single.db).await);
    single.finish().await;
}
