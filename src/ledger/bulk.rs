//! The bulk purchase path: the idempotency lookups of a whole batch in a few statements, and the
//! writes of its new purchases.
//!
//! A handful of purchases are written with multi-row INSERTs and [`post`]. A larger batch is
//! bound once, into a per-connection temporary table (`ledger_stage`), the only statement whose
//! size grows with the rows; set-based statements then copy it into `ledger_purchases`, derive
//! its entries, and add its points to the balances aggregated per household, inside the database.
//! The two paths write the same rows, in the same order (measured: the per-row round trips and
//! bindings of the direct path cost more than half of batched ingest on SQLite).

use super::post::{self, post, Entry};
use super::sql::{in_list_from, multi_values, Arg, Tx};
use super::store::ms;
use super::types::{HouseholdId, Purchase, PurchaseReceipt, Unit};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Keys per idempotency lookup (each is bound three times: 3,000 parameters, well under
/// SQLite's 32,766).
pub(crate) const LOOKUP_CHUNK: usize = 1_000;
/// Rows per multi-row INSERT.
pub(crate) const INSERT_ROWS: usize = 250;
/// Fewer new purchases than this are written directly, without the staging table (a single
/// purchase is faster so).
const STAGE_MIN: usize = 16;
const PURCHASE_COLS: usize = 11;
const STAGE_COLS: usize = 12;

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

/// Writes new purchases, their entries and their balance moves.
pub(crate) async fn write(tx: &mut Tx, fresh: &[Fresh<'_>]) -> Result<(), sqlx::Error> {
    if fresh.len() < STAGE_MIN {
        direct(tx, fresh).await
    } else {
        staged(tx, fresh).await
    }
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

async fn direct(tx: &mut Tx, fresh: &[Fresh<'_>]) -> Result<(), sqlx::Error> {
    let mut entries = Vec::with_capacity(fresh.len() * 2);
    for chunk in fresh.chunks(INSERT_ROWS) {
        let sql = multi_values(PURCHASE_TARGET, chunk.len(), PURCHASE_COLS, "");
        let mut a = Vec::with_capacity(chunk.len() * PURCHASE_COLS);
        for f in chunk {
            purchase_args(f, &mut a);
            let r = f.receipt;
            for (kind, amount) in [("purchase", r.points), ("campaign", r.campaign_points)] {
                if amount > 0 {
                    entries.push(Entry {
                        key: Some(f.purchase.key),
                        kind,
                        unit: Unit::Points,
                        household: r.household.0,
                        to_household: true,
                        programme: post::POINTS_ISSUED,
                        amount,
                        at: ms(f.purchase.at),
                        valid_until: None,
                    });
                }
            }
        }
        tx.exec(&sql, a).await?;
    }
    post(tx, &entries).await
}

/// Creates the connection's staging table if it is missing, and empties it.
async fn stage_table(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.is_postgres() {
        // A DO block, not CREATE … IF NOT EXISTS, which sends a notice on every batch.
        // ON COMMIT DELETE ROWS truncates it (temporary tables are never vacuumed).
        tx.exec(
            "DO $body$ BEGIN IF to_regclass('pg_temp.ledger_stage') IS NULL THEN \
             CREATE TEMP TABLE ledger_stage (seq BIGINT NOT NULL, key BYTEA NOT NULL, \
             hash BIGINT NOT NULL, household BIGINT NOT NULL, card BIGINT NOT NULL, \
             outlet BIGINT NOT NULL, chain TEXT NOT NULL, amount BIGINT NOT NULL, \
             ineligible BIGINT NOT NULL, at BIGINT NOT NULL, points BIGINT NOT NULL, \
             campaign_points BIGINT NOT NULL) ON COMMIT DELETE ROWS; END IF; END $body$",
            vec![],
        )
        .await?;
    } else {
        tx.exec(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_stage (seq INTEGER NOT NULL, \
             key BLOB NOT NULL, hash INTEGER NOT NULL, household INTEGER NOT NULL, \
             card INTEGER NOT NULL, outlet INTEGER NOT NULL, chain TEXT NOT NULL, \
             amount INTEGER NOT NULL, ineligible INTEGER NOT NULL, at INTEGER NOT NULL, \
             points INTEGER NOT NULL, campaign_points INTEGER NOT NULL)",
            vec![],
        )
        .await?;
    }
    tx.exec("DELETE FROM ledger_stage", vec![]).await?;
    Ok(())
}

async fn staged(tx: &mut Tx, fresh: &[Fresh<'_>]) -> Result<(), sqlx::Error> {
    stage_table(tx).await?;
    let mut seq = 0i64;
    for chunk in fresh.chunks(INSERT_ROWS) {
        let sql = multi_values(
            "ledger_stage (seq, key, hash, household, card, outlet, chain, amount, ineligible, at, points, campaign_points)",
            chunk.len(),
            STAGE_COLS,
            "",
        );
        let mut a = Vec::with_capacity(chunk.len() * STAGE_COLS);
        for f in chunk {
            a.push(Arg::I(seq));
            seq += 1;
            purchase_args(f, &mut a);
        }
        tx.exec(&sql, a).await?;
    }
    tx.exec(
        &format!(
            "INSERT INTO {PURCHASE_TARGET} SELECT key, hash, household, card, outlet, chain, \
             amount, ineligible, at, points, campaign_points FROM ledger_stage ORDER BY seq"
        ),
        vec![],
    )
    .await?;
    // The entries in the direct path's order: per purchase, its points, then its campaign's.
    tx.exec(
        "INSERT INTO ledger_entries (key, kind, unit, src, dst, amount, household, at, valid_until) \
         SELECT key, kind, CAST($1 AS TEXT), CAST($2 AS TEXT), \
         CAST($3 AS TEXT) || CAST(household AS TEXT) || CAST($4 AS TEXT), amount, household, at, \
         CAST(NULL AS BIGINT) FROM (\
         SELECT seq, 0 AS n, key, CAST($5 AS TEXT) AS kind, points AS amount, household, at \
         FROM ledger_stage WHERE points > 0 \
         UNION ALL SELECT seq, 1 AS n, key, CAST($6 AS TEXT) AS kind, campaign_points AS amount, \
         household, at FROM ledger_stage WHERE campaign_points > 0) e ORDER BY seq, n",
        vec![
            Arg::from(Unit::Points.as_str()),
            Arg::from(post::POINTS_ISSUED),
            Arg::from("household/"),
            Arg::from("/points"),
            Arg::from("purchase"),
            Arg::from("campaign"),
        ],
    )
    .await?;
    // In household order, so that concurrent PostgreSQL instances lock balance rows alike.
    tx.exec(
        "INSERT INTO ledger_balances (household, points, money) \
         SELECT household, CAST(SUM(points + campaign_points) AS BIGINT), CAST(0 AS BIGINT) \
         FROM ledger_stage WHERE points + campaign_points > 0 GROUP BY household ORDER BY household \
         ON CONFLICT (household) DO UPDATE SET points = ledger_balances.points + excluded.points",
        vec![],
    )
    .await?;
    tx.exec(
        "INSERT INTO ledger_programme (account, unit, balance) \
         SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), -t FROM \
         (SELECT CAST(SUM(points + campaign_points) AS BIGINT) AS t FROM ledger_stage) s \
         WHERE t > 0 \
         ON CONFLICT (account) DO UPDATE SET balance = ledger_programme.balance + excluded.balance",
        vec![
            Arg::from(post::POINTS_ISSUED),
            Arg::from(Unit::Points.as_str()),
        ],
    )
    .await?;
    Ok(())
}
