//! Purchases' points wait in `ledger_points_pending` on SQLite and fold into `ledger_balances`
//! (migration 0007); every read adds both, and verify checks their sum.

use super::*;

on_both_backends!(
    pending_points_count_in_every_balance_until_month_end_folds_them,
    verify_detects_a_tampered_pending_balance,
    pending_points_fold_once_enough_households_wait,
    a_file_refused_after_a_fold_leaves_balances_and_pending_points_as_they_were,
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

/// Enrols households 1..=n, each with card h * 10 + 1.
async fn enrol_households(l: &SqlLedger, n: i64) {
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
}

async fn pending_points_fold_once_enough_households_wait(l: &SqlLedger, db: &Db) {
    let n = POINTS_FOLD_AT as i64 + 5_000;
    enrol_households(l, n).await;
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

/// `ledger ingest` writes a file in one transaction. Its purchases fill the pending table past
/// [`POINTS_FOLD_AT`], so it folds in the middle; then its last row is refused. The fold must go
/// with the rest: balances and pending points stay as they were, nothing is counted twice when
/// the file is sent again without the bad row, and verify passes at each step.
async fn a_file_refused_after_a_fold_leaves_balances_and_pending_points_as_they_were(
    l: &SqlLedger,
    db: &Db,
) {
    let n = POINTS_FOLD_AT as i64 + 5_000;
    enrol_households(l, n).await;
    // Before the file: household h holds h % 5 + 1 points. On SQLite the first 100,000
    // households' points are folded by then and the last 5,000 wait in the pending table.
    let first: Vec<Purchase> = (1..=n)
        .map(|h| {
            purchase(
                h * 10 + 1,
                "k-market",
                (h % 5 + 1) * 100,
                0,
                at(2026, 10, 2),
            )
        })
        .collect();
    for chunk in first.chunks(10_000) {
        l.purchase_batch(chunk.to_vec()).await.unwrap();
    }
    let pending_before = rows(db, "ledger_points_pending").await;
    let balances_before = rows(db, "ledger_balances").await;
    if defers(db) {
        assert!(
            !pending_before.is_empty(),
            "the first purchases wait in the pending table"
        );
    }

    // The file: 3 points for every household, then a card nobody holds.
    let mut file: Vec<Purchase> = (1..=n)
        .map(|h| purchase(h * 10 + 1, "k-market", 300, 0, at(2026, 10, 4)))
        .collect();
    file.push(purchase(9, "k-market", 100, 0, at(2026, 10, 4)));
    match l.ingest(file.clone(), None).await {
        Err(LedgerError::BatchItem { index, .. }) => assert_eq!(index as i64, n),
        other => panic!("expected the last row refused, got {other:?}"),
    }
    assert_eq!(rows(db, "ledger_points_pending").await, pending_before);
    assert_eq!(rows(db, "ledger_balances").await, balances_before);
    for h in [1, n / 2, n] {
        assert_eq!(
            l.balance(HouseholdId(h)).await.unwrap().points,
            h % 5 + 1,
            "household {h}"
        );
    }
    assert_verified(l).await;

    // Without the bad row the file goes in once; sent again, it only answers "exists".
    file.pop();
    let written = l.ingest(file.clone(), None).await.unwrap();
    assert!(written.iter().all(|w| w.status == WriteStatus::Created));
    let again = l.ingest(file, None).await.unwrap();
    assert!(again.iter().all(|w| w.status == WriteStatus::Exists));
    if defers(db) {
        assert!(
            rows(db, "ledger_points_pending").await.len() < POINTS_FOLD_AT as usize,
            "the file folded the pending table"
        );
    }
    for h in [1, 2, n / 2, n] {
        assert_eq!(
            l.balance(HouseholdId(h)).await.unwrap().points,
            h % 5 + 1 + 3,
            "household {h}"
        );
    }
    // Later writes still fold (the writer counts the pending table again after the rollback)
    // and count right.
    let more: Vec<Purchase> = (1..=n)
        .map(|h| purchase(h * 10 + 1, "k-market", 100, 0, at(2026, 10, 6)))
        .collect();
    for chunk in more.chunks(10_000) {
        l.purchase_batch(chunk.to_vec()).await.unwrap();
    }
    if defers(db) {
        assert!(
            rows(db, "ledger_points_pending").await.len() < POINTS_FOLD_AT as usize,
            "the later purchases folded the pending table"
        );
    }
    for h in [1, 3, n / 2, n] {
        assert_eq!(
            l.balance(HouseholdId(h)).await.unwrap().points,
            h % 5 + 1 + 3 + 1,
            "household {h}"
        );
    }
    assert_verified(l).await;
}
