//! Small quick-xml helpers shared by the XML writers (GPX, KML).

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io;

/// The writer every XML exporter fills in memory.
pub(super) type W = Writer<Vec<u8>>;

/// `<name>text</name>`, the text escaped.
pub(super) fn text_el(w: &mut W, name: &str, text: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// `<name>`.
pub(super) fn start(w: &mut W, name: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))
}

/// `</name>`.
pub(super) fn end(w: &mut W, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}
