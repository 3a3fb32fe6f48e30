//! Opening hours in the OpenStreetMap `opening_hours` syntax that shops use, with OSM's semantics.
//!
//! Supported:
//! - rules separated by `;` (a later rule for a day replaces what earlier rules said about that
//!   day) or by `, ` before a new selector (an *additional* rule: it adds to the day instead);
//! - month and date selectors: `Jul`, `May-Sep`, `Nov-Feb`, `Dec 24`, `Dec 24-26`,
//!   `Dec 24-Jan 06`, lists `Dec 24,Dec 31`;
//! - ISO week selectors: `week 01-26`, `week 02-52/2`, `week 1,3,5`;
//! - weekdays `Mo`..`Su`, ranges (`Mo-Fr`, wrapping `Fr-Mo`), lists; `PH` (Finnish public holidays,
//!   see [`finnish_holiday`]), alone or mixed as `Su,PH`;
//! - time spans `08:00-12:00,13:00-17:00`; spans past midnight (`22:00-02:00`), whose small
//!   hours belong to the next day; `24:00` as an end; `24/7`; `off`/`closed`; `open` (all day);
//! - a comment in double quotes after the times: `PH off "suljettu juhlapyhinä"`.
//!
//! Refused with a message that says so: `SH` (there is no Finnish school-holiday calendar, and
//! opening_hours.js has none either), `sunrise`/`sunset`/`dawn`/`dusk`, `easter`, year selectors,
//! nth-weekday selectors (`Su[1]`), open ends (`18:00+`), fallback rules (`||`), a rule with a
//! comment only.
//!
//! Semantics (as the OSM specification and opening_hours.js): for a date, the last `;` rule whose
//! selectors all match the date decides the date's spans; additional rules after it add theirs.
//! A rule without any selector (`Mo-Fr 08:00-17:00; 10:00-12:00`) adds to the days too, unless
//! the rule before it has no selector either (opening_hours.js 3.15 does so); `off` always
//! decides.
//! The part of a span past midnight belongs to the next date: it is added there by the rule that
//! wrote it, unless a later rule replaces that next date (`Fr 22:00-02:00; Sa 10:00-12:00` is
//! closed on Saturday at 01:00).

mod holidays;
mod parse;
mod week;

pub use holidays::{finnish_holiday, Holiday};
pub use week::{DayHours, HoursStatus};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why an opening-hours string could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid opening hours `{input}`: {reason}")]
pub struct HoursError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

const DAY_NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Which days a rule names: a weekday bit set (bit 0 = Monday) and/or public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Days {
    weekdays: u8,
    holidays: bool,
}

/// A month and day; `day` `None` means the whole month (its first day as a start, its last as an
/// end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MonthDay {
    month: u8,
    day: Option<u8>,
}

/// A range of dates within a year, inclusive; `start` after `end` wraps over New Year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateRange {
    start: MonthDay,
    end: MonthDay,
}

impl DateRange {
    fn contains(&self, date: NaiveDate) -> bool {
        let key = (date.month() as u8, date.day() as u8);
        let a = (self.start.month, self.start.day.unwrap_or(1));
        let b = (self.end.month, self.end.day.unwrap_or(31));
        if a <= b {
            a <= key && key <= b
        } else {
            key >= a || key <= b
        }
    }
}

/// ISO weeks `from..=to` (`from <= to`: opening_hours.js refuses a reversed range), every
/// `step`th from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WeekRange {
    from: u8,
    to: u8,
    step: u8,
}

impl WeekRange {
    fn contains(&self, week: u8) -> bool {
        self.from <= week && week <= self.to && (week - self.from) % self.step == 0
    }
}

/// What a rule's selectors name; an empty list or `None` means any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Selector {
    dates: Vec<DateRange>,
    weeks: Vec<WeekRange>,
    days: Option<Days>,
}

impl Selector {
    fn matches(&self, date: NaiveDate, holiday: &mut Option<bool>) -> bool {
        if !self.dates.is_empty() && !self.dates.iter().any(|r| r.contains(date)) {
            return false;
        }
        if !self.weeks.is_empty() {
            let week = date.iso_week().week() as u8;
            if !self.weeks.iter().any(|w| w.contains(week)) {
                return false;
            }
        }
        match self.days {
            None => true,
            Some(d) => {
                d.weekdays & (1u8 << date.weekday().num_days_from_monday()) != 0
                    || (d.holidays
                        && *holiday.get_or_insert_with(|| holidays::is_public_holiday(date)))
            }
        }
    }
}

/// A time span in minutes from the start of the day it belongs to; `end` may pass 1440
/// (midnight), less than a day after `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Times {
    /// `off` or `closed`.
    Off,
    /// `24/7` written as a whole rule: every day, all day.
    AlwaysOpen,
    /// One or more spans, in the order written (`open` is one span 00:00-24:00).
    Open(Vec<Span>),
}

const ALL_DAY: &[Span] = &[Span {
    start: 0,
    end: MINUTES_PER_DAY,
}];

impl Times {
    fn spans(&self) -> &[Span] {
        match self {
            Times::Off => &[],
            Times::AlwaysOpen => ALL_DAY,
            Times::Open(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    selector: Selector,
    times: Times,
    /// Joined to the rule before by `,`: adds to the day instead of replacing it.
    additional: bool,
    comment: Option<Box<str>>,
    /// Some span runs past midnight (cached: only such rules are looked at for the day after).
    overnight: bool,
    /// Replaces what earlier rules said about the dates it matches (set by
    /// [`OpeningHours::from_rules`]): `off` rules and rules with a selector do, unless written
    /// after `,`; a rule with no selector (`10:00-12:00`) does only after another such rule, and
    /// otherwise adds to the day, as opening_hours.js decides.
    replaces: bool,
}

impl Rule {
    fn new(selector: Selector, times: Times, additional: bool, comment: Option<Box<str>>) -> Self {
        let overnight = times.spans().iter().any(|s| s.end > MINUTES_PER_DAY);
        Rule {
            selector,
            times,
            additional,
            comment,
            overnight,
            replaces: true,
        }
    }
}

/// An opening schedule, e.g. `Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su,PH 10:00-21:00; Dec 24 07:00-12:00`.
///
/// ```
/// use storenet::model::OpeningHours;
/// let h = OpeningHours::parse("Mo-Fr 08:00-17:00; Sa 10:00-14:00; PH off; Dec 24 08:00-12:00").unwrap();
/// let tue_noon = "2026-11-24T12:00:00".parse().unwrap();
/// assert!(h.is_open_local(tue_noon));
/// let christmas_day = "2026-12-25T12:00:00".parse().unwrap(); // a Friday, and a holiday
/// assert!(!h.is_open_local(christmas_day));
/// let christmas_eve = "2026-12-24T11:00:00".parse().unwrap();
/// assert!(h.is_open_local(christmas_eve));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpeningHours {
    rules: Vec<Rule>,
    /// The canonical text of `rules`, made once: answers show it for every outlet they list.
    canonical: Box<str>,
}

impl OpeningHours {
    /// Parses the text (see the module documentation for the syntax).
    pub fn parse(s: &str) -> Result<Self, HoursError> {
        parse::rules(s)
            .map(OpeningHours::from_rules)
            .map_err(|reason| HoursError {
                input: s.to_string(),
                reason,
            })
    }

    fn from_rules(mut rules: Vec<Rule>) -> Self {
        let empty = Selector::default();
        for i in 0..rules.len() {
            let off = matches!(rules[i].times, Times::Off);
            let unselected = rules[i].selector == empty;
            let after_unselected = i > 0 && rules[i - 1].selector == empty;
            rules[i].replaces =
                off || (!rules[i].additional && (!unselected || after_unselected || i == 0));
        }
        let canonical = RulesText(&rules).to_string().into_boxed_str();
        OpeningHours { rules, canonical }
    }

    /// The canonical form (as [`fmt::Display`] writes it), without formatting it again.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// Where evaluation of `date` starts: the last replacing rule matching it, with whether one
    /// did.
    fn deciding_rule(&self, date: NaiveDate, holiday: &mut Option<bool>) -> (usize, bool) {
        self.rules
            .iter()
            .rposition(|r| r.replaces && r.selector.matches(date, holiday))
            .map_or((0, false), |i| (i, true))
    }

    /// Calls `f(start, end)` for every span open on `date`, in minutes of that date clipped to
    /// 0..=1440 (possibly overlapping, unordered); stops and returns true when `f` does.
    fn each_span(&self, date: NaiveDate, mut f: impl FnMut(u16, u16) -> bool) -> bool {
        let mut holiday = None;
        let mut holiday_before = None;
        let yesterday = date.pred_opt();
        let (first, decided) = self.deciding_rule(date, &mut holiday);
        for (i, rule) in self.rules.iter().enumerate().skip(first) {
            let today = if i == first {
                decided
            } else {
                !rule.replaces && rule.selector.matches(date, &mut holiday)
            };
            if today {
                for s in rule.times.spans() {
                    if f(s.start, s.end.min(MINUTES_PER_DAY)) {
                        return true;
                    }
                }
            }
            if rule.overnight
                && yesterday.is_some_and(|y| rule.selector.matches(y, &mut holiday_before))
            {
                for s in rule.times.spans() {
                    if s.end > MINUTES_PER_DAY && f(0, s.end - MINUTES_PER_DAY) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// The open intervals of `date` in minutes of that date (0..=1440), sorted and merged.
    pub(crate) fn intervals_on(&self, date: NaiveDate) -> Vec<(u16, u16)> {
        let mut v = Vec::new();
        self.each_span(date, |a, b| {
            v.push((a, b));
            false
        });
        v.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// Open at this local Europe/Helsinki wall-clock time?
    pub fn is_open_local(&self, local: NaiveDateTime) -> bool {
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.each_span(local.date(), |a, b| a <= minute && minute < b)
    }

    /// Open at this instant (converted to Europe/Helsinki local time, daylight saving included)?
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        self.is_open_local(t.with_timezone(&chrono_tz::Europe::Helsinki).naive_local())
    }
}

fn write_time(f: &mut fmt::Formatter<'_>, minutes: u16) -> fmt::Result {
    write!(f, "{:02}:{:02}", minutes / 60, minutes % 60)
}

impl fmt::Display for Days {
    /// Canonical order: weekdays from Monday, runs of two or more as ranges, then `PH`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let mut d = 0u8;
        while d < 7 {
            if self.weekdays & (1 << d) == 0 {
                d += 1;
                continue;
            }
            let start = d;
            while d + 1 < 7 && self.weekdays & (1 << (d + 1)) != 0 {
                d += 1;
            }
            parts.push(if start == d {
                DAY_NAMES[d as usize].to_string()
            } else {
                format!("{}-{}", DAY_NAMES[start as usize], DAY_NAMES[d as usize])
            });
            d += 1;
        }
        if self.holidays {
            parts.push("PH".into());
        }
        f.write_str(&parts.join(","))
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MONTH_NAMES[usize::from(self.month - 1)])?;
        if let Some(d) = self.day {
            write!(f, " {d:02}")?;
        }
        Ok(())
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start)?;
        if self.end != self.start {
            write!(f, "-{}", self.end)?;
        }
        Ok(())
    }
}

impl fmt::Display for WeekRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.from)?;
        if self.to != self.from {
            write!(f, "-{:02}", self.to)?;
        }
        if self.step > 1 {
            write!(f, "/{}", self.step)?;
        }
        Ok(())
    }
}

impl fmt::Display for Selector {
    /// `dates week… days`, each part followed by a space when present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.dates.is_empty() {
            let parts: Vec<String> = self.dates.iter().map(|r| r.to_string()).collect();
            write!(f, "{} ", parts.join(","))?;
        }
        if !self.weeks.is_empty() {
            let parts: Vec<String> = self.weeks.iter().map(|r| r.to_string()).collect();
            write!(f, "week {} ", parts.join(","))?;
        }
        if let Some(d) = self.days {
            write!(f, "{d} ")?;
        }
        Ok(())
    }
}

impl fmt::Display for OpeningHours {
    /// The canonical form: rules joined by `; ` (additional ones by `, `), `closed` written `off`,
    /// spans `HH:MM-HH:MM`, month days and weeks with two digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

/// Writes rules in the canonical form.
struct RulesText<'a>(&'a [Rule]);

impl fmt::Display for RulesText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(if rule.additional { ", " } else { "; " })?;
            }
            write!(f, "{}", rule.selector)?;
            match &rule.times {
                Times::AlwaysOpen => f.write_str("24/7")?,
                Times::Off => f.write_str("off")?,
                Times::Open(spans) => {
                    for (j, s) in spans.iter().enumerate() {
                        if j > 0 {
                            f.write_str(",")?;
                        }
                        write_time(f, s.start)?;
                        f.write_str("-")?;
                        // A midnight-crossing end is written as the next day's clock time when
                        // that reads back the same (end before start); exactly midnight as
                        // `24:00`; otherwise as an extended time (`26:00`).
                        let end = if s.end > MINUTES_PER_DAY && s.end - MINUTES_PER_DAY < s.start {
                            s.end - MINUTES_PER_DAY
                        } else {
                            s.end
                        };
                        write_time(f, end)?;
                    }
                }
            }
            if let Some(c) = &rule.comment {
                write!(f, " \"{c}\"")?;
            }
        }
        Ok(())
    }
}

impl FromStr for OpeningHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpeningHours::parse(s)
    }
}

impl TryFrom<String> for OpeningHours {
    type Error = HoursError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OpeningHours::parse(&s)
    }
}

impl From<OpeningHours> for String {
    fn from(h: OpeningHours) -> String {
        h.to_string()
    }
}

/// The day after `date`, saturating at chrono's last date.
fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

/// `date + days`, saturating at chrono's last date.
fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(Duration::days(days))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests;
