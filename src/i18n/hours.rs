//! Opening hours in words: `ma–pe 7–21, la 8–21, su 10–21` and the coming days that differ
//! (holidays: `pe 25.12. suljettu`).
//!
//! The words are read off the schedule itself through [`OpeningHours::is_open_local`], at every
//! change over six weeks from the export day, so they say what the outlet does (holidays
//! included) whatever syntax its hours were written in. The usual hours of a weekday are the ones
//! it has most often in those six weeks; days in the first two weeks that differ are listed as
//! exceptions.

use super::{msg, text, Lang};
use crate::model::OpeningHours;
use chrono::{Datelike, Duration, NaiveDate};

const DAY: u16 = 24 * 60;
/// Weeks looked at to find each weekday's usual hours: six, so that even two holidays on one
/// weekday (Christmas Day and New Year's Day always share one) do not outvote the usual hours.
const WEEKS: i64 = 6;
/// Days ahead whose exceptions are listed.
const EXCEPTION_DAYS: i64 = 14;
/// Minutes between samples of the schedule; each change between two samples is then found to the
/// minute by bisection. An opening or a break shorter than this may be missed.
const STEP: u16 = 10;

/// The runs of minutes `date` is open, `[start, end)` from its midnight, as the clock shows them
/// (a span from the evening before shows as a run from 0).
fn runs(hours: &OpeningHours, date: NaiveDate) -> Vec<(u16, u16)> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let open = |m: u16| hours.is_open_local(midnight + Duration::minutes(m as i64));
    let mut out = Vec::new();
    let mut start = None;
    let mut was = false;
    let mut m = 0u16;
    while m < DAY {
        let is = open(m);
        let at = if m == 0 || is == was {
            m
        } else {
            // The change lies in (m - STEP, m]: bisect for its first minute.
            let (mut lo, mut hi) = (m - STEP, m);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if open(mid) == is {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        };
        match (is, start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                out.push((s, at));
                start = None;
            }
            _ => {}
        }
        was = is;
        m += STEP;
    }
    if let Some(s) = start {
        // Closing between the last sample and midnight.
        let mut end = DAY;
        let last = DAY - STEP;
        for t in last..DAY {
            if !open(t) {
                end = t;
                break;
            }
        }
        out.push((s, end));
    }
    out
}

/// A day's spans from its own runs and its neighbours': a morning run from midnight belongs to
/// the evening before (unless it is the whole day), and an evening run to midnight goes on into
/// the next morning's run.
fn merge(before: &[(u16, u16)], today: &[(u16, u16)], after: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut spans = today.to_vec();
    let late_before = before.last().is_some_and(|&(_, e)| e == DAY);
    if late_before && spans.first().is_some_and(|&(s, e)| s == 0 && e < DAY) {
        spans.remove(0);
    }
    if let (Some(last), Some(&(ts, te))) = (spans.last_mut(), after.first()) {
        if last.1 == DAY && last.0 > 0 && ts == 0 && te < DAY {
            last.1 = DAY + te;
        }
    }
    spans
}

/// The open spans of `date` as minutes from its midnight, `end` past 1440 for a span that runs on
/// into the next morning. Spans carried over from the evening before are left to that evening.
pub fn day_spans(hours: &OpeningHours, date: NaiveDate) -> Vec<(u16, u16)> {
    let around = |d: Option<NaiveDate>| d.map(|d| runs(hours, d)).unwrap_or_default();
    merge(
        &around(date.pred_opt()),
        &runs(hours, date),
        &around(date.succ_opt()),
    )
}

/// One day's hours in words: `7–21`, `7.30–19, 20–2`, `suljettu`.
fn spans_in_words(lang: Lang, spans: &[(u16, u16)]) -> String {
    if spans.is_empty() {
        return text(lang, "hours-closed");
    }
    let time = |m: u16| {
        let m = if m > DAY { m - DAY } else { m };
        let (h, mm) = (m / 60, m % 60);
        if mm == 0 {
            msg(lang, "time-h", &[("h", h.into())])
        } else {
            let mm = format!("{mm:02}");
            msg(lang, "time-hm", &[("h", h.into()), ("mm", (&mm).into())])
        }
    };
    spans
        .iter()
        .map(|&(s, e)| {
            let (from, to) = (time(s), time(e));
            msg(
                lang,
                "time-span",
                &[("from", (&from).into()), ("to", (&to).into())],
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn weekday_name(lang: Lang, i: u32) -> String {
    text(lang, &format!("weekday-{}", i + 1))
}

/// An outlet's hours in words, in one language, seen from one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursInWords {
    /// The usual week: `ma–pe 7–21, la 8–21, su 10–21`.
    pub week: String,
    /// Days in the next two weeks that differ from the usual week: `pe 25.12. suljettu`; empty
    /// if none.
    pub exceptions: String,
}

impl HoursInWords {
    /// The hours of `hours` in `lang`, the usual week taken over six weeks from `from`.
    pub fn new(hours: &OpeningHours, from: NaiveDate, lang: Lang) -> HoursInWords {
        // The runs of the day before `from` through the day after the last one looked at.
        let dates: Vec<NaiveDate> = (-1..=WEEKS * 7)
            .filter_map(|i| from.checked_add_signed(Duration::days(i)))
            .collect();
        let all: Vec<Vec<(u16, u16)>> = dates.iter().map(|&d| runs(hours, d)).collect();
        let days: Vec<(NaiveDate, Vec<(u16, u16)>)> = (1..dates.len().saturating_sub(1))
            .map(|i| (dates[i], merge(&all[i - 1], &all[i], &all[i + 1])))
            .collect();
        // Each weekday's most frequent spans (ties: the earliest seen).
        let usual: Vec<Vec<(u16, u16)>> = (0..7u32)
            .map(|wd| {
                let seen: Vec<&Vec<(u16, u16)>> = days
                    .iter()
                    .filter(|(d, _)| d.weekday().num_days_from_monday() == wd)
                    .map(|(_, s)| s)
                    .collect();
                seen.iter()
                    .max_by_key(|s| {
                        let n = seen.iter().filter(|t| t == s).count();
                        let first = seen.iter().position(|t| t == *s).unwrap_or(0);
                        (n, usize::MAX - first)
                    })
                    .map(|s| (*s).clone())
                    .unwrap_or_default()
            })
            .collect();
        let all_day = |s: &Vec<(u16, u16)>| s.len() == 1 && s[0] == (0, DAY);
        let week = if usual.iter().all(all_day) {
            text(lang, "hours-always")
        } else if usual.iter().all(|s| *s == usual[0]) {
            let times = spans_in_words(lang, &usual[0]);
            msg(lang, "hours-every-day", &[("times", (&times).into())])
        } else {
            let mut parts = Vec::new();
            let mut i = 0usize;
            while i < 7 {
                let mut j = i;
                while j + 1 < 7 && usual[j + 1] == usual[i] {
                    j += 1;
                }
                let days = if i == j {
                    weekday_name(lang, i as u32)
                } else {
                    let (from, to) = (weekday_name(lang, i as u32), weekday_name(lang, j as u32));
                    msg(
                        lang,
                        "day-range",
                        &[("from", (&from).into()), ("to", (&to).into())],
                    )
                };
                let times = spans_in_words(lang, &usual[i]);
                parts.push(msg(
                    lang,
                    "hours-days",
                    &[("days", (&days).into()), ("times", (&times).into())],
                ));
                i = j + 1;
            }
            parts.join(", ")
        };
        let exceptions = days
            .iter()
            .take(EXCEPTION_DAYS as usize)
            .filter(|(d, s)| *s != usual[d.weekday().num_days_from_monday() as usize])
            .map(|(d, s)| {
                let wd = weekday_name(lang, d.weekday().num_days_from_monday());
                let day = msg(
                    lang,
                    "date-day",
                    &[
                        ("weekday", (&wd).into()),
                        ("d", d.day().into()),
                        ("m", d.month().into()),
                    ],
                );
                let times = spans_in_words(lang, s);
                msg(
                    lang,
                    "hours-days",
                    &[("days", (&day).into()), ("times", (&times).into())],
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        HoursInWords { week, exceptions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(h: &str, from: (i32, u32, u32), lang: Lang) -> HoursInWords {
        let d = NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap();
        HoursInWords::new(&OpeningHours::parse(h).unwrap(), d, lang)
    }

    #[test]
    fn a_usual_week_reads_as_day_ranges() {
        let w = words(
            "Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00",
            (2026, 11, 2),
            Lang::Fi,
        );
        assert_eq!(w.week, "ma–pe 7–21, la 8–21, su 10–21");
        assert_eq!(w.exceptions, "");
        let w = words("Mo-Fr 07:30-19:00; Sa,Su off", (2026, 11, 2), Lang::Sv);
        assert_eq!(w.week, "mån–fre 7.30–19, lör–sön stängt");
        let w = words("Mo-Su 07:00-22:00", (2026, 11, 2), Lang::En);
        assert_eq!(w.week, "daily 7–22");
        assert_eq!(
            words("24/7", (2026, 11, 2), Lang::Fi).week,
            "auki ympäri vuorokauden"
        );
    }

    #[test]
    fn holidays_in_the_next_two_weeks_are_listed_as_exceptions() {
        // From Monday 21 December 2026: Christmas Day (Fri 25th) and Boxing Day (Sat 26th) are
        // public holidays.
        let w = words(
            "Mo-Fr 08:00-17:00; Sa 10:00-14:00; PH off",
            (2026, 12, 21),
            Lang::Fi,
        );
        assert_eq!(w.week, "ma–pe 8–17, la 10–14, su suljettu");
        assert!(
            w.exceptions.contains("pe 25.12. suljettu"),
            "{}",
            w.exceptions
        );
        assert!(
            w.exceptions.contains("la 26.12. suljettu"),
            "{}",
            w.exceptions
        );
    }

    #[test]
    fn spans_past_midnight_stay_one_span() {
        let w = words("Fr,Sa 20:00-02:00", (2026, 11, 2), Lang::Fi);
        assert_eq!(w.week, "ma–to suljettu, pe–la 20–2, su suljettu");
    }
}
