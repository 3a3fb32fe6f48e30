//! The bulk purchase path: the idempotency lookups of a whole batch in a few statements, and the
//! writes of its new purchases with multi-row INSERTs.

use super::post::{self, HouseholdMoves, ProgrammeMoves};
use super::sql::{in_list_from, multi_values, Arg, Tx};
use super::store::ms;
use super::types::{HouseholdId, Purchase, PurchaseReceipt, Unit};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Keys per idempotency lookup (each is bound three times: 15,000 parameters, under SQLite's
/// 32,766 and PostgreSQL's 65,535).
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

/// What the database already holds under a batch's keys.
pub(crate) struct Known {
    /// Stored purchases: key → (content hash, receipt).
    pub stored: HashMap<Uuid, (i64, PurchaseReceipt)>,
    /// Keys taken by other kinds of write (returns, redemptions, corrections, campaigns).
    pub foreign: HashSet<Uuid>,
}

/// Looks every key up in the purchases, the returns and the other requests: one statement per
/// [`LOOKUP_CHUNK`] keys.
pub(crate) async fn known_keys(tx: &mut Tx, keys: &[Vec<u8>]) -> Result<Known, sqlx::Error> {
    let mut known = Known {
        stored: HashMap::new(),
        foreign: HashSet::new(),
    };
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        // Three lists of their own placeholders ($1…$n, $n+1…$2n, …), the keys bound three
        // times: parameters in order bind without a name search on SQLite (see `sqlite::numbered`).
        let n = chunk.len();
        let [l1, l2, l3] = [0, n, 2 * n].map(|from| in_list_from(from, n));
        let sql = format!(
            "SELECT key, hash, household, points, campaign_points, CAST(0 AS BIGINT) \
             FROM ledger_purchases WHERE key IN {l1} \
             UNION ALL SELECT key, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
             CAST(0 AS BIGINT), CAST(1 AS BIGINT) FROM ledger_requests WHERE key IN {l2} \
             UNION ALL SELECT key, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), \
             CAST(0 AS BIGINT), CAST(1 AS BIGINT) FROM ledger_returns WHERE key IN {l3}"
        );
        let args = (0..3)
            .flat_map(|_| chunk.iter().map(|k| Arg::B(k.clone())))
            .collect();
        let rows = tx.fetch(&sql, args).await?;
        for r in rows {
            let key = r.uuid(0)?;
            if r.i64(5)? == 1 {
                known.foreign.insert(key);
            } else {
                known.stored.insert(
                    key,
                    (
                        r.i64(1)?,
                        PurchaseReceipt {
                            household: HouseholdId(r.i64(2)?),
                            points: r.i64(3)?,
                            campaign_points: r.i64(4)?,
                        },
                    ),
                );
            }
        }
    }
    Ok(known)
}

/// Writes new purchases and moves their points into the cached balances: a purchase row is its
/// own journal entry (from `programme/points-issued` to its household's points; see
/// `ledger_journal` in migration 0006), so nothing else is written per purchase.
pub(crate) async fn write(tx: &mut Tx, fresh: &[Fresh<'_>]) -> Result<(), sqlx::Error> {
    let mut households = HouseholdMoves::new();
    let mut issued = 0i64;
    for chunk in fresh.chunks(INSERT_ROWS) {
        let sql = multi_values(PURCHASE_TARGET, chunk.len(), PURCHASE_COLS, "");
        let mut a = Vec::with_capacity(chunk.len() * PURCHASE_COLS);
        for f in chunk {
            purchase_args(f, &mut a);
            let points = f.receipt.points + f.receipt.campaign_points;
            if points > 0 {
                households.entry(f.receipt.household.0).or_default().0 += points;
                issued += points;
            }
        }
        tx.exec(&sql, a).await?;
    }
    let mut programme = ProgrammeMoves::new();
    if issued > 0 {
        programme.insert(post::POINTS_ISSUED, (Unit::Points, -issued));
    }
    post::move_balances(tx, &households, &programme).await
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
