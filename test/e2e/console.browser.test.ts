// The staff console in headless Chromium (Debian's package, driven by playwright-core) against the real app in
// sandbox mode: the seeded admin turns on TOTP on the account page and signs in again with a code, creates a
// clinician, finds a patient who wrote in (their hostile name stays text), records desk consent, opens the
// audit log; the clinician then sees no Users page (not in the navigation, "not allowed" at /users, 403 from
// the API). Screenshots of each step at 1280×800 (one at 768×1024) go to test-artifacts/console/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts', 'console');
const XSS = '<img src=x onerror=alert(1)>';
const CLINICIAN = { email: `clinician.${crypto.randomBytes(3).toString('hex')}@demo.patientline.local`, name: 'Dr Test Clinician', password: 'stethoscope-maple-2026!' };
const PHONE = `3361${crypto.randomInt(10_000_000, 99_999_999)}`;

let app: SandboxApp;
let browser: Browser;
let page: Page;
let shot = 0;
const dialogs: string[] = [];
const problems: string[] = [];
const skip = browserMissing();

async function snap(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const heading = () => page.locator('main h1');
/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const currentStep = () => Math.floor(Date.now() / 30_000);

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

/** What Meta would post when the patient writes in: signed with the app secret, through the real intake. */
async function patientWritesIn(): Promise<void> {
  const w = app.config.whatsapp;
  const payload = {
    object: 'whatsapp_business_account',
    entry: [{ id: w.businessAccountId, changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001111', phone_number_id: w.phoneNumberId },
      contacts: [{ profile: { name: XSS }, wa_id: PHONE }],
      messages: [{ from: PHONE, id: `wamid.console${crypto.randomBytes(6).toString('hex')}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Hello' } }],
    } }] }],
  };
  const raw = JSON.stringify(payload);
  const signature = `sha256=${crypto.createHmac('sha256', w.appSecret).update(raw).digest('hex')}`;
  const res = await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  app = await startSandboxApp();
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'en-GB', acceptDownloads: true });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A CSP violation or a failed script shows up here.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
});

// What the page showed when a step failed, beside the other screenshots.
beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('staff console (Chromium)', () => {
  let enabledStep = 0;
  let totpSecret = '';

  it('shows the login page for any address when signed out, under the strict CSP', async () => {
    const res = await page.goto(`${app.base}/users`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForURL(/\/login\?next=%2Fusers$/);
    await poll(() => heading().textContent()).toBe('Sign in');
    expect(await page.locator('header').count()).toBeGreaterThan(0);
    // Keyboard: Tab reaches the language picker, then the e-mail field, each with a visible focus ring.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe('Language');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.name')).toBe('email');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await snap('login');
  });

  it('the admin signs in with the password, then turns on TOTP on the account page', async () => {
    await signIn(app.config.adminEmail!, app.config.adminPassword!);
    await page.waitForURL(/\/users$/);
    await poll(() => heading().textContent()).toBe('Users');
    await page.getByRole('link', { name: /My account/ }).click();
    await poll(() => heading().textContent()).toBe('My account');
    await page.getByRole('button', { name: 'Set up the second factor' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(16);
    expect(await page.getByTestId('otpauth-url').textContent()).toMatch(/^otpauth:\/\/totp\//);
    await snap('account-totp-setup');
    enabledStep = currentStep();
    await page.getByLabel('Authentication code').fill(await generate({ secret }));
    await page.getByLabel('Authentication code').press('Enter');
    await poll(() => page.getByTestId('totp-state').textContent()).toBe('The second factor is on.');
    await snap('account-totp-on');
    totpSecret = secret;
  });

  it('signs out, and signs in again with the password and a TOTP code', async () => {
    const secret = totpSecret;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => heading().textContent()).toBe('Sign in');
    await signIn(app.config.adminEmail!, app.config.adminPassword!);
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    await snap('login-totp-step');
    // The code used to turn TOTP on may not be replayed: wait for the next 30 s step.
    while (currentStep() <= enabledStep) await new Promise((r) => setTimeout(r, 500));
    await code.fill(await generate({ secret }));
    await code.press('Enter');
    await poll(() => heading().textContent()).toBe('Home');
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Users', 'Patients', 'Audit log']) expect(await nav.getByRole('link', { name }).count(), name).toBe(1);
    await snap('admin-home');
  }, 90_000);

  it('creates a clinician on the users page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await poll(() => heading().textContent()).toBe('Users');
    const form = page.locator('form', { has: page.getByRole('button', { name: 'Create user' }) });
    await form.getByLabel('E-mail').fill(CLINICIAN.email);
    await form.getByLabel('Name').fill(CLINICIAN.name);
    await form.getByLabel('Role').selectOption('clinician');
    await form.getByLabel('Initial password').fill(CLINICIAN.password);
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator(`tr[data-email="${CLINICIAN.email}"]`);
    await row.waitFor();
    expect(await row.getByRole('combobox').inputValue()).toBe('clinician');
    await snap('users-clinician-created');
  });

  it('finds a patient who wrote in, whose hostile name stays text, and records consent given at the desk', async () => {
    await patientWritesIn();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).click();
    await poll(() => heading().textContent()).toBe('Patients');
    const link = page.locator('a.patient-link');
    // The inbound message becomes a patient once processed: search again until it shows.
    let tries = 0;
    await expect.poll(async () => {
      // A phone number is searched with or without its '+'.
      await page.getByLabel('Search', { exact: true }).fill(tries++ % 2 ? `+${PHONE}` : PHONE);
      await page.getByLabel('Search', { exact: true }).press('Enter');
      await page.waitForTimeout(300);
      return link.count();
    }, { timeout: 20_000, interval: 500 }).toBeGreaterThan(0);
    await snap('patients-search');
    await link.first().click();
    await poll(() => heading().textContent()).toBe('Patient');
    const name = page.locator('h2.patient-name');
    await poll(() => name.textContent()).toBe(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    const form = page.locator('form', { has: page.getByRole('button', { name: 'Record' }) });
    await form.getByLabel('Purpose').selectOption('surveys');
    await form.getByLabel('Withdrawn').check();
    await form.getByRole('button', { name: 'Record' }).click();
    await page.getByText('Consent recorded.').waitFor();
    await poll(() => page.locator('table tbody tr', { hasText: 'Surveys' }).count()).toBeGreaterThan(0);
    await snap('patient-profile');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^patient-.+\.json$/);
    JSON.parse(fs.readFileSync(await file.path(), 'utf8'));
    // Erasure waits for the exact phrase.
    const erase = page.getByRole('button', { name: "Erase the patient's data" });
    await page.getByLabel(/To confirm, type/).fill('ERASE');
    expect(await erase.isDisabled()).toBe(true);
    // On a tablet the page still fits its width.
    await page.setViewportSize({ width: 768, height: 1024 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(768);
    await snap('patient-profile-tablet-768');
    await page.setViewportSize({ width: 1280, height: 800 });
    // The exact phrase, then the erasure: back to the list, which says so.
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.getByLabel(/To confirm, type/).fill(`ERASE ${id}`);
    await erase.click();
    await page.waitForURL(/\/patients\?erased=1$/);
    await page.getByText("The patient's data was erased.").waitFor();
    expect(dialogs).toEqual([]);
  });

  it('opens the audit log, with entries and filters', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await poll(() => heading().textContent()).toBe('Audit log');
    await poll(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(0);
    for (const label of ['Actor', 'Patient', 'Action', 'From', 'To']) expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1);
    // Filtered by action: only what matches stays.
    await page.getByLabel('Action', { exact: true }).fill('patient');
    await page.getByLabel('Action', { exact: true }).press('Enter');
    await poll(async () => {
      const actions = await page.locator('table.audit tbody tr td:nth-child(3)').allTextContents();
      return actions.length > 0 && actions.every((a) => a.startsWith('patient'));
    }).toBe(true);
    await snap('audit-log');
  });

  it('the clinician has no Users page: not in the navigation, "not allowed" at /users, 403 from the API', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => heading().textContent()).toBe('Sign in');
    await signIn(CLINICIAN.email, CLINICIAN.password);
    await poll(() => heading().textContent()).toBe('Home');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Patients' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await page.goto(`${app.base}/users`);
    await poll(() => heading().textContent()).toBe('Not allowed');
    expect(await page.getByTestId('not-allowed').isVisible()).toBe(true);
    const status = await page.evaluate("fetch('/api/users', { credentials: 'same-origin' }).then((r) => r.status)");
    expect(status).toBe(403);
    await snap('clinician-users-not-allowed');
  });

  it('speaks French when picked, and remembers it', async () => {
    await page.getByLabel('Language').selectOption('fr');
    await poll(() => heading().textContent()).toBe('Accès refusé');
    expect(await page.getByRole('navigation', { name: 'Principale' }).getByRole('link', { name: 'Accueil' }).count()).toBe(1);
    expect(await page.evaluate('document.documentElement.lang')).toBe('fr');
    await page.reload();
    await poll(() => heading().textContent()).toBe('Accès refusé');
    await page.getByLabel('Langue').selectOption('en');
    await poll(() => heading().textContent()).toBe('Not allowed');
  });

  it('goes back to the login page when the session ends (a 401), and then to where the user was', async () => {
    await page.context().clearCookies();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).click();
    await poll(() => heading().textContent()).toBe('Sign in');
    expect(page.url()).toMatch(/\/login\?next=%2Fpatients$/);
    await signIn(CLINICIAN.email, CLINICIAN.password);
    await poll(() => heading().textContent()).toBe('Patients');
  });

  it('raised no CSP violation, script error or dialog on the way', () => {
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
