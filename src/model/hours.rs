//! Opening hours in the OpenStreetMap `opening_hours` syntax subset that shops use.
//!
//! Supported: rules separated by `;`; weekday selectors `Mo`..`Su`, ranges (`Mo-Fr`, wrapping
//! `Fr-Mo`), lists and mixes (`Mo,We,Fr`, `Mo-We,Fr`); the public-holiday selector `PH` (Finnish
//! holidays, alone or mixed as `Su,PH`); several time spans (`08:00-12:00,13:00-17:00`); spans past
//! midnight (`22:00-02:00`, which belong to the day they start on) and `24:00` as an end; `24/7`;
//! `off` / `closed`. A rule without a selector applies every day.
//!
//! Semantics follow OSM: for a given date the LAST rule whose selector matches that date decides
//! the day's spans (a later rule overrides earlier ones for the days it names). A span that runs
//! past midnight stays open into the next morning whatever the next day's rule says.

mod holidays;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Timelike, Utc};
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
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Which days a rule names: a weekday bit set (bit 0 = Monday) and/or public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Days {
    weekdays: u8,
    holidays: bool,
}

/// A time span in minutes from the start of the day it belongs to; `end` may pass 1440 (midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Times {
    /// `off` or `closed`.
    Off,
    /// One or more spans, in the order written.
    Open(Vec<Span>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// `24/7`: every day, all day.
    AlwaysOpen,
    /// `[days] times`; no `days` means every day.
    Days { days: Option<Days>, times: Times },
}

/// A weekly opening schedule, e.g. `Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00`.
///
/// ```
/// use storenet::model::OpeningHours;
/// let h = OpeningHours::parse("Mo-Fr 08:00-17:00; Sa 10:00-14:00; PH off").unwrap();
/// let tue_noon = "2026-11-24T12:00:00".parse().unwrap();
/// assert!(h.is_open_local(tue_noon));
/// let christmas_day = "2026-12-25T12:00:00".parse().unwrap(); // a Friday, and a holiday
/// assert!(!h.is_open_local(christmas_day));
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
        let err = |reason: String| HoursError {
            input: s.to_string(),
            reason,
        };
        if s.trim().is_empty() {
            return Err(err("empty".into()));
        }
        let rules = s
            .split(';')
            .map(|r| parse_rule(r.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok(OpeningHours::from_rules(rules))
    }

    fn from_rules(rules: Vec<Rule>) -> Self {
        let canonical = RulesText(&rules).to_string().into_boxed_str();
        OpeningHours { rules, canonical }
    }

    /// The canonical form (as [`fmt::Display`] writes it), without formatting it again.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The spans of the rule that decides `date`, or `None` when no rule names it (closed).
    fn spans_on(&self, date: chrono::NaiveDate) -> Option<&[Span]> {
        const ALL_DAY: &[Span] = &[Span {
            start: 0,
            end: MINUTES_PER_DAY,
        }];
        let weekday_bit = 1u8 << date.weekday().num_days_from_monday();
        let mut holiday = None;
        let mut decided: Option<&[Span]> = None;
        for rule in &self.rules {
            match rule {
                Rule::AlwaysOpen => decided = Some(ALL_DAY),
                Rule::Days { days, times } => {
                    let matches = match days {
                        None => true,
                        Some(d) => {
                            d.weekdays & weekday_bit != 0
                                || (d.holidays
                                    && *holiday
                                        .get_or_insert_with(|| holidays::is_public_holiday(date)))
                        }
                    };
                    if matches {
                        decided = match times {
                            Times::Off => None,
                            Times::Open(spans) => Some(spans),
                        };
                    }
                }
            }
        }
        decided
    }

    /// Open at this local Europe/Helsinki wall-clock time?
    pub fn is_open_local(&self, local: NaiveDateTime) -> bool {
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let date = local.date();
        let today = self
            .spans_on(date)
            .is_some_and(|spans| spans.iter().any(|s| s.start <= minute && minute < s.end));
        if today {
            return true;
        }
        // A span of yesterday that ran past midnight keeps the outlet open this morning.
        let yesterday = date - Duration::days(1);
        self.spans_on(yesterday).is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s.end > MINUTES_PER_DAY && minute + MINUTES_PER_DAY < s.end)
        })
    }

    /// Open at this instant (converted to Europe/Helsinki local time, daylight saving included)?
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        self.is_open_local(t.with_timezone(&chrono_tz::Europe::Helsinki).naive_local())
    }
}

fn parse_weekday(s: &str) -> Result<u8, String> {
    DAY_NAMES
        .iter()
        .position(|d| *d == s)
        .map(|i| i as u8)
        .ok_or_else(|| format!("unknown weekday `{s}` (use Mo, Tu, We, Th, Fr, Sa, Su or PH)"))
}

fn parse_days(s: &str) -> Result<Days, String> {
    let mut days = Days {
        weekdays: 0,
        holidays: false,
    };
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("empty item in day list `{s}`"));
        }
        if item == "PH" {
            days.holidays = true;
        } else if let Some((a, b)) = item.split_once('-') {
            let (a, b) = (parse_weekday(a.trim())?, parse_weekday(b.trim())?);
            // A range may wrap over the weekend: `Fr-Mo` is Fr, Sa, Su, Mo.
            let mut d = a;
            loop {
                days.weekdays |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        } else {
            days.weekdays |= 1 << parse_weekday(item)?;
        }
    }
    Ok(days)
}

fn parse_time(s: &str, is_end: bool) -> Result<u16, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("time `{s}` is not HH:MM"))?;
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || m.len() != 2 || !digits(m) {
        return Err(format!("time `{s}` is not HH:MM"));
    }
    // Both parts are 1–2 ASCII digits, so they fit a u16.
    let (h, m): (u16, u16) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
    if h > 24 {
        return Err(format!("hour {h} out of range (0..=24)"));
    }
    if m > 59 {
        return Err(format!("minute {m} out of range (0..=59)"));
    }
    if h == 24 && (m != 0 || !is_end) {
        return Err(format!("`{s}`: 24:00 is allowed only as the end of a span"));
    }
    Ok(h * 60 + m)
}

fn parse_span(s: &str) -> Result<Span, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("time span `{s}` is not HH:MM-HH:MM"))?;
    let start = parse_time(a.trim(), false)?;
    let mut end = parse_time(b.trim(), true)?;
    if start == end {
        return Err(format!("time span `{s}` is empty"));
    }
    if end < start {
        // Past midnight: the span belongs to the day it starts on.
        end += MINUTES_PER_DAY;
    }
    Ok(Span { start, end })
}

fn parse_rule(r: &str) -> Result<Rule, String> {
    if r.is_empty() {
        return Err("empty rule (two `;` in a row or a trailing `;`)".into());
    }
    if r == "24/7" {
        return Ok(Rule::AlwaysOpen);
    }
    // The selector is everything before the first token that starts the times: a digit or a
    // keyword. Commas may be followed by spaces (`Mo-We, Fr`), so tokens are glued back.
    let tokens: Vec<&str> = r.split_whitespace().collect();
    let split = tokens
        .iter()
        .position(|t| {
            t.starts_with(|c: char| c.is_ascii_digit())
                || *t == "off"
                || *t == "closed"
                || *t == "24/7"
        })
        .unwrap_or(tokens.len());
    let selector = tokens[..split].concat();
    let times = tokens[split..].concat();
    let days = if selector.is_empty() {
        None
    } else {
        Some(parse_days(&selector)?)
    };
    let times = match times.as_str() {
        "" => {
            return Err(format!(
                "rule `{r}` has no times: add spans like `08:00-17:00`, or `off`"
            ))
        }
        "off" | "closed" => Times::Off,
        "24/7" => return Err(format!("`24/7` must stand alone as a rule, not in `{r}`")),
        t => Times::Open(
            t.split(',')
                .map(|s| parse_span(s.trim()))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Rule::Days { days, times })
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

impl fmt::Display for OpeningHours {
    /// The canonical form: rules joined by `; `, `closed` written `off`, spans `HH:MM-HH:MM`.
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
                f.write_str("; ")?;
            }
            match rule {
                Rule::AlwaysOpen => f.write_str("24/7")?,
                Rule::Days { days, times } => {
                    if let Some(d) = days {
                        write!(f, "{d} ")?;
                    }
                    match times {
                        Times::Off => f.write_str("off")?,
                        Times::Open(spans) => {
                            for (j, s) in spans.iter().enumerate() {
                                if j > 0 {
                                    f.write_str(",")?;
                                }
                                write_time(f, s.start)?;
                                f.write_str("-")?;
                                // A midnight-crossing end is written as the next day's clock
                                // time; exactly midnight as `24:00`.
                                let end = if s.end > MINUTES_PER_DAY {
                                    s.end - MINUTES_PER_DAY
                                } else {
                                    s.end
                                };
                                write_time(f, end)?;
                            }
                        }
                    }
                }
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

#[cfg(test)]
mod tests;
