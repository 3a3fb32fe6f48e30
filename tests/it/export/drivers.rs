//! What drivers get: descriptions in their language read back through GPSBabel, KML balloons that
//! cannot carry markup, CSV cells a spreadsheet will not run, the route track in the GPX, file
//! names after the route and the day.

use super::readers::{gpsbabel, xmllint_schema};
use super::{day, offers, only, registry, Fixture};
use crate::common::fixture;
use quick_xml::events::Event;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use storenet::export::{self, ExportContext, ExportOptions, Format, Selection};
use storenet::i18n::Lang;
use storenet::model::{ChainId, LonLat, OutletId};
use storenet::offers::{Benefit, Level, Offer, OfferBook};
use storenet::registry::Registry;
use storenet::spatial::OutletIndex;

const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>";

/// The test registry plus one outlet whose every text field is hostile HTML or a spreadsheet
/// formula, and offers whose titles are.
fn hostile_fixture() -> Fixture {
    let base = registry();
    let mut outlets = base.outlets().to_vec();
    let mut evil = base
        .outlet(OutletId(900001))
        .expect("fixture outlet 900001")
        .clone();
    evil.id = OutletId(900100);
    evil.name = format!("=HYPERLINK(\"http://x\") {HOSTILE}");
    evil.address.street = format!("@SUM(A1) {HOSTILE}");
    evil.address.city = "<b onmouseover=alert(3)>Kärkölä</b>".to_string();
    evil.phone = "+358 <iframe src=//x>".into();
    outlets.push(evil);
    for (id, name) in [(900101, "+1 Plus"), (900102, "-2 Minus"), (900103, "\tTab")] {
        let mut o = base.outlet(OutletId(900001)).unwrap().clone();
        o.id = OutletId(id);
        o.name = name.into();
        outlets.push(o);
    }
    let reg = Registry::new(base.chains().cloned().collect(), outlets).unwrap();
    let mut all = offers().all().to_vec();
    all.push(Offer {
        id: "S-EVIL".into(),
        level: Level::Store(OutletId(900100)),
        title: HOSTILE.into(),
        benefit: Benefit::Discount { percent: 10 },
        valid_from: day(),
        valid_to: day(),
        segments: BTreeSet::new(),
    });
    Fixture {
        index: OutletIndex::new(Arc::new(reg)),
        book: OfferBook::new(all),
    }
}

/// Every element name in an HTML fragment that is well-formed XML (as we write balloons).
fn elements_of_fragment(html: &str) -> Vec<String> {
    let wrapped = format!("<div>{html}</div>");
    let mut r = quick_xml::Reader::from_str(&wrapped);
    let mut names = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("description HTML does not parse: {e}: {html}"),
        }
    }
    names
}

/// The text of every `<description>` of a KML document, as an XML parser reads it.
fn kml_descriptions(kml: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(kml);
    let mut out = Vec::new();
    let mut inside = false;
    let mut text = String::new();
    loop {
        match r.read_event().expect("KML parses as XML") {
            Event::Start(e) if e.name().as_ref() == b"description" => {
                inside = true;
                text.clear();
            }
            Event::Text(t) if inside => text.push_str(&t.unescape().unwrap()),
            Event::CData(t) if inside => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) if e.name().as_ref() == b"description" => {
                inside = false;
                out.push(text.clone());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn kml_balloons_show_hostile_text_as_text_never_as_elements() {
    let fx = hostile_fixture();
    let (_dir, paths) = fx.write(&[Format::Kml], ExportOptions::default());
    let kml = std::fs::read_to_string(only(&paths, "kml")).unwrap();
    let descriptions = kml_descriptions(&kml);
    assert_eq!(
        descriptions.len(),
        fx.index.registry().outlets().len() + 1,
        "one per placemark and the document's"
    );
    let evil = descriptions
        .iter()
        .find(|d| d.contains("onerror"))
        .expect("the hostile outlet's description");
    let allowed: BTreeSet<&str> = ["div", "b", "br"].into();
    for d in &descriptions {
        for name in elements_of_fragment(d) {
            assert!(allowed.contains(name.as_str()), "element <{name}> in {d}");
        }
    }
    // The hostile text arrives as the letters it is: name, street, city, phone and offer title.
    let unescaped = quick_xml::escape::unescape(evil).unwrap();
    for part in [
        "=HYPERLINK(\"http://x\")",
        "@SUM(A1)",
        "<b onmouseover=alert(3)>Kärkölä</b>",
        "+358 <iframe src=//x>",
        HOSTILE,
    ] {
        assert!(unescaped.contains(part), "{part} in {evil}");
    }
    // Google Earth's balloon shows only that description, not its own template with the name.
    assert!(kml.contains("<text>$[description]</text>"));
    assert!(!kml.contains("$[name]"));
    // GPSBabel still reads every point.
    let kml_path = only(&paths, "kml");
    let Some(read) = gpsbabel("kml", &kml_path) else {
        return;
    };
    assert_eq!(read.len(), fx.index.registry().outlets().len());
}

#[test]
fn garmin_csv_cells_never_start_a_formula_and_gpsbabel_still_reads_them() {
    let fx = hostile_fixture();
    let (_dir, paths) = fx.write(&[Format::GarminCsv], ExportOptions::default());
    let csvs: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| p.extension().unwrap() == "csv")
        .collect();
    let mut names = Vec::new();
    for c in &csvs {
        let text = std::fs::read_to_string(c).unwrap();
        for line in text.lines() {
            // lon,lat,"name","comment": no quoted cell starts with a formula character.
            for cell in line.split(",\"").skip(1) {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "formula cell in {c:?}: {line}"
                );
            }
        }
        let Some(read) = gpsbabel("garmin_poi", c) else {
            return;
        };
        names.extend(
            read.into_iter()
                .map(|w| w.name.trim_matches('"').to_string()),
        );
    }
    assert_eq!(names.len(), fx.index.registry().outlets().len());
    for want in [
        "'=HYPERLINK('http://x') ",
        "'+1 Plus",
        "'-2 Minus",
        "'\tTab",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(want)),
            "{want:?} read back by GPSBabel"
        );
    }
}

fn write_lang(fx: &Fixture, formats: &[Format], lang: Lang) -> (tempfile::TempDir, Vec<PathBuf>) {
    fx.write(
        formats,
        ExportOptions {
            lang,
            ..ExportOptions::default()
        },
    )
}

#[test]
fn finnish_descriptions_read_back_through_gpsbabel_with_their_letters() {
    let fx = Fixture::new();
    // Default: Finnish.
    let (_dir, paths) = fx.write(
        &[Format::Gpx, Format::Kml, Format::Gpi],
        ExportOptions::default(),
    );
    let Some(gpx) = gpsbabel("gpx", &only(&paths, "gpx")) else {
        return;
    };
    let desc = |w: &[super::readers::Wpt], name: &str| -> String {
        let p = w
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        p.cols
            .get("Description")
            .or_else(|| p.cols.get("Notes"))
            .cloned()
            .unwrap_or_else(|| panic!("no description column: {:?}", p.cols))
    };
    let d = desc(&gpx, "K-Market Kärkölä Järvelä");
    for part in [
        "Järvelän raitti 2, 16600 Kärkölä",
        "Puh. +358 40 9000001",
        "Aukioloajat: ma–la 7–21, su 10–21",
        "Tarjoukset: Kärkölä coffee (-15 %)",
    ] {
        assert!(d.contains(part), "{part:?} in {d:?}");
    }
    let d = desc(&gpx, "K-Market Ålandsvägen");
    assert!(d.contains("Ålandsvägen 40, 22100 Mariehamn"), "{d}");
    assert!(d.contains("su 12–21"), "{d}");
    let d = desc(&gpx, "Teboil Ähtäri Ässäkeskus");
    assert!(d.contains("auki ympäri vuorokauden"), "{d}");
    // KML read by GPSBabel: the balloon's HTML keeps the letters too.
    let Some(kml) = gpsbabel("kml", &only(&paths, "kml")) else {
        return;
    };
    let d = desc(&kml, "K-Market Kärkölä Järvelä");
    assert!(d.contains("Aukioloajat: ma–la 7–21, su 10–21"), "{d}");
    assert!(d.contains("Kärkölä"), "{d}");

    // GPI (UTF-8) read by GPSBabel.
    let Some(gpi) = gpsbabel("garmin_gpi", &only(&paths, "gpi")) else {
        return;
    };
    let d = desc(&gpi, "K-Market Ålandsvägen");
    assert!(d.contains("Aukioloajat: ma–la 8–21, su 12–21"), "{d}");
    assert!(d.contains("Ålandsvägen 40"), "{d}");

    // Swedish and English on request.
    let (_dir, paths) = write_lang(&fx, &[Format::Gpx], Lang::Sv);
    let d = desc(
        &gpsbabel("gpx", &only(&paths, "gpx")).expect("gpsbabel read the Finnish file above"),
        "K-Market Kärkölä Järvelä",
    );
    assert!(d.contains("Öppettider: mån–lör 7–21, sön 10–21"), "{d}");
    assert!(d.contains("Tfn +358 40 9000001"), "{d}");
    assert!(d.contains("Erbjudanden: "), "{d}");
    let (_dir, paths) = write_lang(&fx, &[Format::Gpx], Lang::En);
    let d = desc(
        &gpsbabel("gpx", &only(&paths, "gpx")).expect("gpsbabel read the Finnish file above"),
        "K-Market Kärkölä Järvelä",
    );
    assert!(d.contains("Opening hours: Mon–Sat 7–21, Sun 10–21"), "{d}");
}

#[test]
fn offers_appear_once_without_repeating_the_benefit_the_title_states() {
    let d = |m, dd| chrono::NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
    let offer = |id: &str, level, title: &str, benefit| Offer {
        id: id.into(),
        level,
        title: title.into(),
        benefit,
        valid_from: d(11, 1),
        valid_to: d(11, 30),
        segments: BTreeSet::new(),
    };
    let fx = Fixture {
        index: OutletIndex::new(registry()),
        book: OfferBook::new(vec![
            offer(
                "S-1",
                Level::Store(OutletId(900001)),
                "Karjalanpiirakat −30 %",
                Benefit::Discount { percent: 30 },
            ),
            offer(
                "C-1",
                Level::Chain(ChainId::new("k-market").unwrap()),
                "Karjalanpiirakat −30 %",
                Benefit::Discount { percent: 30 },
            ),
            offer(
                "N-1",
                Level::Network,
                "Joulukinkku: 1000 lisäpistettä",
                Benefit::ExtraPoints { points: 1000 },
            ),
            offer(
                "N-2",
                Level::Network,
                "Kahvi",
                Benefit::ExtraPoints { points: 1 },
            ),
        ]),
    };
    let ctx = fx.ctx(ExportOptions::default());
    let sel = export::Selected {
        outlets: vec![fx.index.registry().outlet(OutletId(900001)).unwrap()],
        description: "one".into(),
        route: None,
    };
    let set = export::PoiSet::prepare(&sel, &ctx).unwrap();
    let line = set.groups[0].pois[0]
        .lines
        .iter()
        .find(|l| l.starts_with("Tarjoukset: "))
        .unwrap()
        .clone();
    assert_eq!(
        line,
        "Tarjoukset: Karjalanpiirakat −30 %; Joulukinkku: 1000 lisäpistettä; Kahvi (1 lisäpiste)"
    );
}

#[test]
fn gpx_along_a_route_carries_the_route_track_beside_the_stops() {
    let fx = Fixture::new();
    // Lahti through Kärkölä towards Hyvinkää.
    let route: Vec<LonLat> = [(25.66, 60.98), (25.2758, 60.8697), (24.86, 60.63)]
        .into_iter()
        .map(|(lon, lat)| LonLat::new(lon, lat).unwrap())
        .collect();
    let sel = Selection {
        route: Some((route.clone(), 2000.0)),
        ..Selection::default()
    };
    let selected = export::select(&fx.index, &sel).unwrap();
    assert!(selected.outlets.iter().any(|o| o.id == OutletId(900001)));
    let ctx = ExportContext {
        options: ExportOptions {
            file_stem: Some(export::download_stem(
                Some("Lahti–Hyvinkää"),
                Lang::Fi,
                day(),
            )),
            ..ExportOptions::default()
        },
        ..fx.ctx(ExportOptions::default())
    };
    let r = export::render(Format::Gpx, &selected, &ctx).unwrap();
    assert_eq!(r.file_name, "lahti-hyvinkaa-2026-11-23.gpx");
    let doc = gpx::read(&r.bytes[..]).unwrap();
    assert_eq!(doc.waypoints.len(), selected.outlets.len());
    assert_eq!(doc.tracks.len(), 1);
    let pts: Vec<(f64, f64)> = doc.tracks[0].segments[0]
        .points
        .iter()
        .map(|p| (p.point().x(), p.point().y()))
        .collect();
    let want: Vec<(f64, f64)> = route.iter().map(|p| (p.lon(), p.lat())).collect();
    assert_eq!(pts, want);
    assert_eq!(doc.tracks[0].name.as_deref(), Some("Reitti"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("route.gpx");
    std::fs::write(&file, &r.bytes).unwrap();
    xmllint_schema(&file, &fixture("export/gpx.xsd"));
    // GPSBabel reads the stops, and (`-t`) the track with its points.
    let Some(read) = gpsbabel("gpx", &file) else {
        return;
    };
    assert_eq!(read.len(), selected.outlets.len());
    let out = std::process::Command::new("gpsbabel")
        .args(["-t", "-i", "gpx", "-f"])
        .arg(&file)
        .args(["-o", "unicsv", "-F", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(rows, 1 + route.len(), "header and one row per track point");
}

#[test]
fn cli_exports_along_a_route_in_swedish_named_after_the_route() {
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("chains.csv"), data.path().join("chains.csv")).unwrap();
    std::fs::copy(
        fixture("outlets_small.csv"),
        data.path().join("outlets.csv"),
    )
    .unwrap();
    let out = data.path().join("out");
    let db = format!("sqlite://{}", data.path().join("t.db").display());
    let route = data.path().join("trip.gpx");
    std::fs::write(
        &route,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.168250" lon="24.952913"/><trkpt lat="60.98" lon="24.46"/><trkpt lat="61.497947" lon="23.759410"/></trkseg></trk></gpx>"#,
    )
    .unwrap();
    let pdf = data.path().join("trip.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 not a route").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
            .arg("--data-dir")
            .arg(data.path())
            .arg("export")
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg("--database-url")
            .arg(&db)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--format",
        "gpx",
        "--route",
        route.to_str().unwrap(),
        "--corridor",
        "5km",
        "--name",
        "Helsingfors–Tammerfors",
        "--lang",
        "sv",
        "--date",
        "2026-11-23",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = out.join("helsingfors-tammerfors-2026-11-23.gpx");
    let doc = gpx::read(std::fs::File::open(&file).unwrap()).unwrap();
    assert_eq!(doc.tracks[0].name.as_deref(), Some("Rutt"));
    assert_eq!(doc.tracks[0].segments[0].points.len(), 3);
    let first = doc.waypoints[0].description.clone().unwrap();
    assert!(
        first.contains("Öppettider: mån–lör 7–21, sön 10–21"),
        "{first}"
    );

    let o = run(&[
        "--format",
        "gpx",
        "--route",
        pdf.to_str().unwrap(),
        "--lang",
        "sv",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Det här är ingen ruttfil") && err.contains("ett PDF-dokument"),
        "{err}"
    );
    let o = run(&["--format", "gpx", "--route", pdf.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("but got a PDF document"));
    let o = run(&["--format", "gpx", "--lang", "de"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown language `de`"));
}

#[test]
fn the_zip_readme_speaks_the_exports_language() {
    let fx = Fixture::new();
    for (lang, want) in [
        (Lang::Fi, "TomTomin karttakansioon"),
        (Lang::Sv, "TomTomens kartmapp"),
        (Lang::En, "map folder of your TomTom"),
    ] {
        let ctx = fx.ctx(ExportOptions {
            lang,
            ..ExportOptions::default()
        });
        let r = export::render(Format::Ov2, &fx.all(), &ctx).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
        let mut readme = String::new();
        std::io::Read::read_to_string(&mut z.by_name("README.txt").unwrap(), &mut readme).unwrap();
        assert!(readme.contains(want), "{lang}: {readme}");
        assert!(readme.contains("2026-11-23"), "{readme}");
    }
}
