//! Coordinate transformation speed: one point, and a batch of 1 M points over Finland (rayon).
//!
//! `cargo bench --bench crs` times the pure-Rust backend; `cargo bench --features proj --bench crs`
//! adds PROJ. The points are the test suite's kind: seeded random positions over Finland.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use storenet::crs::{transform_many_with, transform_with, Backend, Proj4rs, DEFAULT_BACKEND};

const BATCH: usize = 1_000_000;

fn finland_points(n: usize) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    (0..n)
        .map(|_| (rng.gen_range(19.1..31.6), rng.gen_range(59.7..70.1)))
        .collect()
}

fn backends() -> Vec<&'static dyn Backend> {
    let mut all: Vec<&'static dyn Backend> = vec![&Proj4rs];
    if DEFAULT_BACKEND.name() != Proj4rs.name() {
        all.push(DEFAULT_BACKEND);
    }
    all
}

fn single_point(c: &mut Criterion) {
    let mut g = c.benchmark_group("crs_single_point");
    for backend in backends() {
        for to in [3067, 2393] {
            g.bench_function(format!("{}/4326->{to}", backend.name()), |b| {
                b.iter(|| transform_with(backend, 4326, to, black_box(24.9384), black_box(60.1699)))
            });
        }
    }
    g.finish();
}

fn batch(c: &mut Criterion) {
    let points = finland_points(BATCH);
    let mut g = c.benchmark_group("crs_batch_1m");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    for backend in backends() {
        for to in [3067, 2393] {
            g.bench_function(format!("{}/4326->{to}", backend.name()), |b| {
                b.iter_batched_ref(
                    || points.clone(),
                    |pts| transform_many_with(backend, 4326, to, pts),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, single_point, batch);
criterion_main!(benches);
