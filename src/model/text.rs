//! The one set of rules for free text that comes from outside: outlet names and addresses, chain
//! names and icons, offer ids, titles and segments. Every path that accepts such text (the
//! registry's CSV and GeoJSON readers, `storenet import`, admin writes, `offers.csv`, offer
//! writes over HTTP and into the ledger) checks it with the same [`TextRule`] constant from
//! [`rules`], so a value refused on one path is refused on all of them.
//!
//! A value passes when, after trimming surrounding whitespace:
//! - it is not empty and not made only of whitespace and invisible characters (Unicode's
//!   `Default_Ignorable_Code_Point`, e.g. U+200B ZERO WIDTH SPACE, and U+2800 BRAILLE BLANK);
//! - it holds no control character (C0 U+0000–U+001F, DEL, C1 U+0080–U+009F; only a field
//!   marked [`TextRule::multiline`] (the street) admits `\n`), no line or paragraph separator (U+2028,
//!   U+2029) and no noncharacter (U+FDD0–U+FDEF, U+xxFFFE/F): XML 1.0 cannot carry most of
//!   them, and they break the CSV, OV2 and GPI files drivers load;
//! - it holds no bidirectional formatting character (U+202A–U+202E embeddings and overrides,
//!   U+2066–U+2069 isolates, U+200E/U+200F marks, U+061C ARABIC LETTER MARK), which can make a
//!   name display as something other than what it is (Trojan Source, CVE-2021-42574);
//! - in Unicode Normalization Form C it is at most [`TextRule::max_chars`] characters (Unicode
//!   scalar values) long.
//!
//! The value kept is the trimmed NFC form, so `"Ka\u{308}rko\u{308}la\u{308}"` and `"Kärkölä"`
//! are the same name.

use std::borrow::Cow;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A CSV cell that a spreadsheet opening the file will not take as a formula (OWASP's "CSV
/// injection" advice): a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, which spreadsheets show as text and do not evaluate. The caller quotes the cell.
/// Other text is returned as it is. Every CSV storenet writes for people (Garmin POI Loader,
/// planning reports) goes through it.
///
/// ```
/// use storenet::model::text::neutralise_formula;
/// assert_eq!(neutralise_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(neutralise_formula("K-Market Kärkölä"), "K-Market Kärkölä");
/// ```
pub fn neutralise_formula(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// How one text field is checked: its name (as the error names it), its length bound and
/// whether it may be empty or span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// The field's name in files and JSON bodies, e.g. `name`.
    pub field: &'static str,
    /// The most characters (Unicode scalar values, after NFC) the field may hold.
    pub max_chars: usize,
    /// An empty (or blank) value is allowed and becomes `""`.
    pub optional: bool,
    /// `\n` is allowed inside the value (`\r\n` becomes `\n`).
    pub multiline: bool,
}

/// The rules of every free-text field, one constant per field.
pub mod rules {
    use super::TextRule;

    /// An outlet's display name (OpenStreetMap's limit for a tag value is 255 characters; the
    /// exports cut names to what each device shows).
    pub const OUTLET_NAME: TextRule = TextRule::line("name", 255);
    /// An outlet's street and number; may span lines (`Katu 1,\nB-rappu`).
    pub const STREET: TextRule = TextRule::line("street", 255).multiline();
    /// An outlet's post office / city.
    pub const CITY: TextRule = TextRule::line("city", 100);
    /// An outlet's phone number (may be empty; its format is checked separately).
    pub const PHONE: TextRule = TextRule::line("phone", 40).optional();
    /// An outlet's opening hours, before the hours parser reads them (OpenStreetMap's limit for
    /// a tag value is 255 characters).
    pub const OPENING_HOURS: TextRule = TextRule::line("opening_hours", 255);
    /// An outlet's service tags as one `;`-separated field (each tag is a slug, checked after).
    pub const SERVICES: TextRule = TextRule::line("services", 1_000).optional();
    /// A chain's display name.
    pub const CHAIN_NAME: TextRule = TextRule::line("name", 100);
    /// The letter drawn on a chain's icon.
    pub const CHAIN_ICON: TextRule = TextRule::line("icon", 1);
    /// An offer's id, e.g. `N-0001`.
    pub const OFFER_ID: TextRule = TextRule::line("id", 64);
    /// An offer's title, shown to customers and written into every navigator export.
    pub const OFFER_TITLE: TextRule = TextRule::line("title", 200);
    /// One segment an offer targets, e.g. `napero`.
    pub const OFFER_SEGMENT: TextRule = TextRule::line("segments", 64);
}

/// Why a text value was refused. Displays as the reason only (the caller names the field and
/// the place); [`TextError::field`] says which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct TextError {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong.
    pub problem: TextProblem,
}

/// What is wrong with a text value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// Empty, or only whitespace and invisible characters.
    Blank,
    /// Longer than the field allows.
    TooLong {
        /// The field's bound, in characters.
        max: usize,
        /// The value's length in characters, or the count at which reading stopped.
        chars: usize,
        /// Reading stopped at `chars`: the value is longer still.
        more: bool,
    },
    /// A character the rules refuse anywhere, at a 1-based character position.
    Forbidden {
        /// The character.
        ch: char,
        /// 1-based position in the trimmed value.
        at: usize,
        /// What kind of character it is.
        class: Class,
    },
}

/// The classes of refused characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// C0, DEL or C1 control character (including a line break in a single-line field).
    Control,
    /// U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR.
    LineSeparator,
    /// Bidirectional embedding, override, isolate or mark.
    Bidi,
    /// A Unicode noncharacter.
    Noncharacter,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Blank => {
                f.write_str("is empty or only whitespace or invisible characters")
            }
            TextProblem::TooLong { max, chars, more } => {
                let over = if *more { "over " } else { "" };
                write!(
                    f,
                    "is {over}{chars} characters long; at most {max} are allowed"
                )
            }
            TextProblem::Forbidden { ch, at, class } => {
                let what = match class {
                    Class::Control => "the control character",
                    Class::LineSeparator => "the line separator",
                    Class::Bidi => "the bidirectional formatting character",
                    Class::Noncharacter => "the noncharacter",
                };
                write!(
                    f,
                    "contains {what} U+{:04X} at character {at}; remove it",
                    u32::from(*ch)
                )
            }
        }
    }
}

impl TextRule {
    /// A required single-line field of at most `max_chars` characters.
    pub const fn line(field: &'static str, max_chars: usize) -> Self {
        TextRule {
            field,
            max_chars,
            optional: false,
            multiline: false,
        }
    }

    /// The same rule, with an empty value allowed.
    pub const fn optional(self) -> Self {
        TextRule {
            optional: true,
            ..self
        }
    }

    /// The same rule, with `\n` allowed inside the value.
    pub const fn multiline(self) -> Self {
        TextRule {
            multiline: true,
            ..self
        }
    }

    /// Checks `raw` and returns it trimmed and in NFC, or the first problem found.
    ///
    /// ```
    /// use storenet::model::text::rules::OUTLET_NAME;
    /// assert_eq!(OUTLET_NAME.clean("  K-Market Ka\u{308}rko\u{308}la\u{308} ").unwrap(), "K-Market Kärkölä");
    /// assert!(OUTLET_NAME.clean("K-Market\u{1b}[31m").is_err());
    /// assert!(OUTLET_NAME.clean("\u{202e}tekraM-K").is_err());
    /// assert!(OUTLET_NAME.clean(" \u{200b} ").is_err());
    /// assert!(OUTLET_NAME.clean(&"x".repeat(256)).is_err());
    /// ```
    pub fn clean(&self, raw: &str) -> Result<String, TextError> {
        let err = |problem| TextError {
            field: self.field,
            problem,
        };
        let owned;
        let raw = if self.multiline && raw.contains("\r\n") {
            owned = raw.replace("\r\n", "\n");
            owned.as_str()
        } else {
            raw
        };
        let v = raw.trim();
        // NFC composes at most three characters into one (Hangul jamo), so a value four times
        // over the bound is refused before it is normalised: a 20 MB name costs one scan.
        let cap = self.max_chars.saturating_mul(4);
        let mut visible = false;
        for (i, ch) in v.chars().enumerate() {
            if let Some(class) = forbidden(ch, self.multiline) {
                return Err(err(TextProblem::Forbidden {
                    ch,
                    at: i + 1,
                    class,
                }));
            }
            visible |= !is_invisible(ch);
            if i >= cap {
                return Err(err(TextProblem::TooLong {
                    max: self.max_chars,
                    chars: cap,
                    more: true,
                }));
            }
        }
        if !visible {
            return if self.optional && v.is_empty() {
                Ok(String::new())
            } else {
                Err(err(TextProblem::Blank))
            };
        }
        let nfc: String = v.nfc().collect();
        let chars = nfc.chars().count();
        if chars > self.max_chars {
            return Err(err(TextProblem::TooLong {
                max: self.max_chars,
                chars,
                more: false,
            }));
        }
        Ok(nfc)
    }
}

/// The class of `ch` if the rules refuse it in any field.
fn forbidden(ch: char, multiline: bool) -> Option<Class> {
    match ch {
        '\n' if multiline => None,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' => Some(Class::Control),
        '\u{2028}' | '\u{2029}' => Some(Class::LineSeparator),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            Some(Class::Bidi)
        }
        '\u{fdd0}'..='\u{fdef}' => Some(Class::Noncharacter),
        c if u32::from(c) & 0xfffe == 0xfffe => Some(Class::Noncharacter),
        _ => None,
    }
}

/// Whitespace, Unicode's `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt, Unicode 15.1)
/// and U+2800 BRAILLE PATTERN BLANK: characters that draw nothing.
fn is_invisible(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

#[cfg(test)]
mod tests {
    use super::rules::*;
    use super::*;

    fn problem(rule: TextRule, v: &str) -> TextProblem {
        rule.clean(v).unwrap_err().problem
    }

    #[test]
    fn clean_trims_and_composes_to_nfc() {
        assert_eq!(
            OUTLET_NAME
                .clean("  Ka\u{308}rko\u{308}la\u{308}\t")
                .unwrap(),
            "Kärkölä"
        );
        // Emoji sequences keep their joiners and variation selectors.
        assert_eq!(
            OFFER_TITLE
                .clean("Kahvi \u{2615}\u{fe0f} ja \u{1f468}\u{200d}\u{1f373}")
                .unwrap(),
            "Kahvi \u{2615}\u{fe0f} ja \u{1f468}\u{200d}\u{1f373}"
        );
    }

    #[test]
    fn clean_refuses_c0_c1_and_del_with_the_code_point_and_place() {
        for ch in ['\0', '\x1b', '\t', '\r', '\n', '\x7f', '\u{85}', '\u{9b}'] {
            let v = format!("K{ch}M");
            assert_eq!(
                problem(OUTLET_NAME, &v),
                TextProblem::Forbidden {
                    ch,
                    at: 2,
                    class: Class::Control
                },
                "{ch:?}"
            );
        }
        let e = OUTLET_NAME.clean("ab\x1bc").unwrap_err();
        assert_eq!(e.field, "name");
        assert_eq!(
            e.to_string(),
            "contains the control character U+001B at character 3; remove it"
        );
    }

    #[test]
    fn clean_refuses_every_bidi_control() {
        let bidi = [
            0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f,
            0x061c,
        ];
        for cp in bidi {
            let ch = char::from_u32(cp).unwrap();
            assert!(
                matches!(
                    problem(OFFER_TITLE, &format!("a{ch}b")),
                    TextProblem::Forbidden {
                        class: Class::Bidi,
                        ..
                    }
                ),
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn clean_refuses_separators_and_noncharacters() {
        for (ch, class) in [
            ('\u{2028}', Class::LineSeparator),
            ('\u{2029}', Class::LineSeparator),
            ('\u{fffe}', Class::Noncharacter),
            ('\u{ffff}', Class::Noncharacter),
            ('\u{fdd0}', Class::Noncharacter),
            ('\u{10ffff}', Class::Noncharacter),
        ] {
            assert_eq!(
                problem(CITY, &format!("x{ch}y")),
                TextProblem::Forbidden { ch, at: 2, class }
            );
        }
    }

    #[test]
    fn clean_refuses_blank_and_invisible_only_values() {
        for v in [
            "",
            "   ",
            "\u{200b}",
            " \u{200b}\u{200d}\u{2060} ",
            "\u{3164}",
            "\u{2800}\u{feff}",
            "\u{a0}\u{3000}",
        ] {
            assert_eq!(problem(OFFER_TITLE, v), TextProblem::Blank, "{v:?}");
        }
        assert_eq!(PHONE.clean("  ").unwrap(), "");
        // Optional does not mean invisible text is allowed.
        assert_eq!(problem(PHONE, "\u{200b}"), TextProblem::Blank);
    }

    #[test]
    fn clean_counts_characters_after_nfc() {
        let max = "ä".repeat(255);
        assert_eq!(OUTLET_NAME.clean(&max).unwrap(), max);
        // 255 decomposed ä are 510 characters before NFC and 255 after.
        assert_eq!(OUTLET_NAME.clean(&"a\u{308}".repeat(255)).unwrap(), max);
        assert_eq!(
            problem(OUTLET_NAME, &"ä".repeat(256)),
            TextProblem::TooLong {
                max: 255,
                chars: 256,
                more: false
            }
        );
        assert!(matches!(
            problem(CHAIN_ICON, "KM"),
            TextProblem::TooLong { max: 1, .. }
        ));
    }

    #[test]
    fn clean_stops_early_on_a_huge_value() {
        let huge = "x".repeat(20 * 1024 * 1024);
        assert_eq!(
            problem(OUTLET_NAME, &huge),
            TextProblem::TooLong {
                max: 255,
                chars: 1020,
                more: true
            }
        );
    }

    #[test]
    fn multiline_fields_admit_newlines_only() {
        let rule = TextRule::line("text", 100).multiline();
        assert_eq!(rule.clean("a\r\nb\nc").unwrap(), "a\nb\nc");
        assert!(rule.clean("a\rb").is_err());
        assert!(rule.clean("a\tb").is_err());
        assert!(OFFER_TITLE.clean("a\nb").is_err());
    }
}
