// storenet web map: the page's languages. One JSON catalogue per language in /assets/i18n/
// (fi, sv, en; tests/it/i18n.rs checks they have the same keys and placeholders). A message is a
// string with `{name}` placeholders, or an object of plural forms chosen by Intl.PluralRules.
// Numbers, distances, dates and times are formatted by Intl in the language's locale.
'use strict';

(function () {
  const LANGS = ['fi', 'sv', 'en'];
  // Swedish as written in Finland (sv-FI: `4.12.2026`, `21.30`); English with British dates.
  const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };
  const STORE_KEY = 'storenet.lang';
  const TZ = 'Europe/Helsinki';

  const I = { lang: 'fi', locale: 'fi-FI', cat: {}, plural: null };

  // The remembered choice, else the first of the browser's languages we have, else English.
  function preferred() {
    try {
      const s = localStorage.getItem(STORE_KEY);
      if (LANGS.includes(s)) return s;
    } catch (_) { /* storage off: fall through */ }
    for (const l of navigator.languages || [navigator.language || '']) {
      const p = String(l).toLowerCase().split('-')[0];
      if (LANGS.includes(p)) return p;
    }
    return 'en';
  }

  async function load(lang, remember) {
    if (!LANGS.includes(lang)) lang = 'en';
    const res = await fetch(`/assets/i18n/${lang}.json`);
    if (!res.ok) throw new Error(`/assets/i18n/${lang}.json: ${res.status}`);
    I.cat = await res.json();
    I.lang = lang;
    I.locale = LOCALES[lang];
    I.plural = new Intl.PluralRules(I.locale);
    document.documentElement.lang = lang;
    if (remember) {
      try { localStorage.setItem(STORE_KEY, lang); } catch (_) { /* not remembered, still used */ }
    }
  }

  function num(n, opts) {
    return new Intl.NumberFormat(I.locale, opts).format(n);
  }

  // A message with its placeholders filled; numbers among the values are formatted for the locale.
  function t(key, vars) {
    let msg = I.cat[key];
    if (msg === undefined) return key;
    if (typeof msg === 'object') {
      const n = vars && typeof vars.n === 'number' ? vars.n : 0;
      msg = msg[I.plural.select(n)] ?? msg.other;
    }
    if (!vars) return msg;
    return msg.replace(/\{(\w+)\}/g, (m, name) => {
      if (!(name in vars)) return m;
      const v = vars[name];
      return typeof v === 'number' ? num(v) : String(v);
    });
  }

  function distance(m) {
    if (m < 1000) return `${num(Math.round(m))} m`;
    return num(m / 1000, { style: 'unit', unit: 'kilometer', maximumFractionDigits: m < 10000 ? 1 : 0 });
  }

  // `2026-12-04` (a calendar date, no zone) → `4.12.2026` in fi.
  function date(ymd, opts) {
    const [y, mo, d] = String(ymd).split('-').map(Number);
    const fmt = new Intl.DateTimeFormat(I.locale, opts || { day: 'numeric', month: 'numeric', year: 'numeric', timeZone: 'UTC' });
    return fmt.format(new Date(Date.UTC(y, mo - 1, d)));
  }

  function weekday(ymd, style) {
    return date(ymd, { weekday: style || 'short', timeZone: 'UTC' });
  }

  // A wall-clock time `07:00` → `7` (fi, sv) or `07:00` (en); `21:30` → `21.30`.
  function clock(hhmm) {
    const [h, m] = String(hhmm).split(':').map(Number);
    // OSM's end of day, `24:00`, stays 24 ("0–24"), not midnight's 0.
    if (h === 24 && !m) return I.lang === 'en' ? '24:00' : '24';
    const d = new Date(Date.UTC(2000, 0, 1, h % 24, m || 0));
    const short = I.lang !== 'en' && !m;
    return new Intl.DateTimeFormat(I.locale, {
      hour: 'numeric', minute: short ? undefined : '2-digit', hourCycle: 'h23', timeZone: 'UTC',
    }).format(d);
  }

  // An instant (RFC 3339) as Helsinki wall-clock `HH:MM` and Helsinki date `YYYY-MM-DD`.
  function helsinki(instant) {
    const d = new Date(instant);
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
      timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(d).map((p) => [p.type, p.value]));
    return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
  }

  function todayHelsinki(offsetDays) {
    const now = new Date(Date.now() + (offsetDays || 0) * 86400000);
    return helsinki(now.toISOString()).date;
  }

  // Fills every data-i18n (text), data-i18n-placeholder and data-i18n-aria-label under `root`.
  function apply(root) {
    const r = root || document;
    r.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
    r.querySelectorAll('[data-i18n-placeholder]').forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
    r.querySelectorAll('[data-i18n-aria-label]').forEach((e) => { e.setAttribute('aria-label', t(e.dataset.i18nAriaLabel)); });
    document.title = t('page_title');
  }

  window.StorenetI18n = {
    LANGS, preferred, load, t, num, distance, date, weekday, clock, helsinki, todayHelsinki, apply,
    get lang() { return I.lang; },
    get locale() { return I.locale; },
  };
})();
