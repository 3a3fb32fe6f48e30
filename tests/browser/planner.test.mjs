// The planner view: nothing without a planner key; the heat map only with one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chooseChains } from './helpers.mjs';
import { launch, openMap, BASE, shot, api, settle } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PKEY = process.env.STORENET_PLANNER_KEY;
const plannerAuth = () => ({ headers: { Authorization: `Bearer ${PKEY}` } });

// Turns the planner view on with the planner key and waits for the heat map.
async function plannerOn(page) {
  await page.fill('#planner-key', PKEY);
  await page.click('#planner-key-form button[type=submit]');
  await page.locator('#planner').waitFor({ state: 'visible' });
  await page.waitForSelector('body[data-heat-cells]');
}

// Figures as the page writes them in English (the browser's en-US gives the page's en-GB).
const hh = (v) => (typeof v === 'number' && v >= 10 ? v.toLocaleString('en-GB') : '<10');

async function planningRoutesExist() {
  const r = await fetch(`${BASE}/v1/planning/density?bbox=24.9,60.1,25.0,60.2`);
  return r.status !== 404;
}

test('without a planner key the planner controls are hidden and no heat map is drawn', async () => {
  const { context, page, errors } = await openMap(browser);
  assert.equal(await page.locator('#planner').isVisible(), false);
  assert.equal(await page.$eval('#planner', (f) => f.disabled), true);
  assert.equal(await page.locator('path.heat-cell').count(), 0);
  // A wrong key is refused (or, on a server without planning, the page says so) and changes nothing.
  await page.fill('#planner-key', 'not-a-real-key');
  await page.click('#planner-key-form button[type=submit]');
  // Locator waits, not waitForFunction: the page's CSP forbids the eval its polling uses.
  await page.locator('#planner-msg', { hasText: /\S/ }).filter({ hasNotText: /Checking/ }).waitFor();
  const msg = await page.textContent('#planner-msg');
  assert.match(msg, /not a planner key|no planning routes/);
  assert.equal(await page.locator('#planner').isVisible(), false);
  assert.equal(await page.locator('path.heat-cell').count(), 0);
  await shot(page, 'planner-no-key');
  assert.deepEqual(errors.filter((e) => !/status of 40[134]/.test(e)), []);
  await context.close();
});

test('with a planner key the heat map is drawn from the planning API', { skip: !process.env.STORENET_PLANNER_KEY }, async (t) => {
  if (!(await planningRoutesExist())) {
    t.skip('this server has no /v1/planning routes yet');
    return;
  }
  const { context, page, errors } = await openMap(browser);
  const answer = page.waitForResponse((r) => r.url().includes('/v1/planning/density'));
  await page.fill('#planner-key', process.env.STORENET_PLANNER_KEY);
  await page.click('#planner-key-form button[type=submit]');
  await page.locator('#planner').waitFor({ state: 'visible' });
  await page.waitForSelector('body[data-heat-cells]');
  // The page drew what the API answers for the same box, and the answer respects the floor.
  const url = (await answer).url();
  const fc = await api(url.slice(BASE.length), plannerAuth());
  assert.ok(fc.features.length > 0);
  assert.equal(await page.getAttribute('body', 'data-heat-cells'), String(fc.features.length));
  assert.equal(await page.locator('path.heat-cell').count(), fc.features.length);
  for (const f of fc.features) {
    for (const k of ['households', 'cardholders']) {
      const v = f.properties[k];
      assert.ok(v === '<10' || (typeof v === 'number' && v >= 10), `${k} = ${v}`);
    }
  }
  await shot(page, 'planner-key');
  assert.deepEqual(errors, []);
  await context.close();
});

// The page's rendering of the documented density shape, with the planning response served by
// the test (the planning routes are not part of this server yet): cells are drawn, coloured, and
// a cell below the privacy floor reads "<10" whatever number it carries.
test('the heat map renders density cells and shows figures below ten as "<10"', async () => {
  const { context, page, errors } = await openMap(browser);
  const cell = (lon, lat, households) => ({
    type: 'Feature',
    properties: { households, cardholders: households },
    geometry: { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.018, lat], [lon + 0.018, lat + 0.009], [lon, lat + 0.009], [lon, lat]]] },
  });
  const fc = { type: 'FeatureCollection', features: [
    cell(24.90, 60.16, 2400), cell(24.92, 60.16, 150), cell(24.94, 60.16, '<10'), cell(24.96, 60.16, 7),
  ] };
  let auth = null;
  await page.route('**/v1/planning/density?*', (route) => {
    auth = route.request().headers().authorization;
    route.fulfill({ status: 200, contentType: 'application/geo+json', body: JSON.stringify(fc) });
  });
  await page.evaluate(() => { window.storenet.map.setView([60.165, 24.94], 13); });
  await page.fill('#planner-key', 'planner-key-for-test');
  await page.click('#planner-key-form button[type=submit]');
  await page.locator('#planner').waitFor({ state: 'visible' });
  assert.equal(auth, 'Bearer planner-key-for-test');
  await page.waitForSelector('body[data-heat-cells="4"]');
  const fills = await page.locator('path.heat-cell').evaluateAll((ps) => ps.map((p) => p.getAttribute('fill')));
  assert.equal(fills.length, 4);
  assert.notEqual(fills[0], fills[1], 'denser cells are darker');
  assert.equal(fills[2], fills[3], 'both suppressed cells look alike');
  const cells = page.locator('path.heat-cell');
  await cells.nth(3).hover();
  const tip = page.locator('.leaflet-tooltip:not(.muni-label)');
  await tip.waitFor();
  assert.equal(await tip.innerText(), 'Households: <10');
  assert.match(await page.textContent('#heat-legend'), /<10/);
  await shot(page, 'planner-heat');
  // Turning the layer off removes it.
  await page.uncheck('#heat');
  await page.locator('path.heat-cell').first().waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [role, env] of [['household', 'STORENET_HOUSEHOLD_KEY'], ['retailer', 'STORENET_RETAILER_KEY']]) {
  test(`a ${role} key is refused by the planning API and draws no heat map`, { skip: !process.env[env] }, async () => {
    const key = process.env[env];
    const r = await fetch(`${BASE}/v1/planning/density?bbox=24.9,60.1,25.0,60.2`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(r.status, 403);
    const { context, page, errors } = await openMap(browser);
    await page.fill('#planner-key', key);
    await page.click('#planner-key-form button[type=submit]');
    await page.locator('#planner-msg', { hasText: /not a planner key/ }).waitFor();
    assert.equal(await page.locator('#planner').isVisible(), false);
    assert.equal(await page.locator('path.heat-cell').count(), 0);
    await shot(page, `planner-${role}-key`);
    assert.deepEqual(errors.filter((e) => !/status of 403/.test(e)), []);
    await context.close();
  });
}

test('catchments and gaps are drawn as the API answers them', { skip: !PKEY }, async () => {
  const { context, page, errors } = await openMap(browser);
  await chooseChains(page, ['k-citymarket']);
  await settle(page);
  await plannerOn(page);
  await page.uncheck('#heat');
  await page.click('#catchments-go');
  await page.waitForSelector('body[data-catchments]');
  const catchFc = await api('/v1/planning/catchments?chain=k-citymarket&format=geojson', plannerAuth());
  assert.ok(catchFc.features.length > 0);
  assert.equal(await page.getAttribute('body', 'data-catchments'), String(catchFc.features.length));
  assert.ok(await page.locator('path.catchment-area').count() >= catchFc.features.length);
  const largest = catchFc.features.slice().sort((a, b) => (Number(b.properties.households) || 0) - (Number(a.properties.households) || 0))[0];
  assert.match(await page.textContent('#catchments-out'), new RegExp(`${largest.properties.name}: ${hh(largest.properties.households)}`));
  await shot(page, 'planner-catchments');
  await page.click('#catchments-clear');
  await page.locator('path.catchment-area').first().waitFor({ state: 'detached' });

  await page.fill('#gap-km', '30');
  await page.click('#gaps-go');
  await page.waitForSelector('body[data-gaps]');
  const gaps = await api('/v1/planning/gaps?chain=k-citymarket&distance_m=30000&format=geojson', plannerAuth());
  assert.ok(gaps.features.length > 0, 'hypermarkets leave gaps at 30 km');
  assert.equal(await page.getAttribute('body', 'data-gaps'), String(gaps.features.length));
  assert.equal(await page.locator('path.gap-area').count(), gaps.features.length);
  const first = gaps.features[0].properties;
  assert.match(await page.textContent('#gaps-out'), new RegExp(`Gap 1: ${hh(first.households)} households`));
  await shot(page, 'planner-gaps');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a what-if opening an outlet and closing another shows the API\'s coverage change', { skip: !PKEY }, async () => {
  const { context, page, errors } = await openMap(browser);
  await plannerOn(page);
  await page.uncheck('#heat');
  await page.evaluate(() => window.storenet.map.setView([66.2, 27.5], 9));
  await settle(page);
  await page.selectOption('#whatif-chain', 'k-market');
  await page.click('#whatif-open-centre');
  await page.locator('path.whatif-open').waitFor();
  const near = await api('/v1/outlets/nearest?lat=60.17&lon=24.94&k=1');
  const closeId = near.outlets[0].id;
  await page.fill('#whatif-close-ids', String(closeId));
  await page.fill('#ring-km', '10');
  const sent = page.waitForRequest((r) => r.url().includes('/v1/planning/whatif'));
  await page.click('#whatif-go');
  await page.waitForSelector('body[data-whatif]');
  const req = await sent;
  const body = req.postDataJSON();
  assert.equal(body.open.length, 1);
  assert.equal(body.open[0].chain, 'k-market');
  assert.ok(Math.abs(body.open[0].lat - 66.2) < 0.05 && Math.abs(body.open[0].lon - 27.5) < 0.1);
  assert.deepEqual(body.close, [closeId]);
  const rep = await api(req.url().slice(BASE.length), {
    method: 'POST',
    headers: { ...plannerAuth().headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const band = (row) => row.bands.find((b) => b.within_m === 10000);
  const summary = await page.textContent('#whatif-summary');
  assert.ok(summary.includes(`${hh(band(rep.before).households)} → ${hh(band(rep.after).households)} households`), summary);
  const statuses = rep.changes.map((c) => c.status);
  assert.ok(statuses.includes('opened') && statuses.includes('closed'));
  assert.match(await page.textContent('#whatif-out'), /opened/);
  assert.match(await page.textContent('#whatif-out'), /closed/);
  await shot(page, 'planner-whatif');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the planner view works on a phone-sized screen with the keyboard', { skip: !PKEY }, async () => {
  const { context, page, errors } = await openMap(browser, { width: 390, height: 844 });
  await chooseChains(page, ['k-citymarket']);
  await settle(page);
  await plannerOn(page);
  // Every planner control has a label and can be reached.
  for (const id of ['heat', 'ring-km', 'gap-km', 'whatif-chain', 'whatif-close-ids']) {
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, id);
  }
  await page.focus('#ring-km');
  await page.keyboard.type('3');
  await page.keyboard.press('Tab');
  await page.focus('#coverage-go');
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-coverage]', { timeout: 90000 });
  const rep = await api('/v1/planning/coverage?chain=k-citymarket&distance_m=3000', plannerAuth());
  const b = rep.total.bands.find((x) => x.within_m === 3000);
  assert.match(await page.textContent('#coverage-out'), new RegExp(hh(b.households)));
  assert.ok(await page.locator('#coverage-out tr.hl').count() === 1);
  await page.locator('#coverage-out').scrollIntoViewIfNeeded();
  await shot(page, 'planner-phone');
  assert.deepEqual(errors, []);
  await context.close();
});
