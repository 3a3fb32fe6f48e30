//! `storenet import`.

use std::path::Path;

/// Arguments of `storenet import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {}

/// Runs `storenet import`.
pub fn run(_data_dir: &Path, _args: ImportArgs) -> anyhow::Result<()> {
    anyhow::bail!("`storenet import` is not implemented yet")
}
