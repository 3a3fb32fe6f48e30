//! Text for devices: truncation at character boundaries, Windows-1252 with transliteration, and
//! CSV cells a spreadsheet will not run as formulas.

use unicode_normalization::UnicodeNormalization;

pub use crate::model::text::neutralise_formula;

/// The longest prefix of `s` that fits in `max_bytes` UTF-8 bytes, cut at a character boundary;
/// spaces left dangling at the cut are dropped (devices trim them anyway).
pub fn truncate_utf8(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim_end()
}

/// The 27 characters that Windows-1252 puts in 0x80..=0x9F, with their bytes.
const CP1252_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// The Windows-1252 byte of `c`, if it has one. Control characters count as not representable.
pub fn cp1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0x20..0x7F).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    CP1252_HIGH.iter().find(|(h, _)| *h == c).map(|&(_, b)| b)
}

/// Letters without a Unicode decomposition that devices still need spelled in Latin-1:
/// Northern Sámi and a few neighbours.
fn special(c: char) -> Option<&'static str> {
    Some(match c {
        'đ' => "d",
        'Đ' => "D",
        'ŋ' => "n",
        'Ŋ' => "N",
        'ŧ' => "t",
        'Ŧ' => "T",
        'ʒ' => "z",
        'Ʒ' => "Z",
        'ł' => "l",
        'Ł' => "L",
        'ı' => "i",
        'ĸ' => "k",
        'ʹ' | 'ʼ' | '′' => "'",
        '‐' | '‑' | '‒' | '−' => "-",
        '\u{00A0}' | '\u{2009}' | '\u{202F}' => " ",
        _ => return None,
    })
}

/// `s` with every character outside Windows-1252 replaced by its nearest spelling inside it:
/// Sámi č→c, đ→d, ŋ→n, ŧ→t, ǯ→z; other accented letters lose the accent that 1252 lacks; whatever
/// is left becomes `?` (never dropped silently). Control characters become spaces.
pub fn transliterate_1252(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if cp1252_byte(c).is_some() {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else if let Some(t) = special(c) {
            out.push_str(t);
        } else {
            // Canonical decomposition keeps the base letter (č = c + caron); drop marks 1252 lacks.
            let mut base = String::new();
            for d in c.nfd() {
                if cp1252_byte(d).is_some() {
                    base.push(d);
                } else if let Some(t) = special(d) {
                    base.push_str(t);
                }
            }
            if base.is_empty() {
                base.push('?');
            }
            out.push_str(&base);
        }
    }
    out
}

/// `s` transliterated and encoded in Windows-1252, at most `max_bytes` bytes.
pub fn encode_1252(s: &str, max_bytes: usize) -> Vec<u8> {
    // One pass: a character 1252 has is its byte; any other goes through the transliteration
    // (which yields only characters 1252 has; the `?` guard keeps a table mistake off a device).
    let mut v = Vec::with_capacity(s.len().min(max_bytes + 4));
    for c in s.chars() {
        if v.len() > max_bytes {
            break;
        }
        match cp1252_byte(c) {
            Some(b) => v.push(b),
            None => {
                let mut buf = [0u8; 4];
                v.extend(
                    transliterate_1252(c.encode_utf8(&mut buf))
                        .chars()
                        .map(|t| cp1252_byte(t).unwrap_or(b'?')),
                );
            }
        }
    }
    if v.len() > max_bytes {
        v.truncate(max_bytes);
        while v.last() == Some(&b' ') {
            v.pop();
        }
    }
    v
}

/// What a device reading Windows-1252 shows for `s`: the transliterated text.
pub fn as_seen_in_1252(s: &str, max_bytes: usize) -> String {
    let bytes = encode_1252(s, max_bytes);
    encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_leading_quote() {
        for bad in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let n = neutralise_formula(bad);
            assert_eq!(n, format!("'{bad}"), "{bad:?}");
        }
        for ok in ["K-Market", "Kahvi -30 %", "1+1", "'quoted", ""] {
            assert_eq!(neutralise_formula(ok), ok);
        }
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let s = "Kärkölä";
        for n in 0..=s.len() + 2 {
            let t = truncate_utf8(s, n);
            assert!(t.len() <= n);
            assert!(s.starts_with(t));
        }
        assert_eq!(truncate_utf8("ää", 3), "ä");
        assert_eq!(truncate_utf8("ab cd", 3), "ab");
        assert_eq!(encode_1252("ab cd", 3), b"ab");
    }

    #[test]
    fn sami_letters_become_latin_1() {
        assert_eq!(
            transliterate_1252("Čevetjávri đŋŧ šž Åland"),
            "Cevetjávri dnt šž Åland"
        );
        assert_eq!(transliterate_1252("ǯ ǧ ǩ ʒ"), "z g k z");
        assert_eq!(transliterate_1252("日"), "?");
    }

    #[test]
    fn finnish_letters_keep_their_1252_bytes() {
        assert_eq!(encode_1252("Kärkölä", 100), b"K\xe4rk\xf6l\xe4");
        assert_eq!(encode_1252("Åš", 100), b"\xc5\x9a");
        assert_eq!(as_seen_in_1252("Ähtäri č", 100), "Ähtäri c");
        assert_eq!(encode_1252("abcdef", 3), b"abc");
    }
}
