//! The in-process side of `benches/peers/assign.py`: times `NearestIndex::assign` on the points and
//! outlets that `cargo bench --bench planning` wrote to `target/planning-peers/`, so the script can
//! time cKDTree on the same input in the same run and print both and the ratio.
//!
//! ```text
//! cargo run --release --example planning_assign -- ROUNDS
//! ```
//! Prints `ours_s=…` (best of ROUNDS, default 5) and writes our assignment to `assign_ours.f64`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use storenet::model::LonLat;
use storenet::planning::nearest::NearestIndex;
use storenet::planning::sphere;

fn read_f64(path: &Path) -> anyhow::Result<Vec<f64>> {
    let b = std::fs::read(path)?;
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect())
}

fn units(path: &Path) -> anyhow::Result<Vec<sphere::Unit>> {
    read_f64(path)?
        .chunks_exact(2)
        .map(|c| Ok(sphere::unit(LonLat::new(c[0], c[1])?)))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(5);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/planning-peers");
    let pts = units(&dir.join("assign_points.f64"))?;
    let sites = units(&dir.join("assign_sites.f64"))?;
    let mut best = Duration::MAX;
    let mut res = Vec::new();
    for _ in 0..rounds.max(1) {
        // Index build included, as cKDTree's build is on the other side.
        let t = Instant::now();
        res = NearestIndex::new(sites.clone()).assign(&pts);
        best = best.min(t.elapsed());
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("assign_ours.f64"))?);
    for n in &res {
        f.write_all(&n.map_or(-1.0, |n| n.site as f64).to_le_bytes())?;
    }
    println!("points={} sites={}", pts.len(), sites.len());
    println!("ours_s={:.4}", best.as_secs_f64());
    Ok(())
}
