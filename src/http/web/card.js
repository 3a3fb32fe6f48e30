// storenet web map: the store card's content, built from `GET /v1/outlets/{id}`. Every text from
// the service is escaped here; the service judges open-now, the next opening and the week's hours
// (with holidays), the card only words them. A service without those fields (`closes_at`,
// `next_open`, `hours_week`) still gets a card: open now or not, and its weekly hours in words.
'use strict';

(function () {
  const I = window.StorenetI18n;
  const t = I.t;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    })[c]);
  }

  function span(intervals) {
    return intervals.map(([a, b]) => `${I.clock(a)}–${I.clock(b)}`).join(', ');
  }

  // "suljettu" / "7–21" for one day of `hours_week`.
  function dayHours(day) {
    return day.intervals && day.intervals.length ? span(day.intervals) : t('closed_day');
  }

  // A day of `hours_week`: `holiday` is the Finnish name, `holiday_names` has fi, sv and en.
  function holidayName(day) {
    const names = day.holiday_names;
    if (names) return names[I.lang] || names.fi || '';
    return typeof day.holiday === 'string' ? day.holiday : '';
  }

  // "avautuu huomenna klo 7": the day said as today, tomorrow or a weekday.
  function opensText(instant) {
    const at = I.helsinki(instant);
    const time = I.clock(at.time);
    if (at.date === I.todayHelsinki(0)) return t('opens_today_at', { time });
    if (at.date === I.todayHelsinki(1)) return t('opens_tomorrow_at', { time });
    const [y, m, d] = at.date.split('-').map(Number);
    const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    return t('opens_on_at', { day: t(`on_day_${dow}`), time });
  }

  function stateLine(d) {
    const open = typeof d.open_now === 'boolean' ? d.open_now : null;
    if (open === true) {
      const until = d.closes_at ? ` · ${esc(t('closes_at', { time: I.clock(I.helsinki(d.closes_at).time) }))}` : '';
      return `<p class="state"><span class="open">${esc(t('open_now'))}</span>${until}</p>`;
    }
    if (open === false) {
      const next = d.next_open ? ` · ${esc(opensText(d.next_open))}` : '';
      return `<p class="state"><span class="closed">${esc(t('closed_now'))}</span>${next}</p>`;
    }
    return `<p class="state meta">${esc(t('open_unknown'))}</p>`;
  }

  // The week from `hours_week`, holidays named; today first.
  function weekFromService(week) {
    const today = I.todayHelsinki(0);
    const todayRow = week.find((w) => w.date === today);
    const todayLine = todayRow
      ? `<p class="today">${esc(todayRow.intervals && todayRow.intervals.length
        ? t('open_today', { hours: span(todayRow.intervals) }) : t('closed_today'))}</p>`
      : '';
    const rows = week.map((w) => {
      const hol = holidayName(w);
      return `<tr${w.date === today ? ' class="is-today"' : ''}><th scope="row">${esc(I.weekday(w.date))} ${esc(I.date(w.date, { day: 'numeric', month: 'numeric', timeZone: 'UTC' }))}`
        + `${hol ? `<br><span class="holiday">${esc(hol)}</span>` : ''}</th><td>${esc(dayHours(w))}</td></tr>`;
    }).join('');
    return `${todayLine}<table class="hours"><caption>${esc(t('hours_week'))}</caption><tbody>${rows}</tbody></table>`;
  }

  // The plain weekly rules most outlets have ("Mo-Fr 07:00-21:00; Sa 08:00-18:00; Su off",
  // "24/7") in words; anything else is shown as written.
  const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
  // 2026-12-07 is a Monday: weekday names come from Intl in the locale.
  const dayName = (i) => I.weekday(`2026-12-${String(7 + i).padStart(2, '0')}`);
  function weekFromRules(text) {
    const raw = String(text || '').trim();
    if (!raw) return '';
    if (raw === '24/7') return `<p class="hours hours-words">${esc(t('always_open'))}</p>`;
    const rows = [];
    for (const rule of raw.split(/\s*;\s*/).filter(Boolean)) {
      const m = /^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?\s+(off|closed|\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*)$/.exec(rule);
      if (!m) return `<p class="hours hours-raw">${esc(raw)}</p>`;
      const a = DAYS.indexOf(m[1]);
      const b = m[2] ? DAYS.indexOf(m[2]) : a;
      const days = a === b ? dayName(a) : `${dayName(a)}–${dayName(b)}`;
      const hours = /^(off|closed)$/.test(m[3]) ? t('closed_day') : span(m[3].split(',').map((s) => s.split('-')));
      rows.push(`<tr><th scope="row">${esc(days)}</th><td>${esc(hours)}</td></tr>`);
    }
    return `<table class="hours"><caption>${esc(t('hours_week'))}</caption><tbody>${rows.join('')}</tbody></table>`;
  }

  // An offer's title often repeats its benefit ("Karjalanpiirakat -30 %", "Plussa-viikot: 250
  // lisäpistettä"); the benefit is said once, in the reader's language, from its structured value.
  const BENEFIT_IN_TITLE = /[\s:,–-]*(?:[-−–]\s?\d+\s?%|\+?\d+\s+(?:lisäpistettä|pistettä|extrapoäng|poäng|extra points|points))\s*$/i;
  function offerTitle(title) {
    const stripped = String(title).replace(BENEFIT_IN_TITLE, '').trim();
    return stripped || String(title);
  }

  function benefitText(f) {
    if (f.benefit === 'extra_points') return t('offer_points', { n: f.value });
    if (f.benefit === 'discount') return t('offer_discount', { n: f.value });
    return '';
  }

  function offers(list) {
    if (!Array.isArray(list)) return '';
    const seen = new Set();
    const items = [];
    for (const f of list) {
      const title = offerTitle(f.title);
      const key = `${title.toLowerCase()}|${f.benefit}|${f.value}`;
      if (seen.has(f.id) || seen.has(key)) continue;
      seen.add(f.id);
      seen.add(key);
      const until = f.valid_to ? ` <span class="meta">${esc(t('offer_until', { date: I.date(f.valid_to) }))}</span>` : '';
      items.push(`<li data-offer="${esc(f.id)}" data-level="${esc(f.level)}"><span lang="fi">${esc(title)}</span>: <strong>${esc(benefitText(f))}</strong>${until}</li>`);
    }
    if (!items.length) return `<p class="meta offers-none">${esc(t('offers_none'))}</p>`;
    return `<h3>${esc(t('offers'))}</h3><ul class="offers">${items.join('')}</ul>`;
  }

  function services(list) {
    if (!list || !list.length) return '';
    const names = list.map((s) => {
      const k = `svc_${s}`;
      const v = t(k);
      return v === k ? s.replace(/_/g, ' ') : v;
    });
    return `<p class="services"><strong>${esc(t('services'))}:</strong> ${names.map(esc).join(', ')}</p>`;
  }

  function directions(d) {
    const ll = `${Number(d.lat).toFixed(6)},${Number(d.lon).toFixed(6)}`;
    const geo = `geo:${ll}?q=${ll}(${encodeURIComponent(d.name)})`;
    const google = `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(ll)}`;
    return `<div class="row buttons directions">
      <a class="button primary" id="card-directions" href="${esc(google)}" target="_blank" rel="noopener noreferrer">${esc(t('directions'))}</a>
      <a class="button" id="card-geo" href="${esc(geo)}">${esc(t('open_in_map_app'))}</a>
      <a class="button" id="card-share" href="/#outlet=${encodeURIComponent(d.id)}">${esc(t('share_link'))}</a>
    </div>`;
  }

  // The whole card for one outlet's detail; `ctx` gives chain names, colours and municipalities.
  function render(d, ctx) {
    const chain = ctx.chainName(d.chain);
    const phone = d.phone
      ? `<p><a class="phone" href="tel:${esc(String(d.phone).replace(/[^\d+]/g, ''))}">${esc(d.phone)}</a></p>` : '';
    const week = Array.isArray(d.hours_week) && d.hours_week.length
      ? weekFromService(d.hours_week) : weekFromRules(d.opening_hours);
    const cat = t(`cat_${d.category}`);
    return `<div class="card-content" data-id="${esc(d.id)}">
      <h2 id="card-title">${esc(d.name)}</h2>
      <p class="meta"><span class="swatch" style="background:${esc(ctx.colour(d.chain))}"></span>${esc(chain)} · ${esc(cat.startsWith('cat_') ? d.category : cat)}</p>
      ${stateLine(d)}
      ${directions(d)}
      <p class="address">${esc(d.address.street)}, ${esc(d.address.postal_code)} ${esc(d.address.city)}<br>
        <span class="meta">${esc(ctx.municipality(d.municipality))}</span></p>
      ${phone}
      ${week}
      ${services(d.services)}
      ${offers(d.offers)}
    </div>`;
  }

  window.StorenetCard = { render, esc, offerTitle };
})();
