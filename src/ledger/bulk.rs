//! The bulk purchase path: the idempotency lookups of a whole batch in a few statements, the
//! writes of its new purchases with multi-row INSERTs, and their balance moves.

use super::post::{self, HouseholdMoves, ProgrammeMoves};
use super::sql::{in_list_from, multi_values, Arg, Tx};
use super::store::ms;
use super::types::{HouseholdId, Purchase, PurchaseReceipt, Unit};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Keys per idempotency lookup (bound at most twice: 10,000 parameters, under SQLite's 32,766
/// and PostgreSQL's 65,535).
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
    let mut stored = Stored::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT key, hash, household, points, campaign_points FROM ledger_purchases \
             WHERE key IN {}",
            in_list_from(0, chunk.len())
        );
        let args = chunk.iter().map(|k| Arg::B(k.clone())).collect();
        for r in tx.fetch(&sql, args).await? {
            let receipt = PurchaseReceipt {
                household: HouseholdId(r.i64(2)?),
                points: r.i64(3)?,
                campaign_points: r.i64(4)?,
            };
            stored.insert(r.uuid(0)?, (r.i64(1)?, receipt));
        }
    }
    Ok(stored)
}

/// The keys among `keys` that other kinds of write took (returns, redemptions, corrections,
/// campaigns): one statement per [`LOOKUP_CHUNK`] keys, over those writes' small tables.
pub(crate) async fn foreign_keys(
    tx: &mut Tx,
    keys: &[Vec<u8>],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let mut foreign = HashSet::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        // Two lists of their own placeholders ($1…$n, $n+1…$2n), the keys bound twice:
        // parameters in order bind without a name search on SQLite (see `sqlite::numbered`).
        let n = chunk.len();
        let sql = format!(
            "SELECT key FROM ledger_requests WHERE key IN {} \
             UNION ALL SELECT key FROM ledger_returns WHERE key IN {}",
            in_list_from(0, n),
            in_list_from(n, n)
        );
        let args = (0..2)
            .flat_map(|_| chunk.iter().map(|k| Arg::B(k.clone())))
            .collect();
        for r in tx.fetch(&sql, args).await? {
            foreign.insert(r.uuid(0)?);
        }
    }
    Ok(foreign)
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
