//! The solvers on a bare instance (demand points with weights, candidate points).

use crate::planning::sphere::{self, dot, Unit};
use crate::planning::{bad, check_radius, PlanError};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A siting instance: demand points with weights (households) and candidate sites.
#[derive(Debug, Clone, Default)]
pub struct SiteInstance {
    /// Demand points (unit vectors).
    pub demand: Vec<Unit>,
    /// Weight of each demand point.
    pub weights: Vec<u64>,
    /// Candidate sites (unit vectors).
    pub candidates: Vec<Unit>,
}

/// A set of chosen candidates and its objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Indices into the candidates, ascending.
    pub chosen: Vec<usize>,
    /// MCLP: covered weight. p-median: weighted sum of great-circle metres.
    pub objective: f64,
}

fn check(inst: &SiteInstance, p: usize) -> Result<(), PlanError> {
    if inst.weights.len() != inst.demand.len() {
        return Err(bad("weights", "one weight per demand point"));
    }
    if p == 0 {
        return Err(bad("p", "must be at least 1"));
    }
    if p > inst.candidates.len() {
        return Err(bad(
            "p",
            format!("{p} is more than the {} candidates", inst.candidates.len()),
        ));
    }
    Ok(())
}

/// For each candidate, the demand points within the covering distance.
fn cover_lists(inst: &SiteInstance, distance_m: f64) -> Vec<Vec<u32>> {
    let tree = RTree::bulk_load(
        inst.demand
            .iter()
            .enumerate()
            .filter(|(i, _)| inst.weights[*i] > 0)
            .map(|(i, v)| GeomWithData::new(*v, i as u32))
            .collect(),
    );
    let min_dot = sphere::dot_of_metres(distance_m);
    let chord2 = 2.0 - 2.0 * min_dot;
    inst.candidates
        .par_iter()
        .map(|c| {
            let mut v: Vec<u32> = tree
                .locate_within_distance(*c, chord2 * (1.0 + 1e-9))
                .filter(|d| dot(c, d.geom()) >= min_dot)
                .map(|d| d.data)
                .collect();
            v.sort_unstable();
            v
        })
        .collect()
}

/// Maximal covering: choose `p` candidates maximising the weight of demand within `distance_m`.
/// Lazy greedy (gains only fall as sites are added), then best-improvement vertex substitution.
pub fn mclp(inst: &SiteInstance, p: usize, distance_m: f64) -> Result<Solution, PlanError> {
    check(inst, p)?;
    check_radius("distance", distance_m)?;
    let lists = cover_lists(inst, distance_m);
    let w = &inst.weights;
    let m = inst.candidates.len();
    let mut covered = vec![false; inst.demand.len()];
    let gain = |k: usize, covered: &[bool]| -> u64 {
        lists[k]
            .iter()
            .filter(|&&i| !covered[i as usize])
            .map(|&i| w[i as usize])
            .sum()
    };
    let init: Vec<u64> = (0..m).into_par_iter().map(|k| gain(k, &covered)).collect();
    let mut heap: BinaryHeap<(u64, Reverse<usize>, usize)> = init
        .iter()
        .enumerate()
        .map(|(k, &g)| (g, Reverse(k), 0))
        .collect();
    let mut chosen = Vec::with_capacity(p);
    while chosen.len() < p {
        let Some((g, Reverse(k), stamp)) = heap.pop() else {
            break;
        };
        if stamp == chosen.len() {
            chosen.push(k);
            for &i in &lists[k] {
                covered[i as usize] = true;
            }
        } else {
            let g2 = gain(k, &covered);
            debug_assert!(g2 <= g);
            heap.push((g2, Reverse(k), chosen.len()));
        }
    }
    swap_search_mclp(&lists, w, m, &mut chosen);
    // Iterated local search: a 1-swap optimum is rarely global. Kick the best set (replace a few
    // sites by random candidates), search again, keep what improves; seeded, so repeatable.
    let mut best = covered_weight(&lists, w, &chosen);
    if m > p {
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0x6d63_6c70);
        let kick = (p / 25).clamp(1, 4);
        for _ in 0..MCLP_KICKS {
            let mut trial = chosen.clone();
            for _ in 0..kick {
                let a = rand::Rng::gen_range(&mut rng, 0..p);
                let k = loop {
                    let k = rand::Rng::gen_range(&mut rng, 0..m);
                    if !trial.contains(&k) {
                        break k;
                    }
                };
                trial[a] = k;
            }
            swap_search_mclp(&lists, w, m, &mut trial);
            let obj = covered_weight(&lists, w, &trial);
            if obj > best {
                (best, chosen) = (obj, trial);
            }
        }
    }
    chosen.sort_unstable();
    let objective = covered_weight(&lists, w, &chosen) as f64;
    Ok(Solution { chosen, objective })
}

/// Kicks of the MCLP iterated local search.
const MCLP_KICKS: usize = 40;

/// The weight of demand covered by a set of candidates.
fn covered_weight(lists: &[Vec<u32>], w: &[u64], chosen: &[usize]) -> u64 {
    let mut cov = vec![false; w.len()];
    let mut sum = 0;
    for &k in chosen {
        for &i in &lists[k] {
            if !std::mem::replace(&mut cov[i as usize], true) {
                sum += w[i as usize];
            }
        }
    }
    sum
}

/// Vertex substitution: repeatedly make the single swap (out j, in k) that gains most.
fn swap_search_mclp(lists: &[Vec<u32>], w: &[u64], m: usize, chosen: &mut [usize]) {
    let n = w.len();
    let p = chosen.len();
    let max_rounds = 20 * p + 100;
    for _ in 0..max_rounds {
        let mut pos = vec![u32::MAX; m];
        for (a, &k) in chosen.iter().enumerate() {
            pos[k] = a as u32;
        }
        // cnt: how many chosen cover i; who: the sum of their positions (the one, when cnt = 1).
        let mut cnt = vec![0u32; n];
        let mut who = vec![0u64; n];
        for (a, &k) in chosen.iter().enumerate() {
            for &i in &lists[k] {
                cnt[i as usize] += 1;
                who[i as usize] += a as u64;
            }
        }
        let mut loss = vec![0i64; p];
        for (a, &k) in chosen.iter().enumerate() {
            loss[a] = lists[k]
                .iter()
                .filter(|&&i| cnt[i as usize] == 1)
                .map(|&i| w[i as usize] as i64)
                .sum();
        }
        // The site whose removal loses least; ties to the lowest position.
        let (amin, lmin) = loss
            .iter()
            .enumerate()
            .map(|(a, &l)| (a, l))
            .min_by_key(|&(a, l)| (l, a))
            .unwrap_or((0, 0));
        // Gain of swapping k in for a = g + extra[a] − loss[a], where extra[a] is what only a
        // covers among k's demand. Only the a that k touches have extra > 0; of the others the
        // best is amin, so those plus amin are all that need looking at.
        let best = (0..m)
            .into_par_iter()
            .filter(|&k| pos[k] == u32::MAX)
            .map_init(
                || (vec![0i64; p], Vec::<usize>::new()),
                |(extra, touched), k| {
                    let mut g = 0i64;
                    for &i in &lists[k] {
                        let i = i as usize;
                        match cnt[i] {
                            0 => g += w[i] as i64,
                            1 => {
                                let a = who[i] as usize;
                                if extra[a] == 0 {
                                    touched.push(a);
                                }
                                extra[a] += w[i] as i64;
                            }
                            _ => {}
                        }
                    }
                    let mut top = (g + extra[amin] - lmin, Reverse(amin));
                    for &a in touched.iter() {
                        top = top.max((g + extra[a] - loss[a], Reverse(a)));
                    }
                    for &a in touched.iter() {
                        extra[a] = 0;
                    }
                    touched.clear();
                    (top.0, Reverse(k), top.1 .0)
                },
            )
            .max();
        match best {
            Some((d, Reverse(k), a)) if d > 0 => chosen[a] = k,
            _ => return,
        }
    }
}

/// Brute force over every p-subset: the exact MCLP optimum of a small instance.
pub fn mclp_brute_force(
    inst: &SiteInstance,
    p: usize,
    distance_m: f64,
) -> Result<Solution, PlanError> {
    check(inst, p)?;
    check_radius("distance", distance_m)?;
    let lists = cover_lists(inst, distance_m);
    let mut best = Solution {
        chosen: vec![],
        objective: -1.0,
    };
    for_each_subset(inst.candidates.len(), p, &mut |s| {
        let mut cov = vec![false; inst.demand.len()];
        for &k in s {
            for &i in &lists[k] {
                cov[i as usize] = true;
            }
        }
        let obj: f64 = cov
            .iter()
            .zip(&inst.weights)
            .filter(|(c, _)| **c)
            .map(|(_, &w)| w as f64)
            .sum();
        if obj > best.objective {
            best = Solution {
                chosen: s.to_vec(),
                objective: obj,
            };
        }
    });
    Ok(best)
}

fn for_each_subset(m: usize, p: usize, f: &mut dyn FnMut(&[usize])) {
    let mut idx: Vec<usize> = (0..p).collect();
    loop {
        f(&idx);
        let mut i = p;
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            if idx[i] < m - p + i {
                idx[i] += 1;
                for j in i + 1..p {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
        }
    }
}

/// Cost of serving a demand point from dot product `d`, metres; no server at all costs half the
/// Earth's circumference so that the first site always pays.
fn cost(d: f64) -> f64 {
    sphere::metres_from_dot(d)
}

/// p-median: choose `p` candidates minimising Σ weight × distance to the nearest site, where
/// `existing` (dot products to the existing network, per demand point) can already serve.
/// Greedy with lazy evaluation, then vertex substitution until no swap improves.
pub fn p_median(
    inst: &SiteInstance,
    p: usize,
    existing: Option<&[f64]>,
) -> Result<Solution, PlanError> {
    check(inst, p)?;
    let n = inst.demand.len();
    if existing.is_none() && n.saturating_mul(inst.candidates.len()) > 200_000_000 {
        return Err(bad(
            "candidates",
            "p-median without an existing network is limited to 200 million demand × candidate pairs: give fewer candidates",
        ));
    }
    let base: Vec<f64> = match existing {
        Some(e) => e.to_vec(),
        None => vec![-1.0; n],
    };
    // For each candidate: the demand points it would serve better than the existing network.
    let lists: Vec<Vec<(u32, f64)>> = inst
        .candidates
        .par_iter()
        .map(|c| {
            inst.demand
                .iter()
                .enumerate()
                .filter(|(i, _)| inst.weights[*i] > 0)
                .filter_map(|(i, d)| {
                    let x = dot(c, d);
                    (x > base[i]).then_some((i as u32, x))
                })
                .collect()
        })
        .collect();
    let w = &inst.weights;
    let total =
        |best: &[f64]| -> f64 { best.iter().zip(w).map(|(&b, &w)| w as f64 * cost(b)).sum() };
    let gain = |k: usize, best: &[f64]| -> f64 {
        lists[k]
            .iter()
            .filter(|(i, x)| *x > best[*i as usize])
            .map(|&(i, x)| w[i as usize] as f64 * (cost(best[i as usize]) - cost(x)))
            .sum()
    };
    let mut best = base.clone();
    let mut chosen: Vec<usize> = Vec::with_capacity(p);
    // Lazy greedy: a stale gain is an upper bound, so a refreshed gain still on top is the best.
    let mut heap: BinaryHeap<(Ord64, Reverse<usize>, usize)> = (0..inst.candidates.len())
        .into_par_iter()
        .map(|k| (Ord64(gain(k, &best)), Reverse(k), 0))
        .collect::<Vec<_>>()
        .into();
    while chosen.len() < p {
        let Some((_, Reverse(k), stamp)) = heap.pop() else {
            break;
        };
        if stamp == chosen.len() {
            chosen.push(k);
            for &(i, x) in &lists[k] {
                if x > best[i as usize] {
                    best[i as usize] = x;
                }
            }
        } else {
            heap.push((Ord64(gain(k, &best)), Reverse(k), chosen.len()));
        }
    }
    // Vertex substitution from the greedy start and a few seeded random starts: a 1-swap local
    // optimum of p-median is often not global, and the restarts are cheap next to the lists.
    let serve = |set: &[usize]| -> Vec<f64> {
        let mut b = base.clone();
        for &k in set {
            for &(i, x) in &lists[k] {
                if x > b[i as usize] {
                    b[i as usize] = x;
                }
            }
        }
        b
    };
    let local_search = |mut chosen: Vec<usize>| -> (f64, Vec<usize>) {
        let mut obj = total(&serve(&chosen));
        let mut improved = true;
        let mut rounds = 0;
        while improved && rounds < 10 * p + 10 {
            improved = false;
            rounds += 1;
            for a in 0..chosen.len() {
                let rest: Vec<usize> = chosen
                    .iter()
                    .enumerate()
                    .filter(|(b, _)| *b != a)
                    .map(|(_, &k)| k)
                    .collect();
                let b = serve(&rest);
                let without = total(&b);
                let cand = (0..inst.candidates.len())
                    .into_par_iter()
                    .filter(|k| !chosen.contains(k))
                    .map(|k| (gain(k, &b), Reverse(k)))
                    .max_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                if let Some((g, Reverse(k))) = cand {
                    if without - g < obj - 1e-9 * obj.abs().max(1.0) {
                        chosen[a] = k;
                        obj = without - g;
                        improved = true;
                    }
                }
            }
        }
        (obj, chosen)
    };
    let (mut best_obj, mut best_set) = local_search(chosen);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0x5eed);
    for _ in 0..P_MEDIAN_RESTARTS {
        let start = rand::seq::index::sample(&mut rng, inst.candidates.len(), p).into_vec();
        let (o, s) = local_search(start);
        if o < best_obj {
            (best_obj, best_set) = (o, s);
        }
    }
    let mut chosen = best_set;
    chosen.sort_unstable();
    let objective = total(&serve(&chosen));
    Ok(Solution { chosen, objective })
}

/// Random restarts of the p-median local search after the greedy start.
const P_MEDIAN_RESTARTS: usize = 8;

/// Brute force over every p-subset: the exact p-median optimum of a small instance.
pub fn p_median_brute_force(inst: &SiteInstance, p: usize) -> Result<Solution, PlanError> {
    check(inst, p)?;
    let mut best = Solution {
        chosen: vec![],
        objective: f64::INFINITY,
    };
    for_each_subset(inst.candidates.len(), p, &mut |s| {
        let obj: f64 = inst
            .demand
            .iter()
            .zip(&inst.weights)
            .map(|(d, &w)| {
                let x = s
                    .iter()
                    .map(|&k| dot(d, &inst.candidates[k]))
                    .fold(-1.0, f64::max);
                w as f64 * cost(x)
            })
            .sum();
        if obj < best.objective {
            best = Solution {
                chosen: s.to_vec(),
                objective: obj,
            };
        }
    });
    Ok(best)
}

/// An f64 ordered by `total_cmp`, for the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ord64(f64);

impl Eq for Ord64 {}

impl PartialOrd for Ord64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ord64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;
    use rand::{Rng, SeedableRng};

    fn instance(seed: u64, n: usize, m: usize) -> SiteInstance {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let pt = |rng: &mut rand_chacha::ChaCha8Rng| {
            sphere::unit(LonLat::new(rng.gen_range(24.0..26.0), rng.gen_range(60.2..61.2)).unwrap())
        };
        SiteInstance {
            demand: (0..n).map(|_| pt(&mut rng)).collect(),
            weights: (0..n).map(|_| rng.gen_range(0..200)).collect(),
            candidates: (0..m).map(|_| pt(&mut rng)).collect(),
        }
    }

    #[test]
    fn mclp_reaches_the_brute_force_optimum_on_small_instances() {
        for seed in 0..6 {
            let inst = instance(seed, 300, 14);
            for p in [2, 3, 4] {
                let ours = mclp(&inst, p, 15_000.0).unwrap();
                let best = mclp_brute_force(&inst, p, 15_000.0).unwrap();
                assert_eq!(ours.objective, best.objective, "seed {seed} p {p}");
            }
        }
    }

    #[test]
    fn p_median_reaches_the_brute_force_optimum_on_small_instances() {
        for seed in 0..6 {
            let inst = instance(seed, 200, 12);
            for p in [1, 2, 3] {
                let ours = p_median(&inst, p, None).unwrap();
                let best = p_median_brute_force(&inst, p).unwrap();
                assert!(
                    (ours.objective - best.objective).abs() <= 1e-9 * best.objective,
                    "seed {seed} p {p}: {} vs {}",
                    ours.objective,
                    best.objective
                );
            }
        }
    }

    #[test]
    fn p_larger_than_candidates_and_bad_radius_are_refused() {
        let inst = instance(1, 10, 3);
        assert!(matches!(
            mclp(&inst, 4, 1000.0),
            Err(PlanError::BadParam { field: "p", .. })
        ));
        assert!(matches!(
            mclp(&inst, 0, 1000.0),
            Err(PlanError::BadParam { field: "p", .. })
        ));
        assert!(matches!(
            mclp(&inst, 2, 0.0),
            Err(PlanError::BadParam {
                field: "distance",
                ..
            })
        ));
        assert!(matches!(
            mclp(&inst, 2, -5.0),
            Err(PlanError::BadParam { .. })
        ));
        assert!(p_median(&inst, 4, None).is_err());
    }
}
