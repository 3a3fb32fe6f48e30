//! KML (one Folder per chain, a Style with the chain's icon) and KMZ (`doc.kml` zipped with the
//! icons it references).

use super::icons::Icon;
use super::xml::{end, start, text_el};
use super::{ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::Writer;
use std::io;

/// Writes KML, or KMZ when `zipped`.
pub struct KmlExporter {
    /// KMZ instead of KML.
    pub zipped: bool,
}

fn icon_path(chain: &crate::model::Chain) -> String {
    format!("icons/{}.png", chain.id)
}

/// `s` as HTML text: Google Earth and My Maps render descriptions as HTML, so a retailer's offer
/// title `<img src=x onerror=…>` must arrive as the letters it is, not as an element.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The balloon of a placemark as HTML: the name in bold, then each description line, every piece
/// of outlet or offer text escaped. The XML writer escapes this HTML once more as XML text.
fn balloon_html(name: &str, lines: &[String]) -> String {
    let mut html = format!("<b>{}</b>", html_escape(name));
    for l in lines {
        html.push_str("<br/>");
        html.push_str(&html_escape(l));
    }
    html
}

fn write_kml(set: &PoiSet<'_>, ctx: &ExportContext<'_>) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(set.len() * 600), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(
        BytesStart::new("kml").with_attributes([("xmlns", "http://www.opengis.net/kml/2.2")]),
    ))?;
    start(&mut w, "Document")?;
    let lang = ctx.options.lang;
    text_el(&mut w, "name", &crate::i18n::text(lang, "export-title"))?;
    let day = ctx.day.to_string();
    let subtitle = crate::i18n::msg(lang, "export-subtitle", &[("date", (&day).into())]);
    text_el(&mut w, "description", &html_escape(&subtitle))?;
    for g in &set.groups {
        w.write_event(Event::Start(
            BytesStart::new("Style").with_attributes([("id", g.chain.id.as_str())]),
        ))?;
        start(&mut w, "IconStyle")?;
        start(&mut w, "Icon")?;
        text_el(&mut w, "href", &icon_path(g.chain))?;
        end(&mut w, "Icon")?;
        end(&mut w, "IconStyle")?;
        // The balloon shows only our escaped description (which names the outlet), never
        // Google Earth's default template that inserts the name itself.
        start(&mut w, "BalloonStyle")?;
        text_el(&mut w, "text", "$[description]")?;
        end(&mut w, "BalloonStyle")?;
        end(&mut w, "Style")?;
    }
    for g in &set.groups {
        let style = format!("#{}", g.chain.id);
        start(&mut w, "Folder")?;
        text_el(&mut w, "name", &g.chain.name)?;
        for p in &g.pois {
            let l = p.outlet.location;
            start(&mut w, "Placemark")?;
            text_el(&mut w, "name", &p.outlet.name)?;
            text_el(
                &mut w,
                "description",
                &balloon_html(&p.outlet.name, &p.lines),
            )?;
            text_el(&mut w, "styleUrl", &style)?;
            start(&mut w, "Point")?;
            text_el(
                &mut w,
                "coordinates",
                &format!("{:.7},{:.7}", l.lon(), l.lat()),
            )?;
            end(&mut w, "Point")?;
            end(&mut w, "Placemark")?;
        }
        end(&mut w, "Folder")?;
    }
    end(&mut w, "Document")?;
    end(&mut w, "kml")?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

impl Exporter for KmlExporter {
    fn format(&self) -> Format {
        if self.zipped {
            Format::Kmz
        } else {
            Format::Kml
        }
    }

    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let ext = if self.zipped { "kmz" } else { "kml" };
        let path = format!("{stem}.{ext}");
        let kml = write_kml(set, ctx).map_err(|source| ExportError::Io {
            path: path.clone().into(),
            source,
        })?;
        let mut files = vec![OutFile {
            path: if self.zipped {
                "doc.kml".into()
            } else {
                path.clone()
            },
            bytes: kml,
        }];
        for g in &set.groups {
            files.push(OutFile {
                path: icon_path(g.chain),
                bytes: Icon::for_chain(g.chain).to_png(),
            });
        }
        if self.zipped {
            let bytes = super::bundle::zip_entries(&files)?;
            Ok(vec![OutFile { path, bytes }])
        } else {
            Ok(files)
        }
    }
}
