//! `storenet import`: validate an outlets file (CSV or GeoJSON) and report every problem.

use crate::registry::check_import;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `storenet import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The outlets file: CSV (`lat,lon` or `x,y,crs` columns) or a GeoJSON FeatureCollection.
    pub file: PathBuf,
    /// The chains file to check chain ids against [default: DATA_DIR/chains.csv].
    #[arg(long, value_name = "FILE")]
    pub chains: Option<PathBuf>,
    /// Accept the good rows and only list the bad ones (exit status 0).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `storenet import`; fails (non-zero exit) when any row is invalid, unless `--skip-invalid`.
pub fn run(data_dir: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let chains = args.chains.unwrap_or_else(|| data_dir.join("chains.csv"));
    let report = check_import(&chains, &args.file)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}: {} outlets valid", report.file, report.loaded)?;
        for (chain, n) in &report.per_chain {
            writeln!(out, "  {chain:<20} {n:>6}")?;
        }
    }
    // Errors go to stderr in both modes so a script can keep stdout clean.
    let mut err = std::io::stderr().lock();
    for e in &report.errors {
        writeln!(err, "{e}")?;
    }
    if report.errors.is_empty() {
        return Ok(());
    }
    let n = report.errors.len();
    if args.skip_invalid {
        writeln!(
            err,
            "skipped {n} invalid entries; {} outlets accepted",
            report.loaded
        )?;
        Ok(())
    } else {
        anyhow::bail!(
            "{n} invalid entries in {}: nothing imported (use --skip-invalid to accept the good rows)",
            report.file
        )
    }
}
