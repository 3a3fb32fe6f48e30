// Keyboard and accessibility (issue 17 point 7): a skip link, the panel before the map in the Tab
// order with no marker in it, arrow keys through results, Escape closing the card, a focus ring
// of at least 3:1, marker letters of at least 4.5:1, and 44 px touch targets on a phone. axe-core
// (WCAG 2.2 AA) runs on each state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openMap, api, shot, axeCheck, PHONE, DESKTOP } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function luminance([r, g, b]) {
  const v = [r, g, b].map((c) => c / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
function rgb(css) {
  const hex = /^#([0-9a-f]{6})$/i.exec(css.trim());
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  assert.ok(m, `a colour: ${css}`);
  return m.slice(1, 4).map(Number);
}

test('keyboard: skip link, panel before the map, arrows through results, Escape closes the card', async () => {
  const { context, page, errors } = await openMap(browser, DESKTOP.viewport, { ...DESKTOP, locale: 'fi-FI' });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  assert.ok(await page.locator('.skip').isVisible(), 'the skip link shows when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
  await page.keyboard.type('karkola');
  await page.locator('#search-results li[data-id]').nth(1).waitFor();
  const ids = await page.locator('#search-results li[data-id]').evaluateAll((lis) => lis.map((li) => li.dataset.id));
  const focusedId = () => page.evaluate(() => document.activeElement.closest('li')?.dataset.id);
  await page.keyboard.press('ArrowDown');
  assert.equal(await focusedId(), ids[0]);
  await page.keyboard.press('ArrowDown');
  assert.equal(await focusedId(), ids[1]);
  await page.keyboard.press('ArrowUp');
  assert.equal(await focusedId(), ids[0]);
  await shot(page, 'desktop-keyboard-results');
  await page.keyboard.press('Enter');
  await page.locator(`#card .card-content[data-id="${ids[0]}"]`).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'card-close');
  await axeCheck(page, 'card by keyboard');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#card').isVisible(), false);
  assert.equal(await focusedId(), ids[0], 'focus back on the result');
  // No marker or cluster is a Tab stop; Tab from the search field reaches the map after the
  // panel's controls only.
  assert.equal(await page.locator('.leaflet-marker-icon[tabindex]').count(), 0);
  await page.focus('#search');
  let steps = 0;
  for (; steps < 120; steps++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const a = document.activeElement;
      return a.id === 'map' ? 'map' : a.closest('#panel') ? 'panel' : a.closest('.leaflet-container') ? 'leaflet' : 'other';
    });
    if (where === 'map') break;
    assert.equal(where, 'panel', `Tab stop ${steps + 1} is in the panel`);
  }
  assert.ok(steps < 120, 'the map is reached');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the focus ring contrasts at least 3:1 and every chain marker\'s letter at least 4.5:1', async () => {
  const { context, page, errors } = await openMap(browser, DESKTOP.viewport, { ...DESKTOP, locale: 'fi-FI' });
  // Each control focused by a Tab press, so :focus-visible applies.
  for (const sel of ['#search', '#locate', '#k']) {
    await page.focus(sel);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const a = document.activeElement;
      const s = getComputedStyle(a);
      const panel = getComputedStyle(document.getElementById('panel')).backgroundColor;
      return { id: a.id, color: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle, panel };
    });
    assert.equal(ring.id, sel.slice(1));
    assert.ok(ring.style !== 'none' && ring.width >= 2, `a visible ring on ${sel}: ${JSON.stringify(ring)}`);
    assert.ok(contrast(rgb(ring.color), rgb(ring.panel)) >= 3, `ring contrast on ${sel}: ${JSON.stringify(ring)}`);
    assert.ok(contrast(rgb(ring.color), [255, 255, 255]) >= 3);
  }
  const chains = await api('/v1/chains');
  for (const c of chains.chains) {
    const html = await page.evaluate((id) => window.storenet.markerHtml(id), c.id);
    const bg = /background:(#[0-9a-f]{6})/i.exec(html)[1];
    const fg = /;color:(#[0-9a-f]{6})/i.exec(html)[1];
    assert.equal(bg.toLowerCase(), c.colour.toLowerCase());
    const ratio = contrast(rgb(bg), rgb(fg));
    assert.ok(ratio >= 4.5, `${c.id}: letter ${fg} on ${bg} is ${ratio.toFixed(2)}:1`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone every visible control is at least 44 × 44 px', async () => {
  const { context, page, errors } = await openMap(browser, PHONE.viewport, { ...PHONE, locale: 'fi-FI' });
  await page.click('#chain-summary');
  const small = await page.evaluate(() => {
    const out = [];
    const sel = 'button, select, input, a.button, summary, .leaflet-bar a, #card a, .checks label';
    for (const e of document.querySelectorAll(sel)) {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
      // A checkbox is touched through its row (input plus label).
      const box = e.type === 'checkbox' ? (e.closest('.row, label') || e).getBoundingClientRect() : r;
      if (box.height < 44 || (e.type !== 'checkbox' && box.width < 44)) out.push(`${e.tagName.toLowerCase()}#${e.id || ''}.${e.className} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return out;
  });
  assert.deepEqual(small, []);
  await axeCheck(page, 'phone chains open');
  await shot(page, 'phone-chains');
  assert.deepEqual(errors, []);
  await context.close();
});
