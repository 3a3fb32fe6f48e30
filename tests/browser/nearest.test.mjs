// A click on the map lists the k nearest outlets the API gives for that point, in its order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, api, shot, settle, axeCheck, chooseChains } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a click returns the nearest outlets the API gives for the clicked point', async () => {
  const { context, page, errors } = await openMap(browser);
  const moved = settle(page);
  await page.evaluate(() => { window.storenet.map.setView([61.4978, 23.761], 12); });
  await moved;
  const box = await page.locator('#map').boundingBox();
  const x = Math.round(box.width * 0.4);
  const y = Math.round(box.height * 0.55);
  const expectedPoint = await page.evaluate(([px, py]) => {
    const ll = window.storenet.map.containerPointToLatLng([px, py]);
    return { lat: ll.lat, lon: ll.lng };
  }, [x, y]);
  const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets/nearest'));
  // Click on empty map (the base layer is not interactive; markers would open a card instead).
  await page.mouse.click(box.x + x, box.y + y);
  const url = new URL((await sent).url());
  const lat = Number(url.searchParams.get('lat'));
  const lon = Number(url.searchParams.get('lon'));
  // Within a pixel or two (about 40 m at this zoom): the page rounds to 6 decimals and the
  // mouse lands on whole CSS pixels.
  assert.ok(Math.abs(lat - expectedPoint.lat) < 5e-4 && Math.abs(lon - expectedPoint.lon) < 5e-4,
    `the page asked about the clicked point: ${lat},${lon} vs ${JSON.stringify(expectedPoint)}`);
  const k = Number(url.searchParams.get('k'));
  assert.equal(k, 5);
  await page.locator('#nearest-list li').nth(k - 1).waitFor();
  const expected = await api(`/v1/outlets/nearest?lat=${lat}&lon=${lon}&k=${k}`);
  const listed = await page.locator('#nearest-list li').evaluateAll((lis) => lis.map((li) => ({
    id: Number(li.dataset.id), distance: Number(li.dataset.distance), text: li.innerText,
  })));
  assert.deepEqual(listed.map((l) => l.id), expected.outlets.map((o) => o.id));
  assert.deepEqual(listed.map((l) => l.distance), expected.outlets.map((o) => o.distance_m));
  for (const l of listed) assert.match(l.text, /Open now|Closed now/);
  // Open-now agrees with the API's own open_at filter.
  const maxD = Math.max(...expected.outlets.map((o) => o.distance_m));
  const open = await api(`/v1/outlets/within?lat=${lat}&lon=${lon}&radius_m=${Math.ceil(maxD) + 1}&open_at=${encodeURIComponent(new Date().toISOString())}`);
  const openIds = new Set(open.outlets.map((o) => o.id));
  for (const l of listed) {
    assert.equal(/Open now/.test(l.text), openIds.has(l.id), `open state of ${l.id}`);
  }
  // Highlighted on the map: one ring per listed outlet.
  assert.equal(await page.locator('path.hl-ring').count(), k);
  await axeCheck(page, 'nearest');
  await shot(page, 'nearest');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the nearest list follows the chain filter and the keyboard-only "map centre" button', async () => {
  const { context, page, errors } = await openMap(browser);
  await chooseChains(page, ['k-market']);
  // Locator waits, not waitForFunction: the page's CSP forbids the eval its polling uses.
  await page.locator('#status', { hasText: 'outlets shown' }).waitFor();
  await settle(page);
  await page.selectOption('#k', '3');
  await page.focus('#centre');
  const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets/nearest'));
  await page.keyboard.press('Enter');
  const url = new URL((await sent).url());
  assert.equal(url.searchParams.get('chain'), 'k-market');
  await page.locator('#nearest-list li').nth(2).waitFor();
  const expected = await api(`/v1/outlets/nearest?${url.searchParams}`);
  const ids = await page.locator('#nearest-list li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(ids, expected.outlets.map((o) => o.id));
  assert.ok(expected.outlets.every((o) => o.chain === 'k-market'));
  assert.deepEqual(errors, []);
  await context.close();
});
