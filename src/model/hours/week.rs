//! What a store finder says about an outlet's hours at an instant: open now, closes at, next
//! opening, and the coming days' hours with their public holidays.

use super::holidays::{finnish_holiday, Holiday};
use super::{add_days, next_day, OpeningHours};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Helsinki;

/// How far ahead [`OpeningHours::status`] looks for a closing or an opening: a year and a day,
/// so that a rule for one date a year (`Dec 24 08:00-12:00`) is found.
pub const HORIZON_DAYS: i64 = 366;

/// The most days [`OpeningHours::status`] lists.
pub const MAX_DAYS: u16 = 62;

/// One date's opening hours in Helsinki.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    /// The local date.
    pub date: NaiveDate,
    /// The Finnish public holiday on this date, if any.
    pub holiday: Option<Holiday>,
    /// Open intervals in minutes from local midnight, sorted, merged, `end` at most 1440
    /// (a span past midnight shows as `[start, 1440)` here and `[0, end)` on the next date).
    pub intervals: Vec<(u16, u16)>,
}

impl DayHours {
    /// The intervals as `["HH:MM", "HH:MM"]` pairs, midnight at the end written `24:00`.
    pub fn interval_texts(&self) -> Vec<[String; 2]> {
        let t = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        self.intervals.iter().map(|&(a, b)| [t(a), t(b)]).collect()
    }
}

/// An outlet's hours as seen at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursStatus {
    /// Open at the instant (judged to the minute, as [`OpeningHours::is_open_at`]).
    pub open_now: bool,
    /// When open: the end of the current opening, following it past midnight; `None` when closed,
    /// or when it does not close within [`HORIZON_DAYS`] (`24/7`).
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// The next opening strictly after the instant (after `closes_at` when open); `None` when there
    /// is none within [`HORIZON_DAYS`].
    pub next_open: Option<DateTime<FixedOffset>>,
    /// The hours of the requested number of days from the instant's local date on.
    pub days: Vec<DayHours>,
}

impl OpeningHours {
    /// The hours of one local date.
    pub fn day_hours(&self, date: NaiveDate) -> DayHours {
        DayHours {
            date,
            holiday: finnish_holiday(date),
            intervals: self.intervals_on(date),
        }
    }

    /// Open now, closes at, next opening and `days` days of hours (at most [`MAX_DAYS`]) from
    /// the Helsinki date of `at` on.
    ///
    /// Times are Helsinki local (with its UTC offset at that moment). An opening that falls in
    /// the hour skipped in spring is given as the first moment after it (when
    /// [`OpeningHours::is_open_at`] says open); an opening or closing in the hour repeated in
    /// autumn as its first occurrence (the state changes then; the same wall-clock times repeat
    /// an hour later).
    ///
    /// ```
    /// use storenet::model::OpeningHours;
    /// let h = OpeningHours::parse("Mo-Sa 07:00-21:00; Su,PH 10:00-18:00").unwrap();
    /// // Friday 2026-12-04 22:00 Helsinki; Sunday 6 December is Independence Day.
    /// let s = h.status("2026-12-04T20:00:00Z".parse().unwrap(), 7);
    /// assert!(!s.open_now);
    /// assert_eq!(s.next_open.unwrap().to_rfc3339(), "2026-12-05T07:00:00+02:00");
    /// assert_eq!(s.days[2].holiday.unwrap().fi, "Itsenäisyyspäivä");
    /// assert_eq!(s.days[2].interval_texts(), [["10:00", "18:00"]]);
    /// ```
    pub fn status(&self, at: DateTime<Utc>, days: u16) -> HoursStatus {
        let local = at.with_timezone(&Helsinki).naive_local();
        // To the minute, as `is_open_local` judges.
        let now = local
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(local);
        let today = now.date();

        // Opening periods in local time, merged over midnight, until one starts after `now`.
        let mut periods: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
        let mut scanned_to = today;
        for k in 0..=HORIZON_DAYS {
            let date = add_days(today, k);
            let midnight = date.and_time(chrono::NaiveTime::MIN);
            for (a, b) in self.intervals_on(date) {
                let s = midnight + Duration::minutes(i64::from(a));
                let e = midnight + Duration::minutes(i64::from(b));
                match periods.last_mut() {
                    Some(p) if p.1 == s => p.1 = e,
                    _ => periods.push((s, e)),
                }
            }
            scanned_to = next_day(date);
            if periods.last().is_some_and(|p| p.0 > now && happens(p)) {
                break;
            }
        }
        let horizon_end = scanned_to.and_time(chrono::NaiveTime::MIN);
        let current = periods.iter().find(|p| p.0 <= now && now < p.1);
        // A period that falls wholly in the hour skipped in spring never happens.
        let upcoming = periods.iter().find(|p| p.0 > now && happens(p));
        HoursStatus {
            open_now: current.is_some(),
            closes_at: current
                .filter(|p| p.1 < horizon_end || upcoming.is_some())
                .map(|p| instant(p.1)),
            next_open: upcoming.map(|p| instant(p.0)),
            days: (0..i64::from(days.min(MAX_DAYS)))
                .map(|k| self.day_hours(add_days(today, k)))
                .collect(),
        }
    }
}

/// False for a local period that falls wholly in the hour skipped in spring.
fn happens(p: &(NaiveDateTime, NaiveDateTime)) -> bool {
    instant(p.0) < instant(p.1)
}

/// The instant of a Helsinki wall-clock time.
fn instant(local: NaiveDateTime) -> DateTime<FixedOffset> {
    let mut t = local;
    // The spring gap is one hour; stepping by minutes finds its end within 61 tries.
    for _ in 0..=120 {
        match Helsinki.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) => return x.fixed_offset(),
            chrono::LocalResult::Ambiguous(first, _) => return first.fixed_offset(),
            chrono::LocalResult::None => t += Duration::minutes(1),
        }
    }
    // Not reached for Helsinki's rules; UTC+2 is its standard time.
    let eet = FixedOffset::east_opt(2 * 3600).expect("UTC+2 is a valid offset");
    DateTime::from_naive_utc_and_offset(local - Duration::hours(2), eet)
}
