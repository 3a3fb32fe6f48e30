//! What every CSV reader does to its input first, drop a UTF-8 byte order mark and turn CRLF
//! line ends into LF, and how it names a record's line ([`record_line`]).
//!
//! A spreadsheet's "CSV UTF-8" export starts with a byte order mark and ends its lines with CRLF.
//! The mark would become part of the first header name. And the csv crate ends a record at the
//! `\r` of a CRLF but counts the line at the `\n`, so in a CRLF file every record after the header
//! was reported one line early; with LF line ends its positions are the lines an editor shows.

use std::borrow::Cow;
use std::path::Path;

/// The UTF-8 byte order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte order mark and with every CRLF turned into LF (a lone `\r`
/// is kept).
pub fn normalise(bytes: &[u8]) -> Cow<'_, [u8]> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if !body.windows(2).any(|w| w == b"\r\n") {
        return Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// The line a record of `bytes` (normalised, as the reader read them) starts on. The csv crate
/// gives the position just after the previous record, before the blank lines it then skips, so
/// a record after a blank line would be named by the blank line.
pub fn record_line(bytes: &[u8], position: Option<&csv::Position>) -> u64 {
    let Some(p) = position else {
        return 0;
    };
    let start = usize::try_from(p.byte()).unwrap_or(usize::MAX);
    let blank = bytes
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\n').count());
    p.line() + blank as u64
}

/// The file at `path`, whole and normalised.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    Ok(match normalise(&bytes) {
        Cow::Borrowed(b) if b.len() == bytes.len() => bytes,
        other => other.into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_and_crlf_go_lone_cr_stays() {
        assert_eq!(&*normalise(b"\xEF\xBB\xBFa,b\r\n1,2\r\n"), b"a,b\n1,2\n");
        assert_eq!(&*normalise(b"a\rb\r\n\r\nc"), b"a\rb\n\nc");
        assert!(matches!(normalise(b"a,b\n1,2\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn csv_positions_are_editor_lines_after_normalising() {
        let crlf = b"a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n";
        let lines = |bytes: &[u8]| -> Vec<u64> {
            csv::Reader::from_reader(bytes)
                .records()
                .map(|r| r.unwrap().position().unwrap().line())
                .collect()
        };
        assert_eq!(lines(&normalise(crlf)), [2, 3, 5]);
        // What the csv crate reports for the raw bytes, and why this module exists.
        assert_ne!(lines(crlf), [2, 3, 5]);
    }

    #[test]
    fn records_after_blank_lines_are_named_by_their_own_line() {
        let bytes = normalise(b"a,b\r\n1,2\r\n\r\nx,3\r\n\r\n\r\n4,5\r\n").into_owned();
        let lines: Vec<u64> = csv::Reader::from_reader(bytes.as_slice())
            .records()
            .map(|r| record_line(&bytes, r.unwrap().position()))
            .collect();
        assert_eq!(lines, [2, 4, 7]);
    }
}
