//! Exporting every outlet to each format, and the whole export (every format, split by chain,
//! zipped). Uses `data/` when the bundled data set is present, else the test fixture repeated ten
//! times with small offsets (3,000 outlets, the size of the real network).

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use std::sync::Arc;
use storenet::export::{self, ExportContext, ExportOptions, Format, PoiSet, Selection};
use storenet::model::{LonLat, OutletId};
use storenet::offers::OfferBook;
use storenet::registry::{load_dir, Registry};
use storenet::spatial::OutletIndex;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn registry() -> (Registry, OfferBook) {
    let data = repo("data");
    if data.join("outlets.csv").exists() && data.join("chains.csv").exists() {
        let reg = load_dir(&data).expect("data/ loads");
        let offers = data.join("offers.csv");
        let book = if offers.exists() {
            storenet::offers::load_csv(&offers).expect("offers load")
        } else {
            OfferBook::default()
        };
        return (reg, book);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let fx = repo("tests/fixtures");
    std::fs::copy(fx.join("chains.csv"), dir.path().join("chains.csv")).expect("copy");
    std::fs::copy(fx.join("outlets_small.csv"), dir.path().join("outlets.csv")).expect("copy");
    let base = load_dir(dir.path()).expect("fixture loads");
    let mut outlets = Vec::new();
    for k in 0..10u32 {
        for o in base.outlets() {
            let mut c = o.clone();
            c.id = OutletId(o.id.0 + k * 10_000);
            let d = k as f64 * 0.003;
            c.location = LonLat::new(o.location.lon() + d, o.location.lat() + d).expect("in range");
            outlets.push(c);
        }
    }
    let reg = Registry::new(base.chains().cloned().collect(), outlets).expect("registry");
    (reg, OfferBook::default())
}

fn bench(c: &mut Criterion) {
    let (reg, book) = registry();
    let index = OutletIndex::new(Arc::new(reg));
    let selected = export::select(&index, &Selection::default()).expect("select");
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let ctx = |options| ExportContext {
        registry: index.registry(),
        offers: &book,
        day,
        options,
    };
    let n = selected.outlets.len();
    let mut g = c.benchmark_group(format!("export_{n}_outlets"));
    g.sample_size(10);
    for f in Format::ALL {
        let ctx = ctx(ExportOptions {
            proximity_m: Some(300),
            ..ExportOptions::default()
        });
        g.bench_function(f.name(), |b| {
            b.iter(|| {
                let set = PoiSet::prepare(&selected, &ctx).expect("prepare");
                export::build(&[f], &set, &ctx).expect("build")
            })
        });
    }
    let all = ctx(ExportOptions {
        split: true,
        zip: true,
        proximity_m: Some(300),
        ..ExportOptions::default()
    });
    g.bench_function("all_formats_split_zip_to_disk", |b| {
        let dir = tempfile::tempdir().expect("temp dir");
        b.iter(|| {
            export::write_to_dir(&Format::ALL, &selected, &all, dir.path(), &mut |_| {})
                .expect("write")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
