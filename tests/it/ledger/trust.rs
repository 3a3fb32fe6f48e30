//! Issue 18, section 1: the ledger accepts no amount, date or id an attacker or a careless client
//! sends that would poison its sums. Every scenario on both backends; the ledger's clock is
//! [`super::test_clock`] (2030-01-01T00:00Z).

use super::*;

on_both_backends!(
    purchases_above_the_documented_maximum_are_refused_and_the_books_stay_usable,
    a_return_larger_than_what_is_left_never_wraps_past_the_check,
    writes_are_refused_outside_an_open_month_and_the_future_allowance,
    a_return_dated_before_its_purchase_is_refused,
    month_end_runs_only_for_a_month_that_has_ended,
    households_need_a_positive_id,
    corrections_that_would_leave_64_bits_are_refused,
    campaigns_are_bounded,
);

fn field_of(e: &LedgerError) -> Option<&'static str> {
    match e {
        LedgerError::Invalid { field, .. } => Some(field),
        LedgerError::BatchItem { source, .. } => field_of(source),
        _ => None,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

async fn purchases_above_the_documented_maximum_are_refused_and_the_books_stay_usable<L: Ledger>(
    l: &L,
    _: &Db,
) {
    household(l, 1).await;
    let max = Rules::default().max_purchase_cents;
    assert_eq!(max, 10_000_000, "the documented default is €100,000");
    // The attacks: i64::MAX, and 2^62 − 1, which used to pass month end and pay out.
    for amount in [i64::MAX, 4_611_686_018_427_387_903, max + 1] {
        let e = l
            .purchase(purchase(11, "k-market", amount, 0, at(2026, 10, 3)))
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), Some("amount_cents"), "{amount}: {e}");
        // In a batch too, naming the item; nothing of the batch is written.
        let e = l
            .purchase_batch(vec![
                purchase(11, "k-market", 1_000, 0, at(2026, 10, 3)),
                purchase(12, "k-market", amount, 0, at(2026, 10, 3)),
            ])
            .await
            .unwrap_err();
        assert!(matches!(&e, LedgerError::BatchItem { index: 1, .. }), "{e}");
        assert_eq!(field_of(&e), Some("amount_cents"));
    }
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 0);
    // Exactly the maximum is accepted, and month end and verify still run.
    let w = l
        .purchase(purchase(11, "k-market", max, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    assert_eq!(w.value.points, 100_000);
    let r = l.month_end(month("2026-10")).await.unwrap().value;
    assert_eq!(r.statements, 1);
    assert_verified(l).await;
}

async fn a_return_larger_than_what_is_left_never_wraps_past_the_check<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let p = purchase(11, "k-market", 10_000, 0, at(2026, 10, 3));
    l.purchase(p.clone()).await.unwrap();
    let ret = |cents: i64| Return {
        key: Uuid::now_v7(),
        purchase: p.key,
        amount_cents: cents,
        at: at(2026, 10, 4),
    };
    l.return_goods(ret(5_000)).await.unwrap();
    // `returned + amount` used to wrap to a negative number and pass "not more than bought".
    for cents in [i64::MAX, i64::MAX - 4_999] {
        let e = l.return_goods(ret(cents)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("amount_cents"), "{cents}: {e}");
    }
    assert!(matches!(
        l.return_goods(ret(5_001)).await,
        Err(LedgerError::ReturnExceedsPurchase {
            remaining: 5_000,
            requested: 5_001,
            ..
        })
    ));
    // Above the rules' maximum even when the purchase would cover it.
    let big = purchase(11, "k-market", 10_000_000, 0, at(2026, 10, 3));
    l.purchase(big.clone()).await.unwrap();
    let rules = Rules::default();
    assert!(rules.max_return_cents < 10_000_001);
    let e = l
        .return_goods(Return {
            purchase: big.key,
            ..ret(rules.max_return_cents + 1)
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("amount_cents"), "{e}");
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 100_050);
    assert_verified(l).await;
}

async fn writes_are_refused_outside_an_open_month_and_the_future_allowance<L: Ledger>(
    l: &L,
    _: &Db,
) {
    household(l, 1).await;
    // The dates: 1970, 2099, year 1 and year −1; and 6 minutes ahead of the clock.
    let bad = [
        utc(1970, 1, 1, 0, 0),
        utc(2099, 6, 1, 12, 0),
        utc(1, 1, 1, 12, 0),
        utc(-1, 1, 1, 12, 0),
        utc(2019, 12, 31, 12, 0),
        utc(2030, 1, 1, 0, 6),
    ];
    for when in bad {
        let e = l
            .purchase(purchase(11, "k-market", 1_000, 0, when))
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), Some("at"), "{when}: {e}");
        let e = l
            .correct(Correction {
                key: Uuid::now_v7(),
                household: HouseholdId(1),
                unit: Unit::Points,
                delta: 5,
                reason: "goodwill".into(),
                at: when,
            })
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), Some("at"), "{when}: {e}");
    }
    // Within the 5 minutes allowed for drifting checkout clocks, and the programme's first month.
    l.purchase(purchase(11, "k-market", 1_000, 0, utc(2030, 1, 1, 0, 4)))
        .await
        .unwrap();
    l.purchase(purchase(11, "k-market", 1_000, 0, at(2020, 1, 2)))
        .await
        .unwrap();
    // Once a month is closed, it and every month before it are.
    l.purchase(purchase(11, "k-market", 1_000, 0, at(2026, 8, 2)))
        .await
        .unwrap();
    l.month_end(month("2026-10")).await.unwrap();
    for (when, m) in [(at(2026, 10, 30), "2026-10"), (at(2026, 8, 3), "2026-08")] {
        assert!(matches!(
            l.purchase(purchase(11, "k-market", 1_000, 0, when)).await,
            Err(LedgerError::MonthClosed(got)) if got == m
        ));
    }
    l.purchase(purchase(11, "k-market", 1_000, 0, at(2026, 11, 1)))
        .await
        .unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 40);
    assert_verified(l).await;
}

async fn a_return_dated_before_its_purchase_is_refused<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let p = purchase(11, "k-market", 10_000, 0, at(2026, 10, 10));
    l.purchase(p.clone()).await.unwrap();
    let ret = |when| Return {
        key: Uuid::now_v7(),
        purchase: p.key,
        amount_cents: 1_000,
        at: when,
    };
    for when in [at(2026, 10, 9), utc(2026, 10, 10, 11, 59)] {
        let e = l.return_goods(ret(when)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("at"), "{when}: {e}");
    }
    let e = l
        .return_goods(ret(utc(2030, 1, 2, 0, 0)))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), Some("at"), "a return in the future: {e}");
    // At the purchase's own instant, and later, it is fine.
    l.return_goods(ret(at(2026, 10, 10))).await.unwrap();
    l.return_goods(ret(at(2026, 10, 11))).await.unwrap();
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 80);
    assert_verified(l).await;
}

async fn month_end_runs_only_for_a_month_that_has_ended<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    l.purchase(purchase(11, "k-market", 10_000, 0, at(2029, 12, 3)))
        .await
        .unwrap();
    // The clock is 2030-01-01T00:00Z, 02:00 in Helsinki: January 2030 runs until 1 February.
    for m in ["2030-01", "2030-02", "2099-12", "2019-12", "1900-01"] {
        let e = l.month_end(month(m)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("month"), "{m}: {e}");
    }
    l.month_end(month("2029-12")).await.unwrap();
    // A month before the latest closed one can no longer get a month end of its own.
    let e = l.month_end(month("2029-11")).await.unwrap_err();
    assert_eq!(field_of(&e), Some("month"), "{e}");
    // Asking again for a closed month still answers its report.
    assert_eq!(
        l.month_end(month("2029-12")).await.unwrap().status,
        WriteStatus::Exists
    );
    assert_verified(l).await;
}

async fn households_need_a_positive_id<L: Ledger>(l: &L, _: &Db) {
    let new = |id| NewHousehold {
        id: HouseholdId(id),
        segments: BTreeSet::new(),
        chosen_chains: BTreeSet::new(),
    };
    for id in [-5, 0, i64::MIN] {
        let e = l.add_household(new(id)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("household"), "{id}: {e}");
    }
    l.add_household(new(1)).await.unwrap();
    assert_verified(l).await;
}

async fn corrections_that_would_leave_64_bits_are_refused<L: Ledger>(l: &L, _: &Db) {
    household(l, 1).await;
    let c = |delta| Correction {
        key: Uuid::now_v7(),
        household: HouseholdId(1),
        unit: Unit::Points,
        delta,
        reason: "customer service".into(),
        at: at(2026, 10, 3),
    };
    l.correct(c(10)).await.unwrap();
    for delta in [i64::MAX, i64::MIN] {
        let e = l.correct(c(delta)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("delta"), "{delta}: {e}");
    }
    assert_eq!(l.balance(HouseholdId(1)).await.unwrap().points, 10);
    assert_verified(l).await;
}

async fn campaigns_are_bounded<L: Ledger>(l: &L, _: &Db) {
    let c = |extra| Campaign {
        key: Uuid::now_v7(),
        chain: chain("k-market"),
        title: "Extra".into(),
        starts: at(2026, 10, 1),
        ends: at(2026, 11, 1),
        extra,
    };
    for extra in [
        Extra::Multiplier(MAX_MULTIPLIER + 1),
        Extra::Multiplier(u32::MAX),
        Extra::Fixed(MAX_FIXED_POINTS + 1),
        Extra::Fixed(u32::MAX),
    ] {
        let e = l.add_campaign(c(extra)).await.unwrap_err();
        assert_eq!(field_of(&e), Some("extra"), "{extra:?}: {e}");
    }
    l.add_campaign(c(Extra::Multiplier(MAX_MULTIPLIER)))
        .await
        .unwrap();
    l.add_campaign(c(Extra::Fixed(MAX_FIXED_POINTS)))
        .await
        .unwrap();
    household(l, 1).await;
    // The largest purchase under both campaigns: 100,000 base, 900,000 + 100,000 campaign points.
    let w = l
        .purchase(purchase(11, "k-market", 10_000_000, 0, at(2026, 10, 3)))
        .await
        .unwrap();
    assert_eq!(
        (w.value.points, w.value.campaign_points),
        (100_000, 1_000_000)
    );
    assert_verified(l).await;
}
