// storenet web map: search as you type over the outlets the page holds. Accent- and
// case-insensitive ("karkola" finds Kärkölä), every word of the query must start a word of the
// outlet's name, chain, municipality, postcode, street or city, with one typo allowed in words of
// 4–6 letters and two from 7 letters ("jyvaskla", "citymarkt"). Fuzzy libraries such as Fuse.js
// score whole strings, which ranks "k market pori" poorly; word-prefix matching with a bounded
// edit distance is what a store finder needs and fits in a page without a build step.
'use strict';

(function () {
  // "Kärkölä, K-Market" → ["karkola", "k", "market"].
  function words(s) {
    return String(s).normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase()
      .split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  // Restricted Damerau–Levenshtein (optimal string alignment) distance, stopping past `max`.
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let prev2 = null;
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
        cur.push(v);
        if (v < best) best = v;
      }
      if (best > max) return max + 1;
      prev2 = prev;
      prev = cur;
    }
    return prev[b.length];
  }

  function allowedTypos(q) {
    if (q.length >= 7) return 2;
    if (q.length >= 4) return 1;
    return 0;
  }

  // The cost of query word `q` against outlet word `w`: 0 for a prefix, the typos for a near
  // prefix, or Infinity.
  function wordCost(q, w) {
    if (w.startsWith(q)) return w.length === q.length ? 0 : 0.1;
    const max = allowedTypos(q);
    if (!max) return Infinity;
    let best = Infinity;
    for (let len = q.length - max; len <= q.length + max; len++) {
      if (len < 1 || len > w.length) continue;
      const d = distance(q, w.slice(0, len), max);
      if (d <= max && d < best) best = d;
    }
    return best;
  }

  // A matcher for one query: returns the cost of an indexed outlet (lower is better) or Infinity.
  function matcher(query) {
    const qs = words(query);
    return (indexed) => {
      if (!qs.length) return Infinity;
      let total = 0;
      for (const q of qs) {
        let best = Infinity;
        for (const w of indexed) {
          const c = wordCost(q, w);
          if (c < best) best = c;
          if (best === 0) break;
        }
        if (best === Infinity) return Infinity;
        total += best;
      }
      return total;
    };
  }

  window.StorenetSearch = { words, distance, matcher };
})();
