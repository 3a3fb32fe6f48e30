//! The command line: clap commands over the library. No logic of its own lives here.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod crs;
mod export;
mod import;
mod keys;
mod ledger;
mod nearest;
mod outlets;
mod plan;
mod route;
mod serve;
mod synth;

/// storenet: outlets, nearest stores, navigator exports, the loyalty ledger and network planning.
#[derive(Debug, Parser)]
#[command(name = "storenet", version, about, long_about = None)]
pub struct Cli {
    /// Directory holding chains.csv, outlets.csv and the other bundled data.
    #[arg(long, global = true, env = "STORENET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Regenerate the bundled synthetic data set (deterministic for a seed).
    Synth(synth::SynthArgs),
    /// List or search outlets.
    Outlets(outlets::OutletsArgs),
    /// Validate an outlets file and report every problem.
    Import(import::ImportArgs),
    /// The k nearest outlets to a point.
    Nearest(nearest::NearestArgs),
    /// Outlets along a route (GPX or GeoJSON) within a corridor, in route order.
    Route(route::RouteArgs),
    /// Run the HTTP service.
    Serve(serve::ServeArgs),
    /// Create, list and revoke API keys.
    Keys(keys::KeysArgs),
    /// Write navigator POI files (GPX, OV2, GPI, Garmin CSV, KML/KMZ, GeoJSON).
    Export(Box<export::ExportArgs>),
    /// Transform coordinates between EPSG codes (x = longitude / easting), like PROJ's cs2cs.
    Crs(crs::CrsArgs),
    /// The loyalty ledger: ingest, month end, verify, statements, balances.
    Ledger(ledger::LedgerArgs),
    /// Network planning against household density (coverage, catchments, gaps, what-if, site, huff).
    Plan(Box<plan::PlanArgs>),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Synth(a) => synth::run(&cli.data_dir, a),
        Command::Outlets(a) => outlets::run(&cli.data_dir, a),
        Command::Import(a) => import::run(&cli.data_dir, a),
        Command::Nearest(a) => nearest::run(&cli.data_dir, a),
        Command::Route(a) => route::run(&cli.data_dir, a),
        Command::Serve(a) => serve::run(&cli.data_dir, a),
        Command::Keys(a) => keys::run(&cli.data_dir, a),
        Command::Export(a) => export::run(&cli.data_dir, *a),
        Command::Crs(a) => crs::run(a),
        Command::Ledger(a) => ledger::run(&cli.data_dir, a),
        Command::Plan(a) => plan::run(&cli.data_dir, *a),
    }
}
