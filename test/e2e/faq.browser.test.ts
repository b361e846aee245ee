// The FAQ page in headless Chromium against the real app in sandbox mode (the demo clinic seeded): a
// clinician signs in, finds the English payment entry, edits its answer (the counter follows), saves, and
// the API then returns the new answer with the clinician as its editor; "try a question" answers with it;
// a receptionist sees the same entry read-only. Screenshots go to test-artifacts/faq/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { bearerApi, newConsolePage, poll, signIn as signInAs } from '../support/console-page.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts', 'faq');
const ADMIN_TOKEN = crypto.randomBytes(33).toString('base64url');
const PASSWORD = 'stethoscope-maple-2026!';
const suffix = crypto.randomBytes(3).toString('hex');
const CLINICIAN = { email: `faq.clinician.${suffix}@demo.patientline.local`, displayName: 'Dr FAQ Editor', role: 'clinician', password: PASSWORD };
const RECEPTION = { email: `faq.reception.${suffix}@demo.patientline.local`, displayName: 'FAQ Reader', role: 'reception', password: PASSWORD };
const NEW_ANSWER = 'Card, cash or bank transfer at reception after your visit. We no longer take cheques.';

let app: SandboxApp;
let browser: Browser;
let page: Page;
let clinicianId = '';
const problems: string[] = [];
const skip = browserMissing();

const heading = () => page.locator('main h1');
const admin = bearerApi(() => app.base, ADMIN_TOKEN);
const signIn = (email: string) => signInAs(page, app.base, email, PASSWORD);

async function openPaymentEntry(): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'FAQ' }).click();
  await poll(() => heading().textContent()).toBe('FAQ');
  const filters = page.getByRole('form', { name: 'Filter the FAQ' });
  await filters.getByLabel('Topic').selectOption('payment');
  await filters.getByLabel('Language').selectOption('en');
  const row = page.locator('tr[data-topic="payment"][data-language="en"]');
  await poll(() => page.locator('tbody tr').count()).toBe(1);
  await row.getByRole('button').click();
}

beforeAll(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  app = await startSandboxApp({ ADMIN_API_TOKEN: ADMIN_TOKEN });
  for (const u of [CLINICIAN, RECEPTION]) {
    const res = await admin('POST', '/api/users', u);
    expect(res.status, await res.clone().text()).toBe(201);
    if (u === CLINICIAN) clinicianId = ((await res.json()) as { id: string }).id;
  }
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  page = await newConsolePage(browser, problems);
});

beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('FAQ page (Chromium)', () => {
  it('a clinician edits an answer in the console and the API returns the new one', async () => {
    await signIn(CLINICIAN.email);
    await openPaymentEntry();
    await poll(() => page.locator('#faq-editor').textContent()).toBe('Payment (en)');
    const answer = page.getByLabel('Answer');
    expect(await answer.inputValue()).toContain('We do not accept cheques.');
    expect(await page.getByLabel('Other ways patients ask it').inputValue()).toContain('can i pay by card');
    await answer.fill(NEW_ANSWER);
    await poll(() => page.getByText(`${NEW_ANSWER.length} / 4096 characters`).count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, '01-edit.png'), fullPage: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: Payment (en).').waitFor();

    const res = await admin('GET', '/api/faq?topic=payment&language=en');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { answer: string; updatedBy: string }[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ answer: NEW_ANSWER, updatedBy: clinicianId });

    // What a patient asking about it now gets.
    await page.getByLabel('Patient message').fill('can I pay with my credit card?');
    await page.getByRole('button', { name: 'Try', exact: true }).click();
    const result = page.getByTestId('faq-try-result');
    await poll(() => result.textContent()).toContain(NEW_ANSWER);
    expect(await result.textContent()).toContain('Payment');
    await page.screenshot({ path: path.join(ARTIFACTS, '02-try.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);

  it('an answer over 4,096 characters cannot be saved', async () => {
    await openPaymentEntry();
    await page.getByLabel('Answer').fill('x'.repeat(4097));
    await page.getByText('The answer is longer than one WhatsApp message (4096 characters).').waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const res = await admin('GET', '/api/faq?topic=payment&language=en');
    expect(((await res.json()) as { items: { answer: string }[] }).items[0]?.answer).toBe(NEW_ANSWER);
  }, 60_000);

  it('a clinician adds a staff-defined topic, patients asking about it get it, and deleting asks twice', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'FAQ' }).click();
    await page.getByRole('button', { name: 'Add an entry' }).click();
    const editor = page.locator('section', { has: page.locator('#faq-editor') });
    await editor.getByLabel('Topic').selectOption('custom');
    await editor.getByLabel('Topic code').fill('flu-vaccine');
    await editor.getByLabel('Language').selectOption('en');
    await editor.getByLabel('List title').fill('Flu vaccine');
    await editor.getByLabel('Question').fill('Do you give the flu vaccine?');
    await editor.getByLabel('Other ways patients ask it').fill('flu shot\nflu jab\ninfluenza vaccination');
    await editor.getByLabel('Answer').fill('Yes, from October, on weekday mornings without an appointment.');
    await editor.getByLabel('Link').fill('https://example.org/flu');
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: flu-vaccine (en).').waitFor();
    const created = (await (await admin('GET', '/api/faq?topic=flu-vaccine')).json()) as { items: { id: string; variants: string[]; link: string; updatedBy: string }[] };
    expect(created.items).toEqual([expect.objectContaining({ variants: ['flu shot', 'flu jab', 'influenza vaccination'], link: 'https://example.org/flu', updatedBy: clinicianId })]);

    await page.getByLabel('Patient message').fill('can i get a flu jab here');
    await page.getByRole('button', { name: 'Try', exact: true }).click();
    await poll(() => page.getByTestId('faq-try-result').textContent()).toContain('Yes, from October');

    const filters = page.getByRole('form', { name: 'Filter the FAQ' });
    await filters.getByLabel('Topic').selectOption('');
    await filters.getByLabel('Language').selectOption('');
    await page.locator('tr[data-topic="flu-vaccine"]').getByRole('button').click();
    await page.getByRole('button', { name: 'Delete' }).click();
    expect((await admin('GET', `/api/faq/${created.items[0]!.id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('Entry deleted.').waitFor();
    expect((await admin('GET', `/api/faq/${created.items[0]!.id}`)).status).toBe(404);
  }, 60_000);

  it('reception reads the FAQ but cannot edit it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => heading().textContent()).toBe('Sign in');
    await signIn(RECEPTION.email);
    await openPaymentEntry();
    expect(await page.getByLabel('Answer').inputValue()).toBe(NEW_ANSWER);
    expect(await page.getByLabel('Answer').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add an entry' }).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, '03-reception.png'), fullPage: true });
  }, 60_000);
});
