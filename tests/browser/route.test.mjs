// A GPX upload lists the outlets along the route in the API's order, with an export link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, openMap, BASE, shot, settle } from './helpers.mjs';

// Helsinki → Hämeenlinna → Tampere roughly along E12 (a track of a few points).
const TRACK = [
  [60.1699, 24.9384], [60.2950, 24.8700], [60.4500, 24.7700], [60.6300, 24.5500],
  [60.8000, 24.4300], [60.9959, 24.4643], [61.2000, 24.0500], [61.3500, 23.8800],
  [61.4978, 23.7610],
];

function gpx(points) {
  const pts = points.map(([lat, lon]) => `      <trkpt lat="${lat}" lon="${lon}"></trkpt>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="storenet browser test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Helsinki-Tampere</name><trkseg>
${pts}
  </trkseg></trk>
</gpx>
`;
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a GPX upload lists the stores along the route in route order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storenet-gpx-'));
  const file = join(dir, 'helsinki-tampere.gpx');
  writeFileSync(file, gpx(TRACK));
  const { context, page, errors } = await openMap(browser);
  await page.setInputFiles('#gpx', file);
  await page.fill('#corridor', '1.5');
  const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets/along-route'));
  const moved = settle(page);
  await page.click('#route-go');
  const req = await sent;
  assert.equal(new URL(req.url()).searchParams.get('corridor_m'), '1500');
  const res = await fetch(`${BASE}/v1/outlets/along-route?corridor_m=1500`, {
    method: 'POST', headers: { 'Content-Type': 'application/gpx+xml' }, body: readFileSync(file),
  });
  assert.equal(res.status, 200);
  const expected = await res.json();
  assert.ok(expected.count >= 10, `a busy corridor: ${expected.count}`);
  await page.locator('#route-list li').nth(expected.count - 1).waitFor();
  await moved;
  const listed = await page.locator('#route-list li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(listed, expected.outlets.map((o) => o.id));
  // Route order: positions along the route never go back.
  const along = expected.outlets.map((o) => o.along_km);
  assert.deepEqual([...along].sort((a, b) => a - b), along);
  // The route is drawn, and the outlets are highlighted.
  assert.equal(await page.locator('path.hl-ring').count(), expected.count);
  // The download link names every outlet in route order, in the chosen format.
  await page.selectOption('#export-format', 'ov2');
  const href = await page.getAttribute('#export-link', 'href');
  assert.equal(href, `/v1/exports/ov2?ids=${expected.outlets.map((o) => o.id).join(',')}`);
  await shot(page, 'route');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the route\'s downloads are labelled by device with places and size, and the GPX carries the track', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storenet-gpx-'));
  const file = join(dir, 'helsinki-tampere.gpx');
  writeFileSync(file, gpx(TRACK));
  const { context, page, errors } = await openMap(browser);
  await page.setInputFiles('#gpx', file);
  await page.fill('#corridor', '1.5');
  const listed = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/exports' && r.request().method() === 'POST');
  await page.click('#route-go');
  const choices = await (await listed).json();
  const res = await fetch(`${BASE}/v1/outlets/along-route?corridor_m=1500`, {
    method: 'POST', headers: { 'Content-Type': 'application/gpx+xml' }, body: readFileSync(file),
  });
  const expected = await res.json();
  assert.equal(choices.places, expected.count);
  await page.locator('#export-format option[value="gpi"]').waitFor({ state: 'attached' });
  const labels = await page.locator('#export-format option').allTextContents();
  assert.equal(labels.length, 7);
  assert.ok(labels.some((l) => l.startsWith('Garmin car navigator – GPI · ')), labels.join(' | '));
  assert.ok(labels.some((l) => l.startsWith('TomTom – OV2 · ')), labels.join(' | '));
  for (const l of labels) assert.match(l, new RegExp(` · ${expected.count} places · \\d+ (byte|kB)$`));
  await page.selectOption('#export-format', 'gpx');
  const info = await page.textContent('#export-info');
  assert.match(info, new RegExp(`^Phone apps such as OsmAnd – GPX: ${expected.count} places, \\d+ (byte|kB), helsinki-tampere-\\d{4}-\\d{2}-\\d{2}\\.gpx$`));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
  assert.match(download.suggestedFilename(), /^helsinki-tampere-\d{4}-\d{2}-\d{2}\.gpx$/);
  const saved = join(dir, 'saved.gpx');
  await download.saveAs(saved);
  const xml = readFileSync(saved, 'utf8');
  assert.equal((xml.match(/<wpt /g) || []).length, expected.count);
  assert.equal((xml.match(/<trkpt /g) || []).length, TRACK.length, 'the route track beside the stops');
  await shot(page, 'route-downloads');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a malformed route file gives the API\'s message and lists nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storenet-gpx-'));
  const file = join(dir, 'one-point.gpx');
  writeFileSync(file, gpx([[60.17, 24.94]]));
  const { context, page } = await openMap(browser);
  await page.setInputFiles('#gpx', file);
  await page.click('#route-go');
  await page.locator('#status', { hasText: /^Route:/ }).waitFor();
  assert.equal(await page.locator('#route-list li').count(), 0);
  assert.equal(await page.locator('#export-row').isVisible(), false);
  await context.close();
});

test('a route drawn on the map lists the outlets along it, as the API gives them', async () => {
  const { context, page, errors } = await openMap(browser);
  await page.evaluate(() => { window.storenet.map.setView([60.25, 24.85], 10); });
  await settle(page);
  await page.click('#draw');
  assert.equal(await page.getAttribute('#draw', 'aria-pressed'), 'true');
  assert.equal(await page.isDisabled('#draw-done'), true);
  const box = await page.locator('#map').boundingBox();
  // Clicks while drawing add points and do not ask for the nearest outlets.
  let nearestAsked = false;
  page.on('request', (r) => { if (r.url().includes('/v1/outlets/nearest')) nearestAsked = true; });
  for (const [fx, fy] of [[0.2, 0.7], [0.5, 0.5], [0.8, 0.3]]) {
    await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  }
  assert.equal(await page.isDisabled('#draw-done'), false);
  const sent = page.waitForRequest((r) => r.url().includes('/v1/outlets/along-route'));
  await page.click('#draw-done');
  const req = await sent;
  assert.equal(nearestAsked, false);
  const body = JSON.parse(req.postData());
  assert.equal(body.type, 'LineString');
  assert.equal(body.coordinates.length, 3);
  const res = await fetch(`${BASE}/v1/outlets/along-route?corridor_m=2000`, {
    method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(body),
  });
  const expected = await res.json();
  assert.ok(expected.count > 0);
  await page.locator('#route-list li').nth(expected.count - 1).waitFor();
  const listed = await page.locator('#route-list li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  assert.deepEqual(listed, expected.outlets.map((o) => o.id));
  await shot(page, 'route-drawn');
  assert.deepEqual(errors, []);
  await context.close();
});
