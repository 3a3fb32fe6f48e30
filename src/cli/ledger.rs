//! `storenet ledger …`: ingest files, month end, verify, statements and balances.

use crate::db::DEFAULT_URL;
use crate::ledger::{
    check_places, read_ledger_file, HouseholdId, Ledger, LedgerError, LedgerFile, Month,
    PlaceError, Progress, Rules, SqlLedger, WriteStatus,
};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `storenet ledger`.
#[derive(Debug, clap::Args)]
pub struct LedgerArgs {
    /// The database: `sqlite://FILE` or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "STORENET_DATABASE_URL", default_value = DEFAULT_URL)]
    pub database_url: String,

    /// A TOML or JSON file of the programme rules (`storenet::ledger::Rules`) [default: the
    /// documented defaults].
    #[arg(long, global = true, env = "STORENET_RULES")]
    pub rules: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: LedgerCommand,
}

/// The ledger subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LedgerCommand {
    /// Load a purchases or cards CSV file, all or nothing (a bad row names its line). Purchases
    /// are checked as over HTTP: an open outlet of the database's registry (an empty database
    /// first gets DATA_DIR's bundled outlets, as `serve` does), of the chain the row names.
    Ingest {
        /// The file (header `key,card,outlet,chain,amount_cents,ineligible_cents,at` or
        /// `card,household,holder,kind,segments,chosen_chains`).
        file: PathBuf,
    },
    /// Run the month end of YYYY-MM: bonus, conversion, expiry, statements (idempotent).
    MonthEnd {
        /// The month, e.g. 2026-10.
        month: Month,
    },
    /// Rebuild the balances from the entries and check the books balance.
    Verify,
    /// Print a household's statement of a month (JSON).
    Statement {
        /// The household.
        #[arg(long)]
        household: i64,
        /// The month, e.g. 2026-10.
        #[arg(long)]
        month: Month,
    },
    /// Print a household's balances (JSON).
    Balance {
        /// The household.
        #[arg(long)]
        household: i64,
    },
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, {{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb
}

fn progress(pb: &ProgressBar) -> Progress {
    let pb = pb.clone();
    Arc::new(move |n| pb.set_position(n))
}

/// Runs `storenet ledger …`.
pub fn run(data_dir: &std::path::Path, args: LedgerArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(run_async(data_dir, args))
}

async fn run_async(data_dir: &std::path::Path, args: LedgerArgs) -> anyhow::Result<()> {
    let rules = match &args.rules {
        Some(path) => crate::config::load_rules(path)?,
        None => Rules::default(),
    };
    let url = crate::db::redact(&args.database_url);
    let command = match args.command {
        LedgerCommand::Ingest { file } => {
            return ingest(&args.database_url, data_dir, rules, &file).await;
        }
        other => other,
    };
    let db = crate::db::Db::open(&args.database_url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let ledger = SqlLedger::new(db, rules)?;
    match command {
        LedgerCommand::Ingest { .. } => Ok(()),
        LedgerCommand::MonthEnd { month } => {
            let r = ledger.month_end(month).await?;
            let how = match r.status {
                WriteStatus::Created => "ran",
                WriteStatus::Exists => "had already run",
            };
            println!("month end {month} {how}");
            println!("{}", serde_json::to_string_pretty(&r.value)?);
            Ok(())
        }
        LedgerCommand::Verify => {
            let v = ledger.verify().await?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            if v.ok() {
                println!(
                    "ok: {} entries, balances match, the books balance",
                    v.entries
                );
                Ok(())
            } else {
                anyhow::bail!(
                    "the ledger does not verify: {} problem(s)",
                    v.problems.len()
                )
            }
        }
        LedgerCommand::Statement { household, month } => {
            match ledger.statement(HouseholdId(household), month).await? {
                Some(s) => println!("{}", serde_json::to_string_pretty(&s)?),
                None => anyhow::bail!(
                    "no statement for household {household} in {month} (has its month end run?)"
                ),
            }
            Ok(())
        }
        LedgerCommand::Balance { household } => {
            let b = ledger.balance(HouseholdId(household)).await?;
            println!("{}", serde_json::to_string_pretty(&b)?);
            Ok(())
        }
    }
}

/// Opens the database as `serve` does ([`crate::http::bootstrap`]): an empty one first gets the
/// data dir's chains and outlets, and its bundled offers go into the ledger.
pub(crate) async fn open_like_serve(
    database_url: &str,
    data_dir: &std::path::Path,
    rules: Rules,
) -> anyhow::Result<(crate::store::Store, crate::registry::Registry, SqlLedger)> {
    let settings = crate::config::Settings {
        database_url: database_url.to_string(),
        data_dir: data_dir.to_path_buf(),
        rules: rules.clone(),
        ..crate::config::Settings::default()
    };
    let boot = crate::http::bootstrap(&settings)
        .await
        .with_context(|| format!("opening {}", crate::db::redact(database_url)))?;
    let ledger = SqlLedger::new(boot.store.db().clone(), rules)?;
    if let Some(book) = boot.seed_offers {
        crate::http::seed_offers(&ledger, book).await?;
    }
    Ok((boot.store, boot.registry, ledger))
}

/// `storenet ledger ingest FILE`. A cards file goes to the database as it is; a purchases file is
/// checked against the registry first, opened as `serve` opens it (an empty database gets the data
/// dir's outlets), so that a file cannot record what `POST /v1/purchases` refuses.
async fn ingest(
    database_url: &str,
    data_dir: &std::path::Path,
    rules: Rules,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let name = file.display();
    let url = crate::db::redact(database_url);
    match read_ledger_file(file)? {
        LedgerFile::Purchases(rows) => {
            let (store, registry, ledger) = open_like_serve(database_url, data_dir, rules).await?;
            let (lines, items): (Vec<u64>, Vec<_>) = rows.into_iter().unzip();
            match check_places(&registry, &store, &items).await {
                Ok(()) => {}
                Err((_, PlaceError::Store(e))) => return Err(e.into()),
                Err((index, e)) => {
                    let source = Box::new(e.into());
                    return Err(at_line(
                        LedgerError::BatchItem { index, source },
                        &lines,
                        file,
                    ));
                }
            }
            let pb = bar(items.len() as u64, "purchases");
            let r = ledger.ingest(items, Some(progress(&pb))).await;
            pb.finish_and_clear();
            let written = r.map_err(|e| at_line(e, &lines, file))?;
            let created = written
                .iter()
                .filter(|w| w.status == WriteStatus::Created)
                .count();
            println!(
                "{name}: {} purchases: {created} new, {} already recorded",
                written.len(),
                written.len() - created
            );
        }
        LedgerFile::Cards(households, cards) => {
            let db = crate::db::Db::open(database_url)
                .await
                .with_context(|| format!("opening {url}"))?;
            let ledger = SqlLedger::new(db, rules)?;
            let lines: Vec<u64> = households
                .iter()
                .map(|h| h.0)
                .chain(cards.iter().map(|c| c.0))
                .collect();
            let pb = bar(lines.len() as u64, "households and cards");
            let r = ledger
                .enrol(
                    households.into_iter().map(|h| h.1).collect(),
                    cards.into_iter().map(|c| c.1).collect(),
                    Some(progress(&pb)),
                )
                .await;
            pb.finish_and_clear();
            let r = r.map_err(|e| at_line(e, &lines, file))?;
            println!(
                "{name}: households {} new, {} known; cards {} new, {} known",
                r.households_created, r.households_existing, r.cards_created, r.cards_existing
            );
        }
    }
    Ok(())
}

/// Names the file line of a refused batch item; nothing of the file was written.
fn at_line(e: LedgerError, lines: &[u64], file: &std::path::Path) -> anyhow::Error {
    match e {
        LedgerError::BatchItem { index, source } => {
            let line = lines.get(index).copied().unwrap_or(0);
            match *source {
                LedgerError::Invalid { field, reason } => anyhow::anyhow!(
                    "{}:{line}: field `{field}`: {reason}; nothing of the file was applied",
                    file.display()
                ),
                other => anyhow::anyhow!(
                    "{}:{line}: {other}; nothing of the file was applied",
                    file.display()
                ),
            }
        }
        other => anyhow::Error::new(other).context("nothing of the file was applied"),
    }
}
