//! Opening hours against the reference implementation, opening_hours.js (npm `opening_hours`,
//! pinned in `tests/hours-oracle/package-lock.json`), run by node: the same strings and instants,
//! the same answers (open or not, and the next change), and the same Finnish public holidays.
//!
//! Needs node and the npm package (installed here with `npm ci` when npm is present). Without
//! them the test prints a notice and skips, unless `STORENET_REQUIRE_TOOLS=1` (set by `.ci/run`),
//! which makes that a failure.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use storenet::model::{finnish_holiday, OpeningHours};

const REQUIRE: &str = "STORENET_REQUIRE_TOOLS";
/// The next change of state is compared at every this many instants.
const NEXT_EVERY: usize = 6;

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hours-oracle")
}

/// Node and the installed package, or why not (then the caller skips or fails).
fn oracle_ready() -> Result<(), String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not installed (Debian: apt-get install nodejs)".into());
    }
    let dir = oracle_dir();
    if !dir.join("node_modules/opening_hours/package.json").exists() {
        let ci = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status();
        if !ci.is_ok_and(|s| s.success()) {
            return Err(format!("`npm ci` in {} failed", dir.display()));
        }
    }
    Ok(())
}

fn skip_or_fail(why: &str) -> bool {
    if std::env::var(REQUIRE).as_deref() == Ok("1") {
        panic!("{REQUIRE}=1 but the opening_hours.js oracle is unavailable: {why}");
    }
    eprintln!("NOTICE: skipping the opening_hours.js oracle test: {why}");
    true
}

fn ask_oracle(input: &Value) -> Value {
    let mut child = Command::new("node")
        .arg("oracle.js")
        .current_dir(oracle_dir())
        .env("TZ", "Europe/Helsinki")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting node");
    let body = serde_json::to_vec(input).unwrap();
    // Kept for a look at what was asked when the answers differ.
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("hours-oracle-input.json"),
        &body,
    )
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output().expect("node's answer");
    writer.join().unwrap().expect("writing to node");
    assert!(out.status.success(), "oracle.js failed");
    serde_json::from_slice(&out.stdout).expect("oracle.js writes JSON")
}

fn helsinki(s: &str) -> DateTime<Utc> {
    let local: chrono::NaiveDateTime = s.parse().unwrap();
    chrono_tz::Europe::Helsinki
        .from_local_datetime(&local)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The instants every string is judged at: both daylight-saving nights of 2026 every 20 minutes,
/// the days around Easter, May Day, Ascension, Midsummer, Christmas and New Year (including their
/// eves, which are not public holidays) at several hours, ISO week 53 of 2026, and random minutes
/// of 2025–2028.
fn instants(rng: &mut ChaCha8Rng) -> Vec<DateTime<Utc>> {
    let mut v = Vec::new();
    for night in ["2026-03-28T20:00:00Z", "2026-10-24T20:00:00Z"] {
        let t: DateTime<Utc> = night.parse().unwrap();
        v.extend((0..30).map(|k| t + Duration::minutes(20 * k)));
    }
    let days = [
        ("2026-04-01", 8),
        ("2026-04-30", 3),
        ("2026-05-13", 2),
        ("2026-06-18", 5),
        ("2026-12-05", 2),
        ("2026-12-23", 5),
        ("2026-12-30", 4),
        ("2027-06-24", 3),
    ];
    for (first, n) in days {
        let d: NaiveDate = first.parse().unwrap();
        for k in 0..n {
            let day = d + Duration::days(k);
            for hm in [
                "00:30", "01:30", "07:59", "08:00", "11:45", "12:00", "17:30", "23:30",
            ] {
                v.push(helsinki(&format!("{day}T{hm}:00")));
            }
        }
    }
    v.push(helsinki("2026-12-27T23:59:00"));
    v.push(helsinki("2026-12-28T00:00:00"));
    v.push(helsinki("2027-01-04T00:00:00"));
    let start = helsinki("2025-01-01T00:00:00").timestamp() / 60;
    let end = helsinki("2029-01-01T00:00:00").timestamp() / 60;
    for _ in 0..80 {
        v.push(
            Utc.timestamp_opt(rng.gen_range(start..end) * 60, 0)
                .unwrap(),
        );
    }
    v
}

const WEEKDAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

fn random_selector(rng: &mut ChaCha8Rng) -> String {
    let mut parts = Vec::new();
    match rng.gen_range(0..10) {
        0 => parts.push(
            ["Jul", "May-Sep", "Nov-Feb", "Jun-Aug", "Dec", "Jan"][rng.gen_range(0..6)].to_string(),
        ),
        1 => parts.push(
            [
                "Dec 24",
                "Dec 24-26",
                "Dec 24-Jan 06",
                "Jun 19-25",
                "Dec 31",
                "Apr 01-May 15",
                "Dec 24,Dec 31",
                "Jun 19-Jun 20",
            ][rng.gen_range(0..8)]
            .to_string(),
        ),
        2 => parts.push(
            [
                "week 01-10",
                "week 02-52/2",
                "week 53",
                "week 50-53,01-02",
                "week 14,16",
            ][rng.gen_range(0..5)]
            .to_string(),
        ),
        _ => {}
    }
    match rng.gen_range(0..8) {
        0 | 1 if !parts.is_empty() => {}
        0 => {}
        1 => parts.push("PH".into()),
        2 => {
            parts.push(["Su,PH", "Sa,Su,PH", "Mo-Fr,PH", "PH,Sa"][rng.gen_range(0..4)].to_string())
        }
        _ => {
            let a = rng.gen_range(0..7);
            let b = rng.gen_range(0..7);
            parts.push(if a == b {
                WEEKDAYS[a].to_string()
            } else {
                format!("{}-{}", WEEKDAYS[a], WEEKDAYS[b])
            });
        }
    }
    parts.join(" ")
}

fn random_times(rng: &mut ChaCha8Rng) -> String {
    if rng.gen_bool(0.2) {
        return "off".into();
    }
    let n = rng.gen_range(1..=2);
    let mut start = rng.gen_range(0..40) * 30;
    let mut spans = Vec::new();
    for _ in 0..n {
        let len = rng.gen_range(1..=36) * 30;
        let end = start + len;
        let end_txt = if end == 1440 {
            "24:00".to_string()
        } else {
            let e = end % 1440;
            format!("{:02}:{:02}", e / 60, e % 60)
        };
        spans.push(format!("{:02}:{:02}-{end_txt}", start / 60, start % 60));
        start = end + rng.gen_range(1..=4) * 30;
        if start >= 1440 || end > 1440 {
            break;
        }
    }
    spans.join(",")
}

fn random_hours(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::new();
    for i in 0..rng.gen_range(1..=4) {
        let sel = random_selector(rng);
        let times = random_times(rng);
        if i > 0 {
            // An additional rule needs times before it and a selector of its own.
            let additional = !sel.is_empty() && !s.ends_with("off") && rng.gen_bool(0.2);
            s.push_str(if additional { ", " } else { "; " });
        }
        if !sel.is_empty() {
            s.push_str(&sel);
            s.push(' ');
        }
        s.push_str(&times);
    }
    s
}

/// Strings written by hand: the issue's, the bundled outlets', and the corners of the semantics.
const WRITTEN: &[&str] = &[
    "Dec 24 08:00-12:00",
    "Mo-Fr 09:00-17:00; Jul off",
    "May-Sep Mo-Su 10:00-20:00",
    "Mo-Sa 07:00-21:00; Su 10:00-21:00; PH off; Dec 24 07:00-12:00",
    "Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00",
    "24/7",
    "24/7; Dec 25 off",
    "Mo-Fr 09:00-17:00; Sa off; Su off",
    "Mo-Th 11:00-22:00; Fr,Sa 11:00-23:00; Su 12:00-21:00",
    "Fr 22:00-02:00; Sa 10:00-12:00",
    "Sa 10:00-12:00; Fr 22:00-02:00",
    "Mo-Su 22:00-02:00; Fr 10:00-12:00",
    "Mo-Su 22:00-02:00; Sa off",
    "Mo-Su 20:00-03:00; Dec 24 off",
    "Mo-Fr 08:00-12:00, We 14:00-18:00",
    "Mo-Fr 08:00-17:00; PH off \"suljettu pyhinä\"",
    "Su,PH 12:00-16:00; Mo-Sa 08:00-20:00",
    "Mo-Fr 10:00-20:00; Nov-Feb Mo-Fr 10:00-18:00",
    "week 01-26 Mo-Fr 08:00-16:00; week 27-53 Mo-Fr 09:00-15:00",
    "Mo-Fr 08:00-16:00; Dec 24-Jan 06 off",
    "Su 03:00-04:00",
    "Su 02:30-03:30",
    "Su 03:30-05:00",
    "Sa 23:00-03:30",
    "Mo-Fr 08:00-12:00,13:00-17:00",
    "Sa 18:00-24:00",
    "08:00-20:00; Su 12:00-16:00",
    "Mo-Fr 08:00-17:00; Dec 24,Dec 31 09:00-13:00",
];

#[test]
fn opening_hours_agree_with_opening_hours_js() {
    if let Err(why) = oracle_ready() {
        if skip_or_fail(&why) {
            return;
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    let instants = instants(&mut rng);
    let mut texts: Vec<String> = WRITTEN.iter().map(|s| s.to_string()).collect();
    let bundled =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/outlets.csv"))
            .unwrap();
    let mut rdr = csv::Reader::from_reader(bundled.as_bytes());
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "opening_hours")
        .unwrap();
    for r in rdr.records() {
        let t = r.unwrap()[col].to_string();
        if !texts.contains(&t) {
            texts.push(t);
        }
    }
    while texts.len() < 330 {
        texts.push(random_hours(&mut rng));
    }
    // Ours, parsed; the canonical text goes to the oracle too, where it differs.
    let mut ours = Vec::new();
    for t in &texts {
        let h = OpeningHours::parse(t).unwrap_or_else(|e| panic!("{e}"));
        ours.push((t.clone(), h.clone()));
        if h.as_str() != t {
            ours.push((h.as_str().to_string(), h));
        }
    }
    let ms: Vec<i64> = instants.iter().map(|t| t.timestamp_millis()).collect();
    let first_day: NaiveDate = "2024-01-01".parse().unwrap();
    let days: Vec<NaiveDate> = (0..365 * 12)
        .map(|k| first_day + Duration::days(k))
        .collect();
    // The next change is asked at every sixth instant, and not of strings that ours finds closed
    // for the coming year (opening_hours.js takes 0.2 s a call to search that year).
    let next_at: Vec<usize> = (0..instants.len()).step_by(NEXT_EVERY).collect();
    let input = json!({
        "cases": ours.iter().map(|(t, h)| {
            let never = h.status(instants[0], 0).next_open.is_none() && !h.is_open_at(instants[0]);
            json!({"hours": t, "instants": ms, "next_at": if never { vec![] } else { next_at.clone() }})
        }).collect::<Vec<_>>(),
        "holiday_days": days.iter().map(|d| helsinki(&format!("{d}T12:00:00")).timestamp_millis()).collect::<Vec<_>>(),
    });
    let answer = ask_oracle(&input);

    let mut wrong = Vec::new();
    let mut compared = 0usize;
    let mut js_errors = 0usize;
    let mut tolerated = 0usize;
    for ((text, h), case) in ours.iter().zip(answer["cases"].as_array().unwrap()) {
        if let Some(e) = case["error"].as_str() {
            wrong.push(format!("`{text}`: opening_hours.js refuses it: {e}"));
            continue;
        }
        for (k, t) in instants.iter().enumerate() {
            compared += 1;
            let open = h.is_open_at(*t);
            if case["open"][k].as_bool() != Some(open) {
                wrong.push(format!(
                    "`{text}` at {t}: ours open={open}, js {}",
                    case["open"][k]
                ));
            }
        }
        for (j, js_next) in case["next"].as_array().unwrap().iter().enumerate() {
            let t = instants[j * NEXT_EVERY];
            if js_next == "error" {
                js_errors += 1;
                continue;
            }
            compared += 1;
            let s = h.status(t, 0);
            let ours_next = if s.open_now { s.closes_at } else { s.next_open };
            let ours_next = ours_next.map(|d| d.timestamp_millis());
            let js_next = js_next.as_i64();
            let agree = match (ours_next, js_next) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                // Ours stops looking after a year and a day, opening_hours.js a day later.
                (None, Some(b)) => b > (t + Duration::days(366)).timestamp_millis(),
                (Some(_), None) => false,
            };
            // opening_hours.js 3.15 misplaces times by the skipped hour around the spring change
            // (a span starting in the gap, 03:30, changes at 04:30 by its getNextChange although
            // its getState says open from 04:00; after the 23-hour Sunday, `Mo-Sa 18:00-05:00`
            // reads as open on Monday 00:30). Next changes asked that weekend are tolerated; the
            // states are still compared at every instant.
            let spring_weekend = helsinki("2026-03-28T22:00:00")..helsinki("2026-03-30T08:00:00");
            let tolerable = spring_weekend.contains(&t)
                && [ours_next, js_next]
                    .iter()
                    .all(|m| m.is_some_and(|m| m < spring_weekend.end.timestamp_millis()));
            if !agree && tolerable {
                tolerated += 1;
            } else if !agree {
                wrong.push(format!(
                    "`{text}` at {t} (open={}): next change ours {:?}, js {:?}",
                    s.open_now,
                    ours_next.and_then(|m| Utc.timestamp_millis_opt(m).single()),
                    js_next.and_then(|m| Utc.timestamp_millis_opt(m).single()),
                ));
            }
        }
    }
    let js_holidays = answer["holidays"].as_array().unwrap();
    for (d, js) in days.iter().zip(js_holidays) {
        let ours = finnish_holiday(*d).is_some();
        if js.as_bool() != Some(ours) {
            wrong.push(format!("{d}: our PH {ours}, js {js}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {compared} answers and {} days differ from opening_hours.js, e.g.:\n{}",
        wrong.len(),
        days.len(),
        wrong[..wrong.len().min(25)].join("\n")
    );
    assert!(compared > 50_000, "compared only {compared}");
    eprintln!(
        "opening_hours.js agrees on {compared} answers and {} days ({tolerated} next changes in \
         the spring daylight-saving weekend tolerated; {js_errors} it could not give)",
        days.len()
    );
    assert!(
        js_errors * 100 < compared,
        "opening_hours.js could not say the next change {js_errors} times of {compared}"
    );
}
