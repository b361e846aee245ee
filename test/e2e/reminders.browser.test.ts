// The reminders page in headless Chromium against the real app in sandbox mode (the demo clinic seeded;
// PGlite): an admin sets the offsets (hours) and quiet hours and the API has them; an appointment past its
// end is listed to mark and "No-show" marks it; the weekly report shows it as a no-show without a reminder.
// A reception user sees the settings read-only.
import crypto from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { adjustableClock } from '../support/clock.js';
import { bearerApi, firstFreeSlot, newConsolePage, poll, signIn as signInAs } from '../support/console-page.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ADMIN_TOKEN = crypto.randomBytes(33).toString('base64url');
const PASSWORD = 'stethoscope-maple-2026!';
const suffix = crypto.randomBytes(3).toString('hex');
const ADMIN_USER = { email: `reminders.admin.${suffix}@demo.patientline.local`, displayName: 'Admin Reminders', role: 'admin', password: PASSWORD };
const DESK_USER = { email: `reminders.desk.${suffix}@demo.patientline.local`, displayName: 'Desk Reminders', role: 'reception', password: PASSWORD };
const clock = adjustableClock();
const skip = browserMissing();
let app: SandboxApp;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const admin = bearerApi(() => app.base, ADMIN_TOKEN);

async function signIn(email: string): Promise<void> {
  // The browser's "now" is the server's (the report covers the 12 weeks before it).
  page = await newConsolePage(browser, problems, { now: clock.now() });
  await signInAs(page, app.base, email, PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reminders', exact: true }).click();
  await poll(() => page.locator('main h1').textContent()).toBe('Reminders');
}

beforeAll(async () => {
  if (skip) return;
  app = await startSandboxApp({ ADMIN_API_TOKEN: ADMIN_TOKEN }, { clock });
  for (const u of [ADMIN_USER, DESK_USER]) expect((await admin('POST', '/api/users', u)).status).toBe(201);
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('the reminders page (Chromium)', () => {
  it('an admin sets offsets and quiet hours; a past appointment is marked no-show; the report counts it', async () => {
    // An appointment that will be over: the first free general consultation, then the clock moves past it.
    const s = await firstFreeSlot(admin, 'general-consultation', new Date(clock.now().getTime() + 3 * 3_600_000));
    const booked = await admin('POST', '/api/appointments', { serviceId: s.serviceId, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+336${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Past Patient' } });
    expect(booked.status).toBe(201);
    const id = ((await booked.json()) as { id: string }).id;
    clock.advance(Date.parse(s.end) + 60_000 - clock.now().getTime());

    await signIn(ADMIN_USER.email);
    await page.getByLabel('Hours before the appointment').fill('48, 2');
    await page.getByLabel(/No reminders during quiet hours/).check();
    await page.getByLabel('Quiet from').fill('21:30');
    await page.getByLabel('Quiet until').fill('07:30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await (await admin('GET', '/api/settings/reminders')).json()).toEqual({ appointmentOffsetsMinutes: [2880, 120], quietHours: { start: '21:30', end: '07:30' } });

    const row = page.locator(`tr[data-appointment="${id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'No-show' }).click();
    await poll(() => row.count()).toBe(0);
    expect(((await (await admin('GET', `/api/appointments/${id}`)).json()) as { state: string }).state).toBe('noshow');
    await page.reload();
    await poll(() => page.locator('tr[data-week] td').nth(2).textContent()).toBe('100 % no-shows (n = 1)');
    expect(problems).toEqual([]);
  });

  it('reception sees the settings but cannot change them', async () => {
    await signIn(DESK_USER.email);
    await poll(() => page.locator('dl.facts dd').first().textContent()).toBe('2 d, 2 h');
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
  });
});
