//! Purchases' points wait in `ledger_points_pending` on SQLite and fold into `ledger_balances`
//! (migration 0007); every read adds both, and verify checks their sum.

use super::*;

on_both_backends!(
    pending_points_count_in_every_balance_until_month_end_folds_them,
    verify_detects_a_tampered_pending_balance,
    pending_points_fold_once_enough_households_wait,
);

/// (household, points) rows of `table`, by household.
async fn rows(db: &Db, table: &str) -> Vec<(i64, i64)> {
    let sql = format!("SELECT household, points FROM {table} ORDER BY household");
    match db {
        Db::Sqlite(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
    }
}

/// SQLite defers purchases' points; PostgreSQL moves balances at once (`post::defers_points`).
fn defers(db: &Db) -> bool {
    matches!(db, Db::Sqlite(_))
}

async fn pending_points_count_in_every_balance_until_month_end_folds_them<L: Ledger>(
    l: &L,
    db: &Db,
) {
    household(l, 1).await;
    household(l, 2).await;
    l.purchase(purchase(11, "k-market", 5_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    l.purchase_batch(vec![
        purchase(12, "k-market", 2_500, 0, at(2026, 10, 4)),
        purchase(21, "k-rauta", 120_000, 0, at(2026, 10, 5)),
    ])
    .await
    .unwrap();
    if defers(db) {
        assert_eq!(
            rows(db, "ledger_points_pending").await,
            vec![(1, 75), (2, 1_200)]
        );
        assert_eq!(
            rows(db, "ledger_balances").await,
            vec![(1, 0), (2, 0)],
            "nothing folded yet"
        );
    } else {
        assert_eq!(rows(db, "ledger_points_pending").await, vec![]);
    }
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 75);
    assert_eq!(l.balance(HouseholdId(2)).await.unwrap().points, 1_200);
    assert_verified(l).await;

    // A correction moves ledger_balances directly; the balance is still the sum of both.
    l.correct(Correction {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        unit: Unit::Points,
        delta: -70,
        reason: "test".into(),
        at: at(2026, 10, 6),
    })
    .await
    .unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 5);
    assert_verified(l).await;

    // Month-end converts what both tables hold: household 2's 1,200 points (plus its bonus).
    l.month_end(month("2026-10")).await.unwrap();
    assert_eq!(rows(db, "ledger_points_pending").await, vec![]);
    let b2 = l.balance(HouseholdId(2)).await.unwrap();
    assert!(b2.money_cents >= 500, "1,000 points converted: {b2:?}");
    assert!(b2.points < 1_000, "{b2:?}");
    assert_verified(l).await;
}

async fn verify_detects_a_tampered_pending_balance<L: Ledger>(l: &L, db: &Db) {
    one_verified_purchase(l).await;
    tamper(
        db,
        "INSERT INTO ledger_points_pending (household, points) VALUES (1, 1) \
         ON CONFLICT (household) DO UPDATE SET points = ledger_points_pending.points + 1",
    )
    .await;
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 51);
    assert_household_one_a_point_off(l).await;

    // Pending points of a household without a balance row show in no balance: verify says so.
    tamper(
        db,
        "INSERT INTO ledger_points_pending (household, points) VALUES (999, 7)",
    )
    .await;
    let v = l.verify().await.unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("household 999 has 7 pending points")),
        "{v:?}"
    );
}

async fn pending_points_fold_once_enough_households_wait(l: &SqlLedger, db: &Db) {
    let n = POINTS_FOLD_AT as i64 + 5_000;
    let hs = (1..=n)
        .map(|h| NewHousehold {
            id: HouseholdId(h),
            segments: BTreeSet::new(),
            chosen_chains: BTreeSet::new(),
        })
        .collect();
    let cards = (1..=n)
        .map(|h| NewCard {
            id: CardId(h * 10 + 1),
            household: HouseholdId(h),
            holder: Holder::Primary,
            kind: CardKind::Plastic,
        })
        .collect();
    l.enrol(hs, cards, None).await.unwrap();
    // Household h earns h % 7 + 1 points, in batches of 10,000 households; twice over, so that
    // the second fold adds to balances the first one filled.
    let all: Vec<i64> = (1..=n).collect();
    for round in 0..2 {
        for chunk in all.chunks(10_000) {
            let batch = chunk
                .iter()
                .map(|h| {
                    let day = at(2026, 10, 3 + round);
                    purchase(h * 10 + 1, "k-market", (h % 7 + 1) * 100, 0, day)
                })
                .collect();
            l.purchase_batch(batch).await.unwrap();
        }
    }
    let pending = rows(db, "ledger_points_pending").await;
    let folded = rows(db, "ledger_balances").await;
    if defers(db) {
        // A fold empties the table once it holds FOLD_AT households: what came after waits.
        assert!(
            !pending.is_empty() && pending.len() < POINTS_FOLD_AT as usize,
            "{} households pending",
            pending.len()
        );
        assert!(
            folded.iter().filter(|(h, p)| *p == 2 * (h % 7 + 1)).count() > 50_000,
            "the second fold added to the first"
        );
    }
    let expect = |h: i64| 2 * (h % 7 + 1);
    let pending: std::collections::HashMap<i64, i64> = pending.into_iter().collect();
    for (h, p) in &folded {
        assert_eq!(
            p + pending.get(h).copied().unwrap_or(0),
            expect(*h),
            "household {h}"
        );
    }
    for h in [1, n / 2, n] {
        assert_eq!(l.balance(HouseholdId(h)).await.unwrap().points, expect(h));
    }
    assert_verified(l).await;
}
