//! The bulk purchase path: the idempotency lookups of a whole batch in a few statements, the
//! writes of its new purchases with multi-row INSERTs, and their balance moves.

use super::post::{self, HouseholdMoves, ProgrammeMoves};
use super::sql::{multi_values, rows_of, Arg, Tx};
use super::store::ms;
use super::types::{HouseholdId, Purchase, PurchaseReceipt, Unit};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Keys per idempotency lookup (parameters per statement, under SQLite's 32,766 and
/// PostgreSQL's 65,535).
pub(crate) const LOOKUP_CHUNK: usize = 5_000;
/// Rows per multi-row INSERT.
pub(crate) const INSERT_ROWS: usize = 250;
const PURCHASE_COLS: usize = 11;

/// A new purchase of a batch, ready to write.
pub(crate) struct Fresh<'a> {
    pub purchase: &'a Purchase,
    pub key: &'a [u8],
    pub hash: i64,
    pub receipt: PurchaseReceipt,
}

/// A stored purchase as an idempotent answer needs it: content hash and receipt.
pub(crate) type Stored = HashMap<Uuid, (i64, PurchaseReceipt)>;

/// The purchases stored under any of `keys`: one statement per [`LOOKUP_CHUNK`] keys.
pub(crate) async fn stored_purchases(tx: &mut Tx, keys: &[Vec<u8>]) -> Result<Stored, sqlx::Error> {
    Ok(taken(tx, keys, true).await?.0)
}

/// The keys among `keys` that other kinds of write took (returns, redemptions, corrections,
/// campaigns): one statement per [`LOOKUP_CHUNK`] keys, over those writes' small tables.
pub(crate) async fn foreign_keys(
    tx: &mut Tx,
    keys: &[Vec<u8>],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    Ok(taken(tx, keys, false).await?.1)
}

/// Every write stored under any of `keys`: the purchases (when `purchases`) with what an
/// idempotent answer needs, and the keys other kinds of write took. One statement per
/// [`LOOKUP_CHUNK`] keys, each key bound once.
///
/// The keys are one table of the statement (`k`) joined to each write table's primary key, not
/// an `IN` list per table: SQLite builds a sorted copy of every `IN` list, and binding and
/// sorting the same keys two or three times took longer than the probes (measured with
/// `benches/ledger.sh`: looking up other writes' keys in two empty tables cost twice the
/// purchases lookup).
pub(crate) async fn taken(
    tx: &mut Tx,
    keys: &[Vec<u8>],
    purchases: bool,
) -> Result<(Stored, HashSet<Uuid>), sqlx::Error> {
    let mut stored = Stored::new();
    let mut foreign = HashSet::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let sql = taken_sql(chunk.len(), purchases);
        let args = chunk.iter().map(|k| Arg::B(k.clone())).collect();
        for r in tx.fetch(&sql, args).await? {
            let key = r.uuid(0)?;
            if r.i64(1)? == 1 {
                let receipt = PurchaseReceipt {
                    household: HouseholdId(r.i64(3)?),
                    points: r.i64(4)?,
                    campaign_points: r.i64(5)?,
                };
                stored.insert(key, (r.i64(2)?, receipt));
            } else {
                foreign.insert(key);
            }
        }
    }
    Ok((stored, foreign))
}

/// The statement of [`taken`] for `n` keys.
///
/// `k CROSS JOIN table WHERE …` makes SQLite read the keys in the outer loop and look each up by
/// the table's primary key. With `JOIN … ON`, SQLite 3.46 scanned all of `ledger_purchases`
/// instead for some numbers of keys (around 250: a second per lookup once the table held a
/// million purchases); the test below checks the plan. PostgreSQL reads it as an inner join.
pub(crate) fn taken_sql(n: usize, purchases: bool) -> String {
    let mut sql = format!("WITH k (key) AS MATERIALIZED (VALUES {}) ", rows_of(n, 1));
    if purchases {
        sql.push_str(
            "SELECT p.key, CAST(1 AS BIGINT), p.hash, p.household, p.points, p.campaign_points \
             FROM k CROSS JOIN ledger_purchases p WHERE p.key = k.key UNION ALL ",
        );
    }
    let zeros = "CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
                 CAST(0 AS BIGINT)";
    sql.push_str(&format!(
        "SELECT r.key, {zeros} FROM k CROSS JOIN ledger_requests r WHERE r.key = k.key \
         UNION ALL SELECT r.key, {zeros} FROM k CROSS JOIN ledger_returns r WHERE r.key = k.key"
    ));
    sql
}

/// Inserts new purchases with multi-row INSERTs; the number of rows written. With
/// `skip_stored`, a purchase whose key is already stored is skipped instead of failing the
/// statement (the caller compares the count).
pub(crate) async fn insert(
    tx: &mut Tx,
    fresh: &[Fresh<'_>],
    skip_stored: bool,
) -> Result<u64, sqlx::Error> {
    let tail = if skip_stored {
        "ON CONFLICT (key) DO NOTHING"
    } else {
        ""
    };
    let mut written = 0;
    for chunk in fresh.chunks(INSERT_ROWS) {
        let sql = multi_values(PURCHASE_TARGET, chunk.len(), PURCHASE_COLS, tail);
        let mut a = Vec::with_capacity(chunk.len() * PURCHASE_COLS);
        for f in chunk {
            purchase_args(f, &mut a);
        }
        written += tx.exec(&sql, a).await?;
    }
    Ok(written)
}

/// Moves the new purchases' points into the cached balances: a purchase row is its own journal
/// entry (from `programme/points-issued` to its household's points; see `ledger_journal` in
/// migration 0006), so nothing else is written per purchase. Where points wait in the pending
/// table ([`post::defers_points`]), `pending` counts its households (`None`: not known yet) and
/// the table is folded into `ledger_balances` once it holds [`post::FOLD_AT`].
pub(crate) async fn move_points(
    tx: &mut Tx,
    pending: &mut Option<u64>,
    fresh: &[Fresh<'_>],
) -> Result<(), sqlx::Error> {
    let mut households = BTreeMap::<i64, i64>::new();
    let mut issued = 0i64;
    for f in fresh {
        let points = f.receipt.points + f.receipt.campaign_points;
        if points > 0 {
            *households.entry(f.receipt.household.0).or_default() += points;
            issued += points;
        }
    }
    let mut programme = ProgrammeMoves::new();
    if issued > 0 {
        programme.insert(post::POINTS_ISSUED, (Unit::Points, -issued));
    }
    if !post::defers_points(tx) {
        let households: HouseholdMoves = households.into_iter().map(|(h, p)| (h, (p, 0))).collect();
        return post::move_balances(tx, &households, &programme).await;
    }
    post::move_balances(tx, &HouseholdMoves::new(), &programme).await?;
    // Taken out while this batch's rows go in, so that a failure below leaves it unknown (and
    // the writer forgets it if the transaction does not commit: `Cache::rolled_back`).
    let before = match pending.take() {
        Some(n) => n,
        None => post::pending_households(tx).await?,
    };
    // An estimate: a household already pending is counted again, which only folds sooner.
    let mut now = before + post::pend_points(tx, &households).await?;
    if now >= post::FOLD_AT {
        post::fold_points(tx).await?;
        now = 0;
    }
    *pending = Some(now);
    Ok(())
}

/// The purchase columns, in `ledger_purchases`' order.
fn purchase_args(f: &Fresh<'_>, a: &mut Vec<Arg>) {
    let p = f.purchase;
    a.push(Arg::B(f.key.to_vec()));
    a.push(Arg::I(f.hash));
    a.push(Arg::I(f.receipt.household.0));
    a.push(Arg::I(p.card.0));
    a.push(Arg::I(i64::from(p.outlet.0)));
    a.push(Arg::T(p.chain.as_str().to_string()));
    a.push(Arg::I(p.amount_cents));
    a.push(Arg::I(p.ineligible_cents));
    a.push(Arg::I(ms(p.at)));
    a.push(Arg::I(f.receipt.points));
    a.push(Arg::I(f.receipt.campaign_points));
}

const PURCHASE_TARGET: &str = "ledger_purchases (key, hash, household, card, outlet, chain, amount, ineligible, at, points, campaign_points)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    /// Every write table is searched by its primary key, once per key, whatever the number of
    /// keys: a scan of `ledger_purchases` would read every purchase ever stored.
    #[tokio::test]
    async fn the_key_lookup_searches_each_table_by_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let db = Db::open(&url).await.unwrap();
        let mut tx = Tx::begin(&db).await.unwrap();
        for n in [1, 2, 16, 100, 200, 250, 255, 256, 1_000, LOOKUP_CHUNK] {
            for purchases in [true, false] {
                let sql = format!("EXPLAIN QUERY PLAN {}", taken_sql(n, purchases));
                let args = (0..n).map(|i| Arg::B(vec![i as u8; 16])).collect();
                let plan: Vec<String> = tx
                    .fetch(&sql, args)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.text(3).unwrap())
                    .collect();
                let searches = plan
                    .iter()
                    .filter(|l| l.starts_with("SEARCH") && l.contains("USING PRIMARY KEY (key=?)"))
                    .count();
                assert_eq!(searches, 2 + usize::from(purchases), "{n} keys: {plan:?}");
                // The only scans: the keys' VALUES and the table `k` made of them.
                assert!(
                    plan.iter()
                        .filter(|l| l.starts_with("SCAN"))
                        .all(|l| l == "SCAN k"
                            || l.ends_with("CONSTANT ROWS")
                            || l.ends_with("CONSTANT ROW")),
                    "{n} keys: a write table is scanned: {plan:?}"
                );
            }
        }
    }
}
