//! What a driver sends and gets: a route file read with plain-word errors, the download choices
//! (format labelled by device, exact size) and file names after the route and the day.

use super::{render_all, ExportContext, ExportError, Format, Selected};
use crate::i18n::{msg, text, Lang};
use crate::model::LonLat;
use crate::spatial::route::{parse_route, RouteError};
use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

/// Longest file-name part taken from a `name` (characters, after sanitising).
pub const MAX_NAME_CHARS: usize = 60;

/// `name` as a file-name part: letters lose their accents (`Hämeenlinna` → `hameenlinna`), runs of
/// anything but ASCII letters and digits become one `-`, at most [`MAX_NAME_CHARS`]. `None` if
/// nothing is left.
pub fn sanitise_name(name: &str) -> Option<String> {
    let latin = super::text::transliterate_1252(name);
    let mut out = String::new();
    let mut dash = false;
    for c in latin.nfd().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
            if out.chars().count() >= MAX_NAME_CHARS {
                break;
            }
        } else if !is_combining(c) {
            // Combining marks left by the decomposition go without a trace; anything else is a
            // separator.
            dash = true;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn is_combining(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// The file name without extension: the sanitised `name` or the language's default
/// (`k-plussa-kaupat`), then the day: `helsinki-oulu-2026-12-04`.
pub fn download_stem(name: Option<&str>, lang: Lang, day: NaiveDate) -> String {
    let base = name
        .and_then(sanitise_name)
        .unwrap_or_else(|| text(lang, "download-stem"));
    format!("{base}-{day}")
}

/// One download a user can choose: the format, what it is for, and the exact file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The format.
    pub format: Format,
    /// Which device or program it is for, in the request's language.
    pub label: String,
    /// The size of the file the download gives, in bytes.
    pub bytes: usize,
    /// The name the download gives the file.
    pub filename: String,
}

/// Every format for these outlets, each rendered once to know its exact size, in the order
/// drivers are most likely to need them (car navigators first).
pub fn choices(
    selected: &Selected<'_>,
    ctx: &ExportContext<'_>,
) -> Result<Vec<Choice>, ExportError> {
    const ORDER: [Format; 7] = [
        Format::Gpi,
        Format::Ov2,
        Format::Gpx,
        Format::Kml,
        Format::Kmz,
        Format::GarminCsv,
        Format::GeoJson,
    ];
    let lang = ctx.options.lang;
    Ok(render_all(&ORDER, selected, ctx)?
        .into_iter()
        .map(|(format, r)| Choice {
            format,
            label: text(lang, &format!("format-{}", format.name())),
            bytes: r.bytes.len(),
            filename: r.file_name,
        })
        .collect())
}

/// What a file that is not a route looks like, in words.
fn what_came(lang: Lang, bytes: &[u8]) -> String {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    let magic: [(&[u8], &str); 6] = [
        (b"%PDF", "found-pdf"),
        (b"PK\x03\x04", "found-zip"),
        (b"\x89PNG", "found-image"),
        (b"\xFF\xD8\xFF", "found-image"),
        (b"GIF8", "found-image"),
        (b"RIFF", "found-binary"),
    ];
    if let Some((_, id)) = magic.iter().find(|(m, _)| body.starts_with(m)) {
        return text(lang, id);
    }
    if body.starts_with(b"<") {
        let root = xml_root(body).unwrap_or_default();
        return match root.to_ascii_lowercase().as_str() {
            "html" | "!doctype" => text(lang, "found-html"),
            "kml" => text(lang, "found-kml"),
            _ => msg(lang, "found-xml", &[("root", root.as_str().into())]),
        };
    }
    if body.starts_with(b"{") || body.starts_with(b"[") {
        return text(lang, "found-json");
    }
    match std::str::from_utf8(&body[..body.len().min(200)]) {
        Ok(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            let shown: String = s
                .chars()
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .take(30)
                .collect();
            msg(lang, "found-text", &[("start", shown.trim_end().into())])
        }
        _ => text(lang, "found-binary"),
    }
}

/// The name of the first element of an XML or HTML document (`!doctype` for a doctype that
/// names html), at most 40 characters of it.
fn xml_root(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let lower = head.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") {
        return Some("html".into());
    }
    let mut rest = head.as_ref();
    loop {
        let i = rest.find('<')?;
        rest = &rest[i + 1..];
        // Skip the declaration, processing instructions, comments and doctypes.
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
            .take(40)
            .collect();
        // `gpx:gpx` or `kml:kml`: the local name.
        return Some(name.rsplit(':').next().unwrap_or_default().to_string());
    }
}

/// Reads a route (GPX or GeoJSON) sent by a user. Errors say in plain words, in `lang` (English
/// when `None`), what was expected and what came; their `field` is `body` for a file that is not
/// a usable document and `route` for a document whose points do not make a route.
pub fn read_route(bytes: &[u8], lang: Option<Lang>) -> Result<Vec<LonLat>, ExportError> {
    let lang = lang.unwrap_or(Lang::En);
    let e = match parse_route(bytes) {
        Ok(route) => return Ok(route),
        Err(e) => e,
    };
    let body = |message: String| ExportError::Route {
        field: "body",
        message,
    };
    let route = |message: String| ExportError::Route {
        field: "route",
        message,
    };
    let not_route = || {
        let found = what_came(lang, bytes);
        body(msg(
            lang,
            "route-error-not-route",
            &[("found", (&found).into())],
        ))
    };
    Err(match e {
        RouteError::UnknownFormat => {
            if bytes
                .iter()
                .all(|b| b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF)
            {
                body(text(lang, "route-error-empty"))
            } else {
                not_route()
            }
        }
        RouteError::Malformed { format, reason } => {
            let is_gpx_doc = format != "GPX" || xml_root(bytes).is_some_and(|r| r == "gpx");
            if !is_gpx_doc {
                not_route()
            } else {
                let reason: String = reason.chars().take(200).collect();
                body(msg(
                    lang,
                    "route-error-malformed",
                    &[("format", format.into()), ("reason", (&reason).into())],
                ))
            }
        }
        RouteError::NotALine { found } => body(msg(
            lang,
            "route-error-not-line",
            &[("found", found.as_str().into())],
        )),
        RouteError::SeveralLines(n) => {
            body(msg(lang, "route-error-several", &[("count", n.into())]))
        }
        RouteError::BadPoint { index, reason } => route(msg(
            lang,
            "route-error-bad-point",
            &[
                ("number", (index.saturating_add(1)).into()),
                ("reason", reason.as_str().into()),
            ],
        )),
        RouteError::Empty => route(text(lang, "route-error-no-points")),
        RouteError::OnePoint => route(text(lang, "route-error-one-point")),
        RouteError::TooManyPoints { max, .. } => {
            route(msg(lang, "route-error-too-many", &[("max", max.into())]))
        }
        RouteError::BadDistance { input, .. } => route(msg(
            lang,
            "route-error-corridor",
            &[
                ("value", input.as_str().into()),
                ("max", crate::spatial::MAX_CORRIDOR_M.into()),
            ],
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(bytes: &[u8], lang: Lang) -> String {
        match read_route(bytes, Some(lang)) {
            Err(ExportError::Route { message, .. }) => message,
            other => panic!("expected a route error, got {other:?}"),
        }
    }

    #[test]
    fn names_become_ascii_file_names() {
        assert_eq!(
            sanitise_name("Helsinki → Oulu").as_deref(),
            Some("helsinki-oulu")
        );
        assert_eq!(
            sanitise_name("Hämeenlinna/Åbo").as_deref(),
            Some("hameenlinna-abo")
        );
        assert_eq!(
            sanitise_name("../../etc/passwd").as_deref(),
            Some("etc-passwd")
        );
        assert_eq!(sanitise_name("\"; rm -rf"), Some("rm-rf".into()));
        assert_eq!(sanitise_name("→ ←"), None);
        assert_eq!(
            sanitise_name(&"a".repeat(500)).unwrap().len(),
            MAX_NAME_CHARS
        );
        let d = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(
            download_stem(None, Lang::Fi, d),
            "k-plussa-kaupat-2026-12-04"
        );
        assert_eq!(
            download_stem(Some("  "), Lang::Sv, d),
            "k-plussa-butiker-2026-12-04"
        );
        assert_eq!(
            download_stem(Some("Helsinki–Oulu"), Lang::En, d),
            "helsinki-oulu-2026-12-04"
        );
    }

    #[test]
    fn route_errors_say_what_was_expected_and_what_came() {
        let pdf = message(b"%PDF-1.7 ...", Lang::En);
        assert!(
            pdf.contains("expected a GPX file") && pdf.contains("a PDF document"),
            "{pdf}"
        );
        assert!(!pdf.contains('`'), "{pdf}");
        let html = message(b"<!DOCTYPE html><html><body>hi</body></html>", Lang::Fi);
        assert!(
            html.contains("odotettiin GPX-tiedostoa") && html.contains("verkkosivu"),
            "{html}"
        );
        let kml = message(
            br#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"/>"#,
            Lang::Sv,
        );
        assert!(kml.contains("KML-fil"), "{kml}");
        let text = message(b"hello driver", Lang::En);
        assert!(
            text.contains("text starting \u{201c}hello driver\u{201d}"),
            "{text}"
        );
        assert!(message(b"   ", Lang::Fi).contains("tyhjä"));
        let one = br#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.1" lon="24.9"/></trkseg></trk></gpx>"#;
        match read_route(one, Some(Lang::Fi)) {
            Err(ExportError::Route { field, message }) => {
                assert_eq!(field, "route");
                assert!(message.contains("vain yksi piste"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let point = br#"{"type":"Point","coordinates":[24.9,60.1]}"#;
        assert!(
            message(point, Lang::En).contains("holds Point"),
            "{}",
            message(point, Lang::En)
        );
    }

    proptest::proptest! {
        /// Whatever a user uploads, the answer is a route or a route error, never a panic, and
        /// the message quotes at most a short start of the file.
        #[test]
        fn any_upload_gets_a_route_or_words(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            prefix in proptest::sample::select(vec![&b""[..], b"<", b"<?xml ?><", b"{", b"%PDF", b"PK\x03\x04", b"<!DOCTYPE html"]),
        ) {
            let mut input = prefix.to_vec();
            input.extend(&bytes);
            for lang in Lang::ALL {
                match read_route(&input, Some(lang)) {
                    Ok(r) => proptest::prop_assert!(r.len() >= 2),
                    Err(ExportError::Route { message, .. }) => {
                        proptest::prop_assert!(!message.is_empty() && message.chars().count() < 600)
                    }
                    Err(e) => proptest::prop_assert!(false, "{e:?}"),
                }
            }
        }
    }
}
