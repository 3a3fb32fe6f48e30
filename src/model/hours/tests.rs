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
    (1u8..=53, 1u8..=53, 1u8..=4).prop_map(|(a, b, step)| WeekRange {
        from: a.min(b),
        to: a.max(b),
        step,
    })
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

#[test]
fn date_rules_as_finnish_shops_write_them() {
    // The issue's strings, all refused before ("unknown weekday `Dec`").
    let h = OpeningHours::parse("Dec 24 08:00-12:00").unwrap();
    assert!(h.is_open_local(local("2026-12-24T11:59:00")));
    assert!(!h.is_open_local(local("2026-12-24T12:00:00")));
    assert!(!h.is_open_local(local("2026-12-23T10:00:00")));
    let h = OpeningHours::parse("Mo-Fr 09:00-17:00; Jul off").unwrap();
    assert!(!h.is_open_local(local("2026-07-15T12:00:00")), "July");
    assert!(h.is_open_local(local("2026-08-03T12:00:00")));
    let h = OpeningHours::parse("May-Sep Mo-Su 10:00-20:00").unwrap();
    assert!(h.is_open_local(local("2026-09-30T19:00:00")));
    assert!(!h.is_open_local(local("2026-10-01T19:00:00")));
    assert!(!h.is_open_local(local("2026-04-30T12:00:00")));
    let h = OpeningHours::parse("Mo-Sa 07:00-21:00; Su 10:00-21:00; PH off; Dec 24 07:00-12:00")
        .unwrap();
    assert!(
        h.is_open_local(local("2026-12-24T11:00:00")),
        "Christmas Eve"
    );
    assert!(!h.is_open_local(local("2026-12-24T13:00:00")));
    assert!(
        !h.is_open_local(local("2026-12-25T11:00:00")),
        "Christmas Day"
    );
    assert!(
        !h.is_open_local(local("2026-12-06T11:00:00")),
        "Independence Day"
    );
    assert!(h.is_open_local(local("2026-12-07T11:00:00")));
    // Ranges over New Year, lists, weeks; the canonical form reads back the same.
    let h = OpeningHours::parse("Mo-Fr 08:00-16:00; Dec 24-Jan 06 off").unwrap();
    assert!(!h.is_open_local(local("2027-01-04T12:00:00")));
    assert!(h.is_open_local(local("2027-01-07T12:00:00")));
    let h = OpeningHours::parse("week 02-52/2 Mo 10:00-12:00; Dec 24,Dec 31 off").unwrap();
    assert_eq!(
        h.to_string(),
        "week 02-52/2 Mo 10:00-12:00; Dec 24,Dec 31 off"
    );
    assert!(h.is_open_local(local("2026-01-05T11:00:00")), "week 2");
    assert!(!h.is_open_local(local("2026-01-12T11:00:00")), "week 3");
    assert_eq!(
        OpeningHours::parse("Dec 24-26 off; Jun 19 -Jun 20 off")
            .unwrap()
            .to_string(),
        "Dec 24-Dec 26 off; Jun 19-Jun 20 off"
    );
}

#[test]
fn a_later_rule_replaces_the_small_hours_of_the_day_it_names() {
    // OSM: the later rule for Saturday decides Saturday, Friday's 00:00-02:00 part included.
    let h = OpeningHours::parse("Fr 22:00-02:00; Sa 10:00-12:00").unwrap();
    assert!(h.is_open_local(local("2026-11-27T23:00:00")));
    assert!(!h.is_open_local(local("2026-11-28T01:00:00")));
    // Written the other way round, Friday's night comes after and is added to Saturday.
    let h = OpeningHours::parse("Sa 10:00-12:00; Fr 22:00-02:00").unwrap();
    assert!(h.is_open_local(local("2026-11-28T01:00:00")));
    assert!(h.is_open_local(local("2026-11-28T11:00:00")));
    // A later rule for Friday alone leaves Saturday's small hours to the rule that wrote them.
    let h = OpeningHours::parse("Mo-Su 22:00-02:00; Fr 10:00-12:00").unwrap();
    assert!(h.is_open_local(local("2026-11-28T01:00:00")));
    assert!(!h.is_open_local(local("2026-11-27T23:00:00")));
    let h = OpeningHours::parse("Mo-Su 22:00-02:00; Dec 25 off").unwrap();
    assert!(!h.is_open_local(local("2026-12-25T01:00:00")));
    assert!(!h.is_open_local(local("2026-12-25T23:00:00")));
    assert!(
        h.is_open_local(local("2026-12-26T01:00:00")),
        "not a rule for the 26th"
    );
}

#[test]
fn additional_rules_and_comments() {
    let h = OpeningHours::parse("Mo-Fr 08:00-12:00, We 14:00-18:00").unwrap();
    assert_eq!(h.to_string(), "Mo-Fr 08:00-12:00, We 14:00-18:00");
    assert!(
        h.is_open_local(local("2026-11-25T09:00:00")),
        "Wednesday morning kept"
    );
    assert!(h.is_open_local(local("2026-11-25T15:00:00")));
    assert!(!h.is_open_local(local("2026-11-24T15:00:00")));
    // A rule without a selector after one with a selector adds to the days (opening_hours.js).
    let h = OpeningHours::parse("Mo-Fr 08:00-17:00; 10:00-12:00").unwrap();
    assert!(h.is_open_local(local("2026-11-24T16:00:00")));
    assert!(h.is_open_local(local("2026-11-28T11:00:00")));
    assert!(!h.is_open_local(local("2026-11-28T13:00:00")));
    let h = OpeningHours::parse("Mo-Fr 08:00-17:00, Sa off; Su 10:00-12:00").unwrap();
    assert!(!h.is_open_local(local("2026-11-28T11:00:00")));
    let h = OpeningHours::parse("Mo-Fr 08:00-17:00; PH off \"suljettu; pyhinä\"").unwrap();
    assert_eq!(
        h.to_string(),
        "Mo-Fr 08:00-17:00; PH off \"suljettu; pyhinä\""
    );
    assert!(!h.is_open_local(local("2026-12-25T12:00:00")));
    let h = OpeningHours::parse("Mo open; Tu 10:00-12:00 open").unwrap();
    assert!(h.is_open_local(local("2026-11-23T03:00:00")));
    assert!(h.is_open_local(local("2026-11-24T11:00:00")));
}

#[test]
fn unsupported_syntax_is_refused_with_a_reason() {
    for (text, says) in [
        ("SH off", "school holidays"),
        ("Mo-Fr 08:00-17:00; SH off", "school holidays"),
        ("sunrise-sunset", "`sunrise` is not supported"),
        ("Mo 08:00-sunset", "`sunset` is not supported"),
        ("2026 Dec 24 off", "year selectors"),
        ("Su[1] 10:00-12:00", "nth-weekday"),
        ("Mo 18:00+", "open ends"),
        ("Mo 08:00-12:00 || \"call\"", "fallback rules"),
        ("\"by appointment\"", "only a comment"),
        ("Mo 08:00-12:00 \"a", "closing `\"` is missing"),
        ("Feb 30 off", "day 30 out of range for Feb (1..=29)"),
        ("week 54 off", "week 54 out of range"),
        ("week 50-02 off", "reverse order"),
        ("Mo Dec 08:00-12:00", "month `Dec` must come before"),
        ("Mo-Fr 08:00-17:00, ", "time span `` is not HH:MM-HH:MM"),
    ] {
        let r = reason(text);
        assert!(r.contains(says), "`{text}`: {r}");
    }
    assert!(reason(&"Mo 08:00-12:00;".repeat(100)).contains("longer than"));
}

#[test]
fn status_tells_open_now_closes_at_next_opening_and_the_week() {
    let h =
        OpeningHours::parse("Mo-Sa 07:00-21:00; Su,PH 10:00-18:00; Dec 24 07:00-12:00").unwrap();
    // Friday 2026-12-04 at 15:00 Helsinki (EET, UTC+2).
    let s = h.status(utc("2026-12-04T13:00:00Z"), 14);
    assert!(s.open_now);
    assert_eq!(
        s.closes_at.unwrap().to_rfc3339(),
        "2026-12-04T21:00:00+02:00"
    );
    assert_eq!(
        s.next_open.unwrap().to_rfc3339(),
        "2026-12-05T07:00:00+02:00"
    );
    assert_eq!(s.days.len(), 14);
    assert_eq!(s.days[0].date.to_string(), "2026-12-04");
    assert_eq!(s.days[0].interval_texts(), [["07:00", "21:00"]]);
    let independence = &s.days[2];
    assert_eq!(independence.holiday.unwrap().fi, "Itsenäisyyspäivä");
    assert_eq!(independence.holiday.unwrap().sv, "Självständighetsdagen");
    assert_eq!(independence.interval_texts(), [["10:00", "18:00"]]);
    // Christmas Eve is a date rule, not a holiday; Christmas Day is PH.
    let s = h.status(utc("2026-12-24T12:00:00Z"), 3);
    assert!(!s.open_now, "14:00 on Christmas Eve");
    assert!(s.closes_at.is_none());
    assert_eq!(
        s.next_open.unwrap().to_rfc3339(),
        "2026-12-25T10:00:00+02:00"
    );
    assert_eq!(s.days[0].holiday, None);
    assert_eq!(s.days[0].interval_texts(), [["07:00", "12:00"]]);
    assert_eq!(s.days[1].holiday.unwrap().en, "Christmas Day");
    // Past midnight: closes the next morning; 24/7 never closes.
    let h = OpeningHours::parse("Fr 22:00-02:00").unwrap();
    let s = h.status(utc("2026-11-27T21:00:00Z"), 2);
    assert_eq!(
        s.closes_at.unwrap().to_rfc3339(),
        "2026-11-28T02:00:00+02:00"
    );
    assert_eq!(s.days[0].interval_texts(), [["22:00", "24:00"]]);
    assert_eq!(s.days[1].interval_texts(), [["00:00", "02:00"]]);
    let s = OpeningHours::parse("24/7")
        .unwrap()
        .status(utc("2026-11-27T21:00:00Z"), 1);
    assert!(s.open_now && s.closes_at.is_none() && s.next_open.is_none());
    // A shop closed all July opens on 3 August (a Monday).
    let h = OpeningHours::parse("Mo-Fr 09:00-17:00; Jul off").unwrap();
    let s = h.status(utc("2026-07-01T09:00:00Z"), 0);
    assert_eq!(
        s.next_open.unwrap().to_rfc3339(),
        "2026-08-03T09:00:00+03:00"
    );
    assert!(s.days.is_empty());
}

#[test]
fn status_across_daylight_saving_changes() {
    // Spring: 03:00 EET does not exist on 2026-03-29; an opening at 03:30 is at 04:00 EEST.
    let h = OpeningHours::parse("Su 03:30-05:00").unwrap();
    let s = h.status(utc("2026-03-28T22:00:00Z"), 1);
    assert_eq!(
        s.next_open.unwrap().to_rfc3339(),
        "2026-03-29T04:00:00+03:00"
    );
    // A span wholly inside the skipped hour never opens: the next is a week later.
    let h = OpeningHours::parse("Su 03:00-04:00").unwrap();
    let s = h.status(utc("2026-03-28T22:00:00Z"), 1);
    assert_eq!(
        s.next_open.unwrap().to_rfc3339(),
        "2026-04-05T03:00:00+03:00"
    );
    // Autumn: 03:00-04:00 happens twice on 2026-10-25; a closing at 03:30 is the first one (the
    // state changes then, as opening_hours.js says).
    let h = OpeningHours::parse("Sa 22:00-03:30").unwrap();
    let s = h.status(utc("2026-10-24T20:00:00Z"), 1);
    assert_eq!(
        s.closes_at.unwrap().to_rfc3339(),
        "2026-10-25T03:30:00+03:00"
    );
}
