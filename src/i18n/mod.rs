//! Finnish, Swedish and English text for what people read: navigator descriptions, download
//! labels and file names, plain-word errors about route files.
//!
//! The messages are Fluent catalogues, one file per language in this folder (`fi.ftl`, `sv.ftl`,
//! `en.ftl`), embedded at compile time; plural forms come from Fluent's CLDR rules (`offer-points`,
//! `route-error-several`). Fluent's bidi isolation marks are off: the text goes to navigators and
//! file names, where U+2068/U+2069 would show as boxes. A test checks that every message id exists
//! in all three catalogues with the same variables.
//!
//! ```
//! use storenet::i18n::{msg, Lang};
//! assert_eq!(msg(Lang::Fi, "offer-points", &[("points", 1.into())]), "1 lisäpiste");
//! assert_eq!(msg(Lang::En, "offer-points", &[("points", 300.into())]), "300 extra points");
//! assert_eq!("sv-FI".parse::<Lang>().unwrap(), Lang::Sv);
//! ```

mod hours;

pub use hours::{day_spans, HoursInWords};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// A language we write text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Lang {
    /// Finnish, the default.
    #[default]
    Fi,
    /// Swedish (Finland's second national language).
    Sv,
    /// English.
    En,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    /// The ISO 639-1 code: `fi`, `sv` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The catalogue's source text.
    pub fn catalogue(self) -> &'static str {
        match self {
            Lang::Fi => include_str!("fi.ftl"),
            Lang::Sv => include_str!("sv.ftl"),
            Lang::En => include_str!("en.ftl"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language tag we do not write text in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}`: expected fi, sv or en")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    /// A BCP 47 tag whose language is Finnish, Swedish or English: `fi`, `sv-FI`, `en-GB`, `SV`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownLang(s.chars().take(40).collect());
        let id: LanguageIdentifier = s.trim().parse().map_err(|_| unknown())?;
        match id.language.as_str() {
            "fi" => Ok(Lang::Fi),
            "sv" => Ok(Lang::Sv),
            "en" => Ok(Lang::En),
            _ => Err(unknown()),
        }
    }
}

/// A message argument: text or a number (numbers choose plural forms).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// Text, inserted as it is.
    Str(&'a str),
    /// A number, formatted by Fluent and used for plural selection.
    Num(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Str(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Str(s)
    }
}

macro_rules! num_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Num(n as f64)
            }
        }
    )*};
}
num_arg!(i32, i64, u8, u16, u32, u64, usize, f64);

type Bundle = FluentBundle<FluentResource>;

fn bundle(lang: Lang) -> Result<Bundle, String> {
    let res = FluentResource::try_new(lang.catalogue().to_string())
        .map_err(|(_, e)| format!("{lang}.ftl does not parse: {e:?}"))?;
    let id: LanguageIdentifier = lang
        .code()
        .parse()
        .map_err(|e| format!("language tag {lang}: {e}"))?;
    let mut b = FluentBundle::new_concurrent(vec![id]);
    b.set_use_isolating(false);
    b.add_resource(res)
        .map_err(|e| format!("{lang}.ftl: duplicate messages {e:?}"))?;
    Ok(b)
}

/// The three bundles, built on first use. The catalogues are compile-time constants and the test
/// `catalogues_parse_and_resolve` builds them, so the `expect` cannot fire in a tested build.
static BUNDLES: LazyLock<[Bundle; 3]> =
    LazyLock::new(|| Lang::ALL.map(|l| bundle(l).expect("embedded catalogues parse (tested)")));

/// The message `id` in `lang` with `args`. A missing message or argument never panics: the
/// message id (or Fluent's `{$name}` placeholder) shows instead, and the catalogue test fails.
pub fn msg(lang: Lang, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    let b = &BUNDLES[lang.index()];
    let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
        return id.to_string();
    };
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        match v {
            Arg::Str(s) => fa.set(*k, FluentValue::from(*s)),
            Arg::Num(n) => fa.set(*k, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    b.format_pattern(pattern, Some(&fa), &mut errors)
        .into_owned()
}

/// The message `id` in `lang`, without arguments.
pub fn text(lang: Lang, id: &str) -> String {
    msg(lang, id, &[])
}

/// The ids of the messages in `lang`'s catalogue, in file order (for the completeness test).
pub fn message_ids(lang: Lang) -> Vec<&'static str> {
    lang.catalogue()
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn variables(lang: Lang, id: &str) -> BTreeSet<String> {
        // The message's lines: its own line and the indented ones after it.
        let src = lang.catalogue();
        let mut out = BTreeSet::new();
        let mut inside = false;
        for line in src.lines() {
            if line.starts_with(|c: char| c.is_ascii_lowercase()) {
                inside = line.split_once('=').is_some_and(|(i, _)| i.trim() == id);
            } else if !line.starts_with(' ') {
                inside = false;
            }
            if inside {
                for part in line.split("$").skip(1) {
                    let name: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .collect();
                    out.insert(name);
                }
            }
        }
        out
    }

    #[test]
    fn catalogues_parse_and_resolve() {
        for lang in Lang::ALL {
            let b = bundle(lang).unwrap();
            for id in message_ids(lang) {
                assert!(
                    b.get_message(id).and_then(|m| m.value()).is_some(),
                    "{lang}: {id} has no value"
                );
            }
        }
    }

    #[test]
    fn every_message_id_exists_in_all_three_catalogues_with_the_same_variables() {
        let ids = |l| message_ids(l).into_iter().collect::<BTreeSet<_>>();
        let fi = ids(Lang::Fi);
        assert!(fi.len() > 40, "{fi:?}");
        for lang in [Lang::Sv, Lang::En] {
            let other = ids(lang);
            assert_eq!(
                fi.difference(&other).collect::<Vec<_>>(),
                Vec::<&&str>::new(),
                "in fi.ftl but not in {lang}.ftl"
            );
            assert_eq!(
                other.difference(&fi).collect::<Vec<_>>(),
                Vec::<&&str>::new(),
                "in {lang}.ftl but not in fi.ftl"
            );
            for id in &fi {
                assert_eq!(
                    variables(Lang::Fi, id),
                    variables(lang, id),
                    "{id}: variables of fi and {lang}"
                );
            }
        }
    }

    #[test]
    fn plural_forms_follow_each_language() {
        let p = |l, n: i64| msg(l, "offer-points", &[("points", n.into())]);
        assert_eq!(p(Lang::Fi, 1), "1 lisäpiste");
        assert_eq!(p(Lang::Fi, 500), "500 lisäpistettä");
        assert_eq!(p(Lang::En, 1), "1 extra point");
        assert_eq!(p(Lang::En, 2), "2 extra points");
        assert_eq!(p(Lang::Sv, 2), "2 extrapoäng");
        let s = |l, n: i64| msg(l, "route-error-several", &[("count", n.into())]);
        assert!(s(Lang::Sv, 2).contains("2 linjer"), "{}", s(Lang::Sv, 2));
        assert!(s(Lang::En, 3).contains("3 lines"));
    }

    #[test]
    fn text_has_no_bidi_isolation_marks() {
        let t = msg(Lang::Fi, "desc-phone", &[("phone", "+358 9 1".into())]);
        assert_eq!(t, "Puh. +358 9 1");
    }

    #[test]
    fn language_tags_parse_by_their_language() {
        for (tag, lang) in [
            ("fi", Lang::Fi),
            ("fi-FI", Lang::Fi),
            ("SV", Lang::Sv),
            ("sv-SE", Lang::Sv),
            ("en-GB", Lang::En),
        ] {
            assert_eq!(tag.parse::<Lang>().unwrap(), lang, "{tag}");
        }
        for bad in ["de", "", "x<script>", "fin"] {
            assert!(bad.parse::<Lang>().is_err(), "{bad}");
        }
    }
}
