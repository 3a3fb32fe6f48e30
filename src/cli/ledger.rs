//! `storenet ledger …`: ingest files, month end, verify, statements and balances.

use crate::db::DEFAULT_URL;
use crate::ledger::{
    read_ledger_file, HouseholdId, Ledger, LedgerError, LedgerFile, Month, Progress, Rules,
    SqlLedger, WriteStatus,
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
    /// Load a purchases or cards CSV file, all or nothing (a bad row names its line).
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
pub fn run(args: LedgerArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(run_async(args))
}

async fn run_async(args: LedgerArgs) -> anyhow::Result<()> {
    let rules = match &args.rules {
        Some(path) => crate::config::load_rules(path)?,
        None => Rules::default(),
    };
    let db = crate::db::Db::open(&args.database_url)
        .await
        .with_context(|| format!("opening {}", crate::db::redact(&args.database_url)))?;
    let ledger = SqlLedger::new(db, rules)?;
    match args.command {
        LedgerCommand::Ingest { file } => ingest(&ledger, &file).await,
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

async fn ingest(ledger: &SqlLedger, file: &std::path::Path) -> anyhow::Result<()> {
    let name = file.display();
    match read_ledger_file(file)? {
        LedgerFile::Purchases(rows) => {
            let (lines, items): (Vec<u64>, Vec<_>) = rows.into_iter().unzip();
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
        LedgerError::BatchItem { index, source } => anyhow::anyhow!(
            "{}:{}: {source}; nothing of the file was applied",
            file.display(),
            lines.get(index).copied().unwrap_or(0)
        ),
        other => anyhow::Error::new(other).context("nothing of the file was applied"),
    }
}
