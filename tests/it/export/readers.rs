//! Independent readers for the export tests: GPSBabel and xmllint (must be installed), and our
//! own structural readers of GPI and OV2.

use std::path::Path;
use std::process::Command;

/// Fails the test with a clear message if a tool is missing: CI installs them, tests never skip.
pub fn require_tool(tool: &str, package: &str) {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false);
    assert!(
        ok,
        "`{tool}` is not installed: the export tests need it as an independent reader. \
         Install it with `apt-get install -y {package}`."
    );
}

/// One waypoint as GPSBabel read it (`-o unicsv`), by column name.
#[derive(Debug, Clone)]
pub struct Wpt {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub cols: std::collections::HashMap<String, String>,
}

/// Reads a file with GPSBabel and returns its waypoints.
pub fn gpsbabel(format: &str, file: &Path) -> Vec<Wpt> {
    require_tool("gpsbabel", "gpsbabel");
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
    rdr.records()
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
        .collect()
}

/// Validates an XML file against an XSD with xmllint.
pub fn xmllint_schema(file: &Path, xsd: &Path) {
    require_tool("xmllint", "libxml2-utils");
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

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes(b[i..i + 2].try_into().unwrap())
}
pub fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}
pub fn i32_at(b: &[u8], i: usize) -> i32 {
    i32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

/// A GPI record as our reader sees it.
#[derive(Debug, Clone)]
pub struct GpiRec {
    pub ty: u16,
    pub flags: u16,
    /// The main part (the whole body for records without sub-records).
    pub main: Vec<u8>,
    pub subs: Vec<GpiRec>,
}

/// Parses a run of GPI records that must fill `b` exactly; panics on any inconsistent length.
pub fn gpi_records(b: &[u8]) -> Vec<GpiRec> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        assert!(i + 8 <= b.len(), "record header cut at byte {i}");
        let ty = u16_at(b, i);
        let flags = u16_at(b, i + 2);
        let len = u32_at(b, i + 4) as usize;
        let mut j = i + 8;
        let main_len = if flags & 8 != 0 {
            let m = u32_at(b, j) as usize;
            j += 4;
            assert!(m <= len, "type {ty}: main length {m} > record length {len}");
            m
        } else {
            len
        };
        assert!(
            j + len <= b.len(),
            "type {ty} at {i}: length {len} runs past its parent"
        );
        let main = b[j..j + main_len].to_vec();
        let subs = if flags & 8 != 0 {
            gpi_records(&b[j + main_len..j + len])
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
    assert_eq!(i, b.len(), "records do not end where their parent ends");
    out
}

/// A GPI long string at `b[i..]`: (text bytes, bytes consumed).
pub fn gpi_long_string(b: &[u8], i: usize) -> (Vec<u8>, usize) {
    let total = u32_at(b, i) as usize;
    assert_eq!(&b[i + 4..i + 6], b"EN", "language code");
    let n = u16_at(b, i + 6) as usize;
    assert_eq!(total, n + 4, "long string total");
    (b[i + 8..i + 8 + n].to_vec(), 8 + n)
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
    let mut pois = Vec::new();
    let mut i = 0;
    let mut direct = 0;
    while i < b.len() {
        let ty = b[i];
        let len = i32_at(b, i + 1) as usize;
        assert!(i + len <= b.len(), "record at {i} runs past its block");
        match ty {
            1 => {
                assert!(len >= 21, "skipper shorter than 21 bytes");
                *skippers += 1;
                let (e, n, w, s) = (
                    i32_at(b, i + 5),
                    i32_at(b, i + 9),
                    i32_at(b, i + 13),
                    i32_at(b, i + 17),
                );
                let inner = ov2_walk(&b[i + 21..i + len], skippers);
                assert!(!inner.is_empty(), "empty skipper block");
                let max_lon = inner.iter().map(|p| p.lon).max().unwrap();
                let min_lon = inner.iter().map(|p| p.lon).min().unwrap();
                let max_lat = inner.iter().map(|p| p.lat).max().unwrap();
                let min_lat = inner.iter().map(|p| p.lat).min().unwrap();
                assert_eq!(
                    (e, n, w, s),
                    (max_lon, max_lat, min_lon, min_lat),
                    "skipper box"
                );
                pois.extend(inner);
            }
            2 => {
                let name = &b[i + 13..i + len];
                assert_eq!(len, 13 + name.len(), "POI length");
                assert_eq!(name.last(), Some(&0), "name is NUL-terminated");
                assert!(!name[..name.len() - 1].contains(&0), "one NUL only");
                pois.push(Ov2Poi {
                    lon: i32_at(b, i + 5),
                    lat: i32_at(b, i + 9),
                    name: name[..name.len() - 1].to_vec(),
                });
                direct += 1;
            }
            t => panic!("unexpected OV2 record type {t} at {i}"),
        }
        i += len;
    }
    assert!(
        direct < 20,
        "a block holds {direct} POIs directly (want < 20)"
    );
    pois
}
