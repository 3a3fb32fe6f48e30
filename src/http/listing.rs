//! The JSON of the list answers, written from outlets rendered once per index snapshot.
//!
//! Every list route (nearest, within, bbox, polygon, along-route) answers with outlets whose JSON
//! differs between requests only in `distance_m`, `along_km` and `open_now`. [`Rendered`] holds
//! each outlet's other fields, serialised by serde once per snapshot; a request copies them and
//! appends its own three. The bytes are serde's serialisation of an `OutletList` (a test compares
//! them over every bundled outlet). Measured on `nearest`: building and serialising five
//! [`OutletJson`]s took about two fifths of the route's time in the server, most of it in the
//! allocations of their strings.

use super::compress;
use super::response::{round_along, round_distance, LocalTime, OutletJson};
use crate::model::Outlet;
use crate::registry::Registry;
use crate::spatial::OutletIndex;
use actix_web::http::header::EntityTag;
use arc_swap::ArcSwap;
use serde_json::ser::{CompactFormatter, Formatter};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What a list JSON ends each outlet with before its own fields: serde writes `open_now` last.
const OPEN_NOW_NULL: &[u8] = br#","open_now":null}"#;

/// One outlet of a list answer, with what the query adds to it.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    /// The outlet.
    pub outlet: &'a Outlet,
    /// Geodesic metres from the query point or route.
    pub distance_m: Option<f64>,
    /// Km along the route (along-route only).
    pub along_km: Option<f64>,
}

impl<'a> Listed<'a> {
    /// An outlet with nothing added (bbox, polygon, all).
    pub fn plain(outlet: &'a Outlet) -> Self {
        Listed {
            outlet,
            distance_m: None,
            along_km: None,
        }
    }

    /// As the API shows it, `open_now` judged at `when`.
    pub fn to_json(&self, reg: &Registry, when: LocalTime) -> OutletJson {
        let mut j = OutletJson::at_time(reg, self.outlet, when);
        if let Some(d) = self.distance_m {
            j = j.at(d);
        }
        if let Some(a) = self.along_km {
            j = j.along(a);
        }
        j
    }
}

impl<'a> From<&crate::spatial::Hit<'a>> for Listed<'a> {
    fn from(h: &crate::spatial::Hit<'a>) -> Self {
        Listed {
            outlet: h.outlet,
            distance_m: Some(h.distance_m),
            along_km: None,
        }
    }
}

/// The fields of each outlet of the map view ([`Rendered::write_map`]), in order.
pub const MAP_FIELDS: [&str; 10] = [
    "id",
    "lat",
    "lon",
    "chain",
    "name",
    "street",
    "postal_code",
    "city",
    "municipality",
    "open_now",
];

/// Each outlet of one index snapshot as JSON without its closing `}` and the per-request fields.
pub struct Rendered {
    index: Arc<OutletIndex>,
    /// By position in the registry.
    heads: Vec<Box<[u8]>>,
    /// The map view's array of each outlet without `open_now` and the closing `]`, by position.
    rows: Vec<Box<[u8]>>,
    /// A hash of every outlet's JSON: changes whenever an outlet as listed changes.
    fingerprint: [u8; 32],
}

impl Rendered {
    /// Renders every outlet of `index`.
    pub fn new(index: Arc<OutletIndex>) -> Self {
        let reg = index.registry();
        let heads: Vec<Box<[u8]>> = reg
            .outlets()
            .iter()
            .map(|o| head(reg, o).into_boxed_slice())
            .collect();
        let rows = reg
            .outlets()
            .iter()
            .map(|o| row(o).into_boxed_slice())
            .collect();
        let mut h = Sha256::new();
        for head in &heads {
            h.update((head.len() as u64).to_le_bytes());
            h.update(head);
        }
        Rendered {
            index,
            heads,
            rows,
            fingerprint: h.finalize().into(),
        }
    }

    /// The entity tag of a list answer: the snapshot's content, the answer's `variant` (its
    /// shape: JSON, GeoJSON, map view), the query string, and whether each outlet listed is open
    /// at `when`, the one thing in an answer that changes with time alone. Equal tags mean equal
    /// bytes; any admin write that changes a listed outlet changes the tag.
    pub fn tag(
        &self,
        variant: &str,
        query: &str,
        items: &[Listed<'_>],
        when: LocalTime,
    ) -> EntityTag {
        let open: Vec<u8> = items
            .iter()
            .map(|i| u8::from(i.outlet.hours.is_open_local(when.naive())))
            .collect();
        compress::weak_tag([
            &self.fingerprint[..],
            variant.as_bytes(),
            query.as_bytes(),
            &open,
        ])
    }

    /// Writes the map view, `{"count":n,"fields":[…],"outlets":[[…],…]}`: each outlet an array of
    /// the [`MAP_FIELDS`], `open_now` judged at `when`. About a fifth of the full list's bytes.
    pub fn write_map(&self, buf: &mut Vec<u8>, items: &[Listed<'_>], when: LocalTime) {
        let reg = self.index.registry();
        buf.extend_from_slice(br#"{"count":"#);
        // Writing into a Vec cannot fail.
        let _ = CompactFormatter.write_u64(buf, items.len() as u64);
        buf.extend_from_slice(br#","fields":"#);
        let _ = serde_json::to_writer(&mut *buf, &MAP_FIELDS);
        buf.extend_from_slice(br#","outlets":["#);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            match reg.position(item.outlet.id) {
                Some(at) => buf.extend_from_slice(&self.rows[at]),
                None => buf.extend_from_slice(&row(item.outlet)),
            }
            let open = item.outlet.hours.is_open_local(when.naive());
            buf.extend_from_slice(if open { b",true]" } else { b",false]" });
        }
        buf.extend_from_slice(b"]}");
    }

    /// The snapshot rendered.
    pub fn index(&self) -> &Arc<OutletIndex> {
        &self.index
    }

    /// Writes `{"count":n,"outlets":[…]}`, each outlet's `open_now` judged at `when`.
    pub fn write_list(&self, buf: &mut Vec<u8>, items: &[Listed<'_>], when: LocalTime) {
        let reg = self.index.registry();
        buf.extend_from_slice(br#"{"count":"#);
        // Writing into a Vec cannot fail.
        let _ = CompactFormatter.write_u64(buf, items.len() as u64);
        buf.extend_from_slice(br#","outlets":["#);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            match reg.position(item.outlet.id) {
                Some(at) => buf.extend_from_slice(&self.heads[at]),
                // An outlet of another snapshot cannot reach here (items come from `index`);
                // if one did, serde writes it whole rather than a wrong one being copied.
                None => buf.extend_from_slice(&head(reg, item.outlet)),
            }
            // Rounded as `OutletJson::at` and `along` do, written by serde's own formatter.
            if let Some(d) = item.distance_m {
                buf.extend_from_slice(br#","distance_m":"#);
                write_f64(buf, round_distance(d));
            }
            if let Some(a) = item.along_km {
                buf.extend_from_slice(br#","along_km":"#);
                write_f64(buf, round_along(a));
            }
            let open = item.outlet.hours.is_open_local(when.naive());
            buf.extend_from_slice(if open {
                br#","open_now":true}"#
            } else {
                br#","open_now":false}"#
            });
        }
        buf.extend_from_slice(b"]}");
    }
}

/// The outlet's JSON without the fields a request adds and without its closing `}`.
fn head(reg: &Registry, o: &Outlet) -> Vec<u8> {
    let mut j = OutletJson::at_time(reg, o, LocalTime::now());
    j.open_now = None;
    let mut bytes = serde_json::to_vec(&j).unwrap_or_default();
    // Serialising strings and numbers cannot fail, and `open_now` is the last field (checked by
    // the tests); anything else would be a bug in this module.
    debug_assert!(bytes.ends_with(OPEN_NOW_NULL));
    bytes.truncate(bytes.len().saturating_sub(OPEN_NOW_NULL.len()));
    bytes
}

/// The outlet's map-view array without `open_now` and its closing `]`.
fn row(o: &Outlet) -> Vec<u8> {
    let fields = (
        o.id.0,
        o.location.lat(),
        o.location.lon(),
        o.chain.to_string(),
        &o.name,
        &o.address.street,
        &o.address.postal_code,
        &o.address.city,
        o.municipality.to_string(),
    );
    let mut bytes = serde_json::to_vec(&fields).unwrap_or_default();
    // A tuple serialises as an array; drop its `]` so the request's `open_now` can follow.
    bytes.pop();
    bytes
}

/// A finite number as serde_json writes it (distances are finite: checked inputs, geodesic
/// formulas).
fn write_f64(buf: &mut Vec<u8>, v: f64) {
    // Writing into a Vec cannot fail.
    let _ = CompactFormatter.write_f64(buf, v);
}

/// The rendering of the current snapshot, rebuilt when a request finds the index swapped.
pub struct RenderCache {
    current: ArcSwap<Rendered>,
}

impl RenderCache {
    /// Renders `index` now, so the first request does not.
    pub fn new(index: Arc<OutletIndex>) -> Self {
        RenderCache {
            current: ArcSwap::from_pointee(Rendered::new(index)),
        }
    }

    /// The rendering of `index`. Holding the snapshot's `Arc` keeps a freed snapshot's address
    /// from being mistaken for a new one. Two requests that find it stale may both render; the
    /// results are equal.
    pub fn of(&self, index: &Arc<OutletIndex>) -> Arc<Rendered> {
        let current = self.current.load_full();
        if Arc::ptr_eq(&current.index, index) {
            return current;
        }
        let fresh = Arc::new(Rendered::new(Arc::clone(index)));
        self.current.store(Arc::clone(&fresh));
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::OutletList;
    use chrono::{TimeZone, Utc};

    /// The list as serde writes it: the reference the rendered bytes must equal.
    pub fn serde_list(reg: &Registry, items: &[Listed<'_>], when: LocalTime) -> Vec<u8> {
        let list = OutletList {
            count: items.len(),
            outlets: items.iter().map(|l| l.to_json(reg, when)).collect(),
        };
        serde_json::to_vec(&list).unwrap_or_default()
    }

    fn bundled() -> Arc<OutletIndex> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let reg = crate::registry::load_dir(&dir).expect("bundled data");
        Arc::new(OutletIndex::new(Arc::new(reg)))
    }

    #[test]
    fn rendered_lists_equal_serde_for_every_bundled_outlet() {
        let index = bundled();
        let rendered = Rendered::new(Arc::clone(&index));
        let reg = index.registry();
        // A weekday evening and a Sunday morning: some outlets open, some closed, at each.
        for t in [
            Utc.with_ymd_and_hms(2026, 11, 24, 17, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 6, 7, 6, 15, 0).unwrap(),
        ] {
            let when = LocalTime::of(t);
            let distances = [0.0, 0.04, 219.55, 1234.5678, 49_999.95, 1e6 / 3.0];
            let items: Vec<Listed> = reg
                .outlets()
                .iter()
                .enumerate()
                .map(|(i, o)| Listed {
                    outlet: o,
                    distance_m: (i % 3 != 0).then(|| distances[i % distances.len()]),
                    along_km: (i % 3 == 2).then_some(i as f64 * 0.1234567),
                })
                .collect();
            let mut buf = Vec::new();
            rendered.write_list(&mut buf, &items, when);
            let want = serde_list(reg, &items, when);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
        let mut empty = Vec::new();
        rendered.write_list(&mut empty, &[], LocalTime::now());
        assert_eq!(empty, serde_list(reg, &[], LocalTime::now()));
    }

    #[test]
    fn the_map_view_equals_serde_for_every_bundled_outlet() {
        let index = bundled();
        let rendered = Rendered::new(Arc::clone(&index));
        let reg = index.registry();
        let when = LocalTime::of(Utc.with_ymd_and_hms(2026, 11, 24, 17, 30, 0).unwrap());
        let items: Vec<Listed> = reg.outlets().iter().map(Listed::plain).collect();
        let mut buf = Vec::new();
        rendered.write_map(&mut buf, &items, when);
        let rows: Vec<serde_json::Value> = reg
            .outlets()
            .iter()
            .map(|o| {
                serde_json::json!([
                    o.id.0,
                    o.location.lat(),
                    o.location.lon(),
                    o.chain.to_string(),
                    o.name,
                    o.address.street,
                    o.address.postal_code,
                    o.address.city,
                    o.municipality.to_string(),
                    o.hours.is_open_local(when.naive()),
                ])
            })
            .collect();
        let want = serde_json::json!({"count": rows.len(), "fields": MAP_FIELDS, "outlets": rows});
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
    }

    #[test]
    fn list_tags_follow_content_query_variant_and_open_state() {
        let index = bundled();
        let rendered = Rendered::new(Arc::clone(&index));
        let reg = index.registry();
        let items: Vec<Listed> = reg.outlets().iter().map(Listed::plain).collect();
        let evening = LocalTime::of(Utc.with_ymd_and_hms(2026, 11, 24, 17, 30, 0).unwrap());
        let night = LocalTime::of(Utc.with_ymd_and_hms(2026, 11, 25, 1, 30, 0).unwrap());
        let t = rendered.tag("map", "", &items, evening);
        assert_eq!(t, rendered.tag("map", "", &items, evening));
        assert_ne!(t, rendered.tag("json", "", &items, evening));
        assert_ne!(t, rendered.tag("map", "chain=k-market", &items, evening));
        assert_ne!(t, rendered.tag("map", "", &items, night), "outlets closed");
        // Another snapshot with one outlet renamed.
        let mut outlets = reg.outlets().to_vec();
        outlets[0].name.push_str(" uusi");
        let changed =
            crate::registry::Registry::new(reg.chains().cloned().collect(), outlets).unwrap();
        let other = Rendered::new(Arc::new(OutletIndex::new(Arc::new(changed))));
        let other_items: Vec<Listed> = other
            .index()
            .registry()
            .outlets()
            .iter()
            .map(Listed::plain)
            .collect();
        assert_ne!(t, other.tag("map", "", &other_items, evening));
    }

    #[test]
    fn the_cache_follows_the_current_snapshot() {
        let a = bundled();
        let cache = RenderCache::new(Arc::clone(&a));
        assert!(Arc::ptr_eq(cache.of(&a).index(), &a));
        let first = cache.of(&a);
        assert!(
            Arc::ptr_eq(&first, &cache.of(&a)),
            "no re-render while current"
        );
        let b = Arc::new(OutletIndex::new(Arc::clone(a.registry())));
        assert!(
            Arc::ptr_eq(cache.of(&b).index(), &b),
            "re-rendered for a new snapshot"
        );
    }
}
