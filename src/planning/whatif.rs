//! What-if: open outlets at points and/or close outlets by id; the change in coverage and, per
//! outlet, the households its catchment gains or loses (cannibalisation).

use super::coverage::{check_bands, row, CoverageRow};
use super::{bad, describe, sphere, PlanContext, PlanError};
use crate::density::{Count, Tally};
use crate::model::{ChainId, LonLat, OutletId};
use crate::spatial::Filter;
use serde::Serialize;
use std::collections::HashSet;

/// An outlet to open.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NewOutlet {
    /// Where.
    pub location: LonLat,
    /// Its chain (must exist in the registry).
    pub chain: ChainId,
}

/// One outlet's catchment before and after.
#[derive(Debug, Clone, Serialize)]
pub struct OutletChange {
    /// The outlet; `None` for an opened one.
    pub outlet: Option<OutletId>,
    /// Its name (`new <chain> #n` for opened ones).
    pub name: String,
    /// Its chain.
    pub chain: ChainId,
    /// Open, closed or kept.
    pub status: &'static str,
    /// Households in its catchment before.
    pub households_before: Count,
    /// Households in its catchment after.
    pub households_after: Count,
    /// Households that moved into its catchment.
    pub gained: Count,
    /// Households that moved out of it.
    pub lost: Count,
}

/// The what-if report.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfReport {
    /// The selection.
    pub selection: String,
    /// Coverage before.
    pub before: CoverageRow,
    /// Coverage after.
    pub after: CoverageRow,
    /// Outlets whose catchment changed (and every opened or closed one), largest change first.
    pub changes: Vec<OutletChange>,
}

/// Opens `open` and closes `close` among the outlets `filter` selects.
pub fn what_if(
    ctx: &PlanContext,
    filter: &Filter,
    open: &[NewOutlet],
    close: &[OutletId],
    bands_m: &[f64],
) -> Result<WhatIfReport, PlanError> {
    let bands_m = check_bands(bands_m)?;
    let reg = ctx.registry();
    let outlets = ctx.select(filter);
    let selected: HashSet<OutletId> = outlets.iter().map(|o| o.id).collect();
    for id in close {
        if reg.outlet(*id).is_none() {
            return Err(PlanError::UnknownOutlet(*id));
        }
        if !selected.contains(id) {
            return Err(bad(
                "close",
                format!("outlet {id} is not among {}", describe(filter)),
            ));
        }
    }
    for n in open {
        if reg.chain(&n.chain).is_none() {
            return Err(bad("open", format!("unknown chain `{}`", n.chain)));
        }
    }
    if open.is_empty() && close.is_empty() {
        return Err(bad(
            "open/close",
            "give at least one outlet to open or close",
        ));
    }
    let closed: HashSet<OutletId> = close.iter().copied().collect();
    // Sites: the selected outlets, then the opened ones.
    let mut names: Vec<(Option<OutletId>, String, ChainId)> = outlets
        .iter()
        .map(|o| (Some(o.id), o.name.clone(), o.chain.clone()))
        .collect();
    let mut locs: Vec<LonLat> = outlets.iter().map(|o| o.location).collect();
    let before_sites = locs.clone();
    for (k, n) in open.iter().enumerate() {
        names.push((None, format!("new {} #{}", n.chain, k + 1), n.chain.clone()));
        locs.push(n.location);
    }
    let after_idx: Vec<usize> = (0..locs.len())
        .filter(|&i| names[i].0.is_none_or(|id| !closed.contains(&id)))
        .collect();
    if after_idx.is_empty() {
        return Err(bad(
            "close",
            "closing every outlet leaves nothing to plan with",
        ));
    }
    let near_before = ctx.assign(&before_sites);
    let after_locs: Vec<LonLat> = after_idx.iter().map(|&i| locs[i]).collect();
    let near_after = ctx.assign(&after_locs);
    let cells = ctx.grid().cells();
    let dist = |n: &Option<super::nearest::Nearest>| {
        n.map_or(f64::INFINITY, |n| sphere::metres_from_dot(n.dot))
    };
    let before = row(
        "before".into(),
        describe(filter),
        before_sites.len(),
        cells
            .iter()
            .zip(&near_before)
            .map(|(c, n)| (c.tally(), dist(n))),
        &bands_m,
    );
    let after = row(
        "after".into(),
        describe(filter),
        after_locs.len(),
        cells
            .iter()
            .zip(&near_after)
            .map(|(c, n)| (c.tally(), dist(n))),
        &bands_m,
    );
    // Per site, the sets of cells (as tallies): before, after, gained, lost. Each is published on
    // its own through the cell-key method, like every other figure; a closed outlet's `after` is
    // the empty set, so it reads 0.
    let mut acc = vec![[Tally::default(); 4]; locs.len()];
    for ((c, b), a) in cells.iter().zip(&near_before).zip(&near_after) {
        let t = c.tally();
        let b = b.map(|n| n.site as usize);
        let a = a.map(|n| after_idx[n.site as usize]);
        if let Some(b) = b {
            acc[b][0] += t;
        }
        if let Some(a) = a {
            acc[a][1] += t;
        }
        if a != b {
            if let Some(b) = b {
                acc[b][3] += t;
            }
            if let Some(a) = a {
                acc[a][2] += t;
            }
        }
    }
    let mut changes: Vec<(u64, OutletChange)> = names
        .into_iter()
        .zip(acc)
        .filter(|((id, _, _), [_, _, g, l])| {
            g.hh() > 0 || l.hh() > 0 || id.is_none() || id.is_some_and(|i| closed.contains(&i))
        })
        .map(|((id, name, chain), [b, a, g, l])| {
            let status = match id {
                None => "opened",
                Some(i) if closed.contains(&i) => "closed",
                Some(_) => "kept",
            };
            let (gained, lost): (Count, Count) = (g.households(), l.households());
            (
                // Ranked by the published figures, so the order tells nothing they do not.
                gained.shown().unwrap_or(0).max(lost.shown().unwrap_or(0)),
                OutletChange {
                    outlet: id,
                    name,
                    chain,
                    status,
                    households_before: b.households(),
                    households_after: a.households(),
                    gained,
                    lost,
                },
            )
        })
        .collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.0));
    Ok(WhatIfReport {
        selection: describe(filter),
        before,
        after,
        changes: changes.into_iter().map(|c| c.1).collect(),
    })
}
