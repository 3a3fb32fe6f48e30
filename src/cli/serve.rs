//! `storenet serve`: the HTTP service.

use crate::config::{load_rules, Overrides, Settings};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Arguments of `storenet serve`. Each flag also reads its `STORENET_*` variable; flags and
/// variables override the config file, which overrides the defaults (see `storenet::config`).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "STORENET_BIND")]
    pub bind: Option<SocketAddr>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://storenet.db].
    #[arg(long, env = "STORENET_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A TOML or JSON settings file.
    #[arg(long, env = "STORENET_CONFIG")]
    pub config: Option<PathBuf>,
    /// HTTP worker threads [default: one per core].
    #[arg(long, env = "STORENET_WORKERS")]
    pub workers: Option<usize>,
    /// A TOML or JSON file of the programme rules (`storenet::ledger::Rules`), replacing the
    /// config file's `[rules]` [default: the documented defaults].
    #[arg(long, env = "STORENET_RULES")]
    pub rules: Option<PathBuf>,
}

/// Runs `storenet serve` until interrupted.
pub fn run(data_dir: &Path, args: ServeArgs) -> anyhow::Result<()> {
    // `--data-dir` is a global flag with a default; only a value other than the default
    // overrides a config file's `data_dir`.
    let data_dir = (data_dir != Path::new("data")).then(|| data_dir.to_path_buf());
    let settings = Settings::load(
        args.config.as_deref(),
        Overrides {
            bind: args.bind,
            database_url: args.database_url,
            data_dir,
            workers: args.workers,
            rules: args.rules.as_deref().map(load_rules).transpose()?,
        },
    )?;
    actix_web::rt::System::new().block_on(async move {
        let url = crate::db::redact(&settings.database_url);
        let started = crate::http::start(settings).await?;
        tracing::info!(
            addr = %started.addr,
            database = %url,
            outlets = started.state.index.load().registry().outlets().len(),
            startup_ms = started.startup.as_secs_f64() * 1000.0,
            "serving"
        );
        started.server.await?;
        Ok(())
    })
}
