//! Registry benches: loading and validating outlet files, parsing and evaluating opening hours.
//!
//! Fed by tests/fixtures (300 outlets); the 3,000-outlet case repeats them ten times with new ids,
//! the size of the bundled data set.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use storenet::model::OpeningHours;
use storenet::registry::{load, LoadOptions};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn bench_load(c: &mut Criterion) {
    let chains = fixture("chains.csv");
    let small = fixture("outlets_small.csv");
    c.bench_function("load 300 outlets (csv)", |b| {
        b.iter(|| load(&chains, black_box(&small), &LoadOptions::default()).unwrap())
    });

    let text = std::fs::read_to_string(&small).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut big = format!("{header}\n");
    for copy in 0..10u32 {
        for row in &rows {
            let (id, rest) = row.split_once(',').unwrap();
            let id: u32 = id.parse().unwrap();
            big.push_str(&format!("{},{rest}\n", copy * 1000 + id));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let big_path = dir.path().join("outlets.csv");
    std::fs::write(&big_path, big).unwrap();
    c.bench_function("load 3000 outlets (csv)", |b| {
        b.iter(|| load(&chains, black_box(&big_path), &LoadOptions::default()).unwrap())
    });
}

fn bench_hours(c: &mut Criterion) {
    let text = "Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00; PH 10:00-16:00";
    c.bench_function("parse opening hours", |b| {
        b.iter(|| OpeningHours::parse(black_box(text)).unwrap())
    });
    let h = OpeningHours::parse(text).unwrap();
    let t = "2026-11-24T10:30:00Z".parse().unwrap();
    c.bench_function("is_open_at (Helsinki time, PH rule)", |b| {
        b.iter(|| h.is_open_at(black_box(t)))
    });
    let t = "2026-12-04T18:30:00Z".parse().unwrap();
    c.bench_function("status: open now, closes at, next opening, 14 days", |b| {
        b.iter(|| h.status(black_box(t), 14))
    });

    // Open now over every bundled outlet (data/outlets.csv, 3,100 outlets), as the `open_at`
    // filter of a list query judges them: a Friday evening, Christmas Eve, Midsummer Day.
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/outlets.csv");
    let mut rdr = csv::Reader::from_path(bundled).unwrap();
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "opening_hours")
        .unwrap();
    let all: Vec<OpeningHours> = rdr
        .records()
        .map(|r| r.unwrap()[col].parse().unwrap())
        .collect();
    for at in [
        "2026-12-04T18:30:00Z",
        "2026-12-24T10:00:00Z",
        "2026-06-20T09:00:00Z",
    ] {
        let t = at.parse().unwrap();
        c.bench_function(
            &format!("open now, {} bundled outlets, {at}", all.len()),
            |b| b.iter(|| all.iter().filter(|h| h.is_open_at(black_box(t))).count()),
        );
    }
}

criterion_group!(benches, bench_load, bench_hours);
criterion_main!(benches);
