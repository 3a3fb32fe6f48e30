//! The `storenet` binary: parses arguments, sets up logging and calls the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc, not glibc's malloc: the service allocates and frees many small buffers per request
/// on every worker thread (measured under `benches/peers/postgis.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("STORENET_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = storenet::cli::Cli::parse();
    match storenet::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
