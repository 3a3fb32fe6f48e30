//! Month end: bonus, conversion to Plussa money, expiry and the statements, in one transaction.
//! Idempotent: a month's end runs once; asking again returns the stored report. Afterwards
//! writes dated in that month are refused ([`LedgerError::MonthClosed`]).

use super::error::LedgerError;
use super::post::{self, post, Entry};
use super::rules::{Month, Rules};
use super::sql::{args, Tx};
use super::store::{latest_closed, ms, write_statements};
use super::types::*;
use chrono::{DateTime, Days, Utc};
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

/// A sum that would leave 64 bits: refused with what overflowed, never wrapped.
fn overflow(what: &str, h: i64) -> LedgerError {
    LedgerError::invalid(
        "month",
        format!("household {h}'s {what} does not fit 64 bits; nothing was written"),
    )
}

/// `a + b`, or the refusal naming `what` of household `h`.
fn add(a: i64, b: i64, what: &str, h: i64) -> Result<i64, LedgerError> {
    a.checked_add(b).ok_or_else(|| overflow(what, h))
}

/// `a - b`, or the refusal naming `what` of household `h`.
fn sub(a: i64, b: i64, what: &str, h: i64) -> Result<i64, LedgerError> {
    a.checked_sub(b).ok_or_else(|| overflow(what, h))
}

/// Refuses a month end of a month that has not ended by `now`, of a month before the programme's
/// first, or of a month before the latest closed one (its writes were refused since then).
async fn check_month(
    tx: &mut Tx,
    rules: &Rules,
    now: DateTime<Utc>,
    month: Month,
) -> Result<(), LedgerError> {
    if month.end() > now {
        return Err(LedgerError::invalid(
            "month",
            format!(
                "month {month} has not ended: its month end can run from {} on",
                month.end().to_rfc3339()
            ),
        ));
    }
    if month < rules.first_month {
        return Err(LedgerError::invalid(
            "month",
            format!(
                "month {month} is before the programme's first month {}",
                rules.first_month
            ),
        ));
    }
    if let Some(latest) = latest_closed(tx).await?.filter(|l| *l > month) {
        return Err(LedgerError::invalid(
            "month",
            format!("month {month} is before {latest}, whose month end has run"),
        ));
    }
    Ok(())
}

/// Runs the month end of `month` (or returns the stored report if it ran). Refused, writing
/// nothing, before the month has ended by `now` (see [`check_month`]), or if a sum would leave
/// 64 bits.
pub(crate) async fn month_end(
    tx: &mut Tx,
    rules: &Rules,
    now: DateTime<Utc>,
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
    check_month(tx, rules, now, month).await?;
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
        let h = r.i64(0)?;
        let a = acc.entry(h).or_default();
        a.returned_cents = r.i64(1)?;
        a.eligible = sub(a.eligible, r.i64(2)?, "eligible purchases", h)?;
        a.points = sub(a.points, r.i64(3)?, "points", h)?;
        a.campaign = sub(a.campaign, r.i64(4)?, "campaign points", h)?;
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
        let points = rules
            .bonus_points(eligible)
            .ok_or_else(|| overflow("bonus points", *h))?;
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
        *points = add(
            *points,
            bonus.get(h).map_or(0, |b| b.1),
            "points balance",
            *h,
        )?;
        let (conv_points, cents) = rules
            .conversion(*points)
            .ok_or_else(|| overflow("Plussa money", *h))?;
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
        let e = sub(r.i64(1)?, r.i64(2)?, "money expiring", h)?
            .max(0)
            .min(money);
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
            points_balance: sub(points_now, conv_points, "points balance", h)?,
            money_balance_cents: sub(
                add(money_before, paid, "money balance", h)?,
                exp,
                "money balance",
                h,
            )?,
        };
        // The report's totals over all households: checked, as a sum over many can grow past
        // what any one household holds.
        let total = |a: i64, b: i64, what: &str| {
            a.checked_add(b).ok_or_else(|| {
                LedgerError::invalid(
                    "month",
                    format!("the month's total {what} does not fit 64 bits; nothing was written"),
                )
            })
        };
        report.statements += 1;
        report.bonus_points = total(report.bonus_points, bonus_points, "bonus points")?;
        report.converted_points = total(report.converted_points, conv_points, "points converted")?;
        report.money_paid_cents = total(report.money_paid_cents, paid, "money paid")?;
        report.money_expired_cents = total(report.money_expired_cents, exp, "money expired")?;
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
