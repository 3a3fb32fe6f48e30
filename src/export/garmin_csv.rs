//! Garmin POI Loader CSV: `lon,lat,"Name","Comment"`, one file per chain named after it (POI
//! Loader makes the file name the category), with a BMP icon of the same base name.

use super::icons::Icon;
use super::text::{neutralise_formula, truncate_utf8};
use super::{ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use std::fmt::Write;

/// Writes Garmin POI Loader CSV.
pub struct GarminCsvExporter;

/// Longest name in bytes.
pub const NAME_MAX_BYTES: usize = 255;
/// Longest comment in bytes.
pub const COMMENT_MAX_BYTES: usize = 1024;

/// The inside of a quoted CSV field: POI Loader has no escape for `"`, so it becomes `'`; line
/// breaks become spaces; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab)
/// starts with `'` ([`neutralise_formula`]).
fn field(s: &str, max: usize) -> String {
    let safe = neutralise_formula(s);
    let clean: String = safe
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '\r' | '\n' => ' ',
            c => c,
        })
        .collect();
    truncate_utf8(&clean, max).to_string()
}

/// A file name from a chain name: characters file systems refuse become `_`.
pub(crate) fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

impl Exporter for GarminCsvExporter {
    fn format(&self) -> Format {
        Format::GarminCsv
    }

    /// Always one file per chain: the stem is ignored, each file is named after its chain.
    fn files(
        &self,
        set: &PoiSet<'_>,
        _stem: &str,
        _ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let mut out = Vec::new();
        for g in &set.groups {
            let stem = file_stem(&g.chain.name);
            let mut s = String::with_capacity(g.pois.len() * 160);
            for p in &g.pois {
                let l = p.outlet.location;
                // Writing into a String cannot fail.
                let _ = write!(
                    s,
                    "{:.7},{:.7},\"{}\",\"{}\"\r\n",
                    l.lon(),
                    l.lat(),
                    field(&p.outlet.name, NAME_MAX_BYTES),
                    field(&p.one_line(), COMMENT_MAX_BYTES)
                );
            }
            out.push(OutFile {
                path: format!("{stem}.csv"),
                bytes: s.into_bytes(),
            });
            out.push(OutFile {
                path: format!("{stem}.bmp"),
                bytes: Icon::for_chain(g.chain).to_bmp(),
            });
        }
        Ok(out)
    }
}
