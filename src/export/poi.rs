//! The points every format writes: selected outlets grouped by chain, with their descriptions.
//!
//! A [`PoiSet`] keeps both views: [`PoiSet::iter`] gives the points in selection order (the route's
//! order for `ids=` and along-route selections), and [`PoiSet::groups`] gives them by chain for the
//! formats that need a category per chain (KML folders, GPI categories, one Garmin CSV per chain),
//! each group in selection order too.

use super::{ExportContext, ExportError, Format, Selected};
use crate::i18n::{msg, HoursInWords, Lang};
use crate::model::{Chain, LonLat, Outlet};
use crate::offers::{Benefit, Offer};
use rayon::prelude::*;
use std::collections::HashMap;

/// One outlet ready to be written.
#[derive(Debug, Clone)]
pub struct Poi<'a> {
    /// The outlet.
    pub outlet: &'a Outlet,
    /// Its chain.
    pub chain: &'a Chain,
    /// Offers valid at it on the export day: store, chain, network level.
    pub offers: Vec<&'a Offer>,
    /// Description lines: address, phone, opening hours, offers.
    pub lines: Vec<String>,
}

impl Poi<'_> {
    /// The description on one line, parts separated by ` | ` (GPI, CSV comments).
    pub fn one_line(&self) -> String {
        self.lines.join(" | ")
    }
}

/// The points of one chain.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// The chain.
    pub chain: &'a Chain,
    /// Its points, in selection order (by id, or along the route).
    pub pois: Vec<Poi<'a>>,
}

/// Prepared points, grouped by chain (chains sorted by id), remembering the selection order.
#[derive(Debug, Clone)]
pub struct PoiSet<'a> {
    /// One group per chain with at least one point.
    pub groups: Vec<Group<'a>>,
    /// Every point as (group, index in its group), in selection order.
    order: Vec<(u32, u32)>,
    /// The route the points were selected along, if any (GPX writes it as a track).
    pub route: Option<Vec<LonLat>>,
}

/// How much of each point a set of formats needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Descriptions and offers (every format but OV2).
    Full,
    /// Name, phone and position only: no offer look-up, no description lines (OV2).
    Bare,
}

impl Detail {
    /// What `formats` need: [`Detail::Bare`] only if none of them writes descriptions.
    pub fn for_formats(formats: &[Format]) -> Detail {
        if formats.iter().all(|f| *f == Format::Ov2) {
            Detail::Bare
        } else {
            Detail::Full
        }
    }
}

/// An offer as a customer reads it in `lang`: `Kahvi -30 %`, or `Kahvi (-30 %)` when the title
/// does not already say the benefit (titles are the retailer's own words, in their language).
pub fn describe_offer(o: &Offer, lang: Lang) -> String {
    let benefit = match &o.benefit {
        Benefit::Discount { percent } => {
            msg(lang, "offer-discount", &[("percent", (*percent).into())])
        }
        Benefit::ExtraPoints { points } => {
            msg(lang, "offer-points", &[("points", (*points).into())])
        }
    };
    if title_says(&o.title, &o.benefit) {
        o.title.clone()
    } else {
        msg(
            lang,
            "offer-with-benefit",
            &[
                ("title", o.title.as_str().into()),
                ("benefit", (&benefit).into()),
            ],
        )
    }
}

/// Does `title` already state `benefit` (`-30 %`, `−30%`, `300 lisäpistettä`)?
fn title_says(title: &str, benefit: &Benefit) -> bool {
    let t: String = title
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{2212}' | '\u{2013}' | '\u{2010}' | '\u{2011}' => '-',
            c => c,
        })
        .collect();
    match benefit {
        Benefit::Discount { percent } => t.contains(&format!("-{percent}%")),
        Benefit::ExtraPoints { points } => {
            let n = points.to_string();
            // The number standing alone, not inside a longer one.
            title
                .split(|c: char| !c.is_ascii_digit())
                .any(|part| part == n)
        }
    }
}

impl<'a> PoiSet<'a> {
    /// Groups the selected outlets by chain and writes their descriptions. Errors on an empty
    /// selection, so no format ever writes an empty file.
    pub fn prepare(
        selected: &Selected<'a>,
        ctx: &ExportContext<'a>,
    ) -> Result<PoiSet<'a>, ExportError> {
        Self::prepare_with(selected, ctx, &|| {})
    }

    /// As [`PoiSet::prepare`], calling `on_outlet` once per outlet done (for progress bars).
    pub fn prepare_with(
        selected: &Selected<'a>,
        ctx: &ExportContext<'a>,
        on_outlet: &(dyn Fn() + Sync),
    ) -> Result<PoiSet<'a>, ExportError> {
        Self::prepare_detail(selected, ctx, Detail::Full, on_outlet)
    }

    /// As [`PoiSet::prepare_with`], writing descriptions and looking up offers only if `detail`
    /// is [`Detail::Full`] (OV2 writes neither, and the offer look-up is most of the work).
    pub fn prepare_detail(
        selected: &Selected<'a>,
        ctx: &ExportContext<'a>,
        detail: Detail,
        on_outlet: &(dyn Fn() + Sync),
    ) -> Result<PoiSet<'a>, ExportError> {
        if selected.outlets.is_empty() {
            return Err(ExportError::EmptySelection(selected.description.clone()));
        }
        let lang = ctx.options.lang;
        // Each offer's text, written once: most apply at hundreds of outlets.
        let described: HashMap<&str, String> = match detail {
            Detail::Full => ctx
                .offers
                .offers()
                .iter()
                .filter(|o| o.valid_from <= ctx.day && ctx.day <= o.valid_to)
                .map(|o| (o.id.as_str(), describe_offer(o, lang)))
                .collect(),
            Detail::Bare => HashMap::new(),
        };
        // Each distinct schedule in words, once: a network has a few dozen.
        let mut hours: HashMap<&str, HoursInWords> = HashMap::new();
        if detail == Detail::Full {
            for o in &selected.outlets {
                let key = o.hours.as_str();
                if !hours.contains_key(key) {
                    hours.insert(key, HoursInWords::new(&o.hours, ctx.day, lang));
                }
            }
        }
        let bare = |o: &'a Outlet| {
            on_outlet();
            Poi {
                outlet: o,
                chain: ctx.registry.chain_of(o),
                offers: Vec::new(),
                lines: Vec::new(),
            }
        };
        let pois: Vec<Poi<'a>> = if detail == Detail::Bare {
            // Too little work per point to be worth the thread pool.
            selected.outlets.iter().map(|&o| bare(o)).collect()
        } else {
            selected
                .outlets
                .par_iter()
                .map(|&o| {
                    let chain = ctx.registry.chain_of(o);
                    let offers = ctx.offers.offers_at(o, ctx.day, None);
                    let mut lines = vec![o.address.to_string()];
                    if !o.phone.is_empty() {
                        lines.push(msg(
                            lang,
                            "desc-phone",
                            &[("phone", o.phone.as_str().into())],
                        ));
                    }
                    let words = hours
                        .get(o.hours.as_str())
                        .cloned()
                        .unwrap_or_else(|| HoursInWords::new(&o.hours, ctx.day, lang));
                    lines.push(msg(lang, "desc-hours", &[("hours", (&words.week).into())]));
                    if !words.exceptions.is_empty() {
                        lines.push(msg(
                            lang,
                            "desc-exceptions",
                            &[("days", (&words.exceptions).into())],
                        ));
                    }
                    // Each offer once, even when a store and its chain run the same one.
                    let mut texts: Vec<String> = Vec::with_capacity(offers.len());
                    for f in &offers {
                        let t = match described.get(f.id.as_str()) {
                            Some(text) => text.clone(),
                            None => describe_offer(f, lang),
                        };
                        if !texts.contains(&t) {
                            texts.push(t);
                        }
                    }
                    if !texts.is_empty() {
                        let joined = texts.join("; ");
                        lines.push(msg(lang, "desc-offers", &[("offers", (&joined).into())]));
                    }
                    on_outlet();
                    Poi {
                        outlet: o,
                        chain,
                        offers,
                        lines,
                    }
                })
                .collect()
        };
        let mut groups: Vec<Group<'a>> = Vec::new();
        let mut chains: Vec<&Chain> = pois.iter().map(|p| p.chain).collect();
        chains.sort_by(|a, b| a.id.cmp(&b.id));
        chains.dedup_by(|a, b| a.id == b.id);
        for c in &chains {
            groups.push(Group {
                chain: c,
                pois: Vec::new(),
            });
        }
        let mut order = Vec::with_capacity(pois.len());
        for p in pois {
            // Every chain of a point is in `chains` by construction, so the search succeeds.
            if let Ok(i) = chains.binary_search_by(|c| c.id.cmp(&p.chain.id)) {
                order.push((i as u32, groups[i].pois.len() as u32));
                groups[i].pois.push(p);
            }
        }
        Ok(PoiSet {
            groups,
            order,
            route: selected.route.clone(),
        })
    }

    /// Every point in selection order: by id, or along the route for route selections.
    pub fn iter(&self) -> impl Iterator<Item = &Poi<'a>> {
        self.order
            .iter()
            .map(|&(g, i)| &self.groups[g as usize].pois[i as usize])
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.pois.len()).sum()
    }

    /// True if there are no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The set holding only one group (for one-file-per-chain exports).
    pub fn only(&self, i: usize) -> PoiSet<'a> {
        let group = self.groups[i].clone();
        let order = (0..group.pois.len() as u32).map(|j| (0, j)).collect();
        PoiSet {
            groups: vec![group],
            order,
            route: self.route.clone(),
        }
    }
}
