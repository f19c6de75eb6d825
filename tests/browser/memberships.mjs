// Drives the membership pages in headless Chromium (the Debian `chromium` package) through
// playwright-core, each person in their own browser context (own cookies):
//   1. a new patron signs up, opens the campaign page, clicks "Join" on a tier and pays with the
//      sandbox success card: "My memberships" says active_patron;
//   2. a second new patron joins with the decline card: declined_patron;
//   3. the creator logs in: the dashboard lists both with those statuses;
//   4. the creator publishes a post for that one tier only;
//   5. the first patron reads it; the declined one gets the locked page (403).
//
//   node tests/browser/memberships.mjs http://127.0.0.1:PORT VANITY TIER_ID CREATOR_EMAIL CREATOR_PASSWORD
//
// Prints one line per step and, last, `RESULT <active e-mail> <declined e-mail> <post path>`;
// exits 0 when every step passed, 1 on a failed step, 2 on bad usage, 3 on the global timeout.
// Only 127.0.0.1 is ever contacted.

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STEP_TIMEOUT_MS = 15_000;
const GLOBAL_TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS) || 100_000;
const SUCCESS_CARD = '4242 4242 4242 4242';
const DECLINE_CARD = '4000 0000 0000 0002';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (line) => console.log(`[memberships ${elapsed()}] ${line}`);

function usage(message) {
  console.error(`memberships.mjs: ${message}`);
  console.error('usage: node memberships.mjs http://127.0.0.1:PORT VANITY TIER_ID CREATOR_EMAIL CREATOR_PASSWORD');
  process.exit(2);
}

const [rawBase, vanity, tierId, creatorEmail, creatorPassword] = process.argv.slice(2);
if (!creatorPassword) usage('missing arguments');
let base;
try {
  base = new URL(rawBase);
} catch {
  usage(`not a URL: ${rawBase}`);
}
if (base.protocol !== 'http:' || base.hostname !== '127.0.0.1') usage(`refusing ${rawBase}: only http://127.0.0.1`);
if (!existsSync(CHROMIUM)) {
  console.error(`memberships.mjs: ${CHROMIUM} is missing — run \`apt-get install chromium\``);
  process.exit(2);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  console.error(`memberships.mjs: cannot load playwright-core (${err.message}) — run \`npm ci --prefix tests/browser\``);
  process.exit(2);
}

const url = (path) => new URL(path, base).href;
const pathOf = (page) => new URL(page.url()).pathname;

let browser;
let current; // the page of the step running, for the failure report
let currentStep = '(starting)';
class StepFailure extends Error {}
function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

async function report(message) {
  console.error(`FAILED at step "${currentStep}" after ${elapsed()}: ${message}`);
  if (current) {
    try {
      console.error(`  page URL: ${current.url()}`);
      const text = (await current.locator('body').innerText({ timeout: 2_000 })).trim();
      console.error(`  page text:\n    ${text.slice(0, 1500).replaceAll('\n', '\n    ')}`);
    } catch {
      // The page may be gone.
    }
  }
}

let timedOut = false;
let exitCode = 0;
const globalTimer = setTimeout(async () => {
  timedOut = true;
  await report(`global timeout of ${GLOBAL_TIMEOUT_MS} ms exceeded`);
  await browser?.close().catch(() => {});
  process.exit(3);
}, GLOBAL_TIMEOUT_MS);

let stepNumber = 0;
async function step(title, body) {
  stepNumber += 1;
  currentStep = `${stepNumber}. ${title}`;
  const t0 = Date.now();
  await body();
  log(`ok   ${currentStep} (${Date.now() - t0} ms)`);
}

/** A fresh person: their own context (cookies), requests outside the server refused. */
async function person() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  await context.route('**/*', (route) => {
    const target = new URL(route.request().url());
    if (target.hostname === '127.0.0.1' && target.port === base.port) return route.continue();
    log(`warning: blocked a request to ${target.href}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => log(`warning: script error on the page: ${err.message}`));
  current = page;
  return page;
}

/** Clicks `button`, waits for the page it leads to, and checks it is `expectedPath`. */
async function submit(page, button, expectedPath) {
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && r.frame() === page.mainFrame(),
    { timeout: STEP_TIMEOUT_MS },
  );
  const committed = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: STEP_TIMEOUT_MS,
  });
  const [post] = await Promise.all([response, committed, button.click()]);
  await page.waitForLoadState('load');
  const status = post.status();
  if (status < 300 || status > 399) {
    const alert = page.locator('[role="alert"]');
    const said = (await alert.count()) ? `: "${(await alert.first().innerText()).trim()}"` : '';
    throw new StepFailure(`POST ${new URL(post.url()).pathname} answered ${status}${said}`);
  }
  check(pathOf(page) === expectedPath, `the form led to ${page.url()}, expected ${expectedPath}`);
}

async function signUp(page, email) {
  await page.goto(url('/signup'));
  await page.getByLabel('Name').fill(`Patron ${email.split('@')[0]}`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(`Pw-${randomBytes(9).toString('base64url')}`);
  await submit(page, page.getByRole('button', { name: 'Sign up' }), '/profile');
}

/** Joins the tier from the campaign page with `card`; returns the status "My memberships" shows. */
async function joinWith(page, card) {
  const response = await page.goto(url(`/c/${vanity}`));
  check(response?.status() === 200, `GET /c/${vanity} answered ${response?.status()}`);
  await page.locator(`#tier-${tierId} a.join`).click();
  await page.waitForURL((u) => u.pathname === `/c/${vanity}/join`);
  check(await page.locator(`input[name="tier"][value="${tierId}"]`).isChecked(), 'the tier is not chosen');
  check((await page.locator('#checkout input[name="csrf_token"]').count()) === 1, 'no CSRF field');
  check((await page.locator('#checkout input[name="idempotency_key"]').count()) === 1, 'no idempotency key');
  await page.getByLabel('Card number (sandbox test cards only)').fill(card);
  await submit(page, page.locator('#pay'), '/memberships');
  return (await page.locator('.membership .status').first().innerText()).trim();
}

const id = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
const activeEmail = `active-${id}@example.test`;
const declinedEmail = `declined-${id}@example.test`;
const postTitle = `For one tier ${id}`;
const postBody = `Tier-only words ${id}`;
let postPath;

try {
  await step(`launch ${CHROMIUM}`, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  const active = await person();
  await step(`${activeEmail} signs up and joins tier ${tierId} with the success card`, async () => {
    await signUp(active, activeEmail);
    const status = await joinWith(active, SUCCESS_CARD);
    check(status === 'active_patron', `My memberships says "${status}", expected active_patron`);
  });

  const declined = await person();
  await step(`${declinedEmail} signs up and joins with the decline card`, async () => {
    await signUp(declined, declinedEmail);
    const status = await joinWith(declined, DECLINE_CARD);
    check(status === 'declined_patron', `My memberships says "${status}", expected declined_patron`);
  });

  const creator = await person();
  await step('the creator logs in and sees both on the dashboard', async () => {
    await creator.goto(url('/login?next=%2Fdashboard'));
    await creator.getByLabel('E-mail').fill(creatorEmail);
    await creator.getByLabel('Password').fill(creatorPassword);
    await submit(creator, creator.getByRole('button', { name: 'Log in' }), '/dashboard');
    for (const [email, status] of [[activeEmail, 'active_patron'], [declinedEmail, 'declined_patron']]) {
      const row = creator.locator('#members tr.member', { hasText: email });
      check((await row.count()) === 1, `the dashboard does not list ${email}`);
      const shown = (await row.locator('.status').innerText()).trim();
      check(shown === status, `the dashboard shows ${email} as "${shown}", expected ${status}`);
    }
  });

  await step(`the creator publishes a post for tier ${tierId} only`, async () => {
    await creator.goto(url('/dashboard/posts'));
    await creator.getByLabel('Title', { exact: true }).fill(postTitle);
    await creator.getByLabel('Content', { exact: true }).fill(postBody);
    await creator.locator(`#post-form input[name="tier_ids"][value="${tierId}"]`).check();
    await submit(creator, creator.locator('#publish'), '/dashboard/posts');
    const link = creator.locator('#posts a', { hasText: postTitle });
    check((await link.count()) === 1, 'the new post is not listed');
    postPath = await link.getAttribute('href');
  });

  await step('the tier\'s patron reads it', async () => {
    current = active;
    const response = await active.goto(url(postPath));
    check(response?.status() === 200, `GET ${postPath} answered ${response?.status()}`);
    const text = (await active.locator('.content').innerText()).trim();
    check(text === postBody, `the post shows "${text}"`);
  });

  await step('the declined patron is refused', async () => {
    current = declined;
    const response = await declined.goto(url(postPath));
    check(response?.status() === 403, `GET ${postPath} answered ${response?.status()}, expected 403`);
    check((await declined.locator('.locked').count()) === 1, 'no locked notice');
    check(!(await declined.locator('body').innerText()).includes(postBody), 'the words leaked');
  });

  log(`PASSED ${stepNumber} steps`);
  console.log(`RESULT ${activeEmail} ${declinedEmail} ${postPath}`);
} catch (err) {
  if (!timedOut) await report(err instanceof StepFailure ? err.message : (err?.stack ?? String(err)));
  exitCode = 1;
} finally {
  clearTimeout(globalTimer);
  await browser?.close().catch(() => {});
}
process.exit(timedOut ? 3 : exitCode);
