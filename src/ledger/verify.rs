//! `verify`: rebuilds every balance from the journal, compares with the cached balances and
//! checks that the books balance (every unit's accounts sum to zero).
//!
//! The journal (`ledger_journal`, a view) is `ledger_entries` and the purchases, each of which
//! is its own entry of its points and campaign points.

use super::error::LedgerError;
use super::sql::Tx;
use super::types::VerifyReport;
use std::collections::BTreeMap;

const MAX_PROBLEMS: usize = 100;

pub(crate) async fn verify(tx: &mut Tx) -> Result<VerifyReport, LedgerError> {
    let mut problems = Vec::new();
    let mut note = |p: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(p);
        }
    };
    let entries = tx
        .one("SELECT COUNT(*) FROM ledger_journal", vec![])
        .await?
        .map_or(Ok(0), |r| r.i64(0))?;

    // Each entry: one household account (of its household, in its unit) and one programme account.
    let malformed = tx
        .one(
            "SELECT COUNT(*) FROM ledger_journal WHERE amount <= 0 OR unit NOT IN ('points', 'cents') OR NOT ( \
               (src LIKE 'programme/%' AND dst = 'household/' || CAST(household AS TEXT) || CASE unit WHEN 'points' THEN '/points' ELSE '/money' END) \
            OR (dst LIKE 'programme/%' AND src = 'household/' || CAST(household AS TEXT) || CASE unit WHEN 'points' THEN '/points' ELSE '/money' END))",
            vec![],
        )
        .await?
        .map_or(Ok(0), |r| r.i64(0))?;
    if malformed > 0 {
        note(format!(
            "{malformed} entries do not move between a household and the programme"
        ));
    }

    let mut rebuilt: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT household, unit, CAST(SUM(CASE WHEN dst LIKE 'household/%' THEN amount ELSE -amount END) AS BIGINT) \
             FROM ledger_journal GROUP BY household, unit",
            vec![],
        )
        .await?
    {
        let b = rebuilt.entry(r.i64(0)?).or_default();
        if r.text(1)? == "points" {
            b.0 = r.i64(2)?;
        } else {
            b.1 = r.i64(2)?;
        }
    }
    let mut cached: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT household, points, money FROM ledger_balances_now",
            vec![],
        )
        .await?
    {
        cached.insert(r.i64(0)?, (r.i64(1)?, r.i64(2)?));
    }
    // 128-bit sums: 2^64 accounts of 2^63 each could not overflow them.
    let (mut points_sum, mut cents_sum) = (0i128, 0i128);
    for (h, c) in &cached {
        points_sum += i128::from(c.0);
        cents_sum += i128::from(c.1);
        let e = rebuilt.get(h).copied().unwrap_or((0, 0));
        if e != *c {
            note(format!(
                "household {h}: cached {} points, {} cents; entries give {} points, {} cents",
                c.0, c.1, e.0, e.1
            ));
        }
    }
    for (h, e) in &rebuilt {
        if !cached.contains_key(h) && *e != (0, 0) {
            note(format!("household {h} has entries but no cached balance"));
        }
    }
    // ledger_balances_now shows pending points only beside a balance row.
    for r in tx
        .fetch(
            "SELECT household, points FROM ledger_points_pending p \
             WHERE NOT EXISTS (SELECT 1 FROM ledger_balances b WHERE b.household = p.household)",
            vec![],
        )
        .await?
    {
        note(format!(
            "household {} has {} pending points but no cached balance",
            r.i64(0)?,
            r.i64(1)?
        ));
    }

    let mut prog: BTreeMap<String, i64> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT acc, CAST(SUM(v) AS BIGINT) FROM ( \
               SELECT src AS acc, -amount AS v FROM ledger_journal WHERE src LIKE 'programme/%' \
               UNION ALL SELECT dst AS acc, amount AS v FROM ledger_journal WHERE dst LIKE 'programme/%') x \
             GROUP BY acc",
            vec![],
        )
        .await?
    {
        prog.insert(r.text(0)?, r.i64(1)?);
    }
    let mut prog_cached: BTreeMap<String, i64> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT account, unit, balance FROM ledger_programme",
            vec![],
        )
        .await?
    {
        let (acct, unit, bal) = (r.text(0)?, r.text(1)?, r.i64(2)?);
        if unit == "points" {
            points_sum += i128::from(bal);
        } else {
            cents_sum += i128::from(bal);
        }
        prog_cached.insert(acct, bal);
    }
    for acct in prog.keys().chain(prog_cached.keys()) {
        let (e, c) = (
            prog.get(acct).copied().unwrap_or(0),
            prog_cached.get(acct).copied().unwrap_or(0),
        );
        if e != c {
            note(format!("{acct}: cached {c}; entries give {e}"));
        }
    }

    // Returns against their entries (a purchase is its own entry: nothing to compare).
    let pairs = [
        (
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM ledger_returns",
            "return",
        ),
        (
            "SELECT CAST(COALESCE(SUM(campaign_points), 0) AS BIGINT) FROM ledger_returns",
            "campaign-return",
        ),
    ];
    for (sql, kind) in pairs {
        let rows = tx.one(sql, vec![]).await?.map_or(Ok(0), |r| r.i64(0))?;
        let ent = tx
            .one(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_journal WHERE kind = $1",
                vec![kind.into()],
            )
            .await?
            .map_or(Ok(0), |r| r.i64(0))?;
        if rows != ent {
            note(format!(
                "{kind}: the records give {rows} points, the entries {ent}"
            ));
        }
    }
    let bad_returned = tx
        .one(
            "SELECT COUNT(*) FROM ledger_purchases p LEFT JOIN \
               (SELECT purchase, CAST(SUM(amount) AS BIGINT) AS s FROM ledger_returns GROUP BY purchase) r \
             ON r.purchase = p.key WHERE p.returned <> COALESCE(r.s, 0)",
            vec![],
        )
        .await?
        .map_or(Ok(0), |r| r.i64(0))?;
    if bad_returned > 0 {
        note(format!(
            "{bad_returned} purchases' returned amount differs from their returns"
        ));
    }

    Ok(VerifyReport {
        entries,
        households: cached.len() as i64,
        points_sum,
        cents_sum,
        problems,
    })
}
