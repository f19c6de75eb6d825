// Opens the OBS alert overlay in headless Chromium (the Debian `chromium` package) through
// playwright-core and reports what it shows, step by step, to whoever drives it over stdio:
//
//   node tests/browser/overlay.mjs http://127.0.0.1:PORT /widget/alerts/SECRET?duration=1500
//
//   → READY                                  the page is connected and subscribed
//   ← {"id":N,"created_ms":T,"expect":{...}}  a donation was just made at T (ms since the epoch)
//   → SHOWN {"id","latency_ms",...}          its alert is on screen: shown at created_ms+latency
//   ← {"queue":[A,B]}                         two donations were made together
//   → QUEUE {"log":[...]}                    both were shown, one after the other
//
// Env: OVERLAY_SCREENSHOT=path.png saves the first alert there (on a dark stand-in for a stream).
// Exits 0 when every step passed, 1 on a failed step, 2 on bad usage, 3 on the 60 s timeout.
// Only 127.0.0.1 is ever contacted.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync',
  '--disable-background-networking', '--disable-component-update',
  '--autoplay-policy=no-user-gesture-required'];
const STEP_MS = 15_000;

const fail = (code, message) => {
  console.error(`overlay.mjs: ${message}`);
  process.exit(code);
};
const [rawBase, overlayPath] = process.argv.slice(2);
let base;
try {
  base = new URL(rawBase);
} catch {
  fail(2, `usage: node overlay.mjs http://127.0.0.1:PORT /widget/alerts/SECRET (got ${rawBase})`);
}
if (base.protocol !== 'http:' || base.hostname !== '127.0.0.1') fail(2, `refusing ${rawBase}`);
if (!overlayPath?.startsWith('/widget/alerts/')) fail(2, 'the second argument is the overlay path');
if (!existsSync(CHROMIUM)) fail(2, `${CHROMIUM} is missing: apt-get install chromium`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  fail(2, `cannot load playwright-core (${err.message}): npm ci --prefix tests/browser`);
}

const profile = mkdtempSync(join(tmpdir(), 'maecenas-overlay-'));
process.on('exit', () => rmSync(profile, { recursive: true, force: true }));
setTimeout(() => fail(3, 'global timeout of 60 s exceeded'), 60_000).unref();

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextMessage() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed');
  return JSON.parse(value);
}
const check = (ok, message) => {
  if (!ok) throw new Error(message);
};

const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 800, height: 360 },
});
const problems = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  // A failed load is reported below with its URL; other console errors are problems.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && path !== '/favicon.ico') problems.push(`HTTP ${r.status()} for ${path}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (new URL(r.url()).hostname !== '127.0.0.1') problems.push(`off-machine request: ${r.url()}`);
  });
  await page.goto(new URL(overlayPath, base).href);
  await page.waitForSelector('#overlay[data-state="subscribed"]', { state: 'attached', timeout: STEP_MS });
  console.log('READY');

  // One donation: on screen within a second of being made, its text shown as text.
  const first = await nextMessage();
  const card = page.locator(`.alert[data-id="${first.id}"]`);
  await card.waitFor({ state: 'visible', timeout: STEP_MS });
  const shownMs = Number(await card.getAttribute('data-shown-ms'));
  const text = async (sel) => (await card.locator(sel).textContent()) ?? '';
  const seen = {
    id: first.id,
    latency_ms: shownMs - first.created_ms,
    name: await text('.name'),
    amount: await text('.amount'),
    message: await text('.message'),
    message_elements: await card.locator('.message *').count(),
    beeps: Number((await page.locator('#overlay').getAttribute('data-beeps')) ?? 0),
  };
  for (const key of ['name', 'amount', 'message']) {
    check(seen[key] === first.expect[key], `${key}: shown ${JSON.stringify(seen[key])}, expected ${JSON.stringify(first.expect[key])}`);
  }
  check(seen.message_elements === 0, 'the message was rendered as HTML');
  if (process.env.OVERLAY_SCREENSHOT) {
    await page.waitForTimeout(700); // the entrance animation
    const backdrop = await page.evaluateHandle(() => {
      const stage = document.createElement('div');
      stage.style.cssText = 'position:fixed;inset:0;z-index:-1;background:linear-gradient(160deg,#1f2a44,#3b1f3f)';
      document.body.prepend(stage);
      return stage;
    });
    await page.waitForTimeout(100);
    await page.screenshot({ path: process.env.OVERLAY_SCREENSHOT });
    await backdrop.evaluate((stage) => stage.remove());
  }
  console.log(`SHOWN ${JSON.stringify(seen)}`);

  // Two at once: queued, one after the other, never together.
  const { queue } = await nextMessage();
  await page.waitForFunction(
    (ids) => ids.every((id) => window.overlayLog.some((e) => e.id === id && e.hiddenAt)),
    queue, { timeout: STEP_MS, polling: 50 },
  );
  const log = await page.evaluate(() => window.overlayLog);
  const order = log.map((e) => e.id);
  check(JSON.stringify(order) === JSON.stringify([first.id, ...queue]), `shown in the order ${order}`);
  for (let i = 1; i < log.length; i += 1) {
    check(log[i - 1].hiddenAt <= log[i].shownAt, `alert ${log[i].id} was shown while ${log[i - 1].id} still was`);
  }
  check(problems.length === 0, problems.join('; '));
  console.log(`QUEUE ${JSON.stringify({ log })}`);
} catch (err) {
  console.error(`FAILED: ${err.message}${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`);
  process.exitCode = 1;
} finally {
  await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
}
process.exit(process.exitCode ?? 0);
