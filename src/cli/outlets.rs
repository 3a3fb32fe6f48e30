//! `storenet outlets`: list or search outlets.

use crate::model::{Category, ChainId, MunicipalityCode};
use crate::registry::{self, OutletQuery, OutletRecord};
use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Arguments of `storenet outlets`.
#[derive(Debug, clap::Args)]
pub struct OutletsArgs {
    /// Only outlets of this chain (repeat for several), e.g. `k-citymarket`.
    #[arg(long = "chain", value_name = "ID")]
    pub chains: Vec<String>,
    /// Only chains of this category: food, building, sports, home, fuel, restaurant, other.
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// Only outlets in this municipality (code, e.g. `091` for Helsinki).
    #[arg(long, value_name = "CODE")]
    pub municipality: Option<String>,
    /// Only outlets whose name contains this text (case-insensitive).
    #[arg(long, value_name = "SUBSTRING")]
    pub name: Option<String>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `storenet outlets`.
pub fn run(data_dir: &Path, args: OutletsArgs) -> anyhow::Result<()> {
    let reg = registry::load_dir(data_dir)
        .with_context(|| format!("loading the registry from {}", data_dir.display()))?;
    let mut chains = Vec::new();
    for c in &args.chains {
        let id = ChainId::new(c)?;
        if reg.chain(&id).is_none() {
            let known: Vec<String> = reg.chains().map(|c| c.id.to_string()).collect();
            anyhow::bail!("unknown chain `{c}`; known chains: {}", known.join(", "));
        }
        chains.push(id);
    }
    let query = OutletQuery {
        chains,
        category: args
            .category
            .as_deref()
            .map(str::parse::<Category>)
            .transpose()?,
        municipality: args
            .municipality
            .as_deref()
            .map(str::parse::<MunicipalityCode>)
            .transpose()?,
        name: args.name,
    };
    let found = reg.search(&query);
    let text = if args.json {
        let records: Vec<OutletRecord> = found.into_iter().map(OutletRecord::from).collect();
        serde_json::to_string_pretty(&records)? + "\n"
    } else {
        table(&found)
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // `storenet outlets | head` closes the pipe early; that is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

/// The outlets as an aligned text table: id, name, chain, city, lat, lon.
fn table(found: &[&crate::model::Outlet]) -> String {
    use std::fmt::Write as _;
    let width = |f: &dyn Fn(&crate::model::Outlet) -> usize, min: usize| {
        found.iter().map(|o| f(o)).max().unwrap_or(min).max(min)
    };
    let name_w = width(&|o| o.name.chars().count(), 4);
    let chain_w = width(&|o| o.chain.as_str().len(), 5);
    let city_w = width(&|o| o.address.city.chars().count(), 4);
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "{:>6}  {:name_w$}  {:chain_w$}  {:city_w$}  {:>10}  {:>10}",
        "id", "name", "chain", "city", "lat", "lon"
    );
    for o in found {
        let _ = writeln!(
            s,
            "{:>6}  {:name_w$}  {:chain_w$}  {:city_w$}  {:>10.6}  {:>10.6}",
            o.id.0,
            o.name,
            o.chain.as_str(),
            o.address.city,
            o.location.lat(),
            o.location.lon()
        );
    }
    s
}
