//! Month end: bonus, conversion to Plussa money, expiry and the statements, in one transaction.
//! Idempotent: a month's end runs once; asking again returns the stored report. Afterwards
//! writes dated in that month are refused ([`LedgerError::MonthClosed`]).

use super::error::LedgerError;
use super::post::{self, post, Entry};
use super::rules::{Month, Rules};
use super::sql::{args, Tx};
use super::store::{ms, write_statements};
use super::types::*;
use chrono::{Days, Utc};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
struct Acc {
    purchases: i64,
    purchase_cents: i64,
    returned_cents: i64,
    eligible: i64,
    points: i64,
    campaign: i64,
    redeemed: i64,
}

/// Runs the month end of `month` (or returns the stored report if it ran).
pub(crate) async fn month_end(
    tx: &mut Tx,
    rules: &Rules,
    month: Month,
) -> Result<Written<MonthEndReport>, LedgerError> {
    let m = month.to_string();
    if let Some(r) = tx
        .one(
            "SELECT report FROM ledger_month_ends WHERE month = $1",
            args![m.clone()],
        )
        .await?
    {
        return Ok(Written {
            status: WriteStatus::Exists,
            value: serde_json::from_str(&r.text(0)?)?,
        });
    }
    // Conversion reads ledger_balances whole: purchases' pending points go there first.
    post::fold_points(tx).await?;
    let (start, end) = (ms(month.start()), ms(month.end()));
    let mut acc: BTreeMap<i64, Acc> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT household, COUNT(*), CAST(SUM(amount) AS BIGINT), CAST(SUM(amount - ineligible) AS BIGINT), \
             CAST(SUM(points) AS BIGINT), CAST(SUM(campaign_points) AS BIGINT) \
             FROM ledger_purchases WHERE at >= $1 AND at < $2 GROUP BY household",
            args![start, end],
        )
        .await?
    {
        let a = acc.entry(r.i64(0)?).or_default();
        a.purchases = r.i64(1)?;
        a.purchase_cents = r.i64(2)?;
        a.eligible = r.i64(3)?;
        a.points = r.i64(4)?;
        a.campaign = r.i64(5)?;
    }
    for r in tx
        .fetch(
            "SELECT household, CAST(SUM(amount) AS BIGINT), CAST(SUM(eligible) AS BIGINT), \
             CAST(SUM(points) AS BIGINT), CAST(SUM(campaign_points) AS BIGINT) \
             FROM ledger_returns WHERE at >= $1 AND at < $2 GROUP BY household",
            args![start, end],
        )
        .await?
    {
        let a = acc.entry(r.i64(0)?).or_default();
        a.returned_cents = r.i64(1)?;
        a.eligible -= r.i64(2)?;
        a.points -= r.i64(3)?;
        a.campaign -= r.i64(4)?;
    }
    for r in tx
        .fetch(
            "SELECT household, CAST(SUM(amount) AS BIGINT) FROM ledger_entries \
             WHERE unit = 'cents' AND kind = 'redemption' AND at >= $1 AND at < $2 GROUP BY household",
            args![start, end],
        )
        .await?
    {
        acc.entry(r.i64(0)?).or_default().redeemed = r.i64(1)?;
    }

    // Month-end entries are dated at the first instant after the month.
    let at = end;
    let mut entries = Vec::new();
    let mut bonus: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (h, a) in &acc {
        let eligible = a.eligible.max(0);
        let points = rules.bonus_points(eligible);
        let step = rules.bonus_step(eligible).map_or(0, |s| s.total_bp);
        bonus.insert(*h, (step, points));
        if points > 0 {
            entries.push(Entry {
                key: None,
                kind: "bonus",
                unit: Unit::Points,
                household: *h,
                to_household: true,
                programme: post::POINTS_ISSUED,
                amount: points,
                at,
                valid_until: None,
            });
        }
    }

    let mut balances: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT household, points, money FROM ledger_balances",
            vec![],
        )
        .await?
    {
        balances.insert(r.i64(0)?, (r.i64(1)?, r.i64(2)?));
    }
    let valid_until = rules.money_valid_until(month);
    let mut conversion: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (h, (points, _)) in balances.iter_mut() {
        *points += bonus.get(h).map_or(0, |b| b.1);
        let (conv_points, cents) = rules.conversion(*points);
        if conv_points > 0 {
            conversion.insert(*h, (conv_points, cents));
            entries.push(Entry {
                key: None,
                kind: "conversion",
                unit: Unit::Points,
                household: *h,
                to_household: false,
                programme: post::POINTS_CONVERTED,
                amount: conv_points,
                at,
                valid_until: None,
            });
            entries.push(Entry {
                key: None,
                kind: "conversion",
                unit: Unit::Cents,
                household: *h,
                to_household: true,
                programme: post::MONEY_ISSUED,
                amount: cents,
                at,
                valid_until: Some(ms(valid_until)),
            });
        }
    }

    // Expiry, first in first out: money credited with validity ending by the month's end,
    // less everything ever taken out, is what is left of the expired credits.
    let mut expired: BTreeMap<i64, i64> = BTreeMap::new();
    for r in tx
        .fetch(
            "SELECT household, \
             CAST(SUM(CASE WHEN dst LIKE 'household/%' AND valid_until IS NOT NULL AND valid_until <= $1 THEN amount ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN src LIKE 'household/%' THEN amount ELSE 0 END) AS BIGINT) \
             FROM ledger_entries WHERE unit = 'cents' GROUP BY household",
            args![end],
        )
        .await?
    {
        let h = r.i64(0)?;
        let money = balances.get(&h).map_or(0, |b| b.1);
        let e = (r.i64(1)? - r.i64(2)?).max(0).min(money);
        if e > 0 {
            expired.insert(h, e);
            entries.push(Entry {
                key: None,
                kind: "expiry",
                unit: Unit::Cents,
                household: h,
                to_household: false,
                programme: post::MONEY_EXPIRED,
                amount: e,
                at,
                valid_until: None,
            });
        }
    }
    post(tx, &entries).await?;

    let households: BTreeSet<i64> = acc
        .keys()
        .chain(conversion.keys())
        .chain(expired.keys())
        .chain(
            balances
                .iter()
                .filter(|(_, b)| **b != (0, 0))
                .map(|(h, _)| h),
        )
        .copied()
        .collect();
    let valid_to = valid_until
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .date_naive()
        .checked_sub_days(Days::new(1))
        .unwrap_or_default();
    let mut report = MonthEndReport {
        month,
        statements: 0,
        bonus_points: 0,
        converted_points: 0,
        money_paid_cents: 0,
        money_expired_cents: 0,
    };
    let mut rows = Vec::with_capacity(households.len());
    for h in households {
        let a = acc.get(&h);
        let get = |f: fn(&Acc) -> i64| a.map_or(0, f);
        let (step, bonus_points) = bonus.get(&h).copied().unwrap_or((0, 0));
        let (conv_points, paid) = conversion.get(&h).copied().unwrap_or((0, 0));
        let exp = expired.get(&h).copied().unwrap_or(0);
        let (points_now, money_before) = balances.get(&h).copied().unwrap_or((0, 0));
        let s = Statement {
            household: HouseholdId(h),
            month,
            purchases: get(|a| a.purchases),
            purchase_cents: get(|a| a.purchase_cents),
            returned_cents: get(|a| a.returned_cents),
            eligible_cents: get(|a| a.eligible).max(0),
            points: get(|a| a.points),
            campaign_points: get(|a| a.campaign),
            bonus_step_bp: step,
            bonus_points,
            converted_points: conv_points,
            money_paid_cents: paid,
            money_valid_to: valid_to,
            money_redeemed_cents: get(|a| a.redeemed),
            money_expired_cents: exp,
            points_balance: points_now - conv_points,
            money_balance_cents: money_before + paid - exp,
        };
        report.statements += 1;
        report.bonus_points += bonus_points;
        report.converted_points += conv_points;
        report.money_paid_cents += paid;
        report.money_expired_cents += exp;
        rows.push((h, m.clone(), serde_json::to_string(&s)?));
    }
    write_statements(tx, &rows).await?;
    tx.exec(
        "INSERT INTO ledger_month_ends (month, report, closed_at) VALUES ($1, $2, $3)",
        args![m, serde_json::to_string(&report)?, ms(Utc::now())],
    )
    .await?;
    Ok(Written {
        status: WriteStatus::Created,
        value: report,
    })
}
