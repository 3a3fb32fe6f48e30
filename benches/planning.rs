//! Planning benchmarks: nearest assignment (2 M points → 3 k outlets), the full coverage report,
//! MCLP p = 300 on 20,000 cells × 3,000 candidates at D = 10 km and 25 km.
//!
//! Also writes the instances the Python peers read (`target/planning-peers/`) and our objectives
//! on them, so `benches/peers/spopt.py` can print both and the ratio.
//!
//! With `PLANNING_ASSIGN_ONLY=ROUNDS` in the environment it only times the assignment of the points
//! written by an earlier run (best of ROUNDS, index build included) and prints `ours_s=…`:
//! `benches/peers/assign.py` calls it between its cKDTree rounds, so both run under the same load.
//! It writes those points first when they are missing.
//!
//! With `PLANNING_PEER_INPUTS=1` it only writes what the peers read (the assignment points and
//! outlets, the two MCLP instances and our objectives on them, one solve each) and exits: the
//! peer scripts run it themselves when their inputs are missing, so they also work alone.

#[path = "../tests/fixtures/planning/synth.rs"]
mod synth;

use criterion::{criterion_group, Criterion};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storenet::density::{Grid, GridOptions, KeySecret};
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

const BUNDLED: &str = "bundled data/households_1km.csv and data/outlets.csv";

/// The bundled grid and outlets when present, else the synthetic stand-ins (2.2 M households).
fn data() -> (Grid, Registry, &'static str) {
    let r = repo();
    let grid_path = r.join("data/households_1km.csv");
    if grid_path.exists() && r.join("data/outlets.csv").exists() {
        let g = Grid::load(
            &grid_path,
            &GridOptions::new(KeySecret::public_for_synthetic_grids()),
        )
        .unwrap();
        let reg = registry::load_dir(&r.join("data")).unwrap();
        return (g, reg, BUNDLED);
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

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_f64(path: &Path, v: &[f64]) {
    let tmp = path.with_extension("f64.tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    for x in v {
        f.write_all(&x.to_le_bytes()).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(&tmp, path).unwrap();
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

/// The assignment instance the peers read: 2 M household points and the first 3,000 outlets,
/// written as little-endian (lon, lat) pairs to `target/planning-peers/assign_{points,sites}.f64`.
fn write_assign_inputs(grid: &Grid, reg: &Registry) -> (Vec<LonLat>, Vec<LonLat>) {
    let out = out_dir();
    let sites: Vec<LonLat> = reg
        .outlets()
        .iter()
        .map(|o| o.location)
        .take(3000)
        .collect();
    let pts = assign_points(grid, 2_000_000);
    let pairs = |v: &[LonLat]| {
        v.iter()
            .flat_map(|p| [p.lon(), p.lat()])
            .collect::<Vec<_>>()
    };
    // Sites first, points last: `assign_points.f64` present means both are complete.
    write_f64(&out.join("assign_sites.f64"), &pairs(&sites));
    write_f64(&out.join("assign_points.f64"), &pairs(&pts));
    (pts, sites)
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

/// The two MCLP instances `spopt.py` reads: 2,000 × 500 (seed 11) and 20,000 × 3,000 (seed 12),
/// written to `target/planning-peers/mclp_{2000x500,20000x3000}.csv`.
fn write_mclp_inputs(grid: &Grid) -> (SiteInstance, SiteInstance) {
    let out = out_dir();
    let (small, d, cands, w) = mclp_instance(grid, 2000, 500, 11);
    write_instance(&out.join("mclp_2000x500.csv"), &d, &w, &cands);
    let (big, d, cands, w) = mclp_instance(grid, 20_000, 3000, 12);
    write_instance(&out.join("mclp_20000x3000.csv"), &d, &w, &cands);
    (small, big)
}

/// Solves an instance written by [`write_mclp_inputs`] (best time of `rounds`) and writes our
/// objective where `spopt.py` looks for it (`ours_{n}x{m}_p{p}_{km}km.txt`).
fn solve_mclp_for_peers(inst: &SiteInstance, rounds: usize, p: usize, km: f64) -> (Duration, f64) {
    let (t, sol) = best_of(rounds, || mclp(inst, p, km * 1000.0).unwrap());
    let name = format!(
        "ours_{}x{}_p{p}_{km}km.txt",
        inst.demand.len(),
        inst.candidates.len()
    );
    std::fs::write(out_dir().join(name), format!("{}\n", sol.objective)).unwrap();
    (t, sol.objective)
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
    let (pts, sites) = write_assign_inputs(&grid, &reg);
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
    let name = if what == BUNDLED {
        "coverage_report_bundled_grid"
    } else {
        "coverage_report_synthetic_grid"
    };
    g.bench_function(name, |b| {
        b.iter(|| coverage(&ctx, &Filter::default(), &bands).unwrap())
    });

    // 3. MCLP p = 300, 20,000 × 3,000, D = 10 km and 25 km; plus the small instance for spopt.
    let (small, big) = write_mclp_inputs(&grid);
    let (t, obj) = solve_mclp_for_peers(&small, 3, 30, 10.0);
    println!(
        "RESULT mclp 2,000 x 500 p=30 D=10 km: objective {obj} in {:.3} s",
        t.as_secs_f64()
    );
    for km in [10.0, 25.0] {
        let (t, obj) = solve_mclp_for_peers(&big, 3, 300, km);
        println!(
            "RESULT mclp 20,000 x 3,000 p=300 D={km} km: objective {obj} in {:.3} s",
            t.as_secs_f64()
        );
        g.bench_function(format!("mclp_20k_3k_p300_{km}km"), |b| {
            b.iter(|| mclp(&big, 300, km * 1000.0).unwrap())
        });
    }
    g.finish();
}

criterion_group!(planning, benches);

/// `PLANNING_PEER_INPUTS`: write every input of the peer scripts, and our MCLP objectives.
fn peer_inputs() {
    let (grid, reg, what) = data();
    let (pts, sites) = write_assign_inputs(&grid, &reg);
    let (small, big) = write_mclp_inputs(&grid);
    solve_mclp_for_peers(&small, 1, 30, 10.0);
    for km in [10.0, 25.0] {
        solve_mclp_for_peers(&big, 1, 300, km);
    }
    println!(
        "wrote {}: {} points -> {} outlets, MCLP 2,000 x 500 and 20,000 x 3,000 ({what})",
        out_dir().display(),
        pts.len(),
        sites.len()
    );
}

/// `PLANNING_ASSIGN_ONLY`: time our assignment of the written points, for `assign.py`.
fn assign_only(rounds: usize) {
    if !out_dir().join("assign_points.f64").exists() {
        let (grid, reg, _) = data();
        write_assign_inputs(&grid, &reg);
    }
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
    if std::env::var_os("PLANNING_PEER_INPUTS").is_some() {
        peer_inputs();
        return;
    }
    if let Ok(r) = std::env::var("PLANNING_ASSIGN_ONLY") {
        assign_only(r.parse().unwrap_or(3));
        return;
    }
    planning();
    Criterion::default().configure_from_args().final_summary();
}
