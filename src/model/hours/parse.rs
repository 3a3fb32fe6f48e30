//! The parser of opening-hours text (the syntax is in the parent module's documentation).

use super::{
    DateRange, Days, MonthDay, Rule, Selector, Span, Times, WeekRange, ALL_DAY, DAY_NAMES,
    MINUTES_PER_DAY, MONTH_NAMES,
};

/// The longest text accepted (OSM limits a tag value to 255 characters; shops write far less).
pub(super) const MAX_LEN: usize = 1000;

/// Parses the whole text into rules, or says what is wrong.
pub(super) fn rules(s: &str) -> Result<Vec<Rule>, String> {
    if s.trim().is_empty() {
        return Err("empty".into());
    }
    if s.len() > MAX_LEN {
        return Err(format!("longer than {MAX_LEN} bytes"));
    }
    let mut out = Vec::new();
    for text in split_outside_quotes(s, ';')? {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty rule (two `;` in a row or a trailing `;`)".into());
        }
        if text.contains("||") {
            return Err(format!(
                "fallback rules (`||`) are not supported in `{text}`: write the rules with `;`"
            ));
        }
        for (i, part) in split_additional(text).into_iter().enumerate() {
            out.push(rule(part.trim(), i > 0)?);
        }
    }
    Ok(out)
}

/// Splits on `sep` outside double quotes; an unclosed quote is an error.
fn split_outside_quotes(s: &str, sep: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    if quoted {
        return Err("a comment's closing `\"` is missing".into());
    }
    parts.push(&s[start..]);
    Ok(parts)
}

/// Splits a rule at each `,` that ends its times and starts a new selector (an additional rule,
/// `Mo-Fr 08:00-12:00, We 14:00-18:00`), not at the commas of day, date or span lists.
fn split_additional(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        if c != ',' || quoted {
            continue;
        }
        let before = text[start..i].trim_end();
        let after = text[i + 1..].trim_start();
        let has_times = before.contains(':')
            || before.ends_with('"')
            || ["off", "closed", "open", "24/7"]
                .iter()
                .any(|w| before.ends_with(w));
        if has_times && after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

fn rule(r: &str, additional: bool) -> Result<Rule, String> {
    if r.is_empty() {
        return Err("empty rule after `,`".into());
    }
    let (body, comment) = match r.find('"') {
        None => (r, None),
        Some(q) => {
            let c = &r[q..];
            if c.len() < 2 || !c.ends_with('"') || c[1..c.len() - 1].contains('"') {
                return Err(format!(
                    "a comment must be one `\"…\"` at the end of its rule, not as in `{r}`"
                ));
            }
            (r[..q].trim_end(), Some(c[1..c.len() - 1].into()))
        }
    };
    if body.is_empty() {
        return Err(format!(
            "rule `{r}` has only a comment: give times or `off` with it"
        ));
    }
    if body == "24/7" {
        return Ok(Rule::new(
            Selector::default(),
            Times::AlwaysOpen,
            additional,
            comment,
        ));
    }
    let mut c = Cursor { s: body, i: 0 };
    let selector = c.selector()?;
    let rest = c.s[c.i..].trim();
    let times = times(r, rest)?;
    Ok(Rule::new(selector, times, additional, comment))
}

fn times(r: &str, rest: &str) -> Result<Times, String> {
    for word in ["sunrise", "sunset", "dawn", "dusk"] {
        if rest.contains(word) {
            return Err(format!(
                "`{word}` is not supported: give clock times such as `08:00-21:00`"
            ));
        }
    }
    let rest = rest.strip_suffix(" open").unwrap_or(rest).trim_end();
    match rest {
        "" => Err(format!(
            "rule `{r}` has no times: add spans like `08:00-17:00`, or `off`"
        )),
        "off" | "closed" => Ok(Times::Off),
        "open" => Ok(Times::Open(ALL_DAY.to_vec())),
        "24/7" => Err(format!("`24/7` must stand alone as a rule, not in `{r}`")),
        t if t.starts_with(|c: char| c.is_ascii_alphabetic()) => Err(unknown_word(t)),
        t => {
            // Spaces may sit around `-` and after `,` (`08:00 - 12:00, 13:00-17:00`).
            let glued: String = t.split_whitespace().collect();
            glued
                .split(',')
                .map(span)
                .collect::<Result<_, _>>()
                .map(Times::Open)
        }
    }
}

fn unknown_word(t: &str) -> String {
    let word: String = t
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '-')
        .take(20)
        .collect();
    match word.as_str() {
        "SH" => "`SH` (school holidays) is not supported: there is no Finnish school-holiday \
                 calendar; write the dates, e.g. `Jun 01-Aug 10`"
            .into(),
        "easter" => "`easter` is not supported: write the dates".into(),
        "week" => "`week` must come before the weekdays (`week 01-10 Mo-Fr`)".into(),
        w if MONTH_NAMES.contains(&w) => {
            format!("month `{w}` must come before weeks and weekdays (`Dec Mo-Fr`)")
        }
        w => format!(
            "unknown weekday or month `{w}` (use Mo, Tu, We, Th, Fr, Sa, Su, PH, Jan..Dec or \
             `week NN`)"
        ),
    }
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

fn span(s: &str) -> Result<Span, String> {
    if s.ends_with('+') {
        return Err(format!(
            "open ends (`{s}`) are not supported: give the closing time"
        ));
    }
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("time span `{s}` is not HH:MM-HH:MM"))?;
    let start = parse_time(a.trim(), false)?;
    let mut end = parse_time(b.trim(), true)?;
    if start == end {
        return Err(format!("time span `{s}` is empty"));
    }
    if end < start {
        // Past midnight: the span starts on its day and its small hours fall on the next.
        end += MINUTES_PER_DAY;
    }
    Ok(Span { start, end })
}

/// A position in a rule's text while its selectors are read.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    fn skip_ws(&mut self) {
        let r = self.rest();
        self.i += r.len() - r.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        if self.rest().starts_with(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// The ASCII letters at the cursor (not consumed).
    fn word(&self) -> &'a str {
        let r = self.rest();
        let n = r.bytes().take_while(u8::is_ascii_alphabetic).count();
        &r[..n]
    }

    /// A number of 1–2 digits at the cursor that is not the hour of a time (`10:00`).
    fn small_number(&mut self) -> Option<u8> {
        let r = self.rest();
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 2 || r[n..].starts_with(':') {
            return None;
        }
        let v = r[..n].parse().ok()?;
        self.i += n;
        Some(v)
    }

    fn month(&mut self) -> Option<u8> {
        let w = self.word();
        let m = MONTH_NAMES.iter().position(|n| *n == w)?;
        self.i += w.len();
        Some(m as u8 + 1)
    }

    fn weekday(&mut self) -> Result<u8, String> {
        let (s, i) = (self.s, self.i);
        let w = self.word();
        let d = DAY_NAMES
            .iter()
            .position(|n| *n == w)
            .ok_or_else(|| unknown_word(if w.is_empty() { &s[i..] } else { w }))?;
        let w = &s[i..i + w.len()];
        self.i += w.len();
        if self.rest().starts_with('[') {
            return Err(format!(
                "nth-weekday selectors like `{w}[1]` are not supported: write the dates"
            ));
        }
        Ok(d as u8)
    }

    fn selector(&mut self) -> Result<Selector, String> {
        let mut sel = Selector::default();
        self.skip_ws();
        let r = self.rest();
        let year_digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if year_digits == 4 && !r[4..].starts_with(':') {
            return Err(format!(
                "year selectors (`{}`) are not supported: write months and days",
                &r[..4]
            ));
        }
        if MONTH_NAMES.contains(&self.word()) {
            sel.dates = self.dates()?;
            self.skip_ws();
        }
        if self.word() == "week" {
            self.i += 4;
            sel.weeks = self.weeks()?;
            self.skip_ws();
        }
        let w = self.word();
        if DAY_NAMES.contains(&w) || w == "PH" || w == "SH" {
            sel.days = Some(self.days()?);
        }
        Ok(sel)
    }

    fn month_day(&mut self, month: u8) -> Result<Option<u8>, String> {
        let save = self.i;
        self.skip_ws();
        match self.small_number() {
            Some(d) => {
                let max = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][usize::from(month - 1)];
                if d == 0 || d > max {
                    return Err(format!(
                        "day {d} out of range for {} (1..={max})",
                        MONTH_NAMES[usize::from(month - 1)]
                    ));
                }
                Ok(Some(d))
            }
            None => {
                self.i = save;
                Ok(None)
            }
        }
    }

    fn dates(&mut self) -> Result<Vec<DateRange>, String> {
        let mut out = Vec::new();
        loop {
            let month = self.month().ok_or_else(|| unknown_word(self.rest()))?;
            let start = MonthDay {
                month,
                day: self.month_day(month)?,
            };
            let save = self.i;
            self.skip_ws();
            let end = if self.eat('-') {
                self.skip_ws();
                if let Some(m) = self.month() {
                    MonthDay {
                        month: m,
                        day: self.month_day(m)?,
                    }
                } else if let (Some(_), Some(d)) = (start.day, self.month_day(month)?) {
                    MonthDay {
                        month,
                        day: Some(d),
                    }
                } else {
                    return Err(format!(
                        "date range after `{}` needs a month or a day (`Dec 24-26`, `May-Sep`)",
                        &self.s[..save]
                    ));
                }
            } else {
                self.i = save;
                start
            };
            out.push(DateRange { start, end });
            let save = self.i;
            self.skip_ws();
            if self.eat(',') {
                self.skip_ws();
                if MONTH_NAMES.contains(&self.word()) {
                    continue;
                }
            }
            self.i = save;
            return Ok(out);
        }
    }

    fn week_number(&mut self) -> Result<u8, String> {
        match self.small_number() {
            Some(w @ 1..=53) => Ok(w),
            Some(w) => Err(format!("week {w} out of range (1..=53)")),
            None => Err("`week` needs week numbers (`week 01-26`)".into()),
        }
    }

    fn weeks(&mut self) -> Result<Vec<WeekRange>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            let from = self.week_number()?;
            let to = if self.eat('-') {
                self.week_number()?
            } else {
                from
            };
            if to < from {
                return Err(format!(
                    "week range {from:02}-{to:02} is in reverse order: write `week {from:02}-53,01-{to:02}`"
                ));
            }
            let step = if self.eat('/') {
                match self.small_number() {
                    Some(s @ 1..=52) => s,
                    _ => return Err("a week step must be 1..=52 (`week 02-52/2`)".into()),
                }
            } else {
                1
            };
            out.push(WeekRange { from, to, step });
            if !self.eat(',') {
                return Ok(out);
            }
        }
    }

    fn days(&mut self) -> Result<Days, String> {
        let mut days = Days {
            weekdays: 0,
            holidays: false,
        };
        loop {
            self.skip_ws();
            match self.word() {
                "PH" => {
                    self.i += 2;
                    days.holidays = true;
                }
                "SH" => return Err(unknown_word("SH")),
                _ => {
                    let a = self.weekday()?;
                    let b = if self.eat('-') { self.weekday()? } else { a };
                    // A range may wrap over the weekend: `Fr-Mo` is Fr, Sa, Su, Mo.
                    let mut d = a;
                    loop {
                        days.weekdays |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
            }
            let save = self.i;
            self.skip_ws();
            if !self.eat(',') {
                self.i = save;
                return Ok(days);
            }
        }
    }
}
