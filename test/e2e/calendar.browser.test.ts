// The calendar, services and practitioners pages in headless Chromium against the real app in sandbox mode
// (the demo clinic seeded; PGlite). The server's clock and the browser's both read "a Tuesday morning before
// opening" (the next one that is not a French public holiday), so the demo clinic's free slots are known:
// a receptionist books a new patient at 09:00 with Dr Camille Laurent (the grid and the API show it), moves
// it to 10:00 (09:00 free again, 10:00 held, the history says booked → rescheduled and booked), marks it
// arrived, cancels another appointment with a reason, and meets a 409 when a slot is taken through the API
// while the form is open; the week and all-practitioner views place the same block. The services page lists
// the demo services; the practitioners page shows weekly sessions and takes a leave; an admin edits a
// service's duration and a practitioner's languages and the lists show them. Screenshots: test-artifacts/calendar/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { frenchPublicHolidays } from '../../src/scheduling/demo-clinic-data.js';
import { browserMissing, CHROMIUM_ARGS, chromiumPath } from '../support/browser.js';
import { bearerApi, newConsolePage, poll, signIn as signInAs } from '../support/console-page.js';
import { adjustableClock } from '../support/clock.js';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

const ARTIFACTS = path.resolve('test-artifacts', 'calendar');
const ADMIN_TOKEN = crypto.randomBytes(33).toString('base64url');
const PASSWORD = 'stethoscope-maple-2026!';
const suffix = crypto.randomBytes(3).toString('hex');
const RECEPTION = { email: `calendar.reception.${suffix}@demo.patientline.local`, displayName: 'Desk Calendar', role: 'reception', password: PASSWORD };
const phone = () => `+336${crypto.randomInt(10_000_000, 99_999_999)}`;
const HOUR = 3_600_000;

/** 05:30 UTC (06:30 or 07:30 in Paris) on the first Tuesday at least two days ahead that is not a public holiday. */
function tuesdayMorning(): Date {
  const d = new Date(Date.now() + 2 * 86_400_000);
  d.setUTCHours(5, 30, 0, 0);
  for (;;) {
    const day = d.toISOString().slice(0, 10);
    const holidays = frenchPublicHolidays(d.getUTCFullYear()).map((h) => h.from);
    if (d.getUTCDay() === 2 && !holidays.includes(day)) return d;
    d.setUTCDate(d.getUTCDate() + 1);
  }
}

const clock = adjustableClock();
const morning = tuesdayMorning();
const DAY = morning.toISOString().slice(0, 10);
/** The instant of hh:mm in Paris on DAY (Paris is UTC+1 or UTC+2; 05:30 UTC tells which). */
const parisOffset = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(morning)) - 5;
const at = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return new Date(Date.UTC(morning.getUTCFullYear(), morning.getUTCMonth(), morning.getUTCDate(), (h ?? 0) - parisOffset, m ?? 0)).toISOString();
};
const dayFrom = at('00:00');
const dayTo = new Date(new Date(dayFrom).getTime() + 24 * HOUR).toISOString();

let app: SandboxApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const skip = browserMissing();
const ids = { camille: '', marco: '', consultation: '', followUp: '' };

const heading = () => page.locator('main h1');
const admin = bearerApi(() => app.base, ADMIN_TOKEN);
const json = async <T>(res: Response): Promise<T> => {
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
};
type Appt = { id: string; start: string; state: string; practitionerId: string; rescheduledTo: string | null; cancelReason: string | null };
const appointmentsOfDay = async () => (await json<{ items: Appt[] }>(await admin('GET', `/api/appointments?from=${dayFrom}&to=${dayTo}&practitionerId=${ids.camille}&limit=200`))).items;
const freeStarts = async () => (await json<{ items: { start: string }[] }>(await admin('GET', `/api/slots?serviceId=${ids.consultation}&practitionerId=${ids.camille}&from=${dayFrom}&to=${dayTo}&limit=200`))).items.map((s) => s.start);
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

async function newPage(): Promise<void> {
  // The browser's "today" is the server's: the Tuesday morning (its timers keep running).
  page = await newConsolePage(browser, problems, { context: { timezoneId: 'America/New_York' }, now: clock.now() });
  context = page.context();
}

const signIn = (email: string, password: string) => signInAs(page, app.base, email, password);

const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
const controls = () => page.getByRole('form', { name: 'Calendar view' });
const block = (id: string) => page.locator(`[data-appointment-id="${id}"]`);
const bookSection = () => page.locator('section', { has: page.locator('#calendar-book') });
const panel = () => page.getByTestId('appointment-panel');

beforeAll(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  clock.advance(morning.getTime() - Date.now());
  app = await startSandboxApp({ ADMIN_API_TOKEN: ADMIN_TOKEN }, { clock });
  expect((await admin('POST', '/api/users', RECEPTION)).status).toBe(201);
  const practitioners = (await json<{ items: { id: string; code: string }[] }>(await admin('GET', '/api/practitioners'))).items;
  const services = (await json<{ items: { id: string; code: string }[] }>(await admin('GET', '/api/services'))).items;
  ids.camille = practitioners.find((p) => p.code === 'camille-laurent')!.id;
  ids.marco = practitioners.find((p) => p.code === 'marco-bianchi')!.id;
  ids.consultation = services.find((s) => s.code === 'general-consultation')!.id;
  ids.followUp = services.find((s) => s.code === 'follow-up')!.id;
  browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS });
  await newPage();
}, 120_000);

beforeEach((ctx) => {
  ctx.onTestFailed(async () => {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe.skipIf(skip)('calendar, services and practitioners pages (Chromium)', () => {
  let bookedId = '';
  let movedId = '';

  it('a receptionist books a new patient in a free slot: the block is in the grid and the API has it', async () => {
    await signIn(RECEPTION.email, RECEPTION.password);
    await nav('Calendar').click();
    await poll(() => heading().textContent()).toBe('Calendar');
    // Today, in the clinic's time (the browser is in New York).
    await poll(() => controls().getByLabel('Date').inputValue()).toBe(DAY);
    await controls().getByLabel('Practitioner').selectOption({ label: 'Dr Camille Laurent' });
    await page.waitForURL(new RegExp(`practitioner=${ids.camille}`));
    await page.getByTestId('calendar-empty').waitFor();
    expect(await page.locator('.calendar-grid caption').textContent()).toContain('Europe/Paris');

    await page.getByRole('button', { name: 'Book an appointment' }).click();
    const form = bookSection();
    await form.getByLabel('Service').selectOption({ label: 'General consultation' });
    expect(await form.getByLabel('Practitioner').inputValue()).toBe(ids.camille);
    await form.getByRole('radio', { name: '09:00 · Dr Camille Laurent' }).check();
    await form.getByLabel("Patient's mobile number").fill(phone());
    await form.getByLabel("Patient's name").fill('Calendar Newpatient');
    await form.getByLabel('Date of birth (optional)').fill('1985-04-12');
    await form.getByLabel('The patient consented to WhatsApp messages about their care').check();
    await shot('01-book');
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Booked: General consultation' }).waitFor();

    const items = await appointmentsOfDay();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ start: at('09:00'), state: 'booked', practitionerId: ids.camille });
    bookedId = items[0]!.id;
    const b = block(bookedId);
    await b.waitFor();
    expect(await b.getAttribute('data-state')).toBe('booked');
    expect(await b.textContent()).toContain('09:00–09:20');
    expect(await b.textContent()).toContain('General consultation');
    expect(await b.textContent()).toContain('Booked');
    expect(await page.locator(`td[data-hour="9"] [data-appointment-id="${bookedId}"]`).count()).toBe(1);
    // The new booking is open, with what its state allows.
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Booked');
    expect(await panel().getByRole('link', { name: "Open the patient's record" }).getAttribute('href')).toMatch(/^\/patients\/[0-9a-f-]{36}$/);
    expect(await freeStarts()).not.toContain(at('09:00'));
    await shot('02-booked');
    expect(problems).toEqual([]);
  }, 90_000);

  it('moves it to another free slot: the old time is free, the new one held, the history has both', async () => {
    await panel().getByRole('button', { name: 'Move' }).click();
    const move = page.getByRole('form', { name: 'Move the appointment' });
    expect(await move.getByLabel('Practitioner').inputValue()).toBe(ids.camille);
    await move.getByRole('radio', { name: '10:00 · Dr Camille Laurent' }).check();
    await move.getByRole('button', { name: 'Move here' }).click();
    await page.getByRole('status').filter({ hasText: 'Moved to' }).waitFor();

    const items = await appointmentsOfDay();
    const old = items.find((a) => a.id === bookedId)!;
    expect(old).toMatchObject({ state: 'rescheduled', start: at('09:00') });
    const moved = items.find((a) => a.id === old.rescheduledTo)!;
    expect(moved).toMatchObject({ state: 'booked', start: at('10:00'), practitionerId: ids.camille });
    movedId = moved.id;
    const free = await freeStarts();
    expect(free).toContain(at('09:00'));
    expect(free).not.toContain(at('10:00'));
    const history = await app.database.db.selectFrom('appointment_history').select(['appointment_id', 'state', 'reason']).where('appointment_id', 'in', [bookedId, movedId]).orderBy('id').execute();
    expect(history.map((h) => [h.appointment_id === bookedId ? 'old' : 'new', h.state])).toEqual([['old', 'booked'], ['new', 'booked'], ['old', 'rescheduled']]);
    expect(history[2]?.reason).toBe(`rescheduled_to:${movedId}`);

    // The grid: the new block at 10:00; the old one only with "show cancelled and moved", marked Moved.
    await poll(() => page.locator(`td[data-hour="10"] [data-appointment-id="${movedId}"]`).count()).toBe(1);
    expect(await block(bookedId).count()).toBe(0);
    await controls().getByLabel('Show cancelled and moved appointments').check();
    await poll(() => block(bookedId).textContent()).toContain('Moved');
    await controls().getByLabel('Show cancelled and moved appointments').uncheck();
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Booked');
  }, 60_000);

  it('marks it arrived; then only "completed" is offered', async () => {
    await panel().getByRole('button', { name: 'Mark arrived' }).click();
    await page.getByRole('status').filter({ hasText: 'Marked arrived.' }).waitFor();
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Arrived');
    expect(await block(movedId).getAttribute('data-state')).toBe('arrived');
    expect((await appointmentsOfDay()).find((a) => a.id === movedId)?.state).toBe('arrived');
    expect(await panel().getByRole('button', { name: 'Mark completed' }).count()).toBe(1);
    for (const gone of ['Move', 'Cancel the appointment', 'Mark no-show', 'Confirm']) expect(await panel().getByRole('button', { name: gone, exact: true }).count(), gone).toBe(0);
    await shot('03-arrived');
  }, 60_000);

  it('cancels another appointment with a reason', async () => {
    const made = await json<Appt>(await admin('POST', '/api/appointments', { serviceId: ids.consultation, practitionerId: ids.camille, start: at('11:00'), patient: { phone: phone(), name: 'Other Patient' } }));
    await controls().getByRole('button', { name: 'Next day' }).click();
    await controls().getByRole('button', { name: 'Today' }).click();
    await block(made.id).click();
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Booked');
    await panel().getByRole('button', { name: 'Cancel the appointment' }).click();
    const form = page.getByRole('form', { name: 'Cancel the appointment' });
    await form.getByLabel('Reason').selectOption({ label: 'Practitioner unavailable' });
    await form.getByLabel('Note (optional)').fill('Called the patient back');
    await form.getByRole('button', { name: 'Cancel it' }).click();
    await page.getByRole('status').filter({ hasText: 'Appointment cancelled.' }).waitFor();
    const after = (await appointmentsOfDay()).find((a) => a.id === made.id);
    expect(after).toMatchObject({ state: 'cancelled', cancelReason: 'practitioner_unavailable' });
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Cancelled');
    expect(await block(made.id).count()).toBe(0);
    expect(await freeStarts()).toContain(at('11:00'));
  }, 60_000);

  it('a slot taken through the API while the form is open: the 409 is shown and the slots refresh', async () => {
    await page.getByRole('button', { name: 'Book an appointment' }).click();
    const form = bookSection();
    await form.getByLabel('Service').selectOption({ label: 'General consultation' });
    const slot = form.getByRole('radio', { name: '11:20 · Dr Camille Laurent' });
    await slot.check();
    await form.getByLabel("Patient's mobile number").fill(phone());
    await form.getByLabel("Patient's name").fill('Too Late');
    // Someone else takes it meanwhile.
    const other = await admin('POST', '/api/appointments', { serviceId: ids.consultation, practitionerId: ids.camille, start: at('11:20'), patient: { phone: phone(), name: 'Quicker Patient' } });
    expect(other.status).toBe(201);
    await form.getByRole('button', { name: 'Book', exact: true }).click();
    await poll(() => form.getByRole('alert').textContent()).toBe('The slot is taken');
    await poll(() => slot.count()).toBe(0);
    // The list is reloaded: 11:20 is gone while it loads, 11:40 comes back with it.
    await poll(() => form.getByRole('radio', { name: '11:40 · Dr Camille Laurent' }).count()).toBe(1);
    expect((await appointmentsOfDay()).filter((a) => a.start === at('11:20'))).toHaveLength(1);
    await shot('04-slot-taken');
    await form.getByRole('button', { name: 'Close' }).click();
  }, 60_000);

  it('the week view and the all-practitioners day view place the same appointment; the keyboard opens it', async () => {
    await controls().getByLabel('View').selectOption('week');
    await page.waitForURL(/view=week/);
    const grid = page.locator('.calendar-grid');
    await poll(() => grid.locator('thead th').count()).toBe(8);
    await poll(() => grid.locator(`td[data-day="${DAY}"][data-hour="10"] [data-appointment-id="${movedId}"]`).count()).toBe(1);
    await controls().getByLabel('Practitioner').selectOption('');
    await controls().getByLabel('View').selectOption('day');
    await page.waitForURL((u) => !u.search.includes('view=week') && !u.search.includes('practitioner='));
    await poll(() => grid.locator('thead th').allTextContents()).toEqual(['Time (Europe/Paris)', 'Dr Ana Ferreira', 'Dr Camille Laurent', 'Julia Weber', 'Dr Marco Bianchi']);
    await poll(() => grid.locator(`td[data-practitioner="${ids.camille}"][data-hour="10"] [data-appointment-id="${movedId}"]`).count()).toBe(1);
    expect(await panel().count()).toBe(0);
    await block(movedId).focus();
    await page.keyboard.press('Enter');
    await poll(() => panel().getByTestId('appointment-state').textContent()).toBe('Arrived');
    await shot('05-all-practitioners');
  }, 60_000);

  it('the services page lists the demo services; reception cannot edit them', async () => {
    await nav('Services').click();
    await poll(() => heading().textContent()).toBe('Services');
    const rows = page.locator('tbody tr[data-service]');
    await poll(() => rows.count()).toBe(5);
    const names = await page.locator('tbody tr[data-service] td:first-child').allTextContents();
    expect(names.sort()).toEqual(['Blood test', 'Dermatology consultation', 'Follow-up visit', 'General consultation', 'Video consultation']);
    expect(await page.locator('tr[data-service="follow-up"] td[data-col="duration"]').textContent()).toBe('15 min');
    expect(await page.locator('tr[data-service="follow-up"]').textContent()).toContain('Dr Ana Ferreira');
    expect(await page.getByRole('button', { name: /^Edit/ }).count()).toBe(0);
  }, 60_000);

  it('the practitioners page shows weekly sessions; reception adds and removes a leave', async () => {
    await nav('Practitioners').click();
    await poll(() => heading().textContent()).toBe('Practitioners');
    await page.getByRole('button', { name: 'Availability Dr Camille Laurent' }).click();
    const sessions = page.getByTestId('sessions');
    await poll(() => sessions.locator('tbody tr').count()).toBe(9);
    expect(await sessions.getByLabel('Day of session 1').locator('option:checked').textContent()).toBe('Monday');
    expect(await sessions.getByLabel('Start of session 1').inputValue()).toBe('08:00');
    expect(await sessions.getByLabel('End of session 1').inputValue()).toBe('12:30');

    const add = page.getByRole('form', { name: 'Add', exact: true });
    await add.getByLabel('From').fill(`${DAY}T14:00`);
    await add.getByLabel('Until').fill(`${DAY}T16:00`);
    await add.getByLabel('Reason').fill('Training');
    await add.getByRole('button', { name: 'Add' }).click();
    const exceptions = page.getByTestId('exceptions');
    await poll(() => exceptions.locator('tbody tr').count()).toBe(1);
    expect(await exceptions.textContent()).toContain('Training');
    const listed = (await json<{ items: { kind: string; start: string; end: string; locationId: string | null }[] }>(await admin('GET', `/api/practitioners/${ids.camille}/exceptions?from=${dayFrom}`))).items;
    expect(listed).toEqual([expect.objectContaining({ kind: 'leave', start: at('14:00'), end: at('16:00'), locationId: null })]);
    const free = await freeStarts();
    expect(free).not.toContain(at('14:00'));
    expect(free).toContain(at('16:00'));
    await shot('06-practitioners');
    await exceptions.getByRole('button', { name: /^Remove/ }).click();
    await page.getByText('No leave or extra hours from today.').waitFor();
    expect((await json<{ items: unknown[] }>(await admin('GET', `/api/practitioners/${ids.camille}/exceptions?from=${dayFrom}`))).items).toEqual([]);
  }, 60_000);

  it('an admin edits a service\'s duration and a practitioner\'s languages, and the lists show them', async () => {
    await context.close();
    await newPage();
    await signIn(app.config.adminEmail!, app.config.adminPassword!);
    await nav('Services').click();
    await poll(() => heading().textContent()).toBe('Services');
    await page.getByRole('button', { name: 'Edit Follow-up visit' }).click();
    const editor = page.locator('section', { has: page.locator('#service-editor') });
    await poll(() => editor.getByLabel('Name (English)').inputValue()).toBe('Follow-up visit');
    expect(await editor.getByLabel('Name (Français)').inputValue()).toBe('Consultation de suivi');
    await editor.getByLabel('Duration (minutes)').fill('25');
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: Follow-up visit.' }).waitFor();
    await poll(() => page.locator('tr[data-service="follow-up"] td[data-col="duration"]').textContent()).toBe('25 min');
    const services = (await json<{ items: { id: string; durationMinutes: number; names: Record<string, string> }[] }>(await admin('GET', '/api/services'))).items;
    const followUp = services.find((s) => s.id === ids.followUp)!;
    expect(followUp.durationMinutes).toBe(25);
    expect(followUp.names['fr']).toBe('Consultation de suivi');
    await shot('07-service-edited');

    // And a practitioner: a language more; the services they give stay.
    await nav('Practitioners').click();
    await poll(() => heading().textContent()).toBe('Practitioners');
    await page.getByRole('button', { name: 'Edit Julia Weber' }).click();
    const form = page.locator('section', { has: page.locator('#practitioner-editor') });
    expect(await form.getByLabel('Blood test').isChecked()).toBe(true);
    await form.getByLabel('Languages').fill('de, fr, en, it');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: Julia Weber.' }).waitFor();
    await poll(() => page.locator('tr[data-practitioner="julia-weber"] td:nth-child(3)').textContent()).toBe('de, fr, en, it');
    const julia = (await json<{ items: { code: string; languages: string[]; givesServices: unknown[] }[] }>(await admin('GET', '/api/practitioners'))).items.find((p) => p.code === 'julia-weber')!;
    expect(julia.languages).toEqual(['de', 'fr', 'en', 'it']);
    expect(julia.givesServices).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 90_000);
});
