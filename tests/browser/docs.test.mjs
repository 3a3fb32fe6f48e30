// The API page (Swagger UI at /docs/) works under the service's Content-Security-Policy: it
// renders the operations of /openapi.json with no console errors (a CSP violation is one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE, shot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the API page renders every operation under the content security policy', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const res = await page.goto(`${BASE}/docs/`);
  assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/);
  await page.waitForSelector('.opblock', { timeout: 30000 });
  const doc = await (await fetch(`${BASE}/openapi.json`)).json();
  const ops = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.equal(await page.locator('.opblock').count(), ops);
  await shot(page, 'api-docs');
  assert.deepEqual(errors, []);
  await context.close();
});
