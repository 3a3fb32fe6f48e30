//! Integration tests: export. Every format is read back by an independent reader (GPSBabel 1.8,
//! xmllint, the `gpx` crate) and the binary formats by structural readers of our own.

mod drivers;
mod options;
mod readers;
mod readers_props;

use crate::common::{fixture, repo_path};
use chrono::NaiveDate;
use readers::{gpi_long_string, gpi_records, gpsbabel, i32_at, ov2_walk, u32_at, xmllint_schema};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use storenet::export::text::{as_seen_in_1252, truncate_utf8};
use storenet::export::{
    self, Codepage, ExportContext, ExportError, ExportOptions, Format, OutFile, PoiSet, Selection,
};
use storenet::model::{ChainId, Outlet, OutletId};
use storenet::offers::{Benefit, Level, Offer, OfferBook};
use storenet::registry::{load_dir, Registry};
use storenet::spatial::OutletIndex;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// The bundled data set when present, else the small fixture; plus the outlets with Finnish,
/// Swedish and Sámi names and an over-long name.
fn registry() -> Arc<Registry> {
    let data = repo_path("data");
    let base = if data.join("outlets.csv").exists() && data.join("chains.csv").exists() {
        load_dir(&data).expect("data/ loads")
    } else {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("chains.csv"), dir.path().join("chains.csv")).unwrap();
        std::fs::copy(fixture("outlets_small.csv"), dir.path().join("outlets.csv")).unwrap();
        load_dir(dir.path()).expect("fixture registry loads")
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("chains.csv"), dir.path().join("chains.csv")).unwrap();
    std::fs::copy(
        fixture("export/outlets_names.csv"),
        dir.path().join("outlets.csv"),
    )
    .unwrap();
    let extra = load_dir(dir.path()).expect("export name fixtures load");
    let mut outlets: Vec<Outlet> = base.outlets().to_vec();
    outlets.extend(extra.outlets().iter().cloned());
    Arc::new(Registry::new(base.chains().cloned().collect(), outlets).unwrap())
}

fn offers() -> OfferBook {
    let d = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
    let offer = |id: &str, level, title: &str, from, to| Offer {
        id: id.into(),
        level,
        title: title.into(),
        benefit: Benefit::Discount { percent: 15 },
        valid_from: from,
        valid_to: to,
        segments: BTreeSet::new(),
    };
    OfferBook::new(vec![
        offer(
            "S-1",
            Level::Store(OutletId(900001)),
            "Kärkölä coffee",
            d(11, 1),
            d(11, 30),
        ),
        offer(
            "C-1",
            Level::Chain(ChainId::new("k-market").unwrap()),
            "K-Market bread",
            d(11, 20),
            d(11, 30),
        ),
        offer("N-1", Level::Network, "Plussa week", d(11, 23), d(11, 23)),
        offer(
            "N-OLD",
            Level::Network,
            "Expired offer",
            d(10, 1),
            d(10, 31),
        ),
    ])
}

struct Fixture {
    index: OutletIndex,
    book: OfferBook,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            index: OutletIndex::new(registry()),
            book: offers(),
        }
    }

    fn ctx(&self, options: ExportOptions) -> ExportContext<'_> {
        ExportContext {
            registry: self.index.registry(),
            offers: &self.book,
            day: day(),
            options,
        }
    }

    fn all(&self) -> export::Selected<'_> {
        export::select(&self.index, &Selection::default()).unwrap()
    }

    /// Writes one format of everything into a temp dir; returns the dir and the files written.
    fn write(
        &self,
        formats: &[Format],
        options: ExportOptions,
    ) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("exports");
        let paths =
            export::write_to_dir(formats, &self.all(), &self.ctx(options), &out, &mut |_| {})
                .unwrap();
        (dir, paths)
    }
}

fn outlet_by_name<'a>(reg: &'a Registry) -> impl Fn(&str) -> &'a Outlet {
    move |n: &str| {
        reg.outlets()
            .iter()
            .find(|o| o.name == n)
            .unwrap_or_else(|| panic!("no outlet named {n:?}"))
    }
}

/// Same number of points, every name exactly `expect_name(outlet)`, coordinates within 1e-5°.
fn assert_same_points(
    reg: &Registry,
    read: &[readers::Wpt],
    expect_name: impl Fn(&Outlet) -> String,
) {
    assert_eq!(read.len(), reg.outlets().len(), "number of POIs");
    let mut want: Vec<(String, f64, f64)> = reg
        .outlets()
        .iter()
        .map(|o| (expect_name(o), o.location.lat(), o.location.lon()))
        .collect();
    let mut got: Vec<(String, f64, f64)> = read
        .iter()
        .map(|w| (w.name.clone(), w.lat, w.lon))
        .collect();
    let key = |a: &(String, f64, f64), b: &(String, f64, f64)| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
    };
    want.sort_by(key);
    got.sort_by(key);
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w.0, g.0, "name");
        assert!(
            (w.1 - g.1).abs() <= 1e-5 && (w.2 - g.2).abs() <= 1e-5,
            "{}: ours {},{} read back {},{}",
            w.0,
            w.1,
            w.2,
            g.1,
            g.2
        );
    }
}

fn only(paths: &[PathBuf], ext: &str) -> PathBuf {
    let v: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    assert_eq!(v.len(), 1, "one .{ext} file in {paths:?}");
    v[0].clone()
}

#[test]
fn gpx_validates_against_the_schema_and_roundtrips_through_gpsbabel_and_the_gpx_crate() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let opts = ExportOptions {
        proximity_m: Some(300),
        ..ExportOptions::default()
    };
    let (_dir, paths) = fx.write(&[Format::Gpx], opts);
    let file = only(&paths, "gpx");
    xmllint_schema(&file, &fixture("export/gpx.xsd"));

    let parsed = gpx::read(std::io::BufReader::new(std::fs::File::open(&file).unwrap())).unwrap();
    assert_eq!(parsed.version, gpx::GpxVersion::Gpx11);
    assert_eq!(parsed.waypoints.len(), reg.outlets().len());
    let by_name = outlet_by_name(reg);
    for w in &parsed.waypoints {
        let o = by_name(w.name.as_deref().unwrap());
        assert_eq!(w.type_.as_deref(), Some(reg.chain_of(o).name.as_str()));
        assert!(w
            .description
            .as_deref()
            .unwrap()
            .contains(&o.address.street));
        assert_eq!(w.links.len(), 1);
        assert!(w.symbol.is_some());
    }

    let Some(read) = gpsbabel("gpx", &file) else {
        return;
    };
    assert_same_points(reg, &read, |o| o.name.clone());
    for w in &read {
        let o = by_name(&w.name);
        assert_eq!(w.cols["Proximity"], "300", "{}", w.name);
        assert_eq!(w.cols["Address"], o.address.street);
        assert_eq!(w.cols["City"], o.address.city);
        assert_eq!(w.cols["PostalCode"], o.address.postal_code);
        assert_eq!(w.cols["Phone"], o.phone);
    }

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("<osmand:points_groups>"));
    assert!(text.contains("<osmand:color>#e2001a</osmand:color>"));
    assert!(text.contains("<gpxx:Categories>"));
}

#[test]
fn ov2_roundtrips_through_gpsbabel_with_windows_1252_names() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, paths) = fx.write(&[Format::Ov2], ExportOptions::default());
    let file = only(&paths, "ov2");
    let bmp = std::fs::read(only(&paths, "bmp")).unwrap();
    assert_eq!(&bmp[..2], b"BM");
    let Some(read) = gpsbabel("tomtom", &file) else {
        return;
    };
    assert_same_points(reg, &read, |o| {
        let full = if o.phone.is_empty() {
            o.name.clone()
        } else {
            format!("{}>{}", o.name, o.phone)
        };
        let seen = as_seen_in_1252(&full, 10_000);
        if seen.len() <= 255 {
            seen
        } else {
            // Over-long: the name is cut, the phone kept.
            let tail = format!(">{}", o.phone);
            let head = as_seen_in_1252(&o.name, 255 - tail.len());
            format!("{head}{tail}")
        }
    });
    let names: Vec<&str> = read.iter().map(|w| w.name.as_str()).collect();
    assert!(names.contains(&"K-Market Kärkölä Järvelä>+358 40 9000001"));
    assert!(names.contains(&"K-Market Ålandsvägen>+358 18 9000003"));
    assert!(names.contains(&"K-Market Cevetjávri>+358 40 9000004"));
    assert!(names.contains(&"Teboil Njuorggán Leanna dt"));
    assert!(names.contains(&"Center Inn Šuoššjávri Žuolgn>+358 16 9000006"));
}

#[test]
fn ov2_skipper_tree_has_exact_lengths_and_boxes() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, paths) = fx.write(&[Format::Ov2], ExportOptions::default());
    let bytes = std::fs::read(only(&paths, "ov2")).unwrap();
    let mut skippers = 0;
    let pois = ov2_walk(&bytes, &mut skippers);
    assert_eq!(pois.len(), reg.outlets().len());
    assert!(skippers >= reg.outlets().len() / 20, "{skippers} skippers");
    assert_eq!(bytes[0], 1, "the file starts with a skipper");
    assert_eq!(
        i32_at(&bytes, 1) as usize,
        bytes.len(),
        "root skipper covers the file"
    );
    for o in reg.outlets() {
        let lon = (o.location.lon() * 1e5).round() as i32;
        let lat = (o.location.lat() * 1e5).round() as i32;
        assert!(
            pois.iter().any(|p| p.lon == lon && p.lat == lat),
            "{}",
            o.name
        );
    }
}

fn gpi_export(fx: &Fixture, codepage: Codepage) -> (tempfile::TempDir, PathBuf) {
    let opts = ExportOptions {
        proximity_m: Some(300),
        speed_kmh: Some(50.0),
        codepage,
        ..ExportOptions::default()
    };
    let (dir, paths) = fx.write(&[Format::Gpi], opts);
    let f = only(&paths, "gpi");
    (dir, f)
}

#[test]
fn gpi_roundtrips_through_gpsbabel_with_address_phone_and_proximity() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, file) = gpi_export(&fx, Codepage::Utf8);
    let Some(read) = gpsbabel("garmin_gpi", &file) else {
        return;
    };
    // GPSBabel appends the speed of a speed alert to the name as `@<km/h>`.
    let strip = |n: &str| n.split('@').next().unwrap().to_string();
    let cut: Vec<readers::Wpt> = read
        .iter()
        .cloned()
        .map(|mut w| {
            w.name = strip(&w.name);
            w
        })
        .collect();
    assert_same_points(reg, &cut, |o| truncate_utf8(&o.name, 255).to_string());
    let by_name = |n: &str| {
        reg.outlets()
            .iter()
            .find(|o| truncate_utf8(&o.name, 255) == n)
            .unwrap()
    };
    for w in &cut {
        let o = by_name(&w.name);
        assert_eq!(w.cols["Proximity"], "300", "{}", w.name);
        assert_eq!(w.cols["Address"], o.address.street);
        assert_eq!(w.cols["City"], o.address.city);
        assert_eq!(w.cols["PostalCode"], o.address.postal_code);
        assert_eq!(w.cols["Phone"], o.phone);
        assert!(w.cols["Description"].contains(&o.address.street));
    }
    assert!(cut.iter().any(|w| w.name == "Teboil Njuorggán Leaŋŋa đŧ"));
}

#[test]
fn gpi_in_codepage_1252_transliterates_sami_letters() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, file) = gpi_export(&fx, Codepage::Windows1252);
    let bytes = std::fs::read(&file).unwrap();
    let recs = gpi_records(&bytes);
    assert_eq!(u16::from_le_bytes([recs[1].main[8], recs[1].main[9]]), 1252);
    let Some(read) = gpsbabel("garmin_gpi", &file) else {
        return;
    };
    let cut: Vec<readers::Wpt> = read
        .into_iter()
        .map(|mut w| {
            w.name = w.name.split('@').next().unwrap().to_string();
            w
        })
        .collect();
    assert_same_points(reg, &cut, |o| as_seen_in_1252(&o.name, 255));
    assert!(cut.iter().any(|w| w.name == "K-Market Cevetjávri"));
}

#[test]
fn gpi_structure_has_one_category_and_bitmap_per_chain_and_exact_lengths() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, file) = gpi_export(&fx, Codepage::Utf8);
    let bytes = std::fs::read(&file).unwrap();
    let recs = gpi_records(&bytes);
    let types: Vec<u16> = recs.iter().map(|r| r.ty).collect();
    assert_eq!(types, [0, 1, 9, 0xFFFF], "header, header, POI group, end");
    assert_eq!(&recs[0].main[..8], b"GRMREC00");
    assert_eq!(&recs[1].main[..4], b"POI\0");
    assert_eq!(
        u16::from_le_bytes([recs[1].main[8], recs[1].main[9]]),
        65001
    );
    assert!(recs[3].main.is_empty() && recs[3].flags == 0, "end record");
    assert_eq!(&bytes[bytes.len() - 8..], &[0xFF, 0xFF, 0, 0, 0, 0, 0, 0]);

    let group = &recs[2];
    let chains: Vec<&storenet::model::Chain> = {
        let used: BTreeSet<&ChainId> = reg.outlets().iter().map(|o| &o.chain).collect();
        reg.chains().filter(|c| used.contains(&c.id)).collect()
    };
    let cats: Vec<&readers::GpiRec> = group.subs.iter().filter(|r| r.ty == 7).collect();
    let bitmaps: Vec<&readers::GpiRec> = group.subs.iter().filter(|r| r.ty == 5).collect();
    assert_eq!(cats.len(), chains.len(), "one category per chain");
    assert_eq!(bitmaps.len(), chains.len(), "one bitmap per chain");
    let mut cat_names = std::collections::HashMap::new();
    for c in &cats {
        let id = u16::from_le_bytes([c.main[0], c.main[1]]);
        let (name, used) = gpi_long_string(&c.main, 2);
        assert_eq!(used + 2, c.main.len());
        assert_eq!(c.subs.len(), 1);
        assert_eq!(c.subs[0].ty, 4, "category's bitmap reference");
        assert_eq!(c.subs[0].main, id.to_le_bytes());
        cat_names.insert(id, String::from_utf8(name).unwrap());
    }
    let names: BTreeSet<&String> = cat_names.values().collect();
    assert_eq!(names, chains.iter().map(|c| &c.name).collect());
    let mut bitmap_ids = BTreeSet::new();
    for b in &bitmaps {
        let m = &b.main;
        let h = |i: usize| u16::from_le_bytes([m[i], m[i + 1]]);
        bitmap_ids.insert(h(0));
        assert_eq!(
            (h(2), h(4), h(6), h(8)),
            (22, 22, 24, 8),
            "height, width, line, bpp"
        );
        let image = u32_at(m, 12) as usize;
        assert_eq!(image, 24 * 22);
        assert_eq!(u32_at(m, 16), 0x2c);
        assert_eq!(u32_at(m, 20), 256);
        assert_eq!(u32_at(m, 24), 0xFF00FF, "transparent magenta");
        assert_eq!(m.len(), 36 + image + 256 * 4);
    }
    assert_eq!(bitmap_ids, cat_names.keys().copied().collect());

    // Walk the areas: exact bounds, at most 128 POIs each, every POI's category is its chain.
    fn walk(area: &readers::GpiRec, pois: &mut Vec<readers::GpiRec>) -> (i32, i32, i32, i32) {
        assert_eq!(area.ty, 8);
        assert_eq!(area.main.len(), 23);
        let direct: Vec<&readers::GpiRec> = area.subs.iter().filter(|r| r.ty == 2).collect();
        assert!(direct.len() <= 128);
        let (mut n, mut e, mut s, mut w) = (i32::MIN, i32::MIN, i32::MAX, i32::MAX);
        for r in &area.subs {
            let (rn, re, rs, rw) = match r.ty {
                2 => {
                    let lat = i32_at(&r.main, 0);
                    let lon = i32_at(&r.main, 4);
                    pois.push(r.clone());
                    (lat, lon, lat, lon)
                }
                8 => walk(r, pois),
                t => panic!("unexpected record {t} in an area"),
            };
            n = n.max(rn);
            e = e.max(re);
            s = s.min(rs);
            w = w.min(rw);
        }
        let m = &area.main;
        assert_eq!(
            (i32_at(m, 0), i32_at(m, 4), i32_at(m, 8), i32_at(m, 12)),
            (n, e, s, w),
            "area bounds"
        );
        (n, e, s, w)
    }
    let mut pois = Vec::new();
    for a in group.subs.iter().filter(|r| r.ty == 8) {
        walk(a, &mut pois);
    }
    assert_eq!(pois.len(), reg.outlets().len());
    for p in &pois {
        let (name, _) = gpi_long_string(&p.main, 11);
        let name = String::from_utf8(name).unwrap();
        let o = reg
            .outlets()
            .iter()
            .find(|o| truncate_utf8(&o.name, 255) == name)
            .unwrap();
        let cat = p
            .subs
            .iter()
            .find(|r| r.ty == 6)
            .expect("category reference");
        let id = u16::from_le_bytes([cat.main[0], cat.main[1]]);
        assert_eq!(cat_names[&id], reg.chain_of(o).name, "{name}");
        let alert = p.subs.iter().find(|r| r.ty == 3).expect("alert");
        assert_eq!(u16::from_le_bytes([alert.main[0], alert.main[1]]), 300);
        assert_eq!(
            u16::from_le_bytes([alert.main[2], alert.main[3]]),
            1389,
            "50 km/h"
        );
        assert!(p.subs.iter().any(|r| r.ty == 0x0b), "address");
        assert!(p.subs.iter().any(|r| r.ty == 0x0a), "description");
    }
}

#[test]
fn garmin_csv_writes_one_file_per_chain_that_gpsbabel_reads() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, paths) = fx.write(&[Format::GarminCsv], ExportOptions::default());
    let csvs: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| p.extension().unwrap() == "csv")
        .collect();
    let used: BTreeSet<&ChainId> = reg.outlets().iter().map(|o| &o.chain).collect();
    assert_eq!(csvs.len(), used.len());
    let mut all = Vec::new();
    for c in &csvs {
        assert!(c.with_extension("bmp").exists(), "icon beside {c:?}");
        // GPSBabel's garmin_poi style has no field encloser: it keeps the quotes POI Loader strips.
        let Some(read) = gpsbabel("garmin_poi", c) else {
            return;
        };
        all.extend(read.into_iter().map(|mut w| {
            w.name = w.name.trim_matches('"').to_string();
            w
        }));
    }
    assert_same_points(reg, &all, |o| truncate_utf8(&o.name, 255).to_string());
}

#[test]
fn kml_and_kmz_roundtrip_through_gpsbabel_with_icons() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, paths) = fx.write(&[Format::Kml, Format::Kmz], ExportOptions::default());
    let kml = only(&paths, "kml");
    let Some(read) = gpsbabel("kml", &kml) else {
        return;
    };
    assert_same_points(reg, &read, |o| o.name.clone());
    let icons: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| p.extension().unwrap() == "png")
        .collect();
    assert!(!icons.is_empty());
    let text = std::fs::read_to_string(&kml).unwrap();
    for i in &icons {
        let rel = format!("icons/{}", i.file_name().unwrap().to_str().unwrap());
        assert!(text.contains(&rel), "KML references {rel}");
    }
    assert_eq!(
        text.matches("<Folder>").count(),
        icons.len(),
        "a Folder per chain"
    );

    let kmz = only(&paths, "kmz");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&kmz).unwrap()).unwrap();
    let names: Vec<String> = z.file_names().map(str::to_string).collect();
    assert!(names.contains(&"doc.kml".to_string()));
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".png")).count(),
        icons.len()
    );
    let mut doc = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name("doc.kml").unwrap(), &mut doc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let unzipped = dir.path().join("doc.kml");
    std::fs::write(&unzipped, &doc).unwrap();
    let Some(read) = gpsbabel("kml", &unzipped) else {
        return;
    };
    assert_same_points(reg, &read, |o| o.name.clone());
}

#[test]
fn geojson_roundtrips_through_gpsbabel_and_carries_todays_offers() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let (_dir, paths) = fx.write(&[Format::GeoJson], ExportOptions::default());
    let file = only(&paths, "geojson");
    let Some(read) = gpsbabel("geojson", &file) else {
        return;
    };
    assert_same_points(reg, &read, |o| o.name.clone());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == 900001)
        .unwrap();
    assert_eq!(f["geometry"]["coordinates"][0], 25.27583);
    assert_eq!(f["properties"]["chain"], "k-market");
    assert_eq!(f["properties"]["address"]["city"], "Kärkölä");
    let offers: Vec<&str> = f["properties"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        offers,
        ["S-1", "C-1", "N-1"],
        "store, chain, network; not the expired one"
    );
    let teboil = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == 900002)
        .unwrap();
    let t_offers = teboil["properties"]["offers"].as_array().unwrap();
    assert_eq!(t_offers.len(), 1, "only the network offer at a Teboil");
}

#[test]
fn split_zip_bundles_one_file_per_chain_with_icons_and_a_readme() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let opts = ExportOptions {
        split: true,
        zip: true,
        ..ExportOptions::default()
    };
    let (_dir, paths) = fx.write(&Format::ALL, opts);
    assert_eq!(paths.len(), 1);
    let mut z = zip::ZipArchive::new(std::fs::File::open(&paths[0]).unwrap()).unwrap();
    let names: BTreeSet<String> = z.file_names().map(str::to_string).collect();
    assert!(names.contains("README.txt"));
    for c in reg
        .chains()
        .filter(|c| reg.outlets().iter().any(|o| o.chain == c.id))
    {
        for f in ["gpx", "ov2", "gpi", "kml", "kmz", "geojson"] {
            assert!(
                names.contains(&format!("{f}/{}.{f}", c.id)),
                "{f} of {}",
                c.id
            );
        }
        assert!(names.contains(&format!("ov2/{}.bmp", c.id)));
        assert!(names.contains(&format!("csv/{}.csv", c.name)));
        assert!(names.contains(&format!("csv/{}.bmp", c.name)));
    }
    let mut readme = String::new();
    std::io::Read::read_to_string(&mut z.by_name("README.txt").unwrap(), &mut readme).unwrap();
    assert!(readme.contains("TomTom") && readme.contains("POI Loader"));
}

#[test]
fn render_gives_one_file_or_a_zip_with_content_type() {
    let fx = Fixture::new();
    let ctx = fx.ctx(ExportOptions::default());
    let r = export::render(Format::Gpx, &fx.all(), &ctx).unwrap();
    assert_eq!(r.content_type, "application/gpx+xml");
    assert_eq!(r.file_name, "storenet.gpx");
    assert!(r.bytes.starts_with(b"<?xml"));
    let r = export::render(Format::Ov2, &fx.all(), &ctx).unwrap();
    assert_eq!(r.content_type, "application/zip");
    assert!(r.file_name.ends_with(".zip"));
    let r = export::render(Format::Gpi, &fx.all(), &ctx).unwrap();
    assert_eq!(r.file_name, "storenet.gpi");
}
