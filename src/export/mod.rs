//! Navigator POI exports: GPX, TomTom OV2, Garmin GPI, Garmin POI Loader CSV, KML/KMZ, GeoJSON.
//!
//! One [`Exporter`] per format, each in its own file, over the same prepared points ([`PoiSet`]):
//! the outlets a [`Selection`] picked, in selection order (a route's order is kept) and grouped by
//! chain for the formats with a category per chain, with their descriptions (address, phone,
//! opening hours, the offers valid on the export day) and the chain icons drawn by [`icons`].
//! [`render`] makes one downloadable file (HTTP); [`write_to_dir`] writes a whole export
//! atomically (CLI). Every byte is written by our code; GPSBabel only reads it back in the tests.

mod bundle;
mod garmin_csv;
mod geojson;
mod gpi;
mod gpx;
pub mod icons;
mod kml;
mod ov2;
mod poi;
mod route_file;
mod select;
pub mod text;
mod write;
mod xml;

pub use bundle::{build, OutFile};
pub use poi::{describe_offer, Detail, Group, Poi, PoiSet};
pub use route_file::{choices, download_stem, read_route, sanitise_name, Choice, MAX_NAME_CHARS};
pub use select::{parse_bbox, parse_gpx_route, read_polygon, select, Selected, Selection};
pub use write::write_files_atomically;

use crate::i18n::Lang;
use crate::model::ChainId;
use crate::offers::OfferSource;
use crate::registry::Registry;
use chrono::NaiveDate;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why an export could not be made. A failed export writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The selection matched no outlet: nothing is written.
    #[error("the selection matched no outlets ({0}); nothing was written")]
    EmptySelection(String),
    /// A format name we do not write.
    #[error("unknown export format `{0}`: expected one of gpx, ov2, gpi, csv, kml, kmz, geojson")]
    UnknownFormat(String),
    /// A chain the registry does not know.
    #[error("unknown chain `{0}`: see chains.csv for the chain ids")]
    UnknownChain(String),
    /// A selection or option value that is out of range or malformed.
    #[error("{field}: {reason}")]
    BadOption {
        /// The option.
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The spatial query refused its parameters.
    #[error(transparent)]
    Query(#[from] crate::spatial::QueryError),
    /// An input file (route GPX, polygon GeoJSON) that could not be read or understood.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing the output failed; nothing of this export was left behind.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Building a zip archive failed.
    #[error("building zip archive: {0}")]
    Zip(String),
    /// A route file that cannot be used, said in plain words in the request's language.
    #[error("{message}")]
    Route {
        /// `body` (the file could not be read as a route) or `route` (its points are unusable).
        field: &'static str,
        /// What was expected and what came.
        message: String,
    },
}

/// The file formats we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// GPX 1.1 waypoints with Garmin and OsmAnd extensions.
    Gpx,
    /// TomTom OV2 with skipper index and BMP icon.
    Ov2,
    /// Garmin GPI (POI Loader's format): categories, bitmaps, alerts.
    Gpi,
    /// Garmin POI Loader CSV, one file per chain with BMP icon.
    GarminCsv,
    /// KML, one Folder per chain.
    Kml,
    /// KMZ: zipped KML with its icons.
    Kmz,
    /// GeoJSON FeatureCollection (RFC 7946).
    GeoJson,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 7] = [
        Format::Gpx,
        Format::Ov2,
        Format::Gpi,
        Format::GarminCsv,
        Format::Kml,
        Format::Kmz,
        Format::GeoJson,
    ];

    /// The name used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Format::Gpx => "gpx",
            Format::Ov2 => "ov2",
            Format::Gpi => "gpi",
            Format::GarminCsv => "csv",
            Format::Kml => "kml",
            Format::Kmz => "kmz",
            Format::GeoJson => "geojson",
        }
    }

    /// The file extension of the main file.
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// The HTTP `Content-Type` of the main file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Gpx => "application/gpx+xml",
            Format::Ov2 | Format::Gpi => "application/octet-stream",
            Format::GarminCsv => "text/csv; charset=utf-8",
            Format::Kml => "application/vnd.google-earth.kml+xml",
            Format::Kmz => "application/vnd.google-earth.kmz",
            Format::GeoJson => "application/geo+json",
        }
    }

    /// Parses a comma-separated list such as `gpx,ov2`, without duplicates, in the order given.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, ExportError> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f: Format = part.parse()?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err(ExportError::UnknownFormat(s.to_string()));
        }
        Ok(out)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == t || (t == "garmin-csv" && *f == Format::GarminCsv))
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }
}

/// Text encoding of a Garmin GPI file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codepage {
    /// UTF-8 (code page 65001): every letter, including Sámi č đ ŋ ŧ. Newer devices.
    #[default]
    Utf8,
    /// Windows-1252 with transliteration: older devices.
    Windows1252,
}

impl Codepage {
    /// The number written into the GPI header.
    pub fn number(self) -> u16 {
        match self {
            Codepage::Utf8 => 65001,
            Codepage::Windows1252 => 1252,
        }
    }
}

impl FromStr for Codepage {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "65001" | "utf-8" | "utf8" => Ok(Codepage::Utf8),
            "1252" | "cp1252" | "windows-1252" => Ok(Codepage::Windows1252),
            _ => Err(ExportError::BadOption {
                field: "codepage",
                reason: format!("`{s}`: expected 65001 (UTF-8) or 1252"),
            }),
        }
    }
}

/// How to write an export.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportOptions {
    /// Proximity alert radius in metres (GPX `gpxx:Proximity`, GPI alert); `None` = no alert.
    pub proximity_m: Option<u16>,
    /// Speed for GPI speed alerts, km/h; `None` = no speed alert.
    pub speed_kmh: Option<f64>,
    /// GPI text encoding (default UTF-8).
    pub codepage: Codepage,
    /// One file per chain.
    pub split: bool,
    /// Bundle every file, its icons and a README into one zip.
    pub zip: bool,
    /// The language of descriptions (hours in words, offers) and labels; default Finnish.
    pub lang: Lang,
    /// The name of the main file without extension (see [`download_stem`]); default `storenet`.
    pub file_stem: Option<String>,
}

/// What every exporter needs besides the points.
pub struct ExportContext<'a> {
    /// The registry the outlets come from (chains, colours, letters).
    pub registry: &'a Registry,
    /// Where offers come from (`OfferBook` from `data/offers.csv`, later the ledger).
    pub offers: &'a dyn OfferSource,
    /// The export day: offers valid on it go into descriptions; file time stamps use it.
    pub day: NaiveDate,
    /// How to write.
    pub options: ExportOptions,
}

/// One format's writer.
pub trait Exporter: Sync {
    /// The format it writes.
    fn format(&self) -> Format;
    /// The files for these points; `stem` names the main file (`storenet` or a chain id).
    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError>;
}

/// The exporter of a format.
pub fn exporter(format: Format) -> &'static dyn Exporter {
    match format {
        Format::Gpx => &gpx::GpxExporter,
        Format::Ov2 => &ov2::Ov2Exporter,
        Format::Gpi => &gpi::GpiExporter,
        Format::GarminCsv => &garmin_csv::GarminCsvExporter,
        Format::Kml => &kml::KmlExporter { zipped: false },
        Format::Kmz => &kml::KmlExporter { zipped: true },
        Format::GeoJson => &geojson::GeoJsonExporter,
    }
}

/// One downloadable file: what an HTTP route streams.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its name for `Content-Disposition`.
    pub file_name: String,
}

/// Renders one format into one file. Formats that need companion files (OV2 and Garmin CSV with
/// their BMP icons, KML with its PNG icons) or a split export come as a zip with a README.
pub fn render(
    format: Format,
    selected: &Selected<'_>,
    ctx: &ExportContext<'_>,
) -> Result<Rendered, ExportError> {
    let mut all = render_all(&[format], selected, ctx)?;
    match all.pop() {
        Some((_, r)) => Ok(r),
        // render_all gives one file per format asked for.
        None => Err(ExportError::UnknownFormat(format.name().into())),
    }
}

/// Renders every format of `formats` from one preparation of the points, in that order (what the
/// download choices measure: each file's exact size before it is downloaded).
pub fn render_all(
    formats: &[Format],
    selected: &Selected<'_>,
    ctx: &ExportContext<'_>,
) -> Result<Vec<(Format, Rendered)>, ExportError> {
    use rayon::prelude::*;
    let set = PoiSet::prepare_detail(selected, ctx, Detail::for_formats(formats), &|| {})?;
    formats
        .par_iter()
        .map(|&format| {
            let files = bundle::files_for(format, &set, ctx)?;
            if files.len() == 1 && !ctx.options.zip {
                let f = files.into_iter().next().expect("length checked above");
                return Ok((
                    format,
                    Rendered {
                        bytes: f.bytes,
                        content_type: format.content_type(),
                        file_name: f.path,
                    },
                ));
            }
            let file_name = match &ctx.options.file_stem {
                Some(stem) => format!("{stem}-{}.zip", format.name()),
                None => format!("storenet-{}-{}.zip", format.name(), ctx.day),
            };
            let bytes = bundle::zip(&files, &[format], ctx)?;
            Ok((
                format,
                Rendered {
                    bytes,
                    content_type: "application/zip",
                    file_name,
                },
            ))
        })
        .collect()
}

/// Writes an export of `formats` into `dir` (created if missing), all files or none, and returns
/// the paths written. `on_file` is called with each file name as it is committed.
pub fn write_to_dir(
    formats: &[Format],
    selected: &Selected<'_>,
    ctx: &ExportContext<'_>,
    dir: &Path,
    on_file: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>, ExportError> {
    let set = PoiSet::prepare_detail(selected, ctx, Detail::for_formats(formats), &|| {})?;
    let files = build(formats, &set, ctx)?;
    write_files_atomically(dir, &files, on_file)
}

/// Chains named on the command line or in a URL, checked against the registry.
pub fn parse_chains(reg: &Registry, list: &[String]) -> Result<Vec<ChainId>, ExportError> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            ChainId::new(s)
                .ok()
                .filter(|c| reg.chain(c).is_some())
                .ok_or_else(|| ExportError::UnknownChain(s.to_string()))
        })
        .collect()
}
