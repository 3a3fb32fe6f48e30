// The web map's first view on a throttled phone, as issue 17 measures it: Debian's chromium via
// playwright-core at 390×844 (touch, DPR 3), CPU slowed 4× (CDP Emulation.setCPUThrottlingRate)
// and the network at 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency
// (Network.emulateNetworkConditions), browser cache off for the cold view.
//
// Figures per run:
// - first markers: ms from navigation start (the page's performance.timeOrigin) to the first
//   marker or cluster icon added to Leaflet's marker pane, recorded by a MutationObserver the page
//   gets before its own scripts run (no polling delay);
// - bytes to first markers / first view: the sum of CDP's encodedDataLength (headers and body as
//   they came over the wire) of every request finished by then / by network idle;
// - a warm revisit (cache on, same context): bytes and first markers when the assets are kept and
//   the list revalidates.
// Usage: node phone.mjs <base-url> [runs=3]. Prints one line per run and the medians.
import { chromium } from 'playwright-core';

const base = process.argv[2];
const runs = Number(process.argv[3] || 3);
if (!base) {
  console.error('usage: node phone.mjs <base-url> [runs]');
  process.exit(2);
}

const MARKERS = `
  (() => {
    const seen = () => document.querySelector('.leaflet-marker-pane .leaflet-marker-icon');
    const done = () => { if (window.__firstMarkers === undefined) window.__firstMarkers = performance.now(); };
    new MutationObserver((_, obs) => { if (seen()) { done(); obs.disconnect(); } })
      .observe(document, { childList: true, subtree: true });
  })();`;

async function view(context, cold) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6e6) / 8,
    uploadThroughput: (750e3) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const finished = []; // [monotonic seconds, bytes, url]
  const urls = new Map();
  const sent = new Map();
  cdp.on('Network.requestWillBeSent', (e) => { urls.set(e.requestId, e.request.url); sent.set(e.requestId, e.timestamp); });
  cdp.on('Network.loadingFinished', (e) => finished.push([e.timestamp, e.encodedDataLength, urls.get(e.requestId), sent.get(e.requestId)]));
  let navStart = null;
  cdp.on('Network.requestWillBeSent', (e) => { if (navStart === null) navStart = e.timestamp; });
  await page.addInitScript(MARKERS);
  await page.goto(base + '/', { waitUntil: 'networkidle', timeout: 120000 });
  // A selector wait, not waitForFunction: its polling evaluates strings, which the page's CSP
  // (no 'unsafe-eval') refuses.
  await page.waitForSelector('.leaflet-marker-pane .leaflet-marker-icon', { state: 'attached', timeout: 120000 });
  const first = await page.evaluate(() => window.__firstMarkers);
  const origin = await page.evaluate(() => performance.timeOrigin);
  // CDP timestamps are monotonic seconds; the page's navigation request is the first one sent,
  // so first markers on that clock is navStart + first / 1000 (within a millisecond or so).
  const cut = navStart + first / 1000;
  const toMarkers = finished.filter(([t]) => t <= cut).reduce((s, [, b]) => s + b, 0);
  const total = finished.reduce((s, [, b]) => s + b, 0);
  const perUrl = finished.map(([t, b, u, s]) => [u, b, Math.round((s - navStart) * 1000), Math.round((t - navStart) * 1000)]);
  await page.close();
  return { first, toMarkers, total, perUrl, origin };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (b) => `${(b / 1000).toFixed(1)} kB`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const cold = [];
const warm = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    });
    const c = await view(context, true);
    const w = await view(context, false);
    await context.close();
    cold.push(c);
    warm.push(w);
    const lists = c.perUrl.filter(([u]) => new URL(u).pathname === '/v1/outlets').length;
    if (lists > 1) console.log(`note: the outlet list came ${lists} times (a preload the page did not use?)`);
    console.log(`run ${i + 1}: cold first markers ${c.first.toFixed(0)} ms, ${kb(c.toMarkers)} to first markers, ${kb(c.total)} first view; warm revisit ${w.first.toFixed(0)} ms, ${kb(w.total)}`);
    if (i === 0 && process.env.PHONE_VERBOSE) {
      for (const [u, b, s, t] of c.perUrl) console.log(`  ${kb(b).padStart(10)}  ${String(s).padStart(5)}–${String(t).padStart(5)} ms  ${u}`);
    }
  }
} finally {
  await browser.close();
}
console.log(`median of ${runs}: first markers ${median(cold.map((r) => r.first)).toFixed(0)} ms, `
  + `bytes to first markers ${kb(median(cold.map((r) => r.toMarkers)))}, `
  + `first view ${kb(median(cold.map((r) => r.total)))}; `
  + `warm revisit ${median(warm.map((r) => r.first)).toFixed(0)} ms, ${kb(median(warm.map((r) => r.total)))}`);
