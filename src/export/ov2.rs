//! TomTom OV2: skipper-indexed POI records in Windows-1252, with a BMP icon of the same name.

use super::icons::Icon;
use super::text::encode_1252;
use super::{ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use crate::model::Rgb;

/// Writes TomTom OV2.
pub struct Ov2Exporter;

/// A block holding fewer POIs than this is not split further.
pub const BLOCK_MAX: usize = 20;
/// Longest name (with `>phone`) in bytes: TomTom devices show about this much.
pub const NAME_MAX_BYTES: usize = 255;

/// The icon of a file holding several chains: the network's.
pub(crate) fn network_icon() -> Icon {
    Icon::new(Rgb(0xe2, 0x00, 0x1a), 'K')
}

struct Rec {
    lon: i32,
    lat: i32,
    name: Vec<u8>,
}

/// Degrees × 100,000 rounded to nearest (about 1 m).
pub fn ov2_coord(deg: f64) -> i32 {
    (deg * 100_000.0).round() as i32
}

/// `Name>phone` in Windows-1252, the name shortened (never the phone) to fit the device.
fn ov2_name(name: &str, phone: &str) -> Vec<u8> {
    let tail = if phone.is_empty() {
        Vec::new()
    } else {
        let mut t = vec![b'>'];
        t.extend(encode_1252(phone, 64));
        t
    };
    let mut v = encode_1252(name, NAME_MAX_BYTES - tail.len());
    v.extend(tail);
    v
}

fn poi_len(r: &Rec) -> usize {
    13 + r.name.len() + 1
}

/// Writes `recs` as one skipper block, split along its longer side at the median until every
/// leaf block holds fewer than [`BLOCK_MAX`] POIs.
fn write_block(out: &mut Vec<u8>, recs: &mut [Rec]) {
    let (mut w, mut s, mut e, mut n) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for r in recs.iter() {
        w = w.min(r.lon);
        e = e.max(r.lon);
        s = s.min(r.lat);
        n = n.max(r.lat);
    }
    let start = out.len();
    out.push(1);
    out.extend_from_slice(&0i32.to_le_bytes()); // length, patched below
    for v in [e, n, w, s] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    if recs.len() < BLOCK_MAX {
        for r in recs.iter() {
            out.push(2);
            out.extend_from_slice(&(poi_len(r) as i32).to_le_bytes());
            out.extend_from_slice(&r.lon.to_le_bytes());
            out.extend_from_slice(&r.lat.to_le_bytes());
            out.extend_from_slice(&r.name);
            out.push(0);
        }
    } else {
        if (e as i64 - w as i64) >= (n as i64 - s as i64) {
            recs.sort_by_key(|r| (r.lon, r.lat));
        } else {
            recs.sort_by_key(|r| (r.lat, r.lon));
        }
        let mid = recs.len() / 2;
        let (a, b) = recs.split_at_mut(mid);
        write_block(out, a);
        write_block(out, b);
    }
    let len = (out.len() - start) as i32;
    out[start + 1..start + 5].copy_from_slice(&len.to_le_bytes());
}

/// The OV2 bytes of a set of points.
pub fn ov2_bytes(set: &PoiSet<'_>) -> Vec<u8> {
    let mut recs: Vec<Rec> = set
        .iter()
        .map(|p| Rec {
            lon: ov2_coord(p.outlet.location.lon()),
            lat: ov2_coord(p.outlet.location.lat()),
            name: ov2_name(&p.outlet.name, &p.outlet.phone),
        })
        .collect();
    let mut out = Vec::with_capacity(recs.len() * 64);
    if !recs.is_empty() {
        write_block(&mut out, &mut recs);
    }
    out
}

impl Exporter for Ov2Exporter {
    fn format(&self) -> Format {
        Format::Ov2
    }

    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        _ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let icon = match set.groups.as_slice() {
            [one] => Icon::for_chain(one.chain),
            _ => network_icon(),
        };
        Ok(vec![
            OutFile {
                path: format!("{stem}.ov2"),
                bytes: ov2_bytes(set),
            },
            OutFile {
                path: format!("{stem}.bmp"),
                bytes: icon.to_bmp(),
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_round_to_nearest() {
        assert_eq!(ov2_coord(24.938_455), 2_493_846);
        assert_eq!(ov2_coord(-0.000_004), 0);
        assert_eq!(ov2_coord(60.169_994), 6_016_999);
    }

    #[test]
    fn name_keeps_phone_when_cut() {
        let long = "Ä".repeat(400);
        let v = ov2_name(&long, "+358 1");
        assert_eq!(v.len(), NAME_MAX_BYTES);
        assert!(v.ends_with(b">+358 1"));
    }
}
