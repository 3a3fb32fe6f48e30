//! The in-process side of `benches/peers/postgis.sh`: seeded random query points across Finland,
//! and k = 5 nearest queries over them timed against the library's `OutletIndex`.
//!
//! ```text
//! cargo run --release --example peer_nearest -- points 10000 42 > points.csv
//! cargo run --release --example peer_nearest -- bench DATA_DIR points.csv
//! ```
//! `points` writes `lat,lon` lines; `bench` prints `key=value` lines for the script to read.

use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use storenet::model::LonLat;
use storenet::spatial::{Filter, OutletIndex};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["points", n, seed] => points(n.parse()?, seed.parse()?),
        ["bench", dir, file] => bench(Path::new(dir), Path::new(file)),
        _ => anyhow::bail!("usage: peer_nearest points N SEED | bench DATA_DIR POINTS_CSV"),
    }
}

/// Uniform points inside Finland's outline (rejection sampling in its bounding box).
fn points(n: usize, seed: u64) -> anyhow::Result<()> {
    let outline = storenet::finland::outline();
    let bbox = outline.bbox();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut written = 0;
    while written < n {
        let lon = rng.gen_range(bbox.min().x..bbox.max().x);
        let lat = rng.gen_range(bbox.min().y..bbox.max().y);
        let p = LonLat::new(lon, lat)?;
        if outline.contains(p) {
            writeln!(out, "{lat:.6},{lon:.6}")?;
            written += 1;
        }
    }
    Ok(())
}

fn read_points(file: &Path) -> anyhow::Result<Vec<LonLat>> {
    let f = std::io::BufReader::new(std::fs::File::open(file)?);
    f.lines()
        .map(|l| {
            let l = l?;
            let (lat, lon) = l
                .split_once(',')
                .ok_or_else(|| anyhow::anyhow!("bad line `{l}`"))?;
            Ok(LonLat::new(lon.parse()?, lat.parse()?)?)
        })
        .collect()
}

fn bench(dir: &Path, file: &Path) -> anyhow::Result<()> {
    let pts = read_points(file)?;
    let t = Instant::now();
    let reg = storenet::registry::load_dir(dir)?;
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let index = OutletIndex::new(Arc::new(reg));
    let build_s = t.elapsed().as_secs_f64();
    let filter = Filter::default();

    // Warm up, and check every query answers five outlets.
    for p in &pts {
        let hits = index.nearest(*p, 5, &filter)?;
        anyhow::ensure!(hits.len() == 5.min(index.registry().outlets().len()));
    }

    // One thread, each query timed for the latency percentiles.
    let rounds = 3;
    let mut lat_ns: Vec<u64> = Vec::with_capacity(pts.len() * rounds);
    let t = Instant::now();
    for _ in 0..rounds {
        for p in &pts {
            let q = Instant::now();
            let hits = index.nearest(*p, 5, &filter)?;
            std::hint::black_box(&hits);
            lat_ns.push(q.elapsed().as_nanos() as u64);
        }
    }
    let one_thread_qps = lat_ns.len() as f64 / t.elapsed().as_secs_f64();
    lat_ns.sort_unstable();
    let pct = |q: f64| lat_ns[((lat_ns.len() as f64 * q) as usize).min(lat_ns.len() - 1)];

    // Every core, as PostGIS and the HTTP service get.
    let t = Instant::now();
    let n: usize = (0..rounds)
        .map(|_| {
            pts.par_iter()
                .map(|p| index.nearest(*p, 5, &filter).map(|h| h.len()).unwrap_or(0))
                .count()
        })
        .sum();
    let all_cores_qps = n as f64 / t.elapsed().as_secs_f64();

    println!("outlets={}", index.registry().outlets().len());
    println!("points={}", pts.len());
    println!("load_ms={:.1}", load_s * 1000.0);
    println!("build_ms={:.2}", build_s * 1000.0);
    println!("one_thread_qps={one_thread_qps:.0}");
    println!("all_cores_qps={all_cores_qps:.0}");
    println!("threads={}", rayon::current_num_threads());
    println!("p50_us={:.2}", pct(0.50) as f64 / 1000.0);
    println!("p99_us={:.2}", pct(0.99) as f64 / 1000.0);
    Ok(())
}
