// An outlet's store card lists its current offers on all three levels, as `GET /v1/outlets/{id}` gives
// them; the route panel's download button saves a navigator file of the route's outlets in route
// order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openMap, api, BASE, shot, settle } from './helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Outlets named by store-level offers of the bundled data that are valid today (a day of margin
// on both sides, so the service's Helsinki date agrees), untargeted.
function storeOfferOutlets() {
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
  const [from, to] = [day(-1), day(1)];
  const rows = readFileSync(join(here, '../../data/offers.csv'), 'utf8').trim().split('\n').slice(1);
  const ids = [];
  for (const r of rows) {
    const f = r.split(',');
    if (f[1] === 'store' && f[6] <= from && f[7] >= to && (f[8] || '') === '') ids.push(Number(f[2]));
  }
  return [...new Set(ids)];
}

test('the store card lists the outlet\'s offers on every level, once each, as the API gives them', async () => {
  const candidates = storeOfferOutlets();
  assert.ok(candidates.length > 0, 'the bundled data has store offers valid today');
  // The candidate with the most levels (store, chain, network) among its offers.
  let best = null;
  for (const id of candidates.slice(0, 40)) {
    const d = await api(`/v1/outlets/${id}`);
    const levels = new Set(d.offers.map((o) => o.level));
    if (!best || levels.size > best.levels.size) best = { d, levels };
    if (levels.size === 3) break;
  }
  const { d } = best;
  assert.ok(best.levels.has('store'), JSON.stringify(d.offers));
  assert.equal(typeof d.open_now, 'boolean');

  const { context, page, errors } = await openMap(browser);
  const popupCalls = [];
  page.on('request', (r) => { if (r.url().includes('/v1/outlets/within')) popupCalls.push(r.url()); });
  await page.fill('#search', d.name);
  const item = page.locator(`#search-results li[data-id="${d.id}"] button`);
  await item.waitFor();
  await item.click();
  const popup = page.locator(`#card .card-content[data-id="${d.id}"]`);
  await popup.locator('.hours').waitFor({ timeout: 15000 });
  const shown = await popup.locator('ul.offers li').evaluateAll((lis) =>
    lis.map((li) => [li.dataset.offer, li.dataset.level, li.textContent]));
  // Once each: an offer whose title (without the benefit it repeats) and benefit equal an earlier
  // one's is not listed again.
  const strip = (t) => t.replace(/[\s:,–-]*(?:[-−–]\s?\d+\s?%|\+?\d+\s+lisäpistettä)\s*$/i, '').trim() || t;
  const seen = new Set();
  const once = d.offers.filter((o) => {
    const k = `${strip(o.title).toLowerCase()}|${o.benefit}|${o.value}`;
    if (seen.has(o.id) || seen.has(k)) return false;
    seen.add(o.id);
    seen.add(k);
    return true;
  });
  assert.deepEqual(shown.map(([id, level]) => [id, level]), once.map((o) => [o.id, o.level]));
  for (const [i, [, , text]] of shown.entries()) {
    const o = once[i];
    assert.ok(text.includes(strip(o.title)), `${text} names ${o.title}`);
    const benefit = o.benefit === 'extra_points' ? `+${o.value} points` : `${o.value} % off`;
    assert.equal(text.split(benefit).length - 1, 1, `the benefit once: ${text}`);
    assert.equal((text.match(/%|points/g) || []).length, 1, `no repetition: ${text}`);
  }
  const text = await popup.innerText();
  assert.ok(text.includes(d.open_now ? 'Open now' : 'Closed now'), text);
  // `open_now` comes with the detail: no extra `within?open_at=` call for the card.
  assert.deepEqual(popupCalls, []);
  await shot(page, 'card-offers');
  assert.deepEqual(errors, []);
  await context.close();
});

// Helsinki → Hämeenlinna roughly along E12.
const TRACK = [
  [60.1699, 24.9384], [60.2950, 24.8700], [60.4500, 24.7700], [60.6300, 24.5500],
  [60.8000, 24.4300], [60.9959, 24.4643],
];

function gpx(points) {
  const pts = points.map(([lat, lon]) => `<trkpt lat="${lat}" lon="${lon}"></trkpt>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="storenet browser test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${pts}</trkseg></trk></gpx>`;
}

function unxml(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

test('the route panel downloads a GPX of the route\'s outlets in route order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storenet-dl-'));
  const file = join(dir, 'route.gpx');
  writeFileSync(file, gpx(TRACK));
  const res = await fetch(`${BASE}/v1/outlets/along-route?corridor_m=2000`, {
    method: 'POST', headers: { 'Content-Type': 'application/gpx+xml' }, body: readFileSync(file),
  });
  assert.equal(res.status, 200);
  const expected = await res.json();
  assert.ok(expected.count >= 5, `a busy corridor: ${expected.count}`);
  const chains = new Set(expected.outlets.map((o) => o.chain));
  assert.ok(chains.size >= 2, 'the route passes several chains, so grouping would reorder them');

  const { context, page, errors } = await openMap(browser);
  await page.setInputFiles('#gpx', file);
  await page.fill('#corridor', '2');
  const moved = settle(page);
  await page.click('#route-go');
  await page.locator('#route-list li').nth(expected.count - 1).waitFor();
  await moved;
  await page.selectOption('#export-format', 'gpx');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
  assert.match(download.suggestedFilename(), /\.gpx$/);
  const saved = join(dir, 'saved.gpx');
  await download.saveAs(saved);
  const xml = readFileSync(saved, 'utf8');
  assert.match(xml, /^<\?xml/);
  const names = [...xml.matchAll(/<wpt [^>]*>\s*<name>([^<]*)<\/name>/g)].map((m) => unxml(m[1]));
  assert.deepEqual(names, expected.outlets.map((o) => o.name));
  const coords = [...xml.matchAll(/<wpt lat="([^"]+)" lon="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  for (const [i, o] of expected.outlets.entries()) {
    assert.ok(Math.abs(coords[i][0] - o.lat) < 1e-6 && Math.abs(coords[i][1] - o.lon) < 1e-6, o.name);
  }

  // OV2 comes zipped with its icon.
  await page.selectOption('#export-format', 'ov2');
  const [zip] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
  assert.match(zip.suggestedFilename(), /\.zip$/);
  const zipped = join(dir, 'saved.zip');
  await zip.saveAs(zipped);
  assert.equal(readFileSync(zipped).subarray(0, 2).toString('latin1'), 'PK');
  await shot(page, 'route-download');
  assert.deepEqual(errors, []);
  await context.close();
});
