// The page loads cleanly, and a chain filter shows exactly that chain's outlets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, api, shot, settle, axeCheck, chooseChains } from './helpers.mjs';

const CHAIN = 'intersport';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the page loads with no console errors and shows every outlet', async () => {
  const { context, page, errors } = await openMap(browser);
  const all = await api('/v1/outlets');
  assert.equal(await page.getAttribute('body', 'data-outlets'), String(all.count));
  const shown = await page.evaluate(() => window.storenet.shownOutletIds());
  assert.deepEqual(shown.sort((a, b) => a - b), all.outlets.map((o) => o.id).sort((a, b) => a - b));
  // The base map is drawn: the outline is an SVG path, clusters are on it.
  assert.ok(await page.locator('.leaflet-overlay-pane path, .leaflet-pane path').count() > 0, 'outline drawn');
  assert.ok(await page.locator('.marker-cluster').count() > 0, 'clusters when zoomed out');
  await axeCheck(page, 'map');
  await shot(page, 'map-all');
  assert.deepEqual(errors, []);
  await context.close();
});

test(`choosing ${CHAIN} shows markers for all of its outlets and no others`, async () => {
  const { context, page, errors } = await openMap(browser);
  const expected = await api(`/v1/outlets?chain=${CHAIN}`);
  assert.ok(expected.count > 10, 'the chain has enough outlets to cluster');
  await chooseChains(page, [CHAIN]);
  await page.waitForSelector(`body[data-outlets="${expected.count}"]`);
  await page.waitForTimeout(600);
  const shown = await page.evaluate(() => window.storenet.shownOutletIds());
  assert.deepEqual(shown.sort((a, b) => a - b), expected.outlets.map((o) => o.id).sort((a, b) => a - b));
  // What is drawn: single markers plus the counts on the clusters add up to the chain's count
  // (the view stays on the whole country, so none is off screen).
  const drawn = await page.evaluate(() => {
    const singles = [...document.querySelectorAll('.outlet-marker')];
    const clustered = [...document.querySelectorAll('.marker-cluster span')]
      .reduce((a, s) => a + Number(s.textContent), 0);
    return { singles: singles.length, clustered, ids: singles.map((s) => Number(s.dataset.id)) };
  });
  assert.equal(drawn.singles + drawn.clustered, expected.count);
  const ids = new Set(expected.outlets.map((o) => o.id));
  for (const id of drawn.ids) assert.ok(ids.has(id), `marker ${id} is a ${CHAIN}`);
  // Each single marker has the chain's colour.
  const chains = await api('/v1/chains');
  const colour = chains.chains.find((c) => c.id === CHAIN).colour;
  const bg = await page.evaluate(() => [...document.querySelectorAll('.outlet-marker')].map((e) => e.style.background));
  const rgb = `rgb(${parseInt(colour.slice(1, 3), 16)}, ${parseInt(colour.slice(3, 5), 16)}, ${parseInt(colour.slice(5, 7), 16)})`;
  for (const b of bg) assert.equal(b, rgb);
  await shot(page, 'map-chain');
  assert.deepEqual(errors, []);
  await context.close();
});

test('search by municipality lists outlets there, and the store card shows the detail', async () => {
  const { context, page, errors } = await openMap(browser);
  await page.fill('#search', 'Rovaniemi');
  const items = page.locator('#search-results li[data-id]');
  await items.first().waitFor();
  const all = await api('/v1/outlets');
  const centres = await api('/assets/municipalities.json');
  const code = centres.find((m) => m.name === 'Rovaniemi').code;
  const hits = all.outlets.filter((o) => o.municipality === code ||
    `${o.name} ${o.address.city}`.toLowerCase().includes('rovaniemi'));
  assert.ok(hits.length > 0);
  assert.equal(await items.count(), Math.min(30, hits.length));
  const hitIds = new Set(hits.map((o) => o.id));
  for (const id of await items.evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)))) {
    assert.ok(hitIds.has(id), `outlet ${id} is in Rovaniemi`);
  }
  const id = Number(await items.first().getAttribute('data-id'));
  await items.first().locator('button').click();
  const card = page.locator(`#card .card-content[data-id="${id}"]`);
  await card.locator('.hours').waitFor({ timeout: 15000 });
  const detail = await api(`/v1/outlets/${id}`);
  const text = await card.innerText();
  assert.ok(text.includes(detail.address.street), text);
  assert.ok(text.includes(detail.phone), text);
  assert.match(text, /Open now|Closed now/);
  await axeCheck(page, 'search card');
  await shot(page, 'search-card');
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone-sized screen the map and the controls both fit, and the panel folds away', async () => {
  const { context, page, errors } = await openMap(browser, { width: 390, height: 844 });
  const map = await page.locator('#map').boundingBox();
  const panel = await page.locator('#panel').boundingBox();
  assert.ok(map.width <= 390 && panel.width <= 390, 'nothing wider than the screen');
  assert.ok(map.height > 300, `map tall enough: ${map.height}`);
  await axeCheck(page, 'phone');
  await shot(page, 'phone');
  await page.click('#panel-toggle');
  assert.equal(await page.getAttribute('#panel-toggle', 'aria-expanded'), 'false');
  assert.equal(await page.locator('#panel').isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});
