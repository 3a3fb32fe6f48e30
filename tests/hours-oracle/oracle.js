// The reference implementation of OSM opening_hours (opening_hours.js), asked by
// tests/it/hours_oracle.rs. Reads JSON on stdin:
//   {"cases": [{"hours": "...", "instants": [ms since epoch, ...], "next_at": [index, ...]}],
//    "holiday_days": [ms, ...]}
// and writes {"cases": [{"error": null | "...", "open": [bool], "next": [ms | null | "error"]}],
// "holidays": [bool]}: per instant the state, and at the instants of `next_at` the next change of state
// (getNextChange, within a year and a day);
// per day whether PH holds then. Run with TZ=Europe/Helsinki: the library reads local time.
'use strict';
const OpeningHours = require('opening_hours');

const where = { lat: 60.17, lon: 24.94, address: { country_code: 'fi', state: '' } };
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));

const cases = input.cases.map(({ hours, instants, next_at }) => {
  let oh;
  try {
    oh = new OpeningHours(hours, where, { mode: 0, warnings_severity: 0 });
  } catch (e) {
    return { error: String(e).slice(0, 300), open: [], next: [] };
  }
  const open = [];
  const next = [];
  for (const ms of instants) {
    open.push(oh.getState(new Date(ms)));
  }
  for (const k of next_at) {
    const ms = instants[k];
    const t = new Date(ms);
    // opening_hours.js 3.15 throws "infinite loop in nextChange" for some strings: no answer.
    try {
      // Ours looks a year and a day ahead; so does this (without a bound it searches for years).
      const n = oh.getNextChange(t, new Date(ms + 367 * 86400000));
      next.push(n === undefined ? null : n.getTime());
    } catch (e) {
      next.push('error');
    }
  }
  return { error: null, open, next };
});

const ph = new OpeningHours('PH', where);
const holidays = input.holiday_days.map((ms) => ph.getState(new Date(ms)));

process.stdout.write(JSON.stringify({ cases, holidays }));
