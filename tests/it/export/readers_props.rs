//! Property tests for our structural OV2 and GPI readers (issue 8, hostile input).
//!
//! These readers are test oracles: they live in the test binary and read only what our writers
//! made. They are covered here with proptest rather than a cargo-fuzz target, which would need
//! them moved into the library's public surface for no user's benefit. Properties: anything they
//! are given, however damaged, ends in a value or an error naming the byte, never an index
//! panic; and whatever record tree or POI list is encoded reads back the same.

use super::readers::{try_gpi_long_string, try_gpi_records, try_ov2_walk, GpiRec, Ov2Poi};
use proptest::prelude::*;

fn ov2_poi(p: &Ov2Poi) -> Vec<u8> {
    let mut r = vec![2u8];
    r.extend(((13 + p.name.len() + 1) as i32).to_le_bytes());
    r.extend(p.lon.to_le_bytes());
    r.extend(p.lat.to_le_bytes());
    r.extend(&p.name);
    r.push(0);
    r
}

fn ov2_skipper(pois: &[Ov2Poi]) -> Vec<u8> {
    let inner: Vec<u8> = pois.iter().flat_map(ov2_poi).collect();
    let mut r = vec![1u8];
    r.extend(((21 + inner.len()) as i32).to_le_bytes());
    for v in [
        pois.iter().map(|p| p.lon).max().unwrap(),
        pois.iter().map(|p| p.lat).max().unwrap(),
        pois.iter().map(|p| p.lon).min().unwrap(),
        pois.iter().map(|p| p.lat).min().unwrap(),
    ] {
        r.extend(v.to_le_bytes());
    }
    r.extend(inner);
    r
}

fn gpi(recs: &[GpiRec]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in recs {
        let subs = gpi(&r.subs);
        out.extend(r.ty.to_le_bytes());
        out.extend(r.flags.to_le_bytes());
        out.extend(((r.main.len() + subs.len()) as u32).to_le_bytes());
        if r.flags & 8 != 0 {
            out.extend((r.main.len() as u32).to_le_bytes());
        }
        out.extend(&r.main);
        out.extend(subs);
    }
    out
}

fn poi() -> impl Strategy<Value = Ov2Poi> {
    (
        any::<i32>(),
        any::<i32>(),
        proptest::collection::vec(1u8..=255, 0..24),
    )
        .prop_map(|(lon, lat, name)| Ov2Poi { lon, lat, name })
}

fn gpi_tree() -> impl Strategy<Value = Vec<GpiRec>> {
    let leaf = (
        any::<u16>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(ty, flags, main)| GpiRec {
            ty,
            flags: flags & !8,
            main,
            subs: Vec::new(),
        });
    let rec = leaf.prop_recursive(3, 24, 4, |inner| {
        (
            any::<u16>(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..16),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(ty, flags, main, subs)| GpiRec {
                ty,
                flags: flags | 8,
                main,
                subs,
            })
    });
    proptest::collection::vec(rec, 0..4)
}

proptest! {
    #[test]
    fn binary_readers_never_panic_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = try_ov2_walk(&b, &mut 0);
        let _ = try_gpi_records(&b);
        let _ = try_gpi_long_string(&b, 0);
    }

    #[test]
    fn ov2_pois_read_back_flat_and_under_a_skipper(pois in proptest::collection::vec(poi(), 1..20)) {
        let flat: Vec<u8> = pois.iter().flat_map(ov2_poi).collect();
        prop_assert_eq!(try_ov2_walk(&flat, &mut 0), Ok(pois.clone()));
        let mut skippers = 0;
        prop_assert_eq!(try_ov2_walk(&ov2_skipper(&pois), &mut skippers), Ok(pois.clone()));
        prop_assert_eq!(skippers, 1);
    }

    #[test]
    fn damaged_ov2_is_an_error_or_fewer_pois(
        pois in proptest::collection::vec(poi(), 1..20),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let whole = ov2_skipper(&pois);
        let short = &whole[..cut.index(whole.len())];
        // A skipper cut short is always caught: its length runs past the file.
        prop_assert!(short.is_empty() || try_ov2_walk(short, &mut 0).is_err());
        let mut flipped = whole.clone();
        flipped[flip.0.index(whole.len())] ^= flip.1 | 1;
        let _ = try_ov2_walk(&flipped, &mut 0);
    }

    #[test]
    fn gpi_record_trees_read_back(tree in gpi_tree(), cut in any::<prop::sample::Index>()) {
        let bytes = gpi(&tree);
        prop_assert_eq!(try_gpi_records(&bytes), Ok(tree));
        if !bytes.is_empty() {
            let _ = try_gpi_records(&bytes[..cut.index(bytes.len())]);
        }
    }

    #[test]
    fn gpi_long_strings_read_back(text in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut b = ((text.len() + 4) as u32).to_le_bytes().to_vec();
        b.extend(b"EN");
        b.extend((text.len() as u16).to_le_bytes());
        b.extend(&text);
        prop_assert_eq!(try_gpi_long_string(&b, 0), Ok((text.clone(), 8 + text.len())));
        prop_assert!(try_gpi_long_string(&b[..b.len() - 1], 0).is_err());
    }
}
