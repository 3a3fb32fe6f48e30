//! Double-entry posting: entries and the cached balances they move, in one transaction.

use super::sql::{multi_values, Arg, Tx};
use super::types::Unit;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Programme account that issues points (purchases, campaigns, bonus; returns go back to it).
pub(crate) const POINTS_ISSUED: &str = "programme/points-issued";
/// Programme account receiving points converted to Plussa money.
pub(crate) const POINTS_CONVERTED: &str = "programme/points-converted";
/// Programme account paying Plussa money.
pub(crate) const MONEY_ISSUED: &str = "programme/money-issued";
/// Programme account receiving Plussa money used at checkouts.
pub(crate) const MONEY_REDEEMED: &str = "programme/money-redeemed";
/// Programme account receiving expired Plussa money.
pub(crate) const MONEY_EXPIRED: &str = "programme/money-expired";
/// Programme account on the other side of points corrections.
pub(crate) const POINTS_CORRECTIONS: &str = "programme/corrections-points";
/// Programme account on the other side of money corrections.
pub(crate) const MONEY_CORRECTIONS: &str = "programme/corrections-money";

/// One entry: `amount` moves between a household's account and a programme account.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: Option<Uuid>,
    pub kind: &'static str,
    pub unit: Unit,
    pub household: i64,
    /// True: programme → household; false: household → programme.
    pub to_household: bool,
    pub programme: &'static str,
    /// Always > 0.
    pub amount: i64,
    pub at: i64,
    pub valid_until: Option<i64>,
}

pub(crate) fn household_account(h: i64, unit: Unit) -> String {
    match unit {
        Unit::Points => format!("household/{h}/points"),
        Unit::Cents => format!("household/{h}/money"),
    }
}

const ENTRY_COLS: usize = 9;
const ENTRY_ROWS: usize = 50;
const BAL_ROWS: usize = 250;

/// Households' balance moves (points, cents), in household order.
pub(crate) type HouseholdMoves = BTreeMap<i64, (i64, i64)>;
/// Programme accounts' balance moves, in account order.
pub(crate) type ProgrammeMoves = BTreeMap<&'static str, (Unit, i64)>;

/// Writes the entries and moves the cached balances by the same amounts.
pub(crate) async fn post(tx: &mut Tx, entries: &[Entry]) -> Result<(), sqlx::Error> {
    // Ordered maps: rows are locked in key order, so concurrent instances on one PostgreSQL
    // cannot deadlock on each other's balance rows.
    let mut households = HouseholdMoves::new();
    let mut programme = ProgrammeMoves::new();
    for chunk in entries.chunks(ENTRY_ROWS) {
        let sql = multi_values(
            "ledger_entries (key, kind, unit, src, dst, amount, household, at, valid_until)",
            chunk.len(),
            ENTRY_COLS,
            "",
        );
        let mut args = Vec::with_capacity(chunk.len() * ENTRY_COLS);
        for e in chunk {
            debug_assert!(e.amount > 0);
            let acct = household_account(e.household, e.unit);
            let (src, dst) = if e.to_household {
                (e.programme.to_string(), acct)
            } else {
                (acct, e.programme.to_string())
            };
            args.push(Arg::OptB(e.key.map(|k| k.as_bytes().to_vec())));
            args.push(Arg::T(e.kind.to_string()));
            args.push(Arg::T(e.unit.as_str().to_string()));
            args.push(Arg::T(src));
            args.push(Arg::T(dst));
            args.push(Arg::I(e.amount));
            args.push(Arg::I(e.household));
            args.push(Arg::I(e.at));
            args.push(Arg::OptI(e.valid_until));
            let signed = if e.to_household { e.amount } else { -e.amount };
            let h = households.entry(e.household).or_default();
            match e.unit {
                Unit::Points => h.0 += signed,
                Unit::Cents => h.1 += signed,
            }
            programme.entry(e.programme).or_insert((e.unit, 0)).1 -= signed;
        }
        tx.exec(&sql, args).await?;
    }
    move_balances(tx, &households, &programme).await
}

/// Moves the cached balances: each household's by its (points, cents), each programme account's
/// by its amount. Rows are written in key order (the maps are ordered), so that concurrent
/// instances on one PostgreSQL lock them alike and cannot deadlock.
pub(crate) async fn move_balances(
    tx: &mut Tx,
    households: &HouseholdMoves,
    programme: &ProgrammeMoves,
) -> Result<(), sqlx::Error> {
    let hs: Vec<(&i64, &(i64, i64))> = households.iter().collect();
    for chunk in hs.chunks(BAL_ROWS) {
        let sql = multi_values(
            "ledger_balances (household, points, money)",
            chunk.len(),
            3,
            "ON CONFLICT (household) DO UPDATE SET points = ledger_balances.points + excluded.points, \
             money = ledger_balances.money + excluded.money",
        );
        let mut args = Vec::with_capacity(chunk.len() * 3);
        for (h, (p, m)) in chunk {
            args.extend([Arg::I(**h), Arg::I(*p), Arg::I(*m)]);
        }
        tx.exec(&sql, args).await?;
    }
    if !programme.is_empty() {
        let sql = multi_values(
            "ledger_programme (account, unit, balance)",
            programme.len(),
            3,
            "ON CONFLICT (account) DO UPDATE SET balance = ledger_programme.balance + excluded.balance",
        );
        let mut args = Vec::with_capacity(programme.len() * 3);
        for (a, (u, d)) in programme {
            args.extend([Arg::from(*a), Arg::from(u.as_str()), Arg::I(*d)]);
        }
        tx.exec(&sql, args).await?;
    }
    Ok(())
}

/// Whether purchases' points wait in `ledger_points_pending` (migration 0007) instead of moving
/// `ledger_balances` at once. SQLite writes every page a transaction touches to its WAL, so
/// moving 10,000 scattered households' rows rewrites thousands of pages; the pending table is
/// small and a batch rewrites few. PostgreSQL logs rows, and several instances share it: folding
/// would take locks in an order that can deadlock with theirs, so it moves balances directly.
pub(crate) fn defers_points(tx: &Tx) -> bool {
    !tx.is_postgres()
}

/// The pending table is folded into `ledger_balances` once it holds about this many households.
/// Measured with `benches/ledger.sh` over 2.2 million households: a fold rewrites nearly every
/// page of `ledger_balances` whatever its size, so it should be rare; a larger pending table
/// makes each batch rewrite more of its pages.
pub const FOLD_AT: u64 = 100_000;

/// Adds households' points to the pending table; the number of households moved.
pub(crate) async fn pend_points(
    tx: &mut Tx,
    households: &BTreeMap<i64, i64>,
) -> Result<u64, sqlx::Error> {
    let hs: Vec<(&i64, &i64)> = households.iter().collect();
    for chunk in hs.chunks(BAL_ROWS) {
        let sql = multi_values(
            "ledger_points_pending (household, points)",
            chunk.len(),
            2,
            "ON CONFLICT (household) DO UPDATE SET points = ledger_points_pending.points + excluded.points",
        );
        let mut args = Vec::with_capacity(chunk.len() * 2);
        for (h, p) in chunk {
            args.extend([Arg::I(**h), Arg::I(**p)]);
        }
        tx.exec(&sql, args).await?;
    }
    Ok(hs.len() as u64)
}

/// Households in the pending table.
pub(crate) async fn pending_households(tx: &mut Tx) -> Result<u64, sqlx::Error> {
    let r = tx
        .one("SELECT COUNT(*) FROM ledger_points_pending", vec![])
        .await?;
    Ok(r.map_or(Ok(0), |r| r.i64(0))?.max(0) as u64)
}

/// Moves every pending household's points into `ledger_balances`, in household order, and
/// empties the pending table. Balances as `ledger_balances_now` shows them do not change.
pub(crate) async fn fold_points(tx: &mut Tx) -> Result<(), sqlx::Error> {
    tx.exec(
        "INSERT INTO ledger_balances (household, points, money) \
         SELECT household, points, 0 FROM ledger_points_pending WHERE true ORDER BY household \
         ON CONFLICT (household) DO UPDATE SET points = ledger_balances.points + excluded.points",
        vec![],
    )
    .await?;
    tx.exec("DELETE FROM ledger_points_pending", vec![]).await?;
    Ok(())
}
