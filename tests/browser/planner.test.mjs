// The planner view: nothing without a planner key; the heat map only with one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, BASE, shot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

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
  await page.fill('#planner-key', process.env.STORENET_PLANNER_KEY);
  await page.click('#planner-key-form button[type=submit]');
  await page.locator('#planner').waitFor({ state: 'visible' });
  await page.waitForSelector('body[data-heat-cells]');
  assert.ok(await page.locator('path.heat-cell').count() > 0);
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
