//! Finnish public holidays, for the `PH` selector of opening hours, with their names.
//!
//! The list is the statutory one (the Church Act's holy days, May Day and Independence Day): 13
//! days a year. Christmas Eve and Midsummer Eve are NOT public holidays in Finland (they are days
//! off under most collective agreements, and shops write them as dates, e.g. `Dec 24 07:00-12:00`).
//! This is also the list opening_hours.js 3.15 uses for country `fi`; the test
//! `hours_oracle` compares the two day by day.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A public holiday's name in Finnish, Swedish and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// Finnish name, e.g. `Itsenäisyyspäivä`.
    pub fi: &'static str,
    /// Swedish name, e.g. `Självständighetsdagen`.
    pub sv: &'static str,
    /// English name, e.g. `Independence Day`.
    pub en: &'static str,
}

const fn h(fi: &'static str, sv: &'static str, en: &'static str) -> Holiday {
    Holiday { fi, sv, en }
}

const NEW_YEAR: Holiday = h("Uudenvuodenpäivä", "Nyårsdagen", "New Year's Day");
const EPIPHANY: Holiday = h("Loppiainen", "Trettondedagen", "Epiphany");
const GOOD_FRIDAY: Holiday = h("Pitkäperjantai", "Långfredagen", "Good Friday");
const EASTER: Holiday = h("Pääsiäispäivä", "Påskdagen", "Easter Sunday");
const EASTER_MONDAY: Holiday = h("2. pääsiäispäivä", "Annandag påsk", "Easter Monday");
const MAY_DAY: Holiday = h("Vappu", "Första maj", "May Day");
const ASCENSION: Holiday = h("Helatorstai", "Kristi himmelsfärdsdag", "Ascension Day");
const WHIT_SUNDAY: Holiday = h("Helluntaipäivä", "Pingstdagen", "Whit Sunday");
const MIDSUMMER: Holiday = h("Juhannuspäivä", "Midsommardagen", "Midsummer Day");
const ALL_SAINTS: Holiday = h("Pyhäinpäivä", "Alla helgons dag", "All Saints' Day");
const INDEPENDENCE: Holiday = h(
    "Itsenäisyyspäivä",
    "Självständighetsdagen",
    "Independence Day",
);
const CHRISTMAS: Holiday = h("Joulupäivä", "Juldagen", "Christmas Day");
const ST_STEPHEN: Holiday = h("Tapaninpäivä", "Annandag jul", "St Stephen's Day");

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

/// The Finnish public holiday on `date`, if it is one.
pub fn finnish_holiday(date: NaiveDate) -> Option<Holiday> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some(NEW_YEAR),
        (1, 6) => Some(EPIPHANY),
        (5, 1) => Some(MAY_DAY),
        (12, 6) => Some(INDEPENDENCE),
        (12, 25) => Some(CHRISTMAS),
        (12, 26) => Some(ST_STEPHEN),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let year = date.year();
    if let Some(easter) = easter_sunday(year) {
        match (date - easter).num_days() {
            -2 => return Some(GOOD_FRIDAY),
            0 => return Some(EASTER),
            1 => return Some(EASTER_MONDAY),
            39 => return Some(ASCENSION),
            49 => return Some(WHIT_SUNDAY),
            _ => {}
        }
    }
    // Midsummer Day: the Saturday of 20–26 June. All Saints' Day: the Saturday of
    // 31 October – 6 November.
    let saturday_from = |mo: u32, day: u32| {
        NaiveDate::from_ymd_opt(year, mo, day).map(|s| first_on_or_after(s, Weekday::Sat))
    };
    if saturday_from(6, 20) == Some(date) {
        return Some(MIDSUMMER);
    }
    if saturday_from(10, 31) == Some(date) {
        return Some(ALL_SAINTS);
    }
    None
}

/// True if `date` is a Finnish public holiday.
pub(crate) fn is_public_holiday(date: NaiveDate) -> bool {
    finnish_holiday(date).is_some()
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
    fn finnish_public_holidays_of_2026_are_the_thirteen_statutory_days() {
        let holidays = [
            (ymd(2026, 1, 1), "Uudenvuodenpäivä"),
            (ymd(2026, 1, 6), "Loppiainen"),
            (ymd(2026, 4, 3), "Pitkäperjantai"),
            (ymd(2026, 4, 5), "Pääsiäispäivä"),
            (ymd(2026, 4, 6), "2. pääsiäispäivä"),
            (ymd(2026, 5, 1), "Vappu"),
            (ymd(2026, 5, 14), "Helatorstai"),
            (ymd(2026, 5, 24), "Helluntaipäivä"),
            (ymd(2026, 6, 20), "Juhannuspäivä"),
            (ymd(2026, 10, 31), "Pyhäinpäivä"),
            (ymd(2026, 12, 6), "Itsenäisyyspäivä"),
            (ymd(2026, 12, 25), "Joulupäivä"),
            (ymd(2026, 12, 26), "Tapaninpäivä"),
        ];
        for (d, name) in holidays {
            assert_eq!(finnish_holiday(d).map(|h| h.fi), Some(name), "{d}");
        }
        let count = (0..365)
            .map(|i| ymd(2026, 1, 1) + Duration::days(i))
            .filter(|d| is_public_holiday(*d))
            .count();
        assert_eq!(count, holidays.len());
        assert_eq!(
            finnish_holiday(ymd(2026, 12, 6)).map(|h| (h.sv, h.en)),
            Some(("Självständighetsdagen", "Independence Day"))
        );
    }

    #[test]
    fn christmas_eve_and_midsummer_eve_are_not_public_holidays() {
        for y in 2024..2040 {
            assert!(!is_public_holiday(ymd(y, 12, 24)), "Christmas Eve {y}");
            let eve = first_on_or_after(ymd(y, 6, 19), Weekday::Fri);
            assert!(!is_public_holiday(eve), "Midsummer Eve {eve}");
            assert!(is_public_holiday(eve + Duration::days(1)), "Midsummer Day");
        }
        assert!(!is_public_holiday(ymd(2026, 4, 4)), "Holy Saturday");
    }
}
