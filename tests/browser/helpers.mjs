// Shared set-up for the browser tests: Debian's chromium through playwright-core (no browser is
// ever downloaded), the server's base URL from STORENET_URL, console-error collection and
// screenshots in tests/browser/screenshots/.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

// A page on the map with every console error, page error and failed or off-host request
// recorded in `errors`.
export async function openMap(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) errors.push(`off-host request: ${u}`);
  });
  await page.goto(`${BASE}/`);
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
