//! Garmin GPI, written the way POI Loader writes it, but with what users ask for: one category
//! per chain, each with its own bitmap, in one file; proximity and speed alerts; UTF-8 (code page
//! 65001) by default so Sámi letters survive, Windows-1252 as an option.
//!
//! Record: `u16 type, u16 flags, u32 length, [u32 main_length if flags & 8]`, then the main part
//! and sub-records; `length` counts everything after the length fields.

use super::icons::{Icon, SIZE};
use super::text::{encode_1252, truncate_utf8};
use super::{Codepage, ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use chrono::NaiveDate;

/// Writes Garmin GPI.
pub struct GpiExporter;

/// Areas holding more POIs than this are split into quadrants (as POI Loader does).
pub const AREA_MAX: usize = 128;
/// Longest POI name in bytes.
pub const NAME_MAX_BYTES: usize = 255;
/// Longest description in bytes.
pub const DESC_MAX_BYTES: usize = 1024;

const EXTENDED: u16 = 0x0008;

/// Degrees to Garmin semicircles (2^31 per 180°), rounded to nearest.
pub fn semicircles(deg: f64) -> i32 {
    (deg * (2_147_483_648.0 / 180.0)).round() as i32
}

struct Enc(Codepage);

impl Enc {
    fn bytes(&self, s: &str, max: usize) -> Vec<u8> {
        match self.0 {
            Codepage::Utf8 => truncate_utf8(s, max).as_bytes().to_vec(),
            Codepage::Windows1252 => encode_1252(s, max),
        }
    }

    /// Long form: `u32 total, "EN", u16 n, bytes`.
    fn long(&self, out: &mut Vec<u8>, s: &str, max: usize) {
        let b = self.bytes(s, max);
        out.extend_from_slice(&(b.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"EN");
        out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        out.extend_from_slice(&b);
    }

    /// Short form: `u16 n, bytes`.
    fn short(&self, out: &mut Vec<u8>, s: &str, max: usize) {
        let b = self.bytes(s, max);
        out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        out.extend_from_slice(&b);
    }
}

/// Starts a record with sub-records written straight after it into `out` (no copy of them):
/// the header and `main` now, the length patched by [`end_record`]. The position to pass there.
fn begin_record(out: &mut Vec<u8>, ty: u16, main: &[u8]) -> usize {
    let start = out.len();
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&EXTENDED.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // main + subs, patched by `end_record`
    out.extend_from_slice(&(main.len() as u32).to_le_bytes());
    out.extend_from_slice(main);
    start
}

/// Ends a record begun at `start`: its length is everything written since its header.
fn end_record(out: &mut [u8], start: usize) {
    let len = (out.len() - start - 12) as u32;
    out[start + 4..start + 8].copy_from_slice(&len.to_le_bytes());
}

/// Appends a record: header, then `main`, then `subs`.
fn record(out: &mut Vec<u8>, ty: u16, main: &[u8], subs: &[u8]) {
    let flags = if subs.is_empty() { 0 } else { EXTENDED };
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&((main.len() + subs.len()) as u32).to_le_bytes());
    if flags & EXTENDED != 0 {
        out.extend_from_slice(&(main.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(main);
    out.extend_from_slice(subs);
}

struct Point {
    lat: i32,
    lon: i32,
    name: Vec<u8>,
    bytes: Vec<u8>,
    alert: bool,
}

fn poi_record(p: &super::Poi<'_>, cat: u16, enc: &Enc, ctx: &ExportContext<'_>) -> Point {
    let o = p.outlet;
    let (lat, lon) = (semicircles(o.location.lat()), semicircles(o.location.lon()));
    let prox = ctx.options.proximity_m.filter(|m| *m > 0);
    let speed = ctx
        .options
        .speed_kmh
        .filter(|s| *s > 0.0)
        .map(|s| (s / 3.6 * 100.0).round().min(u16::MAX as f64) as u16);
    let alert = prox.is_some() || speed.is_some();

    let mut main = Vec::with_capacity(64);
    main.extend_from_slice(&lat.to_le_bytes());
    main.extend_from_slice(&lon.to_le_bytes());
    main.extend_from_slice(&1u16.to_le_bytes());
    main.push(alert as u8);
    enc.long(&mut main, &o.name, NAME_MAX_BYTES);
    let name = enc.bytes(&o.name, NAME_MAX_BYTES);

    let mut subs = Vec::with_capacity(256);
    if alert {
        let mut a = Vec::with_capacity(12);
        a.extend_from_slice(&prox.unwrap_or(0).to_le_bytes());
        a.extend_from_slice(&speed.unwrap_or(0).to_le_bytes());
        a.extend_from_slice(&0x0010_0100u32.to_le_bytes());
        // Alert on, tone, kind (4 proximity, 5 speed), then the constant POI Loader writes.
        a.extend_from_slice(&[1, 1, if speed.is_some() { 5 } else { 4 }, 0x10]);
        record(&mut subs, 3, &a, &[]);
    }
    record(&mut subs, 4, &cat.to_le_bytes(), &[]); // bitmap id = category id
    record(&mut subs, 6, &cat.to_le_bytes(), &[]);
    let mut d = Vec::new();
    enc.long(&mut d, &p.one_line(), DESC_MAX_BYTES);
    record(&mut subs, 0x0a, &d, &[]);

    let a = &o.address;
    // Address mask: city 1, country 2, postal code 8, street 16; the strings follow in that order.
    let mut addr = (1u16 | 2 | 8 | 16).to_le_bytes().to_vec();
    enc.long(&mut addr, &a.city, 255);
    enc.long(&mut addr, "Finland", 255);
    enc.short(&mut addr, &a.postal_code, 16);
    enc.long(&mut addr, &a.street, 255);
    record(&mut subs, 0x0b, &addr, &[]);
    if !o.phone.is_empty() {
        // Contact mask 1: phone only.
        let mut ph = 1u16.to_le_bytes().to_vec();
        enc.short(&mut ph, &o.phone, 64);
        record(&mut subs, 0x0c, &ph, &[]);
    }
    let mut bytes = Vec::with_capacity(main.len() + subs.len() + 12);
    record(&mut bytes, 2, &main, &subs);
    Point {
        lat,
        lon,
        name,
        bytes,
        alert,
    }
}

/// Writes an area record over `pts`: POIs directly if few, else four quadrants around the mean.
fn area(out: &mut Vec<u8>, pts: &mut [Point]) {
    let (mut n, mut e, mut s, mut w) = (i32::MIN, i32::MIN, i32::MAX, i32::MAX);
    for p in pts.iter() {
        n = n.max(p.lat);
        e = e.max(p.lon);
        s = s.min(p.lat);
        w = w.min(p.lon);
    }
    let alert = pts.iter().any(|p| p.alert);
    let mut main = Vec::with_capacity(23);
    for v in [n, e, s, w] {
        main.extend_from_slice(&v.to_le_bytes());
    }
    main.extend_from_slice(&0u32.to_le_bytes());
    main.extend_from_slice(&1u16.to_le_bytes());
    main.push(alert as u8);

    // Never empty: an area holds at least one point.
    let start = begin_record(out, 8, &main);
    let same_place = n == s && e == w;
    if pts.len() <= AREA_MAX || same_place {
        pts.sort_by(|a, b| a.name.cmp(&b.name));
        for p in pts.iter() {
            out.extend_from_slice(&p.bytes);
        }
    } else {
        let k = pts.len() as f64;
        let clat = pts.iter().map(|p| p.lat as f64).sum::<f64>() / k;
        let clon = pts.iter().map(|p| p.lon as f64).sum::<f64>() / k;
        let quadrant =
            |p: &Point| (((p.lat as f64) >= clat) as u8) * 2 + ((p.lon as f64) >= clon) as u8;
        pts.sort_by_key(quadrant);
        let mut rest: &mut [Point] = pts;
        for q in 0..4u8 {
            let cnt = rest.iter().take_while(|p| quadrant(p) == q).count();
            let (head, tail) = rest.split_at_mut(cnt);
            if !head.is_empty() {
                area(out, head);
            }
            rest = tail;
        }
    }
    end_record(out, start);
}

/// Seconds from Garmin's epoch (1989-12-31 00:00 UTC) to midnight UTC of `day`.
fn garmin_time(day: NaiveDate) -> u32 {
    let epoch = NaiveDate::from_ymd_opt(1989, 12, 31).unwrap_or_default();
    (day - epoch).num_seconds().clamp(0, u32::MAX as i64) as u32
}

/// The bitmap record body: 36-byte header, rows top-down at 8 bits, 256-entry palette.
fn bitmap(id: u16, icon: &Icon) -> Vec<u8> {
    let line = SIZE.div_ceil(4) * 4;
    let image = (line * SIZE) as u32;
    let mut b = Vec::with_capacity(36 + image as usize + 1024);
    for v in [id, SIZE as u16, SIZE as u16, line as u16, 8, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&image.to_le_bytes());
    b.extend_from_slice(&0x2cu32.to_le_bytes()); // pixels start 44 bytes into the record
    b.extend_from_slice(&256u32.to_le_bytes()); // palette entries
    b.extend_from_slice(&0x00FF_00FFu32.to_le_bytes()); // transparent: magenta
    b.extend_from_slice(&1u32.to_le_bytes()); // transparency on
    b.extend_from_slice(&(image + 0x2c).to_le_bytes()); // palette offset
    for y in 0..SIZE {
        b.extend_from_slice(&icon.pixels[y * SIZE..(y + 1) * SIZE]);
        b.resize(b.len() + line - SIZE, 0);
    }
    for i in 0..256 {
        let c = icon
            .palette
            .get(i)
            .copied()
            .unwrap_or(crate::model::Rgb(0, 0, 0));
        b.extend_from_slice(&[c.0, c.1, c.2, 0]);
    }
    b
}

/// The GPI bytes of a set: one POI group, one category and bitmap per chain.
pub fn gpi_bytes(set: &PoiSet<'_>, group_name: &str, ctx: &ExportContext<'_>) -> Vec<u8> {
    let enc = Enc(ctx.options.codepage);
    let mut out = Vec::with_capacity(set.len() * 400);

    let file_name = b"storenet.gpi";
    let mut h0 = Vec::new();
    h0.extend_from_slice(b"GRMREC00");
    h0.extend_from_slice(&garmin_time(ctx.day).to_le_bytes());
    h0.extend_from_slice(&0u16.to_le_bytes());
    h0.extend_from_slice(&(file_name.len() as u16).to_le_bytes());
    h0.extend_from_slice(file_name);
    record(&mut out, 0, &h0, &[]);
    let mut h1 = Vec::new();
    h1.extend_from_slice(b"POI\0");
    h1.extend_from_slice(&[0, 0]);
    h1.extend_from_slice(b"01");
    h1.extend_from_slice(&ctx.options.codepage.number().to_le_bytes());
    h1.extend_from_slice(&0u16.to_le_bytes());
    record(&mut out, 1, &h1, &[]);

    let mut pts: Vec<Point> = Vec::with_capacity(set.len());
    for (i, g) in set.groups.iter().enumerate() {
        for p in &g.pois {
            pts.push(poi_record(p, i as u16, &enc, ctx));
        }
    }
    out.reserve(pts.iter().map(|p| p.bytes.len() + 64).sum::<usize>() + 64 * 1024);
    let mut main = Vec::new();
    enc.long(&mut main, group_name, 255);
    let group = begin_record(&mut out, 9, &main);
    let subs = &mut out;
    area(subs, &mut pts);
    for (i, g) in set.groups.iter().enumerate() {
        let id = i as u16;
        let mut main = id.to_le_bytes().to_vec();
        enc.long(&mut main, &g.chain.name, 255);
        let mut bref = Vec::new();
        record(&mut bref, 4, &id.to_le_bytes(), &[]);
        record(subs, 7, &main, &bref);
    }
    for (i, g) in set.groups.iter().enumerate() {
        record(subs, 5, &bitmap(i as u16, &Icon::for_chain(g.chain)), &[]);
    }
    end_record(&mut out, group);

    out.extend_from_slice(&0xFFFFu32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

impl Exporter for GpiExporter {
    fn format(&self) -> Format {
        Format::Gpi
    }

    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let group = match set.groups.as_slice() {
            [one] => one.chain.name.clone(),
            _ => "K-Plussa".to_string(),
        };
        Ok(vec![OutFile {
            path: format!("{stem}.gpi"),
            bytes: gpi_bytes(set, &group, ctx),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicircles_match_garmin_scale() {
        assert_eq!(semicircles(180.0), i32::MAX); // 2^31 saturates
        assert_eq!(semicircles(90.0), 1 << 30);
        assert_eq!(semicircles(-45.0), -(1 << 29));
    }

    #[test]
    fn garmin_epoch_is_end_of_1989() {
        assert_eq!(
            garmin_time(NaiveDate::from_ymd_opt(1989, 12, 31).unwrap()),
            0
        );
        assert_eq!(
            garmin_time(NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()),
            86_400
        );
    }
}
