// Drives Maecenas's account pages in headless Chromium (the Debian `chromium` package) through
// playwright-core: sign up, see the profile, log out, log in again, a wrong password, and — when
// credentials are given — an existing account's log-in.
//
//   node tests/browser/accounts.mjs http://127.0.0.1:PORT [EXISTING_EMAIL EXISTING_PASSWORD]
//
// Env: BROWSER_SCREENSHOT=path.png saves the new account's profile page there;
//      BROWSER_TIMEOUT_MS overrides the global 60 s limit.
// Prints one line per step; exits 0 when every step passed, 1 on a failed step, 2 on bad usage
// or a missing prerequisite, 3 on the global timeout. Only 127.0.0.1 is ever contacted.

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WRONG_PASSWORD_ERROR = 'That e-mail and password do not match an account.';
const STEP_TIMEOUT_MS = 15_000;
const GLOBAL_TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS) || 60_000;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (line) => console.log(`[accounts ${elapsed()}] ${line}`);

function usage(message) {
  console.error(`accounts.mjs: ${message}`);
  console.error('usage: node accounts.mjs http://127.0.0.1:PORT [EXISTING_EMAIL EXISTING_PASSWORD]');
  process.exit(2);
}

// ---- arguments and prerequisites -------------------------------------------------------------

const [rawBase, existingEmail, existingPassword] = process.argv.slice(2);
if (!rawBase) usage('missing the base URL');
let base;
try {
  base = new URL(rawBase);
} catch {
  usage(`not a URL: ${rawBase}`);
}
if (base.protocol !== 'http:' || base.hostname !== '127.0.0.1') {
  usage(`refusing ${rawBase}: only http://127.0.0.1 URLs are allowed`);
}
if ((existingEmail === undefined) !== (existingPassword === undefined)) {
  usage('give both the existing account\'s e-mail and password, or neither');
}
if (!existsSync(CHROMIUM)) {
  console.error(`accounts.mjs: ${CHROMIUM} is missing — run \`apt-get install chromium\``);
  process.exit(2);
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  console.error(`accounts.mjs: cannot load playwright-core (${err.message}) — run \`npm ci --prefix tests/browser\``);
  process.exit(2);
}

const url = (path) => new URL(path, base).href;
const pathOf = (page) => new URL(page.url()).pathname;

// ---- state for clean-up and diagnostics ------------------------------------------------------

const userDataDir = mkdtempSync(join(tmpdir(), 'maecenas-chromium-'));
let context;
let page;
let currentStep = '(starting)';
const traffic = []; // the last few responses, for the failure report

function removeUserDataDir() {
  try {
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    console.error(`warning: could not remove ${userDataDir}: ${err.message}`);
  }
}

let closing;
/** Closes the browser once, however many callers ask; gives up waiting after 5 s. */
function closeBrowser() {
  closing ??= context
    ? Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))])
    : Promise.resolve();
  return closing;
}

async function report(message) {
  console.error(`FAILED at step "${currentStep}" after ${elapsed()}: ${message}`);
  if (page) {
    try {
      console.error(`  page URL: ${page.url()}`);
      const text = (await page.locator('body').innerText({ timeout: 2_000 })).trim();
      console.error(`  page text:\n    ${text.slice(0, 1500).replaceAll('\n', '\n    ')}`);
    } catch {
      // The page may be gone; the message above is what matters.
    }
  }
  if (traffic.length) console.error(`  recent responses:\n    ${traffic.slice(-8).join('\n    ')}`);
}

// Whatever ends the process, the temporary profile goes with it.
process.on('exit', () => {
  if (existsSync(userDataDir)) removeUserDataDir();
});
// Playwright calls still pending when the browser is closed under them reject later; after a
// failure has been reported they are noise, not a second failure.
process.on('unhandledRejection', (err) => {
  if (timedOut || exitCode !== 0) return;
  console.error(`FAILED: unhandled rejection: ${err?.stack ?? err}`);
  exitCode = 1;
});

let timedOut = false;
let exitCode = 0;
const globalTimer = setTimeout(async () => {
  timedOut = true;
  await report(`global timeout of ${GLOBAL_TIMEOUT_MS} ms exceeded`);
  await closeBrowser();
  removeUserDataDir();
  process.exit(3);
}, GLOBAL_TIMEOUT_MS);

// ---- small helpers ---------------------------------------------------------------------------

class StepFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

let stepNumber = 0;
async function step(title, body) {
  stepNumber += 1;
  currentStep = `${stepNumber}. ${title}`;
  const t0 = Date.now();
  await body();
  log(`ok   ${currentStep} (${Date.now() - t0} ms)`);
}

/**
 * Clicks a form's `button` and waits until the page the form leads to has loaded (after any
 * redirect). Returns the POST's own response. With `expectedPath`, the POST must have redirected
 * there; otherwise the page's error, if any, is reported at once.
 */
async function submit(button, expectedPath) {
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
  if (expectedPath) {
    const status = post.status();
    if (status < 300 || status > 399) {
      const alert = page.locator('[role="alert"]');
      const said = (await alert.count()) ? `: "${(await alert.first().innerText()).trim()}"` : '';
      throw new StepFailure(`${post.request().method()} ${new URL(post.url()).pathname} answered ${status}, not a redirect to ${expectedPath}${said}`);
    }
    check(pathOf(page) === expectedPath, `the form led to ${page.url()}, expected ${expectedPath}`);
  }
  return post;
}

async function expectProfileOf(email) {
  check(pathOf(page) === '/profile', `expected to be on /profile, but the browser is on ${page.url()}`);
  const shown = page.locator('#profile-email');
  check((await shown.count()) === 1, 'the profile page has no #profile-email element');
  const text = (await shown.innerText()).trim();
  check(text === email, `#profile-email shows "${text}", expected "${email}"`);
}

async function logOut() {
  await submit(page.getByRole('button', { name: 'Log out' }), '/');
  check(
    (await page.getByRole('link', { name: 'Log in' }).count()) > 0,
    'after logging out the page header still has no "Log in" link',
  );
}

async function logIn(email, password, expectedPath) {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  return submit(page.getByRole('button', { name: 'Log in' }), expectedPath);
}

// ---- the run ---------------------------------------------------------------------------------

const id = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
const newEmail = `browser-${id}@example.test`;
const newPassword = `Pw-${randomBytes(9).toString('base64url')}`;
const newName = 'Browser Tester';

try {
  await step(`launch ${CHROMIUM} (profile ${userDataDir})`, async () => {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 760 },
      timeout: 30_000,
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    // Never leave the machine: anything not for the server under test is refused.
    await context.route('**/*', (route) => {
      const target = new URL(route.request().url());
      if (target.hostname === '127.0.0.1' && target.port === base.port) return route.continue();
      log(`warning: blocked a request to ${target.href}`);
      return route.abort('blockedbyclient');
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('response', (r) => {
      traffic.push(`${r.status()} ${r.request().method()} ${r.url()}`);
      if (traffic.length > 20) traffic.shift();
    });
    page.on('pageerror', (err) => log(`warning: script error on the page: ${err.message}`));
    log(`     user agent: ${await page.evaluate(() => navigator.userAgent)}`);
  });

  await step('open the front page and follow "Create an account"', async () => {
    const response = await page.goto(url('/'));
    check(response?.status() === 200, `GET / answered ${response?.status()}`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL((u) => u.pathname === '/signup');
    check(
      (await page.locator('form[action="/signup"] input[name="csrf_token"]').count()) === 1,
      'the sign-up form has no csrf_token field',
    );
  });

  await step(`sign up as ${newEmail}`, async () => {
    await page.getByLabel('Name').fill(newName);
    await page.getByLabel('E-mail').fill(newEmail);
    await page.getByLabel('Password').fill(newPassword);
    const post = await submit(page.getByRole('button', { name: 'Sign up' }), '/profile');
    check(post.status() === 303 || post.status() === 302, `POST /signup answered ${post.status()}`);
    await expectProfileOf(newEmail);
    const heading = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
    check(heading === newName, `the profile heading is "${heading}", expected "${newName}"`);
  });

  if (process.env.BROWSER_SCREENSHOT) {
    await step('save a screenshot of the profile page', async () => {
      const path = resolve(process.env.BROWSER_SCREENSHOT);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true });
      log(`     screenshot: ${path}`);
    });
  }

  await step('log out', async () => {
    await logOut();
  });

  await step('the profile now asks for a log-in', async () => {
    await page.goto(url('/profile'));
    check(pathOf(page) === '/login', `GET /profile after logging out ended on ${page.url()}, not /login`);
    const next = new URL(page.url()).searchParams.get('next');
    check(next === '/profile', `the log-in page's next is "${next}", expected "/profile"`);
  });

  await step(`log in again as ${newEmail}`, async () => {
    await logIn(newEmail, newPassword, '/profile');
    await expectProfileOf(newEmail);
  });

  await step('log out again', async () => {
    await logOut();
  });

  await step('a wrong password is refused with an error', async () => {
    await page.goto(url('/login'));
    const post = await logIn(newEmail, `${newPassword}-wrong`);
    check(post.status() === 401, `POST /login with a wrong password answered ${post.status()}, expected 401`);
    check(pathOf(page) === '/login', `after a wrong password the browser is on ${page.url()}, not /login`);
    const alert = page.locator('p.error[role="alert"]');
    check((await alert.count()) === 1, 'no <p class="error" role="alert"> on the page');
    const text = (await alert.innerText()).trim();
    check(text === WRONG_PASSWORD_ERROR, `the error says "${text}", expected "${WRONG_PASSWORD_ERROR}"`);
    check(
      (await page.locator('#profile-email').count()) === 0,
      'a wrong password still shows a profile',
    );
  });

  if (existingEmail !== undefined) {
    await step(`log in as the existing account ${existingEmail}`, async () => {
      await page.goto(url('/login'));
      await logIn(existingEmail, existingPassword, '/profile');
      await expectProfileOf(existingEmail.trim().toLowerCase());
    });

    await step('log out of the existing account', async () => {
      await logOut();
    });
  }

  log(`PASSED ${stepNumber} steps; signed up ${newEmail}`);
} catch (err) {
  // After the global timeout the browser is closed under the steps; that report stands alone.
  if (!timedOut) await report(err instanceof StepFailure ? err.message : (err?.stack ?? String(err)));
  exitCode = 1;
} finally {
  clearTimeout(globalTimer);
  await closeBrowser();
  removeUserDataDir();
}
process.exit(timedOut ? 3 : exitCode);
