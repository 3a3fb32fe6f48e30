//! `storenet outlets`.

use std::path::Path;

/// Arguments of `storenet outlets`.
#[derive(Debug, clap::Args)]
pub struct OutletsArgs {}

/// Runs `storenet outlets`.
pub fn run(_data_dir: &Path, _args: OutletsArgs) -> anyhow::Result<()> {
    anyhow::bail!("`storenet outlets` is not implemented yet")
}
