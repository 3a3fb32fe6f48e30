//! `storenet synth`.

use std::path::Path;

/// Arguments of `storenet synth`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {}

/// Runs `storenet synth`.
pub fn run(_data_dir: &Path, _args: SynthArgs) -> anyhow::Result<()> {
    anyhow::bail!("`storenet synth` is not implemented yet")
}
