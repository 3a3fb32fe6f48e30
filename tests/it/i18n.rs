//! The web map's message catalogues (`src/http/web/i18n/{fi,sv,en}.json`): every key in all
//! three, each message a string or plural forms with at least `one` and `other`, and the same
//! `{placeholders}` in every language (a missing one would show the raw braces or lose a figure).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LANGS: [&str; 3] = ["fi", "sv", "en"];

fn catalogue(lang: &str) -> Map<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/http/web/i18n")
        .join(format!("{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => m,
        Ok(_) => panic!("{}: not a JSON object", path.display()),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// The `{name}` placeholders of one message (all plural forms together).
fn placeholders(lang: &str, key: &str, v: &Value) -> BTreeSet<String> {
    let texts: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Object(forms) => {
            for needed in ["one", "other"] {
                assert!(
                    forms.contains_key(needed),
                    "{lang}.json `{key}`: no `{needed}` form"
                );
            }
            forms
                .iter()
                .map(|(form, s)| {
                    assert!(
                        ["zero", "one", "two", "few", "many", "other"].contains(&form.as_str()),
                        "{lang}.json `{key}`: `{form}` is not a plural category"
                    );
                    s.as_str()
                        .unwrap_or_else(|| panic!("{lang}.json `{key}.{form}`: not a string"))
                })
                .collect()
        }
        _ => panic!("{lang}.json `{key}`: neither a string nor plural forms"),
    };
    let mut out = BTreeSet::new();
    for text in texts {
        assert!(
            !text.trim().is_empty(),
            "{lang}.json `{key}`: empty message"
        );
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let end = after
                .find('}')
                .unwrap_or_else(|| panic!("{lang}.json `{key}`: unclosed `{{`"));
            let name = &after[..end];
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{lang}.json `{key}`: bad placeholder `{{{name}}}`"
            );
            out.insert(name.to_string());
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn every_catalogue_has_every_key_with_the_same_placeholders() {
    let cats: BTreeMap<&str, Map<String, Value>> =
        LANGS.iter().map(|l| (*l, catalogue(l))).collect();
    let all: BTreeSet<&String> = cats.values().flat_map(|c| c.keys()).collect();
    assert!(all.len() > 100, "the catalogues hold the page's messages");
    for key in all {
        let mut seen: Option<(&str, BTreeSet<String>)> = None;
        for lang in LANGS {
            let v = cats[lang]
                .get(key)
                .unwrap_or_else(|| panic!("{lang}.json has no `{key}`"));
            let p = placeholders(lang, key, v);
            match &seen {
                None => seen = Some((lang, p)),
                Some((first, q)) => assert_eq!(
                    &p, q,
                    "`{key}`: placeholders differ between {first}.json and {lang}.json"
                ),
            }
        }
    }
}

#[test]
fn every_key_the_page_names_is_in_the_catalogue() {
    // Keys named literally in the page's scripts (`t('key'`) and markup (`data-i18n…="key"`).
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/web");
    let en = catalogue("en");
    let mut named = BTreeSet::new();
    for file in ["index.html", "app.js", "card.js", "i18n.js", "search.js"] {
        let text = std::fs::read_to_string(web.join(file)).expect("page file");
        for (open, close) in [
            ("t('", '\''),
            ("data-i18n=\"", '"'),
            ("data-i18n-placeholder=\"", '"'),
            ("data-i18n-aria-label=\"", '"'),
        ] {
            for (i, _) in text.match_indices(open) {
                // `t('` as a call of its own, not the end of `createElement('`.
                let before = text[..i].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &text[i + open.len()..];
                if let Some(end) = rest.find(close) {
                    named.insert(rest[..end].to_string());
                }
            }
        }
    }
    assert!(named.len() > 50, "found the page's keys: {named:?}");
    let missing: Vec<_> = named.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys the page uses but en.json lacks: {missing:?}"
    );
}
