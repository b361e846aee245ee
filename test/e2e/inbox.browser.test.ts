// The staff inbox in headless Chromium (Debian's package, driven by playwright-core) against the real app in
// sandbox mode, beside the /sandbox patient phone in another browser context: a patient writes from the
// phone, the conversation appears in the console inbox by itself (live updates over SSE), staff take it over,
// type a reply and send it, and the phone shows it with the console's delivery ticks moving on. Then the
// emergency round trip: "I have crushing chest pain" from a new patient appears at the top of the inbox
// marked as an emergency (the conversation engine and the red-flag detector open that handoff), and staff
// answer it. Screenshots go to test-artifacts/inbox/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts', 'inbox');
const skip = browserMissing();

let app: SandboxApp;
let browser: Browser;
let phoneContext: BrowserContext;
let consoleContext: BrowserContext;
let phone: Page;
let staff: Page;
let shot = 0;
const problems: string[] = [];

const poll = <T>(fn: () => Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout, interval: 150 });

async function snap(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** A new simulated patient on the phone page, through its own "New patient" form; their chat opens. */
async function newPhonePatient(name: string): Promise<string> {
  const number = `+33 6 ${crypto.randomInt(10, 99)} ${crypto.randomInt(10, 99)} ${crypto.randomInt(10, 99)} ${crypto.randomInt(10, 99)}`;
  await phone.locator('#patient-button').click();
  await phone.locator('#new-patient input[name="name"]').fill(name);
  await phone.locator('#new-patient input[name="phone"]').fill(number);
  await phone.locator('#new-patient select[name="language"]').selectOption('en');
  await phone.locator('#new-patient button[type="submit"]').click();
  await poll(() => phone.locator('#patient-name').textContent()).toBe(name);
  return number;
}

async function phoneSays(text: string): Promise<void> {
  await phone.locator('#input').fill(text);
  await phone.locator('#input').press('Enter');
  await poll(() => phone.locator('#messages li.row.mine .text').last().textContent()).toBe(text);
}

/** The phone's chat shows a clinic message with exactly this text. */
const phoneShows = (text: string) => poll(async () => (await phone.locator('#messages li.row.theirs .text').allTextContents()).some((t) => t.trim() === text));

const item = (name: string) => staff.getByTestId('inbox-item').filter({ hasText: name });

beforeAll(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  app = await startSandboxApp();
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
  consoleContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  phone = await phoneContext.newPage();
  staff = await consoleContext.newPage();
  for (const p of [phone, staff]) {
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
  }
  await phone.goto(`${app.base}/sandbox`);
  await phone.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
});

beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    for (const [n, p] of [['console', staff], ['phone', phone]] as const) {
      if (p) await p.screenshot({ path: path.join(ARTIFACTS, `FAILED-${n}-${ctx.task.name.slice(0, 30).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    }
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('staff inbox (Chromium)', () => {
  it('staff sign in and open the inbox, which listens for live updates', async () => {
    await staff.goto(`${app.base}/login?next=%2Finbox`);
    await staff.getByLabel('E-mail').fill(app.config.adminEmail!);
    await staff.getByLabel('Password', { exact: true }).fill(app.config.adminPassword!);
    await staff.getByLabel('Password', { exact: true }).press('Enter');
    await staff.waitForURL(/\/inbox$/);
    await poll(() => staff.locator('main h1').textContent()).toBe('Inbox');
    await poll(() => staff.getByTestId('inbox-live').getAttribute('data-live')).toBe('on');
  });

  it('an ordinary conversation: it appears live, staff take it over and reply, and the phone shows the reply', async () => {
    const name = `Inès Takeover ${crypto.randomBytes(2).toString('hex')}`;
    await newPhonePatient(name);
    await phoneSays('Hello, what are your opening hours?');
    // The inbox shows it without a reload: "All" lists conversations the bot handles.
    await staff.getByRole('button', { name: 'All', exact: true }).click();
    await poll(() => item(name).count()).toBe(1);
    await poll(async () => (await item(name).textContent()) ?? '').toContain(name);
    expect(await item(name).getAttribute('data-priority')).toBe('none');
    await item(name).locator('a').click();
    await poll(() => staff.getByTestId('msg-in').first().textContent()).toContain('Hello, what are your opening hours?');
    await poll(() => staff.getByTestId('handoff-state').textContent()).toContain('The bot answers');
    await snap(staff, 'thread-before-takeover');

    await staff.getByRole('button', { name: 'Take over' }).click();
    await poll(() => staff.getByTestId('handoff-state').textContent()).toContain('Waiting for staff');
    expect(await staff.getByTestId('window').getAttribute('data-open')).toBe('yes');
    expect(await staff.getByTestId('window').textContent()).toContain('Free text possible until');
    const reply = 'Hello, this is the front desk: a nurse will call you this afternoon.';
    await staff.getByLabel('Reply to the patient').fill(reply);
    await staff.getByRole('button', { name: 'Send', exact: true }).click();
    await poll(() => staff.getByTestId('msg-out-staff').last().textContent()).toContain(reply);

    await phoneShows(reply);
    await snap(phone, 'phone-shows-staff-reply');
    // Ticks: the phone showed it, so Meta's "read" comes back and the console turns it blue (live).
    await poll(() => staff.getByTestId('msg-out-staff').last().getByTestId('ticks').getAttribute('data-delivery')).toBe('read');
    await snap(staff, 'thread-after-reply');

    await staff.getByLabel('Internal note (never sent to the patient)').fill('Called back at 14:00');
    await staff.getByRole('button', { name: 'Add note' }).click();
    await poll(() => staff.getByTestId('note').last().textContent()).toContain('Called back at 14:00');
    await staff.getByRole('button', { name: 'Hand back to the bot' }).click();
    await poll(() => staff.getByTestId('handoff-state').textContent()).toContain('The bot answers');
    expect(problems).toEqual([]);
  });

  it('an emergency from the phone appears at the top of the inbox marked as one; staff reply and the phone shows it', async () => {
    const name = `Marc Emergency ${crypto.randomBytes(2).toString('hex')}`;
    await newPhonePatient(name);
    await phoneSays('I have crushing chest pain');
    // The bot's first answer carries the emergency number (the safety rules), before anything else.
    await poll(async () => (await phone.locator('#messages li.row.theirs .text').first().textContent()) ?? '').toContain('112');
    await staff.getByRole('button', { name: 'Needs a human', exact: true }).click();
    await poll(() => staff.getByTestId('inbox-item').first().textContent()).toContain(name);
    const top = staff.getByTestId('inbox-item').first();
    expect(await top.getAttribute('data-priority')).toBe('emergency');
    expect(await top.getByTestId('emergency-badge').textContent()).toBe('Emergency');
    await snap(staff, 'emergency-on-top');
    await top.locator('a').click();
    await poll(() => staff.getByTestId('msg-in').first().textContent()).toContain('I have crushing chest pain');
    const reply = 'We have seen your message. Please call 112 now; a doctor from the clinic will call you too.';
    await staff.getByLabel('Reply to the patient').fill(reply);
    await staff.getByRole('button', { name: 'Send', exact: true }).click();
    await phoneShows(reply);
    await snap(phone, 'phone-shows-emergency-reply');
    expect(problems).toEqual([]);
  });
});
