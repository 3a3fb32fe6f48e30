//! The programme's rules: points, bonus steps, conversion to Plussa money and its validity.
//!
//! Public facts (K-Plussa): 1 point per euro of eligible purchases; at month end points convert to
//! Plussa money at 1,000 points = €5 (0.5 %), paid early the next month and valid 13 months; the
//! bonus rises in steps with the household's eligible monthly purchases, the first step at
//! €350/month, up to 5 % back. The step percentages above the first step are not public: the
//! default table is ours (see [`Rules::default`]).

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Helsinki;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One step of the bonus table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusStep {
    /// Eligible purchases of the month (cents, net of returns) needed for this step.
    pub min_monthly_cents: i64,
    /// Total benefit at this step, in basis points of the eligible purchases (500 = 5 %),
    /// including the 0.5 % the base points are worth.
    pub total_bp: i64,
}

/// The configurable programme rules. All money in cents, all rates in integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Cents of eligible purchase per point (default 100: 1 point per euro, rounded down per
    /// purchase).
    pub cents_per_point: i64,
    /// Points converted per conversion unit (default 1,000); the remainder carries over.
    pub conversion_points: i64,
    /// Plussa money paid per conversion unit, in cents (default 500 = €5).
    pub conversion_cents: i64,
    /// Months Plussa money stays valid after it is paid (default 13).
    pub money_valid_months: u32,
    /// The bonus steps, ascending by `min_monthly_cents`. Default (ours; only the €350 first step
    /// is public): €350 → 1 %, €500 → 2 %, €700 → 3 %, €1,000 → 4 %, €1,300 → 5 %.
    pub bonus_steps: Vec<BonusStep>,
    /// Largest purchase accepted, in cents (default 10,000,000 = €100,000; at most
    /// [`AMOUNT_CEILING`]). A larger `amount_cents` is refused (HTTP 422, field `amount_cents`).
    pub max_purchase_cents: i64,
    /// Largest single return accepted, in cents (default 10,000,000 = €100,000; at most
    /// [`AMOUNT_CEILING`]). A return is also never more than is left of its purchase.
    pub max_return_cents: i64,
    /// How far in the future a write may be dated, in seconds (default 300 = 5 minutes: clocks
    /// of checkouts drift; at most 86,400).
    pub max_future_secs: u32,
    /// The programme's first month (default 2020-01): writes dated earlier are refused, and so
    /// is a month end of an earlier month.
    pub first_month: Month,
}

/// The largest `max_purchase_cents` and `max_return_cents` a rule set may set (€10,000,000,000):
/// with at most this per write, every sum the ledger keeps stays far inside 64 bits, and every
/// one is computed with checked arithmetic besides.
pub const AMOUNT_CEILING: i64 = 1_000_000_000_000;

/// The largest value of the other rule numbers (`cents_per_point`, `conversion_points`,
/// `conversion_cents`): a million, so that products of rule numbers and amounts fit.
pub const RULE_CEILING: i64 = 1_000_000;

impl Default for Rules {
    fn default() -> Self {
        let step = |euros: i64, percent: i64| BonusStep {
            min_monthly_cents: euros * 100,
            total_bp: percent * 100,
        };
        Rules {
            cents_per_point: 100,
            conversion_points: 1_000,
            conversion_cents: 500,
            money_valid_months: 13,
            bonus_steps: vec![
                step(350, 1),
                step(500, 2),
                step(700, 3),
                step(1_000, 4),
                step(1_300, 5),
            ],
            max_purchase_cents: 10_000_000,
            max_return_cents: 10_000_000,
            max_future_secs: 300,
            first_month: Month {
                year: 2020,
                month: 1,
            },
        }
    }
}

/// Why a rule set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid programme rules: {0}")]
pub struct RulesError(pub String);

impl Rules {
    /// Checks the rules are usable: positive units, ascending steps.
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.cents_per_point <= 0 || self.conversion_points <= 0 || self.conversion_cents <= 0 {
            return Err(RulesError(
                "cents_per_point, conversion_points and conversion_cents must be positive".into(),
            ));
        }
        if [
            self.cents_per_point,
            self.conversion_points,
            self.conversion_cents,
        ]
        .iter()
        .any(|v| *v > RULE_CEILING)
        {
            return Err(RulesError(format!(
                "cents_per_point, conversion_points and conversion_cents must be at most {RULE_CEILING}"
            )));
        }
        if !(1..=1_200).contains(&self.money_valid_months) {
            return Err(RulesError("money_valid_months must be 1..=1200".into()));
        }
        for (name, v) in [
            ("max_purchase_cents", self.max_purchase_cents),
            ("max_return_cents", self.max_return_cents),
        ] {
            if !(1..=AMOUNT_CEILING).contains(&v) {
                return Err(RulesError(format!(
                    "{name} must be 1..={AMOUNT_CEILING}, not {v}"
                )));
            }
        }
        if self.max_future_secs > 86_400 {
            return Err(RulesError(
                "max_future_secs must be at most 86400 (a day)".into(),
            ));
        }
        for w in self.bonus_steps.windows(2) {
            if w[1].min_monthly_cents <= w[0].min_monthly_cents || w[1].total_bp < w[0].total_bp {
                return Err(RulesError(
                    "bonus steps must ascend in min_monthly_cents and not fall in total_bp".into(),
                ));
            }
        }
        if self
            .bonus_steps
            .iter()
            .any(|s| s.min_monthly_cents < 0 || !(0..=10_000).contains(&s.total_bp))
        {
            return Err(RulesError(
                "bonus steps must not be negative, and total_bp is at most 10000 (100 %)".into(),
            ));
        }
        Ok(())
    }

    /// Base points for a purchase's eligible cents (rounded down).
    pub fn base_points(&self, eligible_cents: i64) -> i64 {
        eligible_cents.max(0) / self.cents_per_point
    }

    /// What the base points are worth, in basis points of the purchase (default 50 = 0.5 %).
    pub fn base_bp(&self) -> i64 {
        // points per cent × cents per point-converted: 10,000 × conv_cents / (conv_points × cpp).
        10_000 * self.conversion_cents / (self.conversion_points * self.cents_per_point)
    }

    /// The step reached with `eligible_cents` of monthly purchases: its total in basis points, or
    /// `None` below the first step.
    pub fn bonus_step(&self, eligible_cents: i64) -> Option<BonusStep> {
        self.bonus_steps
            .iter()
            .rev()
            .find(|s| eligible_cents >= s.min_monthly_cents)
            .copied()
    }

    /// Bonus points for a month with `eligible_cents` of eligible purchases (net of returns):
    /// enough points that base and bonus together are worth the step's total, rounded down.
    /// `None` if the answer does not fit 64 bits.
    pub fn bonus_points(&self, eligible_cents: i64) -> Option<i64> {
        let Some(step) = self.bonus_step(eligible_cents) else {
            return Some(0);
        };
        let extra_bp = i128::from((step.total_bp - self.base_bp()).max(0));
        // cents of bonus value = eligible × extra_bp / 10,000; points = value × conv_points / conv_cents.
        let v = i128::from(eligible_cents.max(0))
            .checked_mul(extra_bp)?
            .checked_mul(i128::from(self.conversion_points))?
            / (10_000 * i128::from(self.conversion_cents));
        i64::try_from(v).ok()
    }

    /// Points converted and Plussa money paid for a points balance: whole conversion units only.
    /// `None` if the money does not fit 64 bits.
    pub fn conversion(&self, points: i64) -> Option<(i64, i64)> {
        let units = points.max(0) / self.conversion_points;
        Some((
            units.checked_mul(self.conversion_points)?,
            units.checked_mul(self.conversion_cents)?,
        ))
    }

    /// Checks an amount of a purchase (against `max_purchase_cents`) or a return (against
    /// `max_return_cents`): positive and at most the maximum.
    pub fn check_amount(cents: i64, max: i64) -> Result<(), String> {
        if cents <= 0 {
            return Err(format!("{cents} is not positive"));
        }
        if cents > max {
            return Err(format!(
                "{cents} cents is more than the {max} cents (€{}) one write may move",
                max / 100
            ));
        }
        Ok(())
    }

    /// The first instant at which money converted at the end of `month` is no longer valid: it is
    /// paid on the first day of the next month and valid `money_valid_months` whole months.
    pub fn money_valid_until(&self, month: Month) -> DateTime<Utc> {
        month.plus(1 + self.money_valid_months as i32).start()
    }
}

/// A calendar month, `YYYY-MM`; its bounds are Helsinki local midnights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i32,
    month: u32,
}

/// A string that is not `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid month `{0}`: expected YYYY-MM, e.g. 2026-10")]
pub struct MonthError(pub String);

impl Month {
    /// The month `year`-`month` (1..=12).
    pub fn new(year: i32, month: u32) -> Result<Month, MonthError> {
        if (1..=12).contains(&month) && (1900..=9999).contains(&year) {
            Ok(Month { year, month })
        } else {
            Err(MonthError(format!("{year}-{month}")))
        }
    }

    /// The month containing `at`, in Helsinki local time.
    pub fn of(at: DateTime<Utc>) -> Month {
        let local = at.with_timezone(&Helsinki);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    /// The month `n` months later (or earlier, for negative `n`).
    pub fn plus(self, n: i32) -> Month {
        let idx = self.year * 12 + self.month as i32 - 1 + n;
        Month {
            year: idx.div_euclid(12),
            month: idx.rem_euclid(12) as u32 + 1,
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        // Invariant: `month` is 1..=12 and `year` in range, so day 1 exists.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// Helsinki local midnight starting the month, as UTC.
    pub fn start(self) -> DateTime<Utc> {
        let midnight = self.first_day().and_hms_opt(0, 0, 0).unwrap_or_default();
        // Midnight is never in a DST gap in Helsinki (changes happen at 03:00/04:00).
        Helsinki
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    }

    /// The first instant after the month.
    pub fn end(self) -> DateTime<Utc> {
        self.plus(1).start()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MonthError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?).map_err(|_| bad())
    }
}

impl TryFrom<String> for Month {
    type Error = MonthError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_are_valid_and_reach_five_percent_at_the_top() {
        let r = Rules::default();
        r.validate().unwrap();
        assert_eq!(r.base_bp(), 50);
        assert_eq!(r.bonus_steps[0].min_monthly_cents, 35_000);
        assert_eq!(r.bonus_steps.last().unwrap().total_bp, 500);
    }

    #[test]
    fn bonus_is_zero_below_the_first_step_and_tops_up_to_the_step_total() {
        let r = Rules::default();
        assert_eq!(r.bonus_points(34_999), Some(0));
        // €350 at 1 %: €3.50 in all, base 350 points = €1.75, so bonus 350 points = €1.75.
        assert_eq!(r.bonus_points(35_000), Some(350));
        // €2,000 at 5 %: €100 in all; base 2,000 points = €10; bonus €90 = 18,000 points.
        assert_eq!(r.bonus_points(200_000), Some(18_000));
        // The largest month there can be: no wrap, no panic, an answer or a refusal.
        assert_eq!(r.bonus_points(i64::MAX), Some(830_103_483_316_929_822));
    }

    #[test]
    fn rules_refuse_bounds_that_would_let_sums_overflow() {
        let d = Rules::default();
        assert_eq!(
            (d.max_purchase_cents, d.max_return_cents, d.max_future_secs),
            (10_000_000, 10_000_000, 300)
        );
        assert_eq!(d.first_month.to_string(), "2020-01");
        let bad = [
            Rules {
                max_purchase_cents: 0,
                ..d.clone()
            },
            Rules {
                max_purchase_cents: AMOUNT_CEILING + 1,
                ..d.clone()
            },
            Rules {
                max_return_cents: -1,
                ..d.clone()
            },
            Rules {
                max_future_secs: 86_401,
                ..d.clone()
            },
            Rules {
                cents_per_point: RULE_CEILING + 1,
                ..d.clone()
            },
            Rules {
                conversion_cents: i64::MAX,
                ..d.clone()
            },
            Rules {
                money_valid_months: u32::MAX,
                ..d.clone()
            },
            Rules {
                bonus_steps: vec![BonusStep {
                    min_monthly_cents: 1,
                    total_bp: 10_001,
                }],
                ..d.clone()
            },
        ];
        for r in bad {
            assert!(r.validate().is_err(), "{r:?}");
        }
        let widest = Rules {
            max_purchase_cents: AMOUNT_CEILING,
            max_return_cents: AMOUNT_CEILING,
            max_future_secs: 86_400,
            ..d.clone()
        };
        widest.validate().unwrap();
        assert_eq!(Rules::check_amount(AMOUNT_CEILING, AMOUNT_CEILING), Ok(()));
        assert!(Rules::check_amount(0, 10).is_err());
        assert!(Rules::check_amount(11, 10).is_err());
    }

    #[test]
    fn conversion_takes_whole_thousands() {
        let r = Rules::default();
        assert_eq!(r.conversion(2_999), Some((2_000, 1_000)));
        assert_eq!(r.conversion(999), Some((0, 0)));
        assert_eq!(r.conversion(-5), Some((0, 0)));
        let dear = Rules {
            conversion_points: 1,
            conversion_cents: 2,
            ..Rules::default()
        };
        assert_eq!(dear.conversion(i64::MAX), None);
    }

    #[test]
    fn months_parse_step_and_bound_in_helsinki_time() {
        let m: Month = "2026-10".parse().unwrap();
        assert_eq!(m.plus(3).to_string(), "2027-01");
        assert_eq!(m.plus(-10).to_string(), "2025-12");
        assert!("2026-13".parse::<Month>().is_err());
        assert!("26-10".parse::<Month>().is_err());
        // 1 Oct 2026 00:00 EEST = 30 Sep 21:00 UTC.
        assert_eq!(m.start().to_rfc3339(), "2026-09-30T21:00:00+00:00");
        assert_eq!(m.end().to_rfc3339(), "2026-10-31T22:00:00+00:00");
        assert_eq!(Month::of(m.start()), m);
        assert_eq!(
            Rules::default().money_valid_until(m),
            "2027-12".parse::<Month>().unwrap().start()
        );
    }
}
