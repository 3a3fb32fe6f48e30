//! `storenet synth`.

use crate::synth::{generate, render_map, write_dir, Settings, DEFAULT_SEED};
use std::path::{Path, PathBuf};

/// Arguments of `storenet synth`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Random seed; the default reproduces the committed data set byte for byte.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Output directory (default: the global --data-dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw a PNG map of outlets and household density to this file.
    #[arg(long)]
    pub map: Option<PathBuf>,
}

/// Runs `storenet synth`.
pub fn run(data_dir: &Path, args: SynthArgs) -> anyhow::Result<()> {
    let out = args.out.unwrap_or_else(|| data_dir.to_path_buf());
    let settings = Settings {
        seed: args.seed,
        ..Settings::default()
    };
    let set = generate(&settings)?;
    write_dir(&out, &set)?;
    let households: u64 = set.cells.iter().map(|c| u64::from(c.households)).sum();
    println!(
        "wrote {} chains, {} outlets, {} grid cells ({households} households), {} offers to {}",
        set.chains.len(),
        set.outlets.len(),
        set.cells.len(),
        set.offers.len(),
        out.display()
    );
    println!(
        "wrote a ledger demo of {} cards and {} purchases to {}",
        set.demo.cards.len(),
        set.demo.purchases.len(),
        out.join("ledger").display()
    );
    if let Some(map) = args.map {
        render_map(&set, &map)?;
        println!("drew {}", map.display());
    }
    Ok(())
}
