// Shared set-up for the browser tests: Debian's chromium through playwright-core (no browser is
// ever downloaded), the server's base URL from STORENET_URL, console-error collection and
// screenshots in tests/browser/screenshots/.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE = process.env.STORENET_URL || 'http://127.0.0.1:8080';
const here = dirname(fileURLToPath(import.meta.url));
export const SHOTS = join(here, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

// The two screen sizes of the issue-17 flows: a phone with touch, and a desktop.
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
export const DESKTOP = { viewport: { width: 1440, height: 900 } };
export const SIZES = [['phone', PHONE], ['desktop', DESKTOP]];

// While working on the page: STORENET_WEB_DIR=src/http/web serves the page's own files from the
// source tree instead of the binary's embedded copy (the server's headers are kept), so a change
// needs no rebuild. Never set in CI.
const WEB_DIR = process.env.STORENET_WEB_DIR;
const TYPES = { '.js': 'application/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.html': 'text/html; charset=utf-8' };
async function serveSource(context) {
  if (!WEB_DIR) return;
  await context.route((u) => u.origin === new URL(BASE).origin && (u.pathname === '/' || /^\/assets\/(?!vendor\/)[\w/.-]+\.(js|css|json|html)$/.test(u.pathname)), async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(WEB_DIR, path === '/' ? 'index.html' : path.replace(/^\/assets\//, ''));
    if (!existsSync(file)) return route.continue();
    const res = await route.fetch();
    await route.fulfill({ response: res, status: 200, body: readFileSync(file), headers: { ...res.headers(), 'content-type': TYPES[extname(file)] } });
  });
}

// A page on the map with every console error, page error and failed or off-host request
// recorded in `errors`. `options` are Playwright context options (locale, geolocation, touch…);
// `hash` is appended to the page's address (e.g. `#outlet=12`).
export async function openMap(browser, viewport = { width: 1280, height: 800 }, options = {}, hash = '') {
  const context = await browser.newContext({ viewport, ...options });
  await serveSource(context);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) errors.push(`off-host request: ${u}`);
  });
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  return { context, page, errors };
}

export async function api(path, opts) {
  const res = await fetch(`${BASE}${path}`, opts);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

// Waits until the map stops moving (fitBounds and cluster animations).
export async function settle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.storenet.map;
    let t = setTimeout(resolve, 400);
    m.on('moveend zoomend', () => { clearTimeout(t); t = setTimeout(resolve, 400); });
  }));
}

// axe-core, served to the page from its own origin (the page's CSP allows only 'self' scripts).
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_URL = `${BASE}/__axe-core.js`;
const WCAG22AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// Runs axe-core's WCAG 2.2 AA rules on the page as it is now; fails on any serious or critical
// violation, naming the rule and its first nodes.
export async function axeCheck(page, label) {
  await page.route(AXE_URL, (r) => r.fulfill({ body: AXE, contentType: 'application/javascript' }));
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ url: AXE_URL });
  }
  const res = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG22AA);
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes): ${v.help}\n    `
    + v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n    ')).join('\n  ');
  if (bad.length) throw new Error(`axe (${label}): ${bad.length} serious or critical violations:\n  ${text}`);
  return res;
}

// Ticks the given chains in the chain filter (opening its folded list first).
export async function chooseChains(page, ids) {
  if (!(await page.locator('#chain-box').evaluate((d) => d.open))) await page.click('#chain-summary');
  for (const id of ids) await page.check(`#chain-list input[value="${id}"]`);
}
