//! Independent readers for the export tests: GPSBabel and xmllint (skipped with a notice where
//! they are not installed, a failure with `STORENET_REQUIRE_TOOLS=1`), and our own structural
//! readers of GPI and OV2.

use crate::common::have_tool;
use std::path::Path;
use std::process::Command;

/// One waypoint as GPSBabel read it (`-o unicsv`), by column name.
#[derive(Debug, Clone)]
pub struct Wpt {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub cols: std::collections::HashMap<String, String>,
}

/// Reads a file with GPSBabel and returns its waypoints; `None` (after a notice) when GPSBabel
/// is not installed: the caller skips the rest of its test.
pub fn gpsbabel(format: &str, file: &Path) -> Option<Vec<Wpt>> {
    if !have_tool(
        "gpsbabel",
        "gpsbabel",
        "the rest of this test (reading back with GPSBabel)",
    ) {
        return None;
    }
    let out = Command::new("gpsbabel")
        .args(["-i", format, "-f"])
        .arg(file)
        .args(["-o", "unicsv", "-F", "-"])
        .output()
        .expect("running gpsbabel");
    assert!(
        out.status.success(),
        "gpsbabel -i {format} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().expect("unicsv header").clone();
    let read = rdr
        .records()
        .map(|r| {
            let r = r.expect("unicsv row");
            let cols: std::collections::HashMap<String, String> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            Wpt {
                name: cols.get("Name").cloned().unwrap_or_default(),
                lat: cols["Latitude"].parse().expect("latitude"),
                lon: cols["Longitude"].parse().expect("longitude"),
                cols,
            }
        })
        .collect();
    Some(read)
}

/// Validates an XML file against an XSD with xmllint; only this check is skipped (after a
/// notice) when xmllint is not installed.
pub fn xmllint_schema(file: &Path, xsd: &Path) {
    if !have_tool("xmllint", "libxml2-utils", "the XML schema check") {
        return;
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(file)
        .output()
        .expect("running xmllint");
    assert!(
        out.status.success(),
        "xmllint rejected {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}
pub fn i32_at(b: &[u8], i: usize) -> i32 {
    i32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

/// `n` bytes at `b[i..]`, or an error naming what was cut short. The binary readers below take
/// every field through this, so a damaged file is reported, never an index out of bounds.
fn take<'a>(b: &'a [u8], i: usize, n: usize, what: &str) -> Result<&'a [u8], String> {
    i.checked_add(n)
        .and_then(|end| b.get(i..end))
        .ok_or_else(|| {
            format!(
                "{what} at byte {i} cut short ({n} bytes wanted, {} left)",
                b.len().saturating_sub(i)
            )
        })
}
fn u16_le(b: &[u8], i: usize, what: &str) -> Result<u16, String> {
    Ok(u16::from_le_bytes(take(b, i, 2, what)?.try_into().unwrap()))
}
fn u32_le(b: &[u8], i: usize, what: &str) -> Result<u32, String> {
    Ok(u32::from_le_bytes(take(b, i, 4, what)?.try_into().unwrap()))
}
fn i32_le(b: &[u8], i: usize, what: &str) -> Result<i32, String> {
    Ok(i32::from_le_bytes(take(b, i, 4, what)?.try_into().unwrap()))
}

/// A GPI record as our reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpiRec {
    pub ty: u16,
    pub flags: u16,
    /// The main part (the whole body for records without sub-records).
    pub main: Vec<u8>,
    pub subs: Vec<GpiRec>,
}

/// Parses a run of GPI records that must fill `b` exactly; panics on any inconsistent length.
pub fn gpi_records(b: &[u8]) -> Vec<GpiRec> {
    try_gpi_records(b).unwrap_or_else(|e| panic!("{e}"))
}

/// [`gpi_records`] that says what is wrong instead of panicking.
pub fn try_gpi_records(b: &[u8]) -> Result<Vec<GpiRec>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        take(b, i, 8, "record header")?;
        let ty = u16_le(b, i, "type")?;
        let flags = u16_le(b, i + 2, "flags")?;
        let len = u32_le(b, i + 4, "length")? as usize;
        let mut j = i + 8;
        let main_len = if flags & 8 != 0 {
            let m = u32_le(b, j, "main length")? as usize;
            j += 4;
            if m > len {
                return Err(format!("type {ty}: main length {m} > record length {len}"));
            }
            m
        } else {
            len
        };
        let body = take(b, j, len, &format!("type {ty} at {i}: body"))
            .map_err(|e| format!("{e}: length {len} runs past its parent"))?;
        let main = body[..main_len].to_vec();
        let subs = if flags & 8 != 0 {
            try_gpi_records(&body[main_len..])?
        } else {
            Vec::new()
        };
        out.push(GpiRec {
            ty,
            flags,
            main,
            subs,
        });
        i = j + len;
    }
    Ok(out)
}

/// A GPI long string at `b[i..]`: (text bytes, bytes consumed).
pub fn gpi_long_string(b: &[u8], i: usize) -> (Vec<u8>, usize) {
    try_gpi_long_string(b, i).unwrap_or_else(|e| panic!("{e}"))
}

/// [`gpi_long_string`] that says what is wrong instead of panicking.
pub fn try_gpi_long_string(b: &[u8], i: usize) -> Result<(Vec<u8>, usize), String> {
    let total = u32_le(b, i, "long string total")? as usize;
    if take(b, i + 4, 2, "language code")? != b"EN" {
        return Err(format!("language code at byte {} is not `EN`", i + 4));
    }
    let n = u16_le(b, i + 6, "long string length")? as usize;
    if total != n + 4 {
        return Err(format!("long string total {total} != length {n} + 4"));
    }
    Ok((take(b, i + 8, n, "long string text")?.to_vec(), 8 + n))
}

/// An OV2 POI read by our walker.
#[derive(Debug, Clone, PartialEq)]
pub struct Ov2Poi {
    pub lon: i32,
    pub lat: i32,
    pub name: Vec<u8>,
}

/// Walks an OV2 block list filling `b` exactly. Checks every skipper's length and that its
/// bounding box is exactly that of the POIs inside, and that leaf blocks hold fewer than 20 POIs.
pub fn ov2_walk(b: &[u8], skippers: &mut usize) -> Vec<Ov2Poi> {
    try_ov2_walk(b, skippers).unwrap_or_else(|e| panic!("{e}"))
}

/// [`ov2_walk`] that says what is wrong instead of panicking.
pub fn try_ov2_walk(b: &[u8], skippers: &mut usize) -> Result<Vec<Ov2Poi>, String> {
    let mut pois = Vec::new();
    let mut i = 0;
    let mut direct = 0;
    while i < b.len() {
        let ty = b[i];
        let len = i32_le(b, i + 1, "record length")?;
        let len = usize::try_from(len).map_err(|_| format!("record at {i} has length {len}"))?;
        let rec = take(b, i, len, "record").map_err(|e| format!("{e}: runs past its block"))?;
        match ty {
            1 => {
                if len < 21 {
                    return Err(format!("skipper at {i} shorter than 21 bytes"));
                }
                *skippers += 1;
                let (e, n, w, s) = (
                    i32_le(rec, 5, "east")?,
                    i32_le(rec, 9, "north")?,
                    i32_le(rec, 13, "west")?,
                    i32_le(rec, 17, "south")?,
                );
                let inner = try_ov2_walk(&rec[21..], skippers)?;
                let Some(max_lon) = inner.iter().map(|p| p.lon).max() else {
                    return Err(format!("empty skipper block at {i}"));
                };
                let min_lon = inner.iter().map(|p| p.lon).min().unwrap();
                let max_lat = inner.iter().map(|p| p.lat).max().unwrap();
                let min_lat = inner.iter().map(|p| p.lat).min().unwrap();
                if (e, n, w, s) != (max_lon, max_lat, min_lon, min_lat) {
                    return Err(format!(
                        "skipper box at {i}: {:?}, POIs span {:?}",
                        (e, n, w, s),
                        (max_lon, max_lat, min_lon, min_lat)
                    ));
                }
                pois.extend(inner);
            }
            2 => {
                let name = take(rec, 13, len.saturating_sub(13), "POI")
                    .map_err(|_| format!("POI at {i}: length {len} < 13"))?;
                if name.last() != Some(&0) {
                    return Err(format!("POI at {i}: name is not NUL-terminated"));
                }
                if name[..name.len() - 1].contains(&0) {
                    return Err(format!("POI at {i}: name holds more than one NUL"));
                }
                pois.push(Ov2Poi {
                    lon: i32_le(rec, 5, "lon")?,
                    lat: i32_le(rec, 9, "lat")?,
                    name: name[..name.len() - 1].to_vec(),
                });
                direct += 1;
            }
            t => return Err(format!("unexpected OV2 record type {t} at {i}")),
        }
        i += len;
    }
    if direct >= 20 {
        return Err(format!("a block holds {direct} POIs directly (want < 20)"));
    }
    Ok(pois)
}

/// Runs one export test of this binary again with an empty `PATH` (no GPSBabel, no xmllint), as
/// on a machine with only Rust installed: it passes with a notice, and fails once
/// `STORENET_REQUIRE_TOOLS=1` says the tools must be there.
#[test]
fn export_tests_skip_without_gpsbabel_and_xmllint_unless_tools_are_required() {
    use crate::common::REQUIRE_TOOLS;
    const TEST: &str =
        "export::gpx_validates_against_the_schema_and_roundtrips_through_gpsbabel_and_the_gpx_crate";
    let empty = tempfile::tempdir().unwrap();
    let run = |require: bool| {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env("PATH", empty.path())
            .env_remove(REQUIRE_TOOLS);
        if require {
            c.env(REQUIRE_TOOLS, "1");
        }
        let out = c.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = run(false);
    assert!(ok, "{text}");
    assert!(text.contains("1 passed"), "{text}");
    for notice in [
        "notice: `xmllint` is not installed (Debian package libxml2-utils); skipping the XML schema check",
        "notice: `gpsbabel` is not installed (Debian package gpsbabel); skipping the rest of this test",
    ] {
        assert!(text.contains(notice), "want {notice} in:\n{text}");
    }
    let (ok, text) = run(true);
    assert!(!ok, "{text}");
    assert!(
        text.contains("`xmllint` is not installed and STORENET_REQUIRE_TOOLS=1"),
        "{text}"
    );
}
