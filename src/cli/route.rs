//! `storenet route`: outlets along a GPX or GeoJSON route, in route order.

use super::nearest::{load_index, outlet_json, FilterArgs};
use crate::spatial::route::{parse_distance_m, parse_route};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Arguments of `storenet route`.
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// The route: a GPX file (tracks or routes) or a GeoJSON LineString / MultiLineString.
    #[arg(long, value_name = "FILE", alias = "geojson")]
    pub gpx: PathBuf,
    /// How far off the route an outlet may be: `2km`, `500m`, `1.5 km` (at most 50 km).
    #[arg(long, default_value = "2km")]
    pub corridor: String,
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `storenet route`.
pub fn run(data_dir: &Path, args: RouteArgs) -> anyhow::Result<()> {
    let corridor_m = parse_distance_m(&args.corridor)?;
    let filter = args.filter.to_filter()?;
    let bytes =
        std::fs::read(&args.gpx).with_context(|| format!("reading {}", args.gpx.display()))?;
    let route = parse_route(&bytes).with_context(|| format!("reading {}", args.gpx.display()))?;
    let index = load_index(data_dir)?;
    let hits = index.along_route(&route, corridor_m, &filter)?;
    let reg = index.registry();
    if args.json {
        let rows: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                let mut v = outlet_json(reg, h.outlet);
                v["along_km"] = h.along_km.into();
                v["distance_m"] = h.distance_m.into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:>8}  {:>6}  {:<32} {:<14} address",
        "km along", "m off", "name", "chain"
    );
    for h in &hits {
        let o = h.outlet;
        println!(
            "{:>8.1}  {:>6.0}  {:<32} {:<14} {}",
            h.along_km,
            h.distance_m,
            o.name,
            o.chain.as_str(),
            o.address
        );
    }
    eprintln!(
        "{} outlets within {} m of a {:.1} km route",
        hits.len(),
        corridor_m,
        crate::spatial::route_length_m(&route) / 1000.0
    );
    Ok(())
}
