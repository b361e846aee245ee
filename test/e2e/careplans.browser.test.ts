// Care plans on the patient page in headless Chromium against the real app in sandbox mode (the demo clinic
// seeded; PGlite): a clinician opens a patient, adds a medication plan (times of day and a number of days)
// and sees its schedule in words, adds a glucose vitals plan with thresholds, enters a reading the server
// cannot read (the field and why are shown, nothing stored) and then "250 mg/dL", which is flagged high with
// its LOINC code (and alerts staff), and stops the medication plan with a reason: every dose to come cancelled.
// Reception sees the plans but no form and no stop button.
import crypto from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { bearerApi, firstFreeSlot, newConsolePage, poll, signIn } from '../support/console-page.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ADMIN_TOKEN = crypto.randomBytes(33).toString('base64url');
const PASSWORD = 'stethoscope-maple-2026!';
const suffix = crypto.randomBytes(3).toString('hex');
const CLINICIAN = { email: `careplans.doc.${suffix}@demo.patientline.local`, displayName: 'Dr Care Plans', role: 'clinician', password: PASSWORD };
const DESK = { email: `careplans.desk.${suffix}@demo.patientline.local`, displayName: 'Desk Care Plans', role: 'reception', password: PASSWORD };
const skip = browserMissing();
let app: SandboxApp;
let browser: Browser;
let page: Page;
let patientId = '';
const problems: string[] = [];

const admin = bearerApi(() => app.base, ADMIN_TOKEN);

async function openPatient(email: string): Promise<void> {
  page = await newConsolePage(browser, problems);
  await signIn(page, app.base, email, PASSWORD);
  await page.goto(`${app.base}/patients/${patientId}`);
  await page.getByRole('heading', { name: 'Care plans', exact: true }).waitFor();
}

beforeAll(async () => {
  if (skip) return;
  app = await startSandboxApp({ ADMIN_API_TOKEN: ADMIN_TOKEN });
  for (const u of [CLINICIAN, DESK]) expect((await admin('POST', '/api/users', u)).status).toBe(201);
  // A patient: booked at the desk (the first free general consultation).
  const s = await firstFreeSlot(admin, 'general-consultation', new Date(Date.now() + 3 * 3_600_000));
  const booked = await admin('POST', '/api/appointments', { serviceId: s.serviceId, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+336${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Care Plan Patient' } });
  expect(booked.status).toBe(201);
  patientId = ((await booked.json()) as { patientId: string }).patientId;
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('care plans on the patient page (Chromium)', () => {
  it('a clinician adds a medication plan, flags an out-of-range glucose reading, and stops the plan', async () => {
    await openPatient(CLINICIAN.email);
    const form = page.locator('form[aria-labelledby="careplans-add"]');
    await form.getByLabel('Kind').selectOption('medication');
    await form.getByLabel('Medicine').fill('Metformin');
    await form.getByLabel('Dose').fill('500 mg');
    await form.getByLabel('Times of day').fill('08:00, 20:00');
    await form.getByLabel('Ends').selectOption('days');
    await form.getByLabel('Number of days').fill('10');
    await form.getByRole('button', { name: 'Add the plan' }).click();
    await form.getByRole('status').filter({ hasText: 'Care plan added.' }).waitFor();

    const medication = page.locator('tr[data-plan]').filter({ hasText: 'Metformin 500 mg' });
    await medication.waitFor();
    const cells = medication.locator('td');
    expect(await cells.nth(0).textContent()).toBe('Medication');
    expect(await cells.nth(2).textContent()).toMatch(/^Every day · 08:00, 20:00 · from .+ · until .+ \(20 in all\)$/);
    expect(await cells.nth(3).textContent()).toMatch(/(08|20):00 \(Europe\/Paris\)$/);
    expect(await cells.nth(4).textContent()).toBe('Active');
    const plans = (await (await admin('GET', `/api/patients/${patientId}/care-plans`)).json()) as { items: { id: string; rrule: string; details: { medicine: string } }[] };
    const plan = plans.items.find((p) => p.details.medicine === 'Metformin')!;
    expect(plan.rrule).toBe('FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=20');

    // A glucose plan with thresholds: the readings are judged against them.
    await form.getByLabel('Kind').selectOption('vitals');
    await form.getByLabel('Measure').selectOption('glucose');
    await form.getByLabel('Times of day').fill('07:30');
    await form.getByLabel('Ends').selectOption('open');
    await form.getByLabel('Low threshold').fill('70');
    await form.getByLabel('High threshold').fill('180');
    await form.getByLabel('Unit').selectOption('mg/dL');
    await form.getByRole('button', { name: 'Add the plan' }).click();
    const vitals = page.locator('tr[data-plan]').filter({ hasText: 'Blood glucose' });
    await vitals.waitFor();
    expect(await vitals.locator('td').nth(1).textContent()).toBe('Blood glucoseRange 70 to 180 mg/dL');
    expect(await vitals.locator('td').nth(2).textContent()).toMatch(/^Every day · 07:30 · from .+ · until stopped$/);

    // A reading the server cannot read: the field and why, and nothing stored.
    const reading = page.locator('form[aria-labelledby="careplans-reading"]');
    await reading.getByLabel('Reading of').selectOption('glucose');
    await reading.getByLabel('Reading', { exact: true }).fill('feeling fine');
    await reading.getByRole('button', { name: 'Save the reading' }).click();
    const alert = reading.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Some fields are not valid.');
    expect(await alert.textContent()).toContain('/text is not a glucose reading: write it like 110 mg/dL');
    expect(((await (await admin('GET', `/api/patients/${patientId}/observations`)).json()) as { items: unknown[] }).items).toEqual([]);

    await reading.getByLabel('Reading', { exact: true }).fill('250 mg/dL');
    await reading.getByRole('button', { name: 'Save the reading' }).click();
    await reading.getByRole('status').filter({ hasText: 'outside the plan\'s range' }).waitFor();
    const row = page.locator('tr[data-observation].out-of-range');
    await row.waitFor();
    const obs = row.locator('td');
    expect(await obs.nth(1).textContent()).toBe('Blood glucose');
    expect(await obs.nth(2).textContent()).toBe('250 mg/dL');
    expect(await obs.nth(3).textContent()).toBe('2339-0');
    expect(await obs.nth(4).textContent()).toBe('High');
    expect(await obs.nth(5).textContent()).toBe('Staff');
    const alerts = (await (await admin('GET', '/api/alerts')).json()) as { items: { patientId: string; codes: string[] }[] };
    expect(alerts.items.filter((a) => a.patientId === patientId).map((a) => a.codes)).toEqual([['vitals_out_of_range:2339-0']]);

    // Stop the medication plan, with why.
    await medication.getByRole('button', { name: 'Stop' }).click();
    await medication.getByLabel('Why').selectOption('side_effects');
    await medication.getByRole('button', { name: 'Stop the plan' }).click();
    await poll(() => medication.locator('td').nth(4).textContent()).toMatch(/^Stopped.+ · Side effects$/);
    expect(await medication.locator('td').nth(3).textContent()).toBe('—');
    expect(await medication.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    const stopped = (await (await admin('GET', `/api/patients/${patientId}/care-plans`)).json()) as { items: { id: string; state: string; stopReason: string; next: string[] }[] };
    expect(stopped.items.find((p) => p.id === plan.id)).toMatchObject({ state: 'stopped', stopReason: 'side_effects', next: [] });
    expect(problems).toEqual([]);
  });

  it('reception sees the plans and readings but cannot add, stop or enter', async () => {
    await openPatient(DESK.email);
    await page.locator('tr[data-plan]').filter({ hasText: 'Metformin 500 mg' }).waitFor();
    await page.locator('tr[data-observation]').first().waitFor();
    expect(await page.locator('form[aria-labelledby="careplans-add"]').count()).toBe(0);
    expect(await page.locator('form[aria-labelledby="careplans-reading"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
