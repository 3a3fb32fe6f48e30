//! `storenet nearest`: the k nearest outlets to a point, as a table or JSON.

use crate::model::{Category, ChainId, LonLat, Outlet, OutletKind, Service};
use crate::registry::Registry;
use crate::spatial::{parse_open_at, Filter, OutletIndex};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;

/// The filters shared by `nearest` and `route`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only this chain (repeatable: any of them), e.g. `k-market`.
    #[arg(long = "chain", value_name = "ID")]
    pub chains: Vec<String>,
    /// Only this category (repeatable): food, building, sports, home, fuel, restaurant, other.
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,
    /// Only K-Group stores or only partner locations.
    #[arg(long, value_name = "store|partner")]
    pub kind: Option<String>,
    /// Only outlets offering this service (repeatable: all of them), e.g. `post`.
    #[arg(long = "service", value_name = "S")]
    pub services: Vec<String>,
    /// Only outlets open at this time: Helsinki local (`2026-11-23T18:00`) or RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub open_at: Option<String>,
}

impl FilterArgs {
    /// Validates the flags into a [`Filter`].
    pub fn to_filter(&self) -> anyhow::Result<Filter> {
        Ok(Filter {
            chains: self
                .chains
                .iter()
                .map(|c| ChainId::new(c.trim()))
                .collect::<Result<_, _>>()?,
            categories: self
                .categories
                .iter()
                .map(|c| c.parse::<Category>())
                .collect::<Result<_, _>>()?,
            kind: self
                .kind
                .as_deref()
                .map(str::parse::<OutletKind>)
                .transpose()?,
            services: self
                .services
                .iter()
                .map(|s| Service::new(s.trim()))
                .collect::<Result<_, _>>()?,
            open_at: self.open_at.as_deref().map(parse_open_at).transpose()?,
        })
    }
}

/// Arguments of `storenet nearest`.
#[derive(Debug, clap::Args)]
pub struct NearestArgs {
    /// Latitude of the point, degrees north (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub lat: f64,
    /// Longitude of the point, degrees east (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub lon: f64,
    /// How many outlets (1..=100).
    #[arg(short, default_value_t = 5)]
    pub k: usize,
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Loads the registry from the data directory and indexes it.
pub(crate) fn load_index(data_dir: &Path) -> anyhow::Result<OutletIndex> {
    let reg = crate::registry::load_dir(data_dir)
        .with_context(|| format!("loading outlets from {}", data_dir.display()))?;
    Ok(OutletIndex::new(Arc::new(reg)))
}

/// One outlet as JSON, with the fields every listing shares.
pub(crate) fn outlet_json(reg: &Registry, o: &Outlet) -> serde_json::Value {
    serde_json::json!({
        "id": o.id,
        "name": o.name,
        "chain": o.chain,
        "category": reg.chain_of(o).category,
        "kind": o.kind,
        "address": o.address,
        "lat": o.location.lat(),
        "lon": o.location.lon(),
        "opening_hours": o.hours.to_string(),
        "services": o.services,
    })
}

/// Runs `storenet nearest`.
pub fn run(data_dir: &Path, args: NearestArgs) -> anyhow::Result<()> {
    let p = LonLat::new(args.lon, args.lat)?;
    let filter = args.filter.to_filter()?;
    let index = load_index(data_dir)?;
    let hits = index.nearest(p, args.k, &filter)?;
    // "Open?" answers for the time asked about, or for now.
    let at: DateTime<Utc> = filter.open_at.unwrap_or_else(Utc::now);
    let reg = index.registry();
    if args.json {
        let rows: Vec<serde_json::Value> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut v = outlet_json(reg, h.outlet);
                v["rank"] = (i + 1).into();
                v["distance_m"] = h.distance_m.into();
                v["open"] = h.outlet.hours.is_open_at(at).into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:>4}  {:>8}  {:<32} {:<14} {:<40} open?",
        "rank", "km", "name", "chain", "address"
    );
    for (i, h) in hits.iter().enumerate() {
        let o = h.outlet;
        println!(
            "{:>4}  {:>8.2}  {:<32} {:<14} {:<40} {}",
            i + 1,
            h.distance_m / 1000.0,
            o.name,
            o.chain.as_str(),
            o.address.to_string(),
            if o.hours.is_open_at(at) { "yes" } else { "no" }
        );
    }
    if hits.is_empty() {
        eprintln!("no outlet matches the filters");
    }
    Ok(())
}
