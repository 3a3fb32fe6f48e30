// The store finder a customer uses (issue 17), at phone (390×844, touch) and desktop (1440×900)
// sizes: nearest to me with the location granted, a refusal explained, the store card from the
// list, a marker and a shared address, open-now filter and sort, directions, Finnish, Swedish and
// English, accent- and typo-tolerant search, several chains keeping the view. Every state visited
// passes axe-core's WCAG 2.2 AA rules (no serious or critical violation); each flow saves a
// screenshot per size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, api, shot, settle, axeCheck, chooseChains, SIZES, PHONE } from './helpers.mjs';

const HELSINKI = { latitude: 60.1699, longitude: 24.9384 };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Opens the map at one size, in `locale`, with extra context options.
function open(size, locale, extra = {}, hash = '') {
  return openMap(browser, size.viewport, { ...size, locale, ...extra }, hash);
}

// On a phone the panel is below the map; tapping is what a person does there.
async function press(page, sel, phone) {
  if (phone) await page.tap(sel); else await page.click(sel);
}

// The card is visible where it should be: a bottom sheet on a phone, a card over the map's left
// edge on a desktop, and the outlet's marker stays in sight beside it.
async function assertCardPlaced(page, name, id) {
  const card = await page.locator('#card').boundingBox();
  const vp = page.viewportSize();
  const mapBox = await page.locator('#map').boundingBox();
  if (name === 'phone') {
    assert.ok(Math.abs(card.y + card.height - vp.height) < 2, `sheet at the bottom: ${JSON.stringify(card)}`);
    assert.equal(Math.round(card.width), vp.width);
    assert.ok(card.height <= vp.height * 0.64, 'the sheet leaves the map visible');
  } else {
    assert.ok(card.x >= mapBox.x && card.x + card.width < mapBox.x + mapBox.width / 2, `card on the map's left: ${JSON.stringify(card)}`);
  }
  const marker = page.locator(`.outlet-marker[data-id="${id}"]`).first();
  await marker.waitFor({ timeout: 10000 });
  await page.waitForTimeout(400);
  const m = await marker.boundingBox();
  const cx = m.x + m.width / 2;
  const cy = m.y + m.height / 2;
  assert.ok(cx > mapBox.x && cx < mapBox.x + mapBox.width && cy > mapBox.y && cy < mapBox.y + mapBox.height, 'marker on the map');
  const covered = cx > card.x && cx < card.x + card.width && cy > card.y && cy < card.y + card.height;
  assert.ok(!covered, `the card does not hide the outlet's marker: ${JSON.stringify({ m, card })}`);
}

for (const [name, size] of SIZES) {
  const phone = name === 'phone';

  test(`${name}: "Nearest to me" lists the nearest stores to the granted position, in Finnish`, async () => {
    const { context, page, errors } = await open(size, 'fi-FI', { geolocation: HELSINKI, permissions: ['geolocation'] });
    assert.equal(await page.getAttribute('html', 'lang'), 'fi');
    assert.equal((await page.textContent('#locate')).trim(), 'Lähimmät minua');
    const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets/nearest'));
    await press(page, '#locate', phone);
    const url = new URL((await sent).url());
    assert.ok(Math.abs(Number(url.searchParams.get('lat')) - HELSINKI.latitude) < 1e-5);
    assert.ok(Math.abs(Number(url.searchParams.get('lon')) - HELSINKI.longitude) < 1e-5);
    const k = Number(url.searchParams.get('k'));
    await page.locator('#nearest-list li').nth(k - 1).waitFor();
    const expected = await api(`/v1/outlets/nearest?${url.searchParams}`);
    const listed = await page.locator('#nearest-list li').evaluateAll((lis) => lis.map((li) => ({ id: Number(li.dataset.id), text: li.innerText })));
    assert.deepEqual(listed.map((l) => l.id), expected.outlets.map((o) => o.id));
    // Distances and open state in Finnish: "850 m" or "1,7 km", "Auki nyt" / "Suljettu nyt".
    for (const l of listed) assert.match(l.text, /(\d+ m|\d+(,\d)? km) · (Auki nyt|Suljettu nyt)/);
    assert.equal((await page.textContent('#locate-msg')).trim(), '');
    assert.match(await page.textContent('#status'), /sinua lähintä myymälää/);
    await settle(page).catch(() => {});
    await axeCheck(page, `${name} nearest to me`);
    await shot(page, `${name}-nearest-to-me`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: a refused location is explained next to the button, in the page's language`, async () => {
    const { context, page, errors } = await open(size, 'sv-SE', { permissions: [] });
    await context.clearPermissions();
    await press(page, '#locate', phone);
    const msg = page.locator('#locate-msg', { hasText: /Webbläsaren gav inte din position/ });
    await msg.waitFor();
    // Next to the button: directly below it, and named by its aria-describedby.
    const b = await page.locator('#locate').boundingBox();
    const m = await msg.boundingBox();
    assert.ok(m.y >= b.y + b.height - 1 && m.y - (b.y + b.height) < 80, `message below the button: ${JSON.stringify({ b, m })}`);
    assert.equal(await page.getAttribute('#locate', 'aria-describedby'), 'locate-msg');
    await axeCheck(page, `${name} location refused`);
    await shot(page, `${name}-location-refused`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: a tap on a search result opens its store card, with directions and a shareable link`, async () => {
    const { context, page, errors } = await open(size, 'fi-FI');
    await page.fill('#search', 'karkola');
    const first = page.locator('#search-results li[data-id] button').first();
    await first.waitFor();
    const id = Number(await page.locator('#search-results li[data-id]').first().getAttribute('data-id'));
    await press(page, `#search-results li[data-id="${id}"] button`, phone);
    const card = page.locator(`#card .card-content[data-id="${id}"]`);
    await card.waitFor();
    const d = await api(`/v1/outlets/${id}`);
    const text = await card.innerText();
    assert.ok(text.includes(d.name) && text.includes(d.address.street) && text.includes(d.phone), text);
    assert.match(text, d.open_now ? /Auki nyt/ : /Suljettu nyt/);
    // The week's hours in words, not OSM syntax.
    assert.doesNotMatch(text, /Mo-Fr|\d\d:\d\d-\d\d:\d\d/);
    assert.equal(await page.getAttribute('#card .phone', 'href'), `tel:${d.phone.replace(/[^\d+]/g, '')}`);
    const ll = `${d.lat.toFixed(6)},${d.lon.toFixed(6)}`;
    assert.equal(await page.getAttribute('#card-directions', 'href'), `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(ll)}`);
    assert.ok((await page.getAttribute('#card-geo', 'href')).startsWith(`geo:${ll}?q=${ll}(`));
    assert.equal(await page.getAttribute('#card-share', 'href'), `/#outlet=${id}`);
    assert.equal(new URL(page.url()).hash, `#outlet=${id}`);
    await assertCardPlaced(page, name, id);
    await axeCheck(page, `${name} card from the list`);
    await shot(page, `${name}-card-from-list`);
    // Escape closes it and gives focus back to the result that opened it.
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#card').isVisible(), false);
    assert.equal(new URL(page.url()).hash, '');
    if (!phone) assert.equal(await page.evaluate(() => document.activeElement.closest('li')?.dataset.id), String(id));
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: a marker opens its card, and /#outlet=ID opens that card directly`, async () => {
    const all = await api('/v1/outlets?chain=k-citymarket');
    const target = all.outlets[0];
    const { context, page, errors } = await open(size, 'fi-FI', {}, `#outlet=${target.id}`);
    await page.locator(`#card .card-content[data-id="${target.id}"]`).waitFor();
    await assertCardPlaced(page, name, target.id);
    await page.click('#card-close');
    assert.equal(await page.locator('#card').isVisible(), false);
    // Now a marker: the one drawn for that outlet, once the map has stopped moving (the same box
    // twice, 400 ms apart).
    const marker = page.locator(`.outlet-marker[data-id="${target.id}"]`).first();
    let box = null;
    for (let i = 0; i < 40; i++) {
      await page.waitForTimeout(400);
      const b = await marker.boundingBox();
      if (b && box && JSON.stringify(b) === JSON.stringify(box)) break;
      box = b;
    }
    await press(page, `.outlet-marker[data-id="${target.id}"]`, phone);
    await page.locator(`#card .card-content[data-id="${target.id}"]`).waitFor();
    assert.ok(await marker.evaluate((e) => e.classList.contains('current')));
    await axeCheck(page, `${name} card from a marker`);
    await shot(page, `${name}-card-from-marker`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: the open-now filter shows exactly the stores open now, and the sort puts them first`, async () => {
    const { context, page, errors } = await open(size, 'en-GB');
    const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets?') && r.url().includes('open_at='));
    await press(page, '#open-now', phone);
    const url = new URL((await sent).url());
    // The page asks for the compact map view; the same filter's full list names the outlets.
    assert.equal(url.searchParams.get('view'), 'map');
    url.searchParams.delete('view');
    const expected = await api(`/v1/outlets?${url.searchParams}`);
    await page.waitForSelector(`body[data-outlets="${expected.count}"]`);
    const all = await api('/v1/outlets');
    assert.ok(expected.count > 0 && expected.count < all.count, `some open, some closed: ${expected.count}/${all.count}`);
    const shown = await page.evaluate(() => window.storenet.shownOutletIds());
    assert.deepEqual(shown.sort((a, b) => a - b), expected.outlets.map((o) => o.id).sort((a, b) => a - b));
    assert.ok(expected.outlets.every((o) => o.open_now === true));
    await axeCheck(page, `${name} open now`);
    await shot(page, `${name}-open-now`);
    // The sort: the filter off, the nearest 20, open ones first and each group nearest first.
    await press(page, '#open-now', phone);
    await page.waitForSelector(`body[data-outlets="${all.count}"]`);
    await page.selectOption('#k', '20');
    await page.selectOption('#sort', 'open');
    const asked = page.waitForRequest((r) => r.url().includes('/v1/outlets/nearest'));
    await page.evaluate(() => window.storenet.map.setView([61.4978, 23.761], 11, { animate: false }));
    await press(page, '#centre', phone);
    const nurl = new URL((await asked).url());
    await page.locator('#nearest-list li').nth(19).waitFor();
    const near = await api(`/v1/outlets/nearest?${nurl.searchParams}`);
    const byId = new Map(near.outlets.map((o) => [o.id, o]));
    const ids = await page.locator('#nearest-list li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
    const rows = ids.map((i) => byId.get(i));
    assert.equal(rows.length, 20);
    const firstClosed = rows.findIndex((o) => !o.open_now);
    if (firstClosed >= 0) assert.ok(rows.slice(firstClosed).every((o) => !o.open_now), 'no open store after a closed one');
    const openRows = rows.filter((o) => o.open_now);
    const closed = rows.filter((o) => !o.open_now);
    for (const g of [openRows, closed]) for (let i = 1; i < g.length; i++) assert.ok(g[i - 1].distance_m <= g[i].distance_m);
    assert.deepEqual(new Set(ids), new Set(near.outlets.map((o) => o.id)));
    await axeCheck(page, `${name} open first`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: Swedish with sv-SE, English by the switch, remembered`, async () => {
    const { context, page, errors } = await open(size, 'sv-SE');
    assert.equal(await page.getAttribute('html', 'lang'), 'sv');
    assert.equal((await page.textContent('#locate')).trim(), 'Närmast mig');
    assert.equal(await page.inputValue('#lang'), 'sv');
    const count = (await api('/v1/outlets')).count;
    // Numbers in the locale: 3 100 with a (narrow) no-break space.
    assert.equal((await page.textContent('#status')).replace(/[\u00a0\u202f]/g, ' '), `${count.toLocaleString('sv-FI').replace(/[\u00a0\u202f]/g, ' ')} butiker på kartan`);
    await axeCheck(page, `${name} Swedish`);
    await shot(page, `${name}-swedish`);
    await page.selectOption('#lang', 'en');
    await page.locator('#locate', { hasText: 'Nearest to me' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('#status'), /outlets shown/);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal((await page.textContent('#locate')).trim(), 'Nearest to me', 'the choice is remembered');
    await axeCheck(page, `${name} English`);
    await shot(page, `${name}-english`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: search without accents, with typos, by postcode and street moves the map to the stores`, async () => {
    const { context, page, errors } = await open(size, 'fi-FI');
    const all = await api('/v1/outlets');
    const centres = await api('/assets/municipalities.json');
    const muni = (n) => centres.find((m) => m.name === n).code;
    const results = async (q) => {
      await page.fill('#search', q);
      await page.locator('#search-results li.meta').waitFor();
      await page.waitForTimeout(350);
      return page.locator('#search-results li[data-id]').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
    };
    const byId = new Map(all.outlets.map((o) => [o.id, o]));
    // "karkola": the stores of Kärkölä.
    const kk = await results('karkola');
    const inKarkola = all.outlets.filter((o) => o.municipality === muni('Kärkölä'));
    assert.ok(inKarkola.length > 0);
    for (const o of inKarkola) assert.ok(kk.includes(o.id), `Kärkölä outlet ${o.id} found`);
    // The map moved to them.
    const view = await page.evaluate(() => { const b = window.storenet.map.getBounds(); return { n: b.getNorth(), s: b.getSouth(), e: b.getEast(), w: b.getWest(), z: window.storenet.map.getZoom() }; });
    assert.ok(view.z >= 8, `zoomed in: ${view.z}`);
    for (const o of inKarkola) assert.ok(o.lat <= view.n && o.lat >= view.s && o.lon <= view.e && o.lon >= view.w, `${o.name} in view`);
    await axeCheck(page, `${name} search`);
    await shot(page, `${name}-search-karkola`);
    // "citymarket jyvaskyla": the K-Citymarkets of Jyväskylä first.
    const cj = await results('citymarket jyvaskyla');
    const expectedCj = all.outlets.filter((o) => o.chain === 'k-citymarket' && o.municipality === muni('Jyväskylä'));
    assert.ok(expectedCj.length > 0);
    assert.deepEqual(new Set(cj.slice(0, expectedCj.length)), new Set(expectedCj.map((o) => o.id)));
    // "k market pori": K-Markets in Pori, and typos "k markt porri" find the same first ones.
    const kp = await results('k market pori');
    const expectedKp = all.outlets.filter((o) => o.chain === 'k-market' && o.municipality === muni('Pori'));
    assert.ok(expectedKp.length > 0);
    for (const o of expectedKp) assert.ok(kp.includes(o.id), `K-Market ${o.name} found`);
    for (const i of kp.slice(0, expectedKp.length)) assert.equal(byId.get(i).chain, 'k-market');
    const typo = await results('k markt porri');
    assert.deepEqual(new Set(typo.slice(0, expectedKp.length)), new Set(kp.slice(0, expectedKp.length)));
    // A postcode and a street name.
    const h = byId.get(1);
    assert.ok((await results(h.address.postal_code)).includes(1));
    assert.ok((await results(h.address.street.toLowerCase())).includes(1));
    if (phone) await shot(page, `${name}-search-typo`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: choosing several chains keeps the view and shows exactly their stores`, async () => {
    const { context, page, errors } = await open(size, 'fi-FI');
    await page.evaluate(() => window.storenet.map.setView([61.4978, 23.761], 11, { animate: false }));
    await settle(page).catch(() => {});
    const before = await page.evaluate(() => ({ c: window.storenet.map.getCenter(), z: window.storenet.map.getZoom() }));
    const expected = await api('/v1/outlets?chain=k-market,k-supermarket');
    await chooseChains(page, ['k-market', 'k-supermarket']);
    await page.waitForSelector(`body[data-outlets="${expected.count}"]`);
    await page.waitForTimeout(500);
    const after = await page.evaluate(() => ({ c: window.storenet.map.getCenter(), z: window.storenet.map.getZoom() }));
    assert.deepEqual(after, before, 'the view did not move');
    const shown = await page.evaluate(() => window.storenet.shownOutletIds());
    assert.deepEqual(shown.sort((a, b) => a - b), expected.outlets.map((o) => o.id).sort((a, b) => a - b));
    assert.match(await page.textContent('#chain-summary'), /2 ketjua valittu/);
    await axeCheck(page, `${name} two chains`);
    await shot(page, `${name}-two-chains`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

// Helsinki's date `days` from today, as `YYYY-MM-DD`.
function helsinkiDate(days) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki' }).format(new Date(Date.now() + days * 86400000));
}

// Helsinki's offset at noon of a date, as `+02:00`.
function offset(ymd) {
  const probe = new Date(`${ymd}T12:00:00Z`);
  const name = new Intl.DateTimeFormat('en', { timeZone: 'Europe/Helsinki', timeZoneName: 'longOffset' }).formatToParts(probe).find((p) => p.type === 'timeZoneName').value;
  return name.replace('GMT', '') || '+00:00';
}

// The card words the service's open-now judgement (`closes_at`, `next_open`, `hours_week` with
// holidays): a test-served detail with those fields, as the hours work adds them.
test('the card says "auki tänään 7–21", "sulkeutuu klo 21", "avautuu huomenna klo 7" and the coming holidays', async () => {
  const base = await api('/v1/outlets/1');
  // The service's own answer has the shape the fake below copies.
  assert.ok(Array.isArray(base.hours_week) && base.hours_week.length >= 7, JSON.stringify(base.hours_week));
  for (const d of base.hours_week) {
    assert.deepEqual(Object.keys(d).sort(), ['date', 'holiday', 'holiday_names', 'intervals']);
  }
  const week = Array.from({ length: 7 }, (_, i) => ({
    date: helsinkiDate(i),
    holiday: i === 2 ? 'Itsenäisyyspäivä' : null,
    holiday_names: i === 2 ? { fi: 'Itsenäisyyspäivä', sv: 'Självständighetsdagen', en: 'Independence Day' } : null,
    intervals: i === 2 ? [] : [['07:00', '21:00']],
  }));
  const today = helsinkiDate(0);
  const tomorrow = helsinkiDate(1);
  const variants = {
    open: { ...base, open_now: true, closes_at: `${today}T21:00:00${offset(today)}`, hours_week: week },
    closed: { ...base, open_now: false, next_open: `${tomorrow}T07:00:00${offset(tomorrow)}`, hours_week: week },
  };
  for (const [which, body] of Object.entries(variants)) {
    const { context, page, errors } = await openMap(browser, PHONE.viewport, { ...PHONE, locale: 'fi-FI' });
    await page.route(/\/v1\/outlets\/1$/, (r) => r.fulfill({ json: body }));
    await page.evaluate(() => { location.hash = '#outlet=1'; });
    const card = page.locator('#card .card-content[data-id="1"]');
    await card.waitFor();
    const text = (await card.innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /Auki tänään 7–21/);
    if (which === 'open') assert.match(text, /Auki nyt · sulkeutuu klo 21/);
    else assert.match(text, /Suljettu nyt · avautuu huomenna klo 7/);
    assert.match(text, /Itsenäisyyspäivä/);
    assert.equal(await card.locator('table.hours tbody tr').count(), 7);
    // In Swedish and English too, from the same answer.
    await page.selectOption('#lang', 'sv');
    await page.locator('#card', { hasText: 'Självständighetsdagen' }).waitFor();
    assert.match(await card.innerText(), which === 'open' ? /stänger kl\. 21/ : /öppnar i morgon kl\. 7/);
    await page.selectOption('#lang', 'en');
    await page.locator('#card', { hasText: 'Independence Day' }).waitFor();
    assert.match(await card.innerText(), which === 'open' ? /closes at 21:00/ : /opens tomorrow at 7:00/);
    await page.selectOption('#lang', 'fi');
    await page.locator('#card', { hasText: 'Itsenäisyyspäivä' }).waitFor();
    await axeCheck(page, `card ${which}`);
    await shot(page, `phone-card-hours-${which}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('offers are said once each, with the benefit in the reader\'s language', async () => {
  const base = await api('/v1/outlets/1');
  const offers = [
    { id: 'T-1', level: 'store', title: 'Karjalanpiirakat -30 %', benefit: 'discount', value: 30, valid_from: '2026-01-01', valid_to: '2026-12-31' },
    { id: 'T-2', level: 'chain', title: 'Plussa-viikot: 250 lisäpistettä', benefit: 'extra_points', value: 250, valid_from: '2026-01-01', valid_to: '2026-12-31' },
    { id: 'T-1', level: 'store', title: 'Karjalanpiirakat -30 %', benefit: 'discount', value: 30, valid_from: '2026-01-01', valid_to: '2026-12-31' },
  ];
  const { context, page, errors } = await openMap(browser, { width: 1440, height: 900 }, { locale: 'en-GB' });
  await page.route(/\/v1\/outlets\/1$/, (r) => r.fulfill({ json: { ...base, offers } }));
  await page.evaluate(() => { location.hash = '#outlet=1'; });
  const list = page.locator('#card ul.offers li');
  await list.first().waitFor();
  const items = await list.allInnerTexts();
  assert.deepEqual(items.map((s) => s.replace(/\u00a0/g, ' ')), [
    'Karjalanpiirakat: 30 % off until 31/12/2026',
    'Plussa-viikot: +250 points until 31/12/2026',
  ]);
  await page.selectOption('#lang', 'fi');
  await page.locator('#card', { hasText: 'lisäpistettä' }).waitFor();
  const fi = (await list.allInnerTexts()).map((s) => s.replace(/\u00a0/g, ' '));
  assert.deepEqual(fi, ['Karjalanpiirakat: −30 % 31.12.2026 asti', 'Plussa-viikot: +250 lisäpistettä 31.12.2026 asti']);
  assert.deepEqual(errors, []);
  await context.close();
});
