//! Putting an export together: one file per chain (`split`), several formats side by side, and the
//! zip bundle with icons and a README for the user's device.

use super::{exporter, ExportContext, ExportError, Format, PoiSet};
use rayon::prelude::*;
use std::io::Write;

/// One file of an export: a relative path (`/`-separated) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Relative path, e.g. `k-market.ov2` or `ov2/k-market.bmp`.
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// The files of one format: one set, or one per chain when splitting (Garmin CSV always splits).
pub(crate) fn files_for(
    format: Format,
    set: &PoiSet<'_>,
    ctx: &ExportContext<'_>,
) -> Result<Vec<OutFile>, ExportError> {
    let ex = exporter(format);
    let split = ctx.options.split && format != Format::GarminCsv;
    let parts: Vec<Vec<OutFile>> = if split {
        (0..set.groups.len())
            .into_par_iter()
            .map(|i| ex.files(&set.only(i), set.groups[i].chain.id.as_str(), ctx))
            .collect::<Result<_, _>>()?
    } else {
        let stem = ctx.options.file_stem.as_deref().unwrap_or("storenet");
        vec![ex.files(set, stem, ctx)?]
    };
    let mut out: Vec<OutFile> = Vec::new();
    for f in parts.into_iter().flatten() {
        // Icons shared by several files of one format come once.
        if !out.iter().any(|o| o.path == f.path) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Every file of an export of `formats`: each format in its own folder when there are several,
/// all in one zip (with a README) when `ctx.options.zip`.
pub fn build(
    formats: &[Format],
    set: &PoiSet<'_>,
    ctx: &ExportContext<'_>,
) -> Result<Vec<OutFile>, ExportError> {
    let per_format: Vec<Vec<OutFile>> = match formats {
        // One format: no thread pool to start.
        [f] => vec![files_for(*f, set, ctx)?],
        _ => formats
            .par_iter()
            .map(|&f| files_for(f, set, ctx))
            .collect::<Result<_, _>>()?,
    };
    let many = formats.len() > 1;
    let files: Vec<OutFile> = formats
        .iter()
        .zip(per_format)
        .flat_map(|(f, files)| {
            files.into_iter().map(move |mut o| {
                if many {
                    o.path = format!("{}/{}", f.name(), o.path);
                }
                o
            })
        })
        .collect();
    if ctx.options.zip {
        let bytes = zip(&files, formats, ctx)?;
        return Ok(vec![OutFile {
            path: match &ctx.options.file_stem {
                Some(stem) => format!("{stem}.zip"),
                None => format!("storenet-{}.zip", ctx.day),
            },
            bytes,
        }]);
    }
    Ok(files)
}

/// How to load each format, in the export's language (Windows line ends: most open it in
/// Notepad).
fn readme(formats: &[Format], ctx: &ExportContext<'_>) -> String {
    use crate::i18n::{msg, text};
    let lang = ctx.options.lang;
    let day = ctx.day.to_string();
    let mut s = format!(
        "{}\r\n{}\r\n\r\n",
        msg(lang, "readme-title", &[("date", (&day).into())]),
        msg(lang, "readme-intro", &[("date", (&day).into())])
    );
    for f in formats {
        s.push_str(&text(lang, &format!("readme-{}", f.name())));
        s.push_str("\r\n");
    }
    if ctx.options.proximity_m.is_some() || ctx.options.speed_kmh.is_some() {
        s.push_str("\r\n");
        s.push_str(&text(lang, "readme-alerts"));
        s.push_str("\r\n");
    }
    s
}

/// Zips `entries` as they are (deflate).
pub(crate) fn zip_entries(entries: &[OutFile]) -> Result<Vec<u8>, ExportError> {
    let zerr = |e: zip::result::ZipError| ExportError::Zip(e.to_string());
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // A fixed time keeps archives byte-identical between runs of the same export.
        .last_modified_time(zip::DateTime::default());
    for f in entries {
        z.start_file(f.path.as_str(), opts).map_err(zerr)?;
        z.write_all(&f.bytes)
            .map_err(|e| ExportError::Zip(e.to_string()))?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}

/// A zip of `files` with a `README.txt` explaining how to load each format.
pub(crate) fn zip(
    files: &[OutFile],
    formats: &[Format],
    ctx: &ExportContext<'_>,
) -> Result<Vec<u8>, ExportError> {
    let mut all = Vec::with_capacity(files.len() + 1);
    all.push(OutFile {
        path: "README.txt".into(),
        bytes: readme(formats, ctx).into_bytes(),
    });
    all.extend(files.iter().cloned());
    zip_entries(&all)
}
