//! `storenet export`: navigator POI files for the selected outlets.

use crate::config::Settings;
use crate::export::{
    self, parse_bbox, parse_chains, read_polygon, Detail, ExportContext, ExportOptions, Format,
    PoiSet, Selection,
};
use crate::i18n::Lang;
use crate::ledger::SqlLedger;
use crate::model::{Category, MunicipalityCode, OutletKind};
use crate::offers::OfferBook;
use crate::registry::Registry;
use crate::spatial::OutletIndex;
use anyhow::Context;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `storenet export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Formats, comma-separated: gpx, ov2, gpi, csv, kml, kmz, geojson.
    #[arg(long, value_delimiter = ',', required = true)]
    pub format: Vec<String>,
    /// Only these chains (ids, comma-separated or repeated), e.g. `k-market,k-rauta`.
    #[arg(long, value_delimiter = ',')]
    pub chain: Vec<String>,
    /// Only these categories: food, building, sports, home, fuel, restaurant, other.
    #[arg(long, value_delimiter = ',')]
    pub category: Vec<String>,
    /// Only K-Group stores (`store`) or only partners (`partner`).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only inside `min_lon,min_lat,max_lon,max_lat` (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Only inside the polygon(s) of this GeoJSON file.
    #[arg(long)]
    pub polygon: Option<PathBuf>,
    /// Only in these municipalities (codes, e.g. `091`).
    #[arg(long, value_delimiter = ',')]
    pub municipality: Vec<String>,
    /// Only along the route (track or route) of this GPX or GeoJSON file, ordered along it; the
    /// GPX export then carries the route as a track beside the stops.
    #[arg(long)]
    pub route: Option<PathBuf>,
    /// Corridor half-width around the route: `2km`, `500m` or metres.
    #[arg(long, default_value = "2km")]
    pub corridor: String,
    /// One file per chain.
    #[arg(long)]
    pub split: bool,
    /// Bundle everything, icons and a README into one zip.
    #[arg(long)]
    pub zip: bool,
    /// Proximity alert distance (GPI, GPX): `300m`, `1km` or metres.
    #[arg(long)]
    pub proximity: Option<String>,
    /// Speed alert (GPI), km/h.
    #[arg(long)]
    pub speed: Option<f64>,
    /// GPI code page: 65001 (UTF-8, default) or 1252.
    #[arg(long, default_value = "65001")]
    pub codepage: String,
    /// Output directory.
    #[arg(long, default_value = "exports")]
    pub out: PathBuf,
    /// Language of descriptions (hours in words, offers) and titles: fi, sv or en [default: fi].
    #[arg(long)]
    pub lang: Option<String>,
    /// Name the files after this (e.g. the route, `Helsinki–Oulu`) and the export day:
    /// `helsinki-oulu-2026-12-04.gpx`. Without it the files are `storenet.*`.
    #[arg(long)]
    pub name: Option<String>,
    /// Export day (offers valid on it), YYYY-MM-DD; default today in Helsinki.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Database with the outlets and the ledger's offers, as for `serve`; an empty one gets the
    /// same first-start import from the data dir [default: sqlite://storenet.db].
    #[arg(long, env = "STORENET_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Parses `2km`, `300m` or a number of metres.
pub fn parse_distance_m(s: &str) -> anyhow::Result<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, scale) = if let Some(n) = t.strip_suffix("km") {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 1.0)
    } else {
        (t.as_str(), 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .with_context(|| format!("distance `{s}`: expected e.g. 300m, 2km or metres"))?;
    anyhow::ensure!(
        v.is_finite() && v > 0.0,
        "distance `{s}` must be greater than zero"
    );
    Ok(v * scale)
}

fn selection(index: &OutletIndex, a: &ExportArgs, lang: Option<Lang>) -> anyhow::Result<Selection> {
    let reg = index.registry();
    let mut sel = Selection {
        chains: parse_chains(reg, &a.chain)?,
        categories: a
            .category
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.parse::<Category>())
            .collect::<Result<_, _>>()?,
        kind: a
            .kind
            .as_deref()
            .map(str::parse::<OutletKind>)
            .transpose()?,
        ..Selection::default()
    };
    sel.bbox = a.bbox.as_deref().map(parse_bbox).transpose()?;
    sel.polygon = a.polygon.as_deref().map(read_polygon).transpose()?;
    sel.municipalities = a
        .municipality
        .iter()
        .filter(|m| !m.trim().is_empty())
        .map(|m| m.parse::<MunicipalityCode>())
        .collect::<Result<_, _>>()?;
    if let Some(r) = &a.route {
        let bytes = std::fs::read(r).with_context(|| format!("reading {}", r.display()))?;
        let route = export::read_route(&bytes, lang).with_context(|| r.display().to_string())?;
        sel.route = Some((route, parse_distance_m(&a.corridor)?));
    }
    Ok(sel)
}

/// The outlets and offers of the database, as `serve` sees them: an empty database first gets the
/// bundled data (outlets and offers) imported, exactly as on the service's first start. The offers
/// are read only if the formats write descriptions.
fn load(settings: &Settings, detail: Detail) -> anyhow::Result<(Registry, OfferBook)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let url = crate::db::redact(&settings.database_url);
        let boot = crate::http::bootstrap(settings)
            .await
            .with_context(|| format!("opening the database {url}"))?;
        if boot.seed_offers.is_none() && detail == Detail::Bare {
            return Ok((boot.registry, OfferBook::default()));
        }
        let ledger = SqlLedger::new(boot.store.db().clone(), settings.rules.clone())?;
        if let Some(book) = boot.seed_offers {
            crate::http::seed_offers(&ledger, book).await?;
        }
        let book = match detail {
            Detail::Full => ledger.offer_book().await?,
            Detail::Bare => OfferBook::default(),
        };
        if detail == Detail::Full && book.all().is_empty() {
            eprintln!("note: the ledger of {url} holds no offers; descriptions carry none");
        }
        Ok((boot.registry, book))
    })
}

fn bar(len: u64, what: &str) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let b = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len}") {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_message(what.to_string());
    b
}

/// Runs `storenet export`.
pub fn run(data_dir: &Path, a: ExportArgs) -> anyhow::Result<()> {
    let formats = Format::parse_list(&a.format.join(","))?;
    let lang: Option<Lang> = a.lang.as_deref().map(str::parse).transpose()?;
    let detail = Detail::for_formats(&formats);
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        ..Settings::default()
    };
    if let Some(url) = &a.database_url {
        settings.database_url = url.clone();
    }
    let (registry, book) = load(&settings, detail)?;
    // The trees are built only if the selection asks by place.
    let index = OutletIndex::lazy(Arc::new(registry));
    let sel = selection(&index, &a, lang)?;
    let selected = export::select(&index, &sel)?;
    let proximity_m = a
        .proximity
        .as_deref()
        .map(parse_distance_m)
        .transpose()?
        .map(|m| m.round().min(u16::MAX as f64) as u16);
    let day = a.date.unwrap_or_else(|| {
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Helsinki)
            .date_naive()
    });
    let ctx = ExportContext {
        registry: index.registry(),
        offers: &book,
        day,
        options: ExportOptions {
            proximity_m,
            speed_kmh: a.speed,
            codepage: a.codepage.parse()?,
            split: a.split,
            zip: a.zip,
            lang: lang.unwrap_or_default(),
            file_stem: a
                .name
                .as_deref()
                .map(|n| export::download_stem(Some(n), lang.unwrap_or_default(), day)),
        },
    };
    let outlets_bar = bar(selected.outlets.len() as u64, "outlets");
    let set = PoiSet::prepare_detail(&selected, &ctx, detail, &|| outlets_bar.inc(1))?;
    outlets_bar.finish_and_clear();
    let files = export::build(&formats, &set, &ctx)?;
    let files_bar = bar(files.len() as u64, "files");
    let written = export::write_files_atomically(&a.out, &files, &mut |_| files_bar.inc(1))?;
    files_bar.finish_and_clear();
    println!(
        "exported {} outlets ({}) as {} into {}: {} file(s)",
        set.len(),
        selected.description,
        formats
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(","),
        a.out.display(),
        written.len()
    );
    for p in &written {
        println!("  {}", p.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_take_units() {
        assert_eq!(parse_distance_m("2km").unwrap(), 2000.0);
        assert_eq!(parse_distance_m("300m").unwrap(), 300.0);
        assert_eq!(parse_distance_m("150").unwrap(), 150.0);
        assert!(parse_distance_m("-1km").is_err());
        assert!(parse_distance_m("far").is_err());
    }
}
