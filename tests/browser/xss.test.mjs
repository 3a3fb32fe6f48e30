// Hostile text (issue 18 §3): outlets and offers whose every text field is HTML, created through
// the admin API, must reach every view as text. No element is created from them in the search
// and nearest lists, the store card, marker titles, the planner's what-if tooltip, list and
// result table; nothing runs. The outlets are deleted afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, api, BASE, shot, axeCheck, DESKTOP } from './helpers.mjs';

const ADMIN = process.env.STORENET_ADMIN_KEY;
const PLANNER = process.env.STORENET_PLANNER_KEY;
// A remote spot in Lapland with no other outlet close by (Inari, north of Ivalo).
const AT = { lat: 68.95, lon: 27.35 };
// Every field names its own custom element, so a leak says where it came from.
const bad = (f) => `<x-${f}>${f}</x-${f}><img src=x onerror="window.__xss='${f}'">`;
const created = [];
let browser;

before(async () => {
  browser = await launch();
  if (!ADMIN) return;
  const post = async (path, body) => {
    const res = await fetch(`${BASE}${path}`, {
      method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 201, `${path}: ${text}`);
    return JSON.parse(text);
  };
  for (let i = 0; i < 2; i++) {
    const o = await post('/v1/outlets', {
      name: bad(`name${i}`), chain: 'k-market', kind: 'store', street: bad('street'), postal_code: '99800',
      city: bad('city'), municipality: '148', lat: AT.lat + i * 0.01, lon: AT.lon, phone: '<x-phone>1</x-phone>',
      opening_hours: 'Mo-Su 00:00-24:00', services: [],
    });
    created.push(o.id);
  }
  await post('/v1/offers', {
    id: `XSS-${Date.now()}`, level: 'store', target: String(created[0]), title: bad('offer'), benefit: 'discount',
    value: 20, valid_from: '2020-01-01', valid_to: '2099-12-31',
  });
});

after(async () => {
  for (const id of created) {
    await fetch(`${BASE}/v1/outlets/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN}` } });
  }
  await browser?.close();
});

// Elements made from the hostile text, and whether its script ran.
async function leaks(page) {
  return page.evaluate(() => ({
    elements: [...document.querySelectorAll('*')].filter((e) => e.tagName.startsWith('X-')).map((e) => e.tagName)
      .concat([...document.querySelectorAll('img[src="x"]')].map(() => 'IMG')),
    ran: window.__xss || null,
  }));
}

test('hostile outlet and offer texts stay text in every view', { skip: !ADMIN && 'STORENET_ADMIN_KEY not set (run.sh sets it)' }, async () => {
  const { context, page, errors } = await openMap(browser, DESKTOP.viewport, { ...DESKTOP, locale: 'en-GB' });
  const views = [];
  // Search list: the names, streets and cities as text.
  await page.fill('#search', 'name0');
  await page.locator(`#search-results li[data-id="${created[0]}"]`).waitFor();
  assert.ok((await page.textContent('#search-results')).includes('<x-name0>'), 'the name shows as text');
  views.push(['search', await leaks(page)]);
  // The card, with the offer.
  await page.click(`#search-results li[data-id="${created[0]}"] button`);
  const card = page.locator(`#card .card-content[data-id="${created[0]}"]`);
  await card.locator('ul.offers').waitFor();
  const text = await card.innerText();
  for (const f of ['name0', 'street', 'city', 'offer']) assert.ok(text.includes(`<x-${f}>`), `${f} as text in the card`);
  views.push(['card', await leaks(page)]);
  await axeCheck(page, 'hostile card');
  await shot(page, 'xss-card');
  await page.keyboard.press('Escape');
  // Nearest list from the map centre there.
  await page.evaluate((p) => window.storenet.map.setView([p.lat, p.lon], 12, { animate: false }), AT);
  await page.click('#centre');
  await page.locator(`#nearest-list li[data-id="${created[0]}"]`).waitFor();
  views.push(['nearest', await leaks(page)]);
  // Marker titles are attributes; a marker is drawn for each.
  assert.equal(await page.locator(`.outlet-marker[data-id="${created[0]}"]`).count() > 0, true);
  // Planner: what-if closing the hostile outlet (tooltip, list, result table).
  if (PLANNER) {
    await page.fill('#planner-key', PLANNER);
    await page.click('#planner-key-form button[type=submit]');
    await page.locator('#planner-msg', { hasText: /\S/ }).filter({ hasNotText: /Checking/ }).waitFor();
    assert.equal(await page.textContent('#planner-msg'), 'Planner view on.');
    // Back to the spot (the nearest answer may have fitted the view to farther outlets).
    await page.evaluate((a) => window.storenet.map.setView([a.lat, a.lon], 12, { animate: false }), AT);
    await page.click('#whatif-close');
    const box = await page.locator('#map').boundingBox();
    const p = await page.evaluate((a) => window.storenet.map.latLngToContainerPoint([a.lat - 0.004, a.lon]), AT);
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.locator('#whatif-list li').first().waitFor();
    assert.ok((await page.textContent('#whatif-list')).includes('<x-name0>'), 'the closed outlet named as text');
    // The dashed ring round the marker (under it where they overlap): a mouseover on it, as
    // Leaflet receives one, shows its tooltip.
    await page.locator('path.whatif-close').dispatchEvent('mouseover');
    await page.locator('.leaflet-tooltip:not(.muni-label)').first().waitFor();
    assert.ok((await page.locator('.leaflet-tooltip:not(.muni-label)').first().innerText()).includes('<x-name0>'), 'tooltip as text');
    views.push(['what-if tooltip', await leaks(page)]);
    await page.click('#whatif-go');
    await page.locator('#whatif-out table').waitFor({ timeout: 60000 });
    views.push(['what-if table', await leaks(page)]);
    await shot(page, 'xss-whatif');
  }
  for (const [view, l] of views) assert.deepEqual(l, { elements: [], ran: null }, `no element or script from hostile text in the ${view}`);
  assert.deepEqual(errors, []);
  await context.close();
});
