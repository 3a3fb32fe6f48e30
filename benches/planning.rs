//! Planning benchmarks: nearest assignment (2 M points → 3 k outlets), the full coverage report,
//! MCLP p = 300 on 20,000 cells × 3,000 candidates at D = 10 km and 25 km.
//!
//! Also writes the instances the Python peers read (`target/planning-peers/`) and our objectives
//! on them, so `benches/peers/spopt.py` can print both and the ratio.
//!
//! With `PLANNING_ASSIGN_ONLY=ROUNDS` in the environment it only times the assignment of the points
//! written by an earlier run (best of ROUNDS, index build included) and prints `ours_s=…`:
//! `benches/peers/assign.py` calls it between its cKDTree rounds, so both run under the same load.

#[path = "../tests/fixtures/planning/synth.rs"]
mod synth;

use criterion::{criterion_group, Criterion};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storenet::density::{Grid, GridOptions};
use storenet::model::LonLat;
use storenet::planning::nearest::NearestIndex;
use storenet::planning::site::{mclp, SiteInstance};
use storenet::planning::{
    coverage, read_municipality_centres, sphere, PlanContext, DEFAULT_BANDS_KM,
};
use storenet::registry::{self, Registry};
use storenet::spatial::Filter;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir() -> PathBuf {
    let d = repo().join("target/planning-peers");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The bundled grid and outlets when present, else the synthetic stand-ins (2.2 M households).
fn data() -> (Grid, Registry, &'static str) {
    let r = repo();
    let grid_path = r.join("data/households_1km.csv");
    if grid_path.exists() && r.join("data/outlets.csv").exists() {
        let g = Grid::load(&grid_path, &GridOptions::default()).unwrap();
        let reg = registry::load_dir(&r.join("data")).unwrap();
        return (g, reg, "bundled data/");
    }
    let cells = synth::grid_cells(&r, 0.8, 1);
    let outlets = synth::outlets(&cells, 3000, 2);
    let chains = registry::csv::read_chains(&r.join("tests/fixtures/chains.csv")).unwrap();
    let g = Grid::from_cells(cells, 1000).unwrap();
    (
        g,
        Registry::new(chains, outlets).unwrap(),
        "synthetic stand-in",
    )
}

fn write_f64(path: &Path, v: &[f64]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for x in v {
        f.write_all(&x.to_le_bytes()).unwrap();
    }
}

/// 2 M household points: cells drawn by households, jittered inside the cell.
fn assign_points(grid: &Grid, n: usize) -> Vec<LonLat> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let cells = grid.cells();
    let cum: Vec<f64> = cells
        .iter()
        .scan(0.0, |s, c| {
            *s += c.households().shown().unwrap_or(5) as f64;
            Some(*s)
        })
        .collect();
    let total = *cum.last().unwrap();
    (0..n)
        .map(|_| {
            let t = rng.gen_range(0.0..total);
            let i = cum.partition_point(|&c| c < t).min(cells.len() - 1);
            let c = cells[i].centre;
            LonLat::new(
                c.lon() + rng.gen_range(-0.009..0.009),
                c.lat() + rng.gen_range(-0.0045..0.0045),
            )
            .unwrap()
        })
        .collect()
}

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn mclp_instance(
    grid: &Grid,
    n: usize,
    m: usize,
    seed: u64,
) -> (SiteInstance, Vec<LonLat>, Vec<LonLat>, Vec<u64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let cells = grid.cells();
    let demand_idx = rand::seq::index::sample(&mut rng, cells.len(), n.min(cells.len())).into_vec();
    let cand_idx = rand::seq::index::sample(&mut rng, demand_idx.len(), m).into_vec();
    let demand: Vec<LonLat> = demand_idx.iter().map(|&i| cells[i].centre).collect();
    let weights: Vec<u64> = demand_idx
        .iter()
        .map(|&i| cells[i].households().shown().unwrap_or(5))
        .collect();
    let cands: Vec<LonLat> = cand_idx.iter().map(|&k| demand[k]).collect();
    let inst = SiteInstance {
        demand: demand.iter().map(|p| sphere::unit(*p)).collect(),
        weights: weights.clone(),
        candidates: cands.iter().map(|p| sphere::unit(*p)).collect(),
    };
    (inst, demand, cands, weights)
}

fn write_instance(path: &Path, demand: &[LonLat], w: &[u64], cands: &[LonLat]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "kind,lon,lat,weight").unwrap();
    for (p, w) in demand.iter().zip(w) {
        writeln!(f, "demand,{:.7},{:.7},{w}", p.lon(), p.lat()).unwrap();
    }
    for p in cands {
        writeln!(f, "candidate,{:.7},{:.7},0", p.lon(), p.lat()).unwrap();
    }
}

fn benches(c: &mut Criterion) {
    let (grid, reg, what) = data();
    let reg = Arc::new(reg);
    let grid = Arc::new(grid);
    println!(
        "data: {what}: {} cells, {} outlets",
        grid.cells().len(),
        reg.outlets().len()
    );
    let out = out_dir();

    // 1. Assignment of 2 M points to 3 k outlets.
    let sites: Vec<LonLat> = reg
        .outlets()
        .iter()
        .map(|o| o.location)
        .take(3000)
        .collect();
    let pts = assign_points(&grid, 2_000_000);
    write_f64(
        &out.join("assign_points.f64"),
        &pts.iter()
            .flat_map(|p| [p.lon(), p.lat()])
            .collect::<Vec<_>>(),
    );
    write_f64(
        &out.join("assign_sites.f64"),
        &sites
            .iter()
            .flat_map(|p| [p.lon(), p.lat()])
            .collect::<Vec<_>>(),
    );
    let pu: Vec<_> = pts.iter().map(|p| sphere::unit(*p)).collect();
    let su: Vec<_> = sites.iter().map(|p| sphere::unit(*p)).collect();
    let (t, res) = best_of(5, || NearestIndex::new(su.clone()).assign(&pu));
    let ids: Vec<u32> = res.iter().map(|n| n.map_or(u32::MAX, |n| n.site)).collect();
    write_f64(
        &out.join("assign_ours.f64"),
        &ids.iter().map(|&i| i as f64).collect::<Vec<_>>(),
    );
    println!(
        "RESULT assign 2,000,000 points -> {} outlets: {:.3} s (best of 5)",
        sites.len(),
        t.as_secs_f64()
    );
    let mut g = c.benchmark_group("planning");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("assign_2M_points_3k_outlets", |b| {
        b.iter(|| NearestIndex::new(su.clone()).assign(&pu))
    });

    // 2. The full coverage report.
    let centres =
        read_municipality_centres(&repo().join("data/sources/fi_municipality_centres.csv"))
            .unwrap();
    let t0 = Instant::now();
    let ctx = PlanContext::new(grid.clone(), reg.clone(), &centres);
    println!(
        "RESULT plan context (unit vectors, municipality per cell): {:.3} s",
        t0.elapsed().as_secs_f64()
    );
    let bands: Vec<f64> = DEFAULT_BANDS_KM.iter().map(|k| k * 1000.0).collect();
    let (t, rep) = best_of(3, || coverage(&ctx, &Filter::default(), &bands).unwrap());
    println!(
        "RESULT coverage report ({} cells, {} chains, {} categories, {} municipalities): {:.3} s",
        grid.cells().len(),
        rep.by_chain.len(),
        rep.by_category.len(),
        rep.by_municipality.len(),
        t.as_secs_f64()
    );
    g.bench_function("coverage_report_full_grid", |b| {
        b.iter(|| coverage(&ctx, &Filter::default(), &bands).unwrap())
    });

    // 3. MCLP p = 300, 20,000 × 3,000, D = 10 km and 25 km; plus the small instance for spopt.
    let (small, d, cands, w) = mclp_instance(&grid, 2000, 500, 11);
    write_instance(&out.join("mclp_2000x500.csv"), &d, &w, &cands);
    let (t, sol) = best_of(3, || mclp(&small, 30, 10_000.0).unwrap());
    std::fs::write(
        out.join("ours_2000x500_p30_10km.txt"),
        format!("{}\n", sol.objective),
    )
    .unwrap();
    println!(
        "RESULT mclp 2,000 x 500 p=30 D=10 km: objective {} in {:.3} s",
        sol.objective,
        t.as_secs_f64()
    );
    let (big, d, cands, w) = mclp_instance(&grid, 20_000, 3000, 12);
    write_instance(&out.join("mclp_20000x3000.csv"), &d, &w, &cands);
    for km in [10.0, 25.0] {
        let (t, sol) = best_of(3, || mclp(&big, 300, km * 1000.0).unwrap());
        std::fs::write(
            out.join(format!("ours_20000x3000_p300_{km}km.txt")),
            format!("{}\n", sol.objective),
        )
        .unwrap();
        println!(
            "RESULT mclp 20,000 x 3,000 p=300 D={km} km: objective {} in {:.3} s",
            sol.objective,
            t.as_secs_f64()
        );
        g.bench_function(format!("mclp_20k_3k_p300_{km}km"), |b| {
            b.iter(|| mclp(&big, 300, km * 1000.0).unwrap())
        });
    }
    g.finish();
}

criterion_group!(planning, benches);

/// `PLANNING_ASSIGN_ONLY`: time our assignment of the written points, for `assign.py`.
fn assign_only(rounds: usize) {
    let read = |name: &str| -> Vec<sphere::Unit> {
        let b = std::fs::read(out_dir().join(name)).unwrap();
        b.chunks_exact(16)
            .map(|c| {
                let f = |k: usize| f64::from_le_bytes(c[k..k + 8].try_into().unwrap());
                sphere::unit(LonLat::new(f(0), f(8)).unwrap())
            })
            .collect()
    };
    let (pu, su) = (read("assign_points.f64"), read("assign_sites.f64"));
    let (t, res) = best_of(rounds.max(1), || NearestIndex::new(su.clone()).assign(&pu));
    write_f64(
        &out_dir().join("assign_ours.f64"),
        &res.iter()
            .map(|n| n.map_or(-1.0, |n| n.site as f64))
            .collect::<Vec<_>>(),
    );
    println!("points={} sites={}", pu.len(), su.len());
    println!("ours_s={:.4}", t.as_secs_f64());
}

fn main() {
    if let Ok(r) = std::env::var("PLANNING_ASSIGN_ONLY") {
        assign_only(r.parse().unwrap_or(3));
        return;
    }
    planning();
    Criterion::default().configure_from_args().final_summary();
}
