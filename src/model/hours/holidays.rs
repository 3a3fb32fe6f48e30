//! Finnish public holidays, for the `PH` selector of opening hours.
//!
//! The list is the one shops close or shorten hours on: the statutory holidays plus Midsummer Eve
//! and Christmas Eve, which are de facto holidays in Finland (the same list Nager.Date and
//! opening_hours.js use for `FI`).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub(crate) fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// True if `date` is a Finnish public holiday.
pub(crate) fn is_public_holiday(date: NaiveDate) -> bool {
    let (m, d) = (date.month(), date.day());
    let fixed = matches!(
        (m, d),
        (1, 1) | (1, 6) | (5, 1) | (12, 6) | (12, 24) | (12, 25) | (12, 26)
    );
    if fixed {
        return true;
    }
    let year = date.year();
    if let Some(easter) = easter_sunday(year) {
        // Good Friday, Easter Sunday, Easter Monday, Ascension Day, Whit Sunday.
        let offset = (date - easter).num_days();
        if matches!(offset, -2 | 0 | 1 | 39 | 49) {
            return true;
        }
    }
    // Midsummer Eve: the Friday of 19–25 June; Midsummer Day the Saturday after it.
    // All Saints' Day: the Saturday of 31 October – 6 November.
    let nth = |mo: u32, day: u32, wd: Weekday| {
        NaiveDate::from_ymd_opt(year, mo, day).map(|s| first_on_or_after(s, wd))
    };
    [
        nth(6, 19, Weekday::Fri),
        nth(6, 20, Weekday::Sat),
        nth(10, 31, Weekday::Sat),
    ]
    .into_iter()
    .flatten()
    .any(|h| h == date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_matches_known_dates() {
        assert_eq!(easter_sunday(2024), Some(ymd(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(ymd(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(ymd(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(ymd(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(ymd(2038, 4, 25)));
        assert_eq!(easter_sunday(2285), Some(ymd(2285, 3, 22)));
    }

    #[test]
    fn finnish_holidays_of_2026() {
        let holidays = [
            ymd(2026, 1, 1),
            ymd(2026, 1, 6),
            ymd(2026, 4, 3),  // Good Friday
            ymd(2026, 4, 5),  // Easter Sunday
            ymd(2026, 4, 6),  // Easter Monday
            ymd(2026, 5, 1),  // May Day
            ymd(2026, 5, 14), // Ascension Day
            ymd(2026, 5, 24), // Whit Sunday
            ymd(2026, 6, 19), // Midsummer Eve
            ymd(2026, 6, 20), // Midsummer Day
            ymd(2026, 10, 31),
            ymd(2026, 12, 6),
            ymd(2026, 12, 24),
            ymd(2026, 12, 25),
            ymd(2026, 12, 26),
        ];
        for h in holidays {
            assert!(is_public_holiday(h), "{h} is a holiday");
        }
        let count = (0..365)
            .map(|i| ymd(2026, 1, 1) + Duration::days(i))
            .filter(|d| is_public_holiday(*d))
            .count();
        assert_eq!(count, holidays.len());
        assert!(!is_public_holiday(ymd(2026, 4, 4)), "Holy Saturday");
        assert!(!is_public_holiday(ymd(2026, 6, 26)));
    }
}
