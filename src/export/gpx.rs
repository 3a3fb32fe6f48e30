//! GPX 1.1 waypoints with Garmin `gpxx:WaypointExtension` and OsmAnd extensions.
//!
//! The `gpx` crate writes no waypoint extensions, so the whole file is written with quick-xml in
//! schema order (name, desc, link, sym, type, extensions); tests parse it back with the `gpx`
//! crate and validate it against the GPX 1.1 schema.

use super::xml::{end, start, text_el};
use super::{ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use crate::model::Category;
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::Writer;
use std::io;

/// Writes GPX 1.1.
pub struct GpxExporter;

const GPX_NS: &str = "http://www.topografix.com/GPX/1/1";
const GPXX_NS: &str = "http://www.garmin.com/xmlschemas/GpxExtensions/v3";
const OSMAND_NS: &str = "https://osmand.net";

/// Garmin's symbol for a category (names as the devices spell them).
pub(crate) fn garmin_symbol(c: Category) -> &'static str {
    match c {
        Category::Fuel => "Gas Station",
        Category::Restaurant => "Restaurant",
        Category::Other => "Car Repair",
        _ => "Shopping Center",
    }
}

/// OsmAnd's icon name for a category.
fn osmand_icon(c: Category) -> &'static str {
    match c {
        Category::Food => "shop_supermarket",
        Category::Building => "shop_doityourself",
        Category::Sports => "shop_sports",
        Category::Home => "shop_furniture",
        Category::Fuel => "amenity_fuel",
        Category::Restaurant => "restaurants",
        Category::Other => "shop_car",
    }
}

/// Seven decimals: 1 cm, and what GPSBabel reads back exactly.
fn coord(v: f64) -> String {
    format!("{v:.7}")
}

fn write_gpx(set: &PoiSet<'_>, ctx: &ExportContext<'_>) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(set.len() * 1200), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("gpx").with_attributes([
        ("version", "1.1"),
        ("creator", "storenet"),
        ("xmlns", GPX_NS),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ("xmlns:gpxx", GPXX_NS),
        ("xmlns:osmand", OSMAND_NS),
        (
            "xsi:schemaLocation",
            "http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd \
             http://www.garmin.com/xmlschemas/GpxExtensions/v3 \
             http://www8.garmin.com/xmlschemas/GpxExtensionsv3.xsd",
        ),
    ]);
    w.write_event(Event::Start(root))?;
    let lang = ctx.options.lang;
    start(&mut w, "metadata")?;
    text_el(&mut w, "name", &crate::i18n::text(lang, "export-title"))?;
    let day = ctx.day.to_string();
    text_el(
        &mut w,
        "desc",
        &crate::i18n::msg(lang, "export-subtitle", &[("date", (&day).into())]),
    )?;
    text_el(&mut w, "time", &format!("{}T00:00:00Z", ctx.day))?;
    end(&mut w, "metadata")?;

    let map_text = crate::i18n::text(lang, "link-map");
    // Selection order (a route's order), not grouped: OsmAnd groups by `type`, Garmin by category.
    for p in set.iter() {
        let chain = p.chain;
        let cat = chain.category;
        let colour = chain.colour.to_string();
        let o = p.outlet;
        let (lat, lon) = (coord(o.location.lat()), coord(o.location.lon()));
        w.write_event(Event::Start(
            BytesStart::new("wpt").with_attributes([("lat", lat.as_str()), ("lon", &lon)]),
        ))?;
        text_el(&mut w, "name", &o.name)?;
        text_el(&mut w, "desc", &p.lines.join("\n"))?;
        let href =
            format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}");
        w.write_event(Event::Start(
            BytesStart::new("link").with_attributes([("href", href.as_str())]),
        ))?;
        text_el(&mut w, "text", &map_text)?;
        end(&mut w, "link")?;
        text_el(&mut w, "sym", garmin_symbol(cat))?;
        text_el(&mut w, "type", &chain.name)?;
        start(&mut w, "extensions")?;
        start(&mut w, "gpxx:WaypointExtension")?;
        if let Some(m) = ctx.options.proximity_m {
            text_el(&mut w, "gpxx:Proximity", &m.to_string())?;
        }
        text_el(&mut w, "gpxx:DisplayMode", "SymbolAndName")?;
        start(&mut w, "gpxx:Categories")?;
        text_el(&mut w, "gpxx:Category", &chain.name)?;
        end(&mut w, "gpxx:Categories")?;
        start(&mut w, "gpxx:Address")?;
        text_el(&mut w, "gpxx:StreetAddress", &o.address.street)?;
        text_el(&mut w, "gpxx:City", &o.address.city)?;
        text_el(&mut w, "gpxx:Country", "Finland")?;
        text_el(&mut w, "gpxx:PostalCode", &o.address.postal_code)?;
        end(&mut w, "gpxx:Address")?;
        if !o.phone.is_empty() {
            text_el(&mut w, "gpxx:PhoneNumber", &o.phone)?;
        }
        end(&mut w, "gpxx:WaypointExtension")?;
        text_el(&mut w, "osmand:icon", osmand_icon(cat))?;
        text_el(&mut w, "osmand:color", &colour)?;
        text_el(&mut w, "osmand:background", "circle")?;
        end(&mut w, "extensions")?;
        end(&mut w, "wpt")?;
    }

    // The route the stops were chosen along, after the waypoints as GPX 1.1 orders them.
    if let Some(route) = &set.route {
        start(&mut w, "trk")?;
        text_el(&mut w, "name", &crate::i18n::text(lang, "route-track-name"))?;
        start(&mut w, "trkseg")?;
        for p in route {
            let (lat, lon) = (coord(p.lat()), coord(p.lon()));
            w.write_event(Event::Empty(
                BytesStart::new("trkpt").with_attributes([("lat", lat.as_str()), ("lon", &lon)]),
            ))?;
        }
        end(&mut w, "trkseg")?;
        end(&mut w, "trk")?;
    }

    start(&mut w, "extensions")?;
    start(&mut w, "osmand:points_groups")?;
    for g in &set.groups {
        let colour = g.chain.colour.to_string();
        w.write_event(Event::Empty(BytesStart::new("group").with_attributes([
            ("name", g.chain.name.as_str()),
            ("color", &colour),
            ("icon", osmand_icon(g.chain.category)),
            ("background", "circle"),
        ])))?;
    }
    end(&mut w, "osmand:points_groups")?;
    end(&mut w, "extensions")?;
    end(&mut w, "gpx")?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

impl Exporter for GpxExporter {
    fn format(&self) -> Format {
        Format::Gpx
    }

    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let path = format!("{stem}.gpx");
        let bytes = write_gpx(set, ctx).map_err(|source| ExportError::Io {
            path: path.clone().into(),
            source,
        })?;
        Ok(vec![OutFile { path, bytes }])
    }
}
