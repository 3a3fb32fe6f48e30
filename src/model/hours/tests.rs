use super::*;
use proptest::prelude::*;

fn local(s: &str) -> NaiveDateTime {
    s.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn reason(s: &str) -> String {
    OpeningHours::parse(s).unwrap_err().reason
}

#[test]
fn weekday_ranges_and_day_rules() {
    let h = OpeningHours::parse("Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00").unwrap();
    // 2026-11-23 is a Monday.
    assert!(h.is_open_local(local("2026-11-23T07:00:00")));
    assert!(!h.is_open_local(local("2026-11-23T06:59:00")));
    assert!(
        !h.is_open_local(local("2026-11-23T21:00:00")),
        "end is exclusive"
    );
    assert!(
        !h.is_open_local(local("2026-11-28T07:30:00")),
        "Saturday opens at 8"
    );
    assert!(h.is_open_local(local("2026-11-28T08:30:00")));
    assert!(!h.is_open_local(local("2026-11-29T09:59:00")));
    assert!(h.is_open_local(local("2026-11-29T10:00:00")));
}

#[test]
fn wrapping_ranges_lists_and_mixes() {
    let h = OpeningHours::parse("Fr-Mo 10:00-12:00").unwrap();
    assert_eq!(h.to_string(), "Mo,Fr-Su 10:00-12:00");
    for day in [23, 27, 28, 29] {
        assert!(
            h.is_open_local(local(&format!("2026-11-{day}T11:00:00"))),
            "{day}"
        );
    }
    for day in [24, 25, 26] {
        assert!(
            !h.is_open_local(local(&format!("2026-11-{day}T11:00:00"))),
            "{day}"
        );
    }
    let h = OpeningHours::parse("Mo-We, Fr 09:00-10:00").unwrap();
    assert_eq!(h.to_string(), "Mo-We,Fr 09:00-10:00");
    assert!(!h.is_open_local(local("2026-11-26T09:30:00")), "Thursday");
    assert!(h.is_open_local(local("2026-11-27T09:30:00")), "Friday");
    assert_eq!(
        OpeningHours::parse("Mo,We,Fr 09:00-10:00")
            .unwrap()
            .to_string(),
        "Mo,We,Fr 09:00-10:00"
    );
}

#[test]
fn several_spans_in_one_day() {
    let h = OpeningHours::parse("Mo-Fr 08:00-12:00, 13:00-17:00").unwrap();
    assert_eq!(h.to_string(), "Mo-Fr 08:00-12:00,13:00-17:00");
    assert!(h.is_open_local(local("2026-11-23T11:59:00")));
    assert!(!h.is_open_local(local("2026-11-23T12:30:00")));
    assert!(h.is_open_local(local("2026-11-23T13:00:00")));
}

#[test]
fn spans_past_midnight_belong_to_the_day_they_start() {
    let h = OpeningHours::parse("Fr 22:00-02:00").unwrap();
    assert!(
        h.is_open_local(local("2026-11-27T23:00:00")),
        "Friday night"
    );
    assert!(
        h.is_open_local(local("2026-11-28T01:59:00")),
        "Saturday small hours"
    );
    assert!(!h.is_open_local(local("2026-11-28T02:00:00")));
    assert!(
        !h.is_open_local(local("2026-11-27T01:00:00")),
        "Thursday's night is closed"
    );
    assert!(
        !h.is_open_local(local("2026-11-28T23:00:00")),
        "Saturday night is closed"
    );
    let h = OpeningHours::parse("Sa 18:00-24:00").unwrap();
    assert!(h.is_open_local(local("2026-11-28T23:59:00")));
    assert!(!h.is_open_local(local("2026-11-29T00:00:00")));
    assert_eq!(h.to_string(), "Sa 18:00-24:00");
}

#[test]
fn always_open_and_off() {
    let h = OpeningHours::parse("24/7").unwrap();
    assert!(h.is_open_local(local("2026-12-25T03:00:00")));
    let h = OpeningHours::parse("Mo-Sa 08:00-20:00; Su closed").unwrap();
    assert_eq!(h.to_string(), "Mo-Sa 08:00-20:00; Su off");
    assert!(!h.is_open_local(local("2026-11-29T12:00:00")));
    let h = OpeningHours::parse("off").unwrap();
    assert!(!h.is_open_local(local("2026-11-23T12:00:00")));
}

#[test]
fn a_rule_without_days_applies_every_day_and_later_rules_override() {
    let h = OpeningHours::parse("08:00-20:00; Su 12:00-16:00").unwrap();
    assert!(h.is_open_local(local("2026-11-25T08:30:00")));
    assert!(h.is_open_local(local("2026-11-28T19:00:00")));
    assert!(
        !h.is_open_local(local("2026-11-29T09:00:00")),
        "Sunday overridden"
    );
    assert!(h.is_open_local(local("2026-11-29T13:00:00")));
    let h = OpeningHours::parse("Mo-Fr 08:00-17:00; We off").unwrap();
    assert!(!h.is_open_local(local("2026-11-25T12:00:00")));
    assert!(h.is_open_local(local("2026-11-26T12:00:00")));
    let h = OpeningHours::parse("24/7; Su off").unwrap();
    assert!(!h.is_open_local(local("2026-11-29T12:00:00")));
    assert!(h.is_open_local(local("2026-11-28T03:00:00")));
}

#[test]
fn public_holidays_follow_the_finnish_calendar() {
    let h = OpeningHours::parse("Mo-Sa 08:00-21:00; Su 12:00-18:00; PH 10:00-16:00").unwrap();
    // Independence Day 2026 is a Sunday; Christmas Day a Friday; Good Friday 3 April.
    assert!(!h.is_open_local(local("2026-12-06T17:00:00")));
    assert!(h.is_open_local(local("2026-12-06T11:00:00")));
    assert!(!h.is_open_local(local("2026-12-25T09:00:00")));
    assert!(
        h.is_open_local(local("2026-12-18T09:00:00")),
        "an ordinary Friday"
    );
    assert!(
        !h.is_open_local(local("2026-04-03T17:00:00")),
        "Good Friday"
    );
    assert!(
        !h.is_open_local(local("2026-05-14T17:00:00")),
        "Ascension Day"
    );
    let h = OpeningHours::parse("Mo-Fr 08:00-17:00; Su,PH off").unwrap();
    assert_eq!(h.to_string(), "Mo-Fr 08:00-17:00; Su,PH off");
    assert!(
        !h.is_open_local(local("2026-04-06T12:00:00")),
        "Easter Monday"
    );
    assert!(h.is_open_local(local("2026-04-07T12:00:00")));
    // A later weekday rule overrides an earlier PH rule.
    let h = OpeningHours::parse("PH off; Mo-Fr 08:00-17:00").unwrap();
    assert!(h.is_open_local(local("2026-04-06T12:00:00")));
}

#[test]
fn utc_instants_use_helsinki_time_across_spring_forward() {
    // 2026-03-29: clocks go 03:00 EET -> 04:00 EEST at 01:00 UTC.
    let h = OpeningHours::parse("Su 04:00-05:00").unwrap();
    assert!(!h.is_open_at(utc("2026-03-29T00:30:00Z")), "02:30 EET");
    assert!(h.is_open_at(utc("2026-03-29T01:30:00Z")), "04:30 EEST");
    assert!(!h.is_open_at(utc("2026-03-29T02:00:00Z")), "05:00 EEST");
    let h = OpeningHours::parse("Sa-Su 10:00-21:00").unwrap();
    assert!(
        !h.is_open_at(utc("2026-03-28T07:30:00Z")),
        "09:30 EET on Saturday"
    );
    assert!(
        h.is_open_at(utc("2026-03-29T07:30:00Z")),
        "10:30 EEST on Sunday"
    );
}

#[test]
fn utc_instants_use_helsinki_time_across_fall_back() {
    // 2026-10-25: clocks go 04:00 EEST -> 03:00 EET at 01:00 UTC.
    let h = OpeningHours::parse("Sa-Su 10:00-21:00").unwrap();
    assert!(
        h.is_open_at(utc("2026-10-24T07:30:00Z")),
        "10:30 EEST on Saturday"
    );
    assert!(
        !h.is_open_at(utc("2026-10-25T07:30:00Z")),
        "09:30 EET on Sunday"
    );
    assert!(
        h.is_open_at(utc("2026-10-25T08:30:00Z")),
        "10:30 EET on Sunday"
    );
    // The repeated hour 03:00-04:00 is open both times it occurs.
    let h = OpeningHours::parse("Su 03:00-04:00").unwrap();
    assert!(h.is_open_at(utc("2026-10-25T00:30:00Z")), "03:30 EEST");
    assert!(h.is_open_at(utc("2026-10-25T01:30:00Z")), "03:30 EET");
    assert!(!h.is_open_at(utc("2026-10-25T02:30:00Z")), "04:30 EET");
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(reason(""), "empty");
    assert_eq!(reason("Mo-Fr 08:00-25:00"), "hour 25 out of range (0..=24)");
    assert_eq!(reason("Mo 08:61-10:00"), "minute 61 out of range (0..=59)");
    assert_eq!(
        reason("Xx 08:00-10:00"),
        "unknown weekday or month `Xx` (use Mo, Tu, We, Th, Fr, Sa, Su, PH, Jan..Dec or `week NN`)"
    );
    assert_eq!(reason("Mo 8-10"), "time `8` is not HH:MM");
    assert_eq!(reason("Mo 08:00"), "time span `08:00` is not HH:MM-HH:MM");
    assert_eq!(reason("Mo 08:00-08:00"), "time span `08:00-08:00` is empty");
    assert_eq!(
        reason("Mo 24:00-02:00"),
        "`24:00`: 24:00 is allowed only as the end of a span"
    );
    assert_eq!(
        reason("Mo-Fr 08:00-17:00;"),
        "empty rule (two `;` in a row or a trailing `;`)"
    );
    assert_eq!(
        reason("Mo-Fr"),
        "rule `Mo-Fr` has no times: add spans like `08:00-17:00`, or `off`"
    );
    assert_eq!(
        reason("Mo-Fr 24/7"),
        "`24/7` must stand alone as a rule, not in `Mo-Fr 24/7`"
    );
    assert_eq!(reason("Mo 08:00-1O:00"), "time `1O:00` is not HH:MM");
    let e = OpeningHours::parse("Mo 99:00-10:00").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid opening hours `Mo 99:00-10:00`: hour 99 out of range (0..=24)"
    );
}

#[test]
fn serde_uses_the_canonical_string() {
    let h: OpeningHours = serde_json::from_str(r#""Mo-Fr 8:00-17:00 ; Sa closed""#).unwrap();
    assert_eq!(
        serde_json::to_string(&h).unwrap(),
        r#""Mo-Fr 08:00-17:00; Sa off""#
    );
    assert!(serde_json::from_str::<OpeningHours>(r#""Mo 25:00-26:00""#).is_err());
}

fn days_strategy() -> impl Strategy<Value = Option<Days>> {
    prop_oneof![
        Just(None),
        (0u8..128, any::<bool>())
            .prop_filter("names at least one day", |(w, h)| *w != 0 || *h)
            .prop_map(|(weekdays, holidays)| Some(Days { weekdays, holidays })),
    ]
}

fn month_day_strategy() -> impl Strategy<Value = MonthDay> {
    (1u8..=12, prop::option::of(1u8..=28)).prop_map(|(month, day)| MonthDay { month, day })
}

fn date_range_strategy() -> impl Strategy<Value = DateRange> {
    (month_day_strategy(), month_day_strategy()).prop_map(|(start, end)| {
        // `Dec 24-26` needs a start day to name an end day of the same month.
        let end = if start.day.is_none() && end.day.is_some() && end.month == start.month {
            start
        } else {
            end
        };
        DateRange { start, end }
    })
}

fn week_strategy() -> impl Strategy<Value = WeekRange> {
    (1u8..=53, 1u8..=53, 1u8..=4).prop_map(|(from, to, step)| WeekRange { from, to, step })
}

fn selector_strategy() -> impl Strategy<Value = Selector> {
    (
        prop::collection::vec(date_range_strategy(), 0..3),
        prop::collection::vec(week_strategy(), 0..2),
        days_strategy(),
    )
        .prop_map(|(dates, weeks, days)| Selector { dates, weeks, days })
}

fn span_strategy() -> impl Strategy<Value = Span> {
    (0u16..1440, 1u16..1440).prop_map(|(start, len)| {
        let end = start + len;
        // Spans that end exactly at midnight are written 24:00 and kept at 1440.
        Span { start, end }
    })
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    prop_oneof![
        1 => Just(Rule::new(Selector::default(), Times::AlwaysOpen, false, None)),
        4 => (
            selector_strategy(),
            any::<bool>(),
            prop::collection::vec(span_strategy(), 1..4),
            prop::option::of("[a-z äö]{1,12}"),
        )
            .prop_map(|(selector, off, spans, comment)| Rule::new(
                selector,
                if off { Times::Off } else { Times::Open(spans) },
                false,
                comment.map(Into::into),
            )),
    ]
}

proptest! {
    #[test]
    fn display_then_parse_round_trips(rules in prop::collection::vec(rule_strategy(), 1..5)) {
        let h = OpeningHours::from_rules(rules);
        let text = h.to_string();
        let back = OpeningHours::parse(&text).unwrap();
        prop_assert_eq!(&back, &h, "{}", text);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = OpeningHours::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_near_miss_text(s in "[MoTuWeFrSaPHX0-9:;, /offclosed-]{0,40}") {
        if let Ok(h) = OpeningHours::parse(&s) {
            let again = OpeningHours::parse(&h.to_string()).unwrap();
            prop_assert_eq!(again, h);
        }
    }
}
