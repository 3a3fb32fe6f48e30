//! `storenet plan`: coverage, catchments, gaps, what-if, site suggestion and Huff over the
//! household grid; tables on the terminal, CSV and GeoJSON in --out, a map with --map.

use crate::crs::Crs;
use crate::db::Db;
use crate::density::{secret, Grid, GridOptions, KeySecret};
use crate::model::{Category, ChainId, LonLat, OutletId};
use crate::planning::map::{self, Heat, MapSpec, Mark};
use crate::planning::output::{self, write_atomic, Table};
use crate::planning::site::{Objective, SiteOptions};
use crate::planning::{self, sphere, Connectivity, HuffOptions, NewOutlet, PlanContext};
use crate::spatial::Filter;
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Which analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Analysis {
    /// Share of households within distance bands of the nearest outlet.
    Coverage,
    /// Every cell to its nearest outlet; per-outlet totals.
    Catchments,
    /// Areas farther than --distance from every outlet.
    Gaps,
    /// Open (--open) and/or close (--close) outlets; the change.
    Whatif,
    /// Suggest --p new sites (MCLP or p-median).
    Site,
    /// Huff gravity market share.
    Huff,
}

/// Arguments of `storenet plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The analysis.
    pub analysis: Analysis,
    /// Household grid CSV (ours or Statistics Finland's); default DATA_DIR/households_1km.csv.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// EPSG code of the grid's coordinates (3067, 4326, 2393); default: recognised.
    #[arg(long)]
    pub grid_crs: Option<u32>,
    /// Municipal centres CSV; default DATA_DIR/sources/fi_municipality_centres.csv.
    #[arg(long)]
    pub centres: Option<PathBuf>,
    /// Only these chains (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub chain: Vec<ChainId>,
    /// Only these categories (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub category: Vec<Category>,
    /// Distance bands in km (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,2,3,5,10,20")]
    pub bands: Vec<f64>,
    /// Distance D for gaps and site suggestion: `10km`, `500m` or km as a plain number.
    #[arg(long, default_value = "10km")]
    pub distance: String,
    /// Number of sites to suggest.
    #[arg(long, default_value_t = 10)]
    pub p: usize,
    /// Site objective.
    #[arg(long, value_enum, default_value = "mclp")]
    pub objective: ObjectiveArg,
    /// Open an outlet: LAT,LON,CHAIN (repeatable).
    #[arg(long)]
    pub open: Vec<String>,
    /// Close outlets by id (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub close: Vec<OutletId>,
    /// Candidate sites CSV (lat,lon); default: grid cells with ≥ 50 households.
    #[arg(long)]
    pub candidates: Option<PathBuf>,
    /// Competitors CSV for Huff (name,lat,lon[,attractiveness]).
    #[arg(long)]
    pub competitors: Option<PathBuf>,
    /// Huff distance decay λ.
    #[arg(long, default_value_t = 2.0)]
    pub lambda: f64,
    /// Cell connectivity for gaps: 4 or 8.
    #[arg(long, default_value_t = 4)]
    pub connectivity: u8,
    /// Directory for CSV, GeoJSON and JSON outputs.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Draw a map (.png or .svg).
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// Database holding the secret every figure is perturbed with (created there on first use):
    /// the server's, so the figures here are the ones the API publishes.
    #[arg(long, env = "STORENET_DATABASE_URL", default_value = crate::db::DEFAULT_URL)]
    pub database_url: String,
}

/// Site objective on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// Maximal covering.
    Mclp,
    /// p-median.
    PMedian,
}

/// Parses `10km`, `500m`, `2.5` (km).
pub fn parse_distance(s: &str) -> anyhow::Result<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = t.strip_suffix("km") {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 1.0)
    } else {
        (t.as_str(), 1000.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .with_context(|| format!("distance `{s}`: expected e.g. 10km or 500m"))?;
    if !(v.is_finite() && v > 0.0) {
        bail!("distance `{s}`: must be > 0");
    }
    Ok(v * mult)
}

fn parse_open(s: &str) -> anyhow::Result<NewOutlet> {
    let f: Vec<&str> = s.split(',').map(str::trim).collect();
    if f.len() != 3 {
        bail!("--open `{s}`: expected LAT,LON,CHAIN");
    }
    let lat: f64 = f[0]
        .parse()
        .with_context(|| format!("--open `{s}`: bad latitude"))?;
    let lon: f64 = f[1]
        .parse()
        .with_context(|| format!("--open `{s}`: bad longitude"))?;
    Ok(NewOutlet {
        location: LonLat::new(lon, lat)?,
        chain: ChainId::new(f[2])?,
    })
}

fn step(msg: &str) -> ProgressBar {
    // indicatif draws to stderr only when it is a terminal, so pipes and CI stay clean.
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn emit(out: Option<&Path>, name: &str, t: &Table) -> anyhow::Result<()> {
    print!("{}", t.to_text(25));
    println!();
    if let Some(dir) = out {
        write_atomic(&dir.join(format!("{name}.csv")), t.to_csv()?.as_bytes())?;
    }
    Ok(())
}

fn emit_json(out: Option<&Path>, name: &str, v: &impl serde::Serialize) -> anyhow::Result<()> {
    if let Some(dir) = out {
        write_atomic(&dir.join(name), serde_json::to_string_pretty(v)?.as_bytes())?;
    }
    Ok(())
}

/// The cell-key secret of the database at `url`, created there if it has none yet.
fn key_secret(url: &str) -> anyhow::Result<KeySecret> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let shown = crate::db::redact(url);
    rt.block_on(async {
        let db = Db::open(url)
            .await
            .with_context(|| format!("opening {shown} for the planning secret"))?;
        let secret = secret::load_or_create(&db).await.with_context(|| {
            format!(
                "no planning figures without the secret they are perturbed with, and it could not \
                 be read from or created in {shown}"
            )
        });
        db.close().await;
        secret
    })
}

/// Runs `storenet plan`.
pub fn run(data_dir: &Path, a: PlanArgs) -> anyhow::Result<()> {
    let pb = step("loading outlets and the household grid");
    let registry = Arc::new(crate::registry::load_dir(data_dir)?);
    let opts = GridOptions {
        crs: a.grid_crs.map(Crs::from_epsg).transpose()?,
        ..GridOptions::new(key_secret(&a.database_url)?)
    };
    let grid_path = a
        .grid
        .clone()
        .unwrap_or_else(|| data_dir.join("households_1km.csv"));
    let grid = Arc::new(Grid::load(&grid_path, &opts)?);
    let centres_path = a
        .centres
        .clone()
        .unwrap_or_else(|| data_dir.join("sources/fi_municipality_centres.csv"));
    let centres = planning::read_municipality_centres(&centres_path)?;
    let ctx = PlanContext::new(grid, registry, &centres);
    pb.finish_and_clear();
    let filter = Filter {
        chains: a.chain.clone(),
        categories: a.category.clone(),
        ..Filter::default()
    };
    let bands: Vec<f64> = a.bands.iter().map(|k| k * 1000.0).collect();
    let out = a.out.as_deref();
    let distance = parse_distance(&a.distance)?;
    let outlets = ctx.select(&filter);
    let mut spec = MapSpec {
        title: String::new(),
        outlets: outlets.clone(),
        heat: Heat::Density,
        marks: Vec::new(),
        mark_label: String::new(),
    };
    let pb = step("analysing");
    match a.analysis {
        Analysis::Coverage => {
            let r = planning::coverage(&ctx, &filter, &bands)?;
            pb.finish_and_clear();
            for (name, t) in output::coverage_tables(&r) {
                emit(out, name, &t)?;
            }
            emit_json(out, "coverage.json", &r)?;
            let sites: Vec<LonLat> = outlets.iter().map(|o| o.location).collect();
            let d = ctx
                .assign(&sites)
                .iter()
                .map(|n| n.map_or(f64::INFINITY, |n| sphere::metres_from_dot(n.dot)))
                .collect();
            spec.heat = Heat::Distance(d);
            spec.title = format!("Distance to the nearest outlet: {}", r.selection);
        }
        Analysis::Catchments => {
            let r = planning::catchments(&ctx, &filter)?;
            pb.finish_and_clear();
            emit(out, "catchments", &output::catchment_table(&r))?;
            if let Some(dir) = out {
                let pb = step("writing catchment polygons");
                let fc = planning::catchments_geojson(&ctx, &r)?;
                write_atomic(&dir.join("catchments.geojson"), fc.to_string().as_bytes())?;
                pb.finish_and_clear();
            }
            emit_json(out, "catchments.json", &r)?;
            spec.title = format!("Catchments and households: {}", r.selection);
        }
        Analysis::Gaps => {
            let conn = match a.connectivity {
                4 => Connectivity::Four,
                8 => Connectivity::Eight,
                n => bail!("--connectivity {n}: use 4 or 8"),
            };
            let r = planning::gaps(&ctx, &filter, distance, conn)?;
            pb.finish_and_clear();
            emit(out, "gaps", &output::gap_table(&r))?;
            if let Some(dir) = out {
                write_atomic(
                    &dir.join("gaps.geojson"),
                    planning::gaps_geojson(&ctx, &r)?.to_string().as_bytes(),
                )?;
            }
            emit_json(out, "gaps.json", &r)?;
            let mut in_gap = vec![false; ctx.grid().cells().len()];
            for g in &r.gaps {
                for &i in &g.members {
                    in_gap[i] = true;
                }
            }
            spec.heat = Heat::Gaps(in_gap);
            spec.marks = r
                .gaps
                .iter()
                .take(10)
                .map(|g| Mark {
                    location: g.centre,
                    label: format!("{} ({})", g.rank, g.households),
                })
                .collect();
            spec.mark_label = "largest gaps (households)".into();
            spec.title = format!(
                "Gaps farther than {} km: {}",
                distance / 1000.0,
                r.selection
            );
        }
        Analysis::Whatif => {
            let open: Vec<NewOutlet> = a
                .open
                .iter()
                .map(|s| parse_open(s))
                .collect::<anyhow::Result<_>>()?;
            let r = planning::what_if(&ctx, &filter, &open, &a.close, &bands)?;
            pb.finish_and_clear();
            for (name, t) in output::whatif_tables(&r) {
                emit(out, name, &t)?;
            }
            emit_json(out, "whatif.json", &r)?;
            spec.outlets.retain(|o| !a.close.contains(&o.id));
            spec.marks = open
                .iter()
                .enumerate()
                .map(|(k, n)| Mark {
                    location: n.location,
                    label: format!("new {}", k + 1),
                })
                .collect();
            spec.mark_label = "opened outlets".into();
            spec.title = format!("What-if: {}", r.selection);
        }
        Analysis::Site => {
            let candidates = a
                .candidates
                .as_deref()
                .map(planning::read_candidates)
                .transpose()?;
            let so = SiteOptions {
                objective: match a.objective {
                    ObjectiveArg::Mclp => Objective::Mclp,
                    ObjectiveArg::PMedian => Objective::PMedian,
                },
                p: a.p,
                distance_m: distance,
                candidates,
                ..SiteOptions::default()
            };
            let r = planning::suggest_sites(&ctx, &filter, &so)?;
            pb.finish_and_clear();
            emit(out, "sites", &output::site_table(&r))?;
            emit_json(out, "sites.json", &r)?;
            spec.marks = r
                .sites
                .iter()
                .map(|s| Mark {
                    location: s.location,
                    label: s.rank.to_string(),
                })
                .collect();
            spec.mark_label = "suggested sites".into();
            spec.title = format!(
                "{} suggested sites ({:?}, D = {} km)",
                r.p,
                r.objective,
                distance / 1000.0
            );
        }
        Analysis::Huff => {
            let competitors = a
                .competitors
                .as_deref()
                .map(planning::read_competitors)
                .transpose()?
                .unwrap_or_default();
            let ho = HuffOptions {
                lambda: a.lambda,
                competitors,
                ..HuffOptions::default()
            };
            let r = planning::huff(&ctx, &filter, &ho)?;
            pb.finish_and_clear();
            for (name, t) in output::huff_tables(&r) {
                emit(out, name, &t)?;
            }
            emit_json(out, "huff.json", &r)?;
            spec.title = format!(
                "Huff market share {:.1}%: {}",
                r.share.shown().unwrap_or(0.0) * 100.0,
                r.selection
            );
        }
    }
    if let Some(path) = &a.map {
        let pb = step("drawing the map");
        map::draw(&ctx, &spec, path)?;
        pb.finish_and_clear();
        eprintln!("map written to {}", path.display());
    }
    Ok(())
}
