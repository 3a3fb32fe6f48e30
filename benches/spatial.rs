//! Spatial index benchmarks: build, k = 5 nearest, radius 10 km, and a 2 km corridor along a
//! ~560 km Helsinki → Oulu route of ~5,000 vertices.
//!
//! Uses `data/outlets.csv` (with `data/chains.csv`) when present; otherwise ~3,000 outlets drawn
//! with a seeded RNG inside Finland's outline, with the test fixture's chains.
//!
//! `cargo bench --bench spatial` (add `-- --quick` for a short run).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;
use storenet::model::{Address, LonLat, OpeningHours, Outlet, OutletId, OutletKind};
use storenet::registry::{self, Registry};
use storenet::spatial::{route_length_m, Filter, OutletIndex};

fn registry() -> Registry {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("data");
    if data.join("outlets.csv").exists() && data.join("chains.csv").exists() {
        match registry::load_dir(&data) {
            Ok(r) => {
                eprintln!("registry: data/outlets.csv, {} outlets", r.outlets().len());
                return r;
            }
            Err(e) => eprintln!("data/outlets.csv unusable ({e}); generating outlets instead"),
        }
    }
    let chains = registry::csv::read_chains(&root.join("tests/fixtures/chains.csv"))
        .expect("fixture chains");
    let mut rng = ChaCha8Rng::seed_from_u64(3_000);
    let outline = storenet::finland::outline();
    let mut outlets = Vec::with_capacity(3_000);
    while outlets.len() < 3_000 {
        // Denser in the south, as people are; rejection-sample the outline.
        let lat = 59.7 + 10.4 * rng.gen::<f64>().powi(2);
        let p = LonLat::new(rng.gen_range(19.1..31.6), lat).expect("in range");
        if !outline.contains(p) {
            continue;
        }
        let chain = &chains[rng.gen_range(0..chains.len())];
        let id = outlets.len() as u32 + 1;
        outlets.push(Outlet {
            id: OutletId(id),
            name: format!("{} {id}", chain.name),
            chain: chain.id.clone(),
            kind: if chain.k_group {
                OutletKind::Store
            } else {
                OutletKind::Partner
            },
            address: Address {
                street: format!("Kauppatie {id}"),
                postal_code: "00100".into(),
                city: "Testi".into(),
            },
            municipality: "091".parse().expect("valid code"),
            location: p,
            phone: "+358 40 1234567".into(),
            hours: OpeningHours::parse("Mo-Sa 07:00-21:00; Su 10:00-21:00").expect("valid"),
            services: vec![],
        });
    }
    eprintln!("registry: generated, {} outlets", outlets.len());
    Registry::new(chains, outlets).expect("valid registry")
}

/// Helsinki → Lahti → Jyväskylä → Oulu through real town centres, each leg split into ~100 m
/// steps that sway gently (±150 m) like a road: ~5,000 vertices, ~560 km of great-circle legs.
fn helsinki_oulu() -> Vec<LonLat> {
    let towns = [
        (24.9384, 60.1699), // Helsinki
        (25.0948, 60.4748), // Järvenpää
        (25.6612, 60.9827), // Lahti
        (26.0386, 61.2058), // Heinola
        (25.7473, 62.2426), // Jyväskylä
        (25.7300, 62.6000), // Äänekoski
        (25.8600, 63.0700), // Viitasaari
        (25.9900, 63.6800), // Pyhäsalmi
        (25.4651, 65.0121), // Oulu
    ];
    let per_leg = 5_000 / (towns.len() - 1);
    let mut out = Vec::with_capacity(5_001);
    for w in towns.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        for i in 0..per_leg {
            let t = i as f64 / per_leg as f64;
            let sway = 0.0015 * (i as f64 * std::f64::consts::PI / 40.0).sin();
            out.push(
                LonLat::new(x0 + t * (x1 - x0) + 2.0 * sway, y0 + t * (y1 - y0) + sway)
                    .expect("in range"),
            );
        }
    }
    let (x, y) = towns[towns.len() - 1];
    out.push(LonLat::new(x, y).expect("in range"));
    out
}

fn query_points(n: usize) -> Vec<LonLat> {
    let mut rng = ChaCha8Rng::seed_from_u64(10_000);
    (0..n)
        .map(|_| {
            LonLat::new(rng.gen_range(20.0..31.0), rng.gen_range(59.8..70.0)).expect("in range")
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let reg = Arc::new(registry());
    let index = OutletIndex::new(Arc::clone(&reg));
    let points = query_points(10_000);
    let route = helsinki_oulu();
    eprintln!(
        "route: {} vertices, {:.0} km; {} outlets within 2 km",
        route.len(),
        route_length_m(&route) / 1000.0,
        index
            .along_route(&route, 2_000.0, &Filter::default())
            .map(|h| h.len())
            .unwrap_or(0)
    );
    let any = Filter::default();
    let citymarkets = Filter {
        chains: vec!["k-citymarket".parse().expect("valid slug")],
        ..Filter::default()
    };

    c.bench_function("build index", |b| {
        b.iter_batched(
            || Arc::clone(&reg),
            |r| black_box(OutletIndex::new(r)),
            BatchSize::SmallInput,
        )
    });
    let mut i = 0;
    c.bench_function("nearest k=5", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            black_box(index.nearest(points[i], 5, &any).map(|h| h.len()))
        })
    });
    c.bench_function("nearest k=5, one chain", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            black_box(index.nearest(points[i], 5, &citymarkets).map(|h| h.len()))
        })
    });
    c.bench_function("within 10 km", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            black_box(index.within(points[i], 10_000.0, &any).map(|h| h.len()))
        })
    });
    c.bench_function("corridor 2 km, 560 km route", |b| {
        b.iter(|| black_box(index.along_route(&route, 2_000.0, &any).map(|h| h.len())))
    });
}

criterion_group!(spatial, benches);
criterion_main!(spatial);
