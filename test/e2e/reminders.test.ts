// Appointment reminders end to end: booked through the staff API with WhatsApp consent, a reminder offset set
// through PUT /api/settings/reminders, the app's clock moved to the due time; the reminder worker queues it
// and the sender delivers it to the fake Graph API — as the approved template with Confirm / Reschedule /
// Cancel quick replies when the patient has not written in 24 hours, as a free-form message with the same
// buttons when they have. The template's Confirm tap (an inbound `button` message) confirms the appointment.
// A patient who sent STOP gets none (checked at send time); rescheduling moves the reminders; a rejected
// template stops its sends with a staff alert.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../../src/main.js';
import { TEMPLATES, META_LANGUAGE } from '../../src/whatsapp/templates.js';
import { LANGUAGES } from '../../src/nlu/types.js';
import { adjustableClock } from '../support/clock.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import { bodyText, ids, newPhone, Phone, type Wire } from '../support/chat.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, sign, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';

const ADMIN = 'reminders-admin-token-0123456789abcdef0123';
const clock = adjustableClock();
let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const r = await fetch(`${app.base}/api${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: (await r.json()) as T };
}

interface Reminder { dueAt: string; state: string; reason?: string; offsetMinutes: number }
interface Appointment { id: string; start: string; state: string; practitionerId: string; reminders: Reminder[] }

let general: string;
const taken = new Set<string>();

/** Books the next free general consultation at least `hours` ahead, untaken by this file, for a consenting patient. */
async function book(phone: string, hours: number): Promise<Appointment> {
  const from = new Date(clock.now().getTime() + hours * 3_600_000);
  const q = new URLSearchParams({ serviceId: general, from: from.toISOString(), to: new Date(from.getTime() + 14 * 86_400_000).toISOString(), limit: '200' });
  const slots = (await api<{ items: { practitionerId: string; start: string }[] }>('GET', `/slots?${q}`)).json.items.filter((s) => !taken.has(s.start));
  const s = slots[0]!;
  taken.add(s.start);
  const r = await api<{ id: string }>('POST', '/appointments', { serviceId: general, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+${phone}`, name: 'Remy Minder', whatsappOptIn: true } });
  expect(r.status).toBe(201);
  return (await api<Appointment>('GET', `/appointments/${r.json.id}`)).json;
}

/** Moves the app's clock just past a reminder's due time and waits for the worker's decision. */
async function reach(a: Appointment): Promise<Reminder> {
  const due = Date.parse(a.reminders.find((r) => r.state === 'scheduled')!.dueAt);
  const ahead = due + 1000 - clock.now().getTime();
  if (ahead > 0) clock.advance(ahead);
  const decided = await waitFor(async () => {
    const now = (await api<Appointment>('GET', `/appointments/${a.id}`)).json.reminders.find((r) => r.offsetMinutes === 60);
    return now && now.state !== 'scheduled' ? now : null;
  }, 20_000, 200);
  if (!decided) throw new Error('the reminder was not decided');
  return decided;
}

const toPhone = (phone: string, match: (m: Wire) => boolean) => waitFor(() => fake.received.find((x) => String(x.body['to']).replace(/\D/g, '') === phone && x.rejected === null && match(x.body))?.body, 20_000);

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  app = await startTestApp(db, fake.url, { SEED_DEMO: '1', ADMIN_API_TOKEN: ADMIN }, { clock });
  db = { ...app.services.database, url: null };
  fake.setWebhook(`${app.base}/webhooks/whatsapp`);
  general = (await api<{ items: { id: string; code: string }[] }>('GET', '/services')).json.items.find((s) => s.code === 'general-consultation')!.id;
  // The template sync creates the templates on the (fake) WABA at start; Meta's review approves them; a sync
  // brings the status home.
  await waitFor(() => (fake.templates.filter((x) => x.name === TEMPLATES.appointmentReminder.name).length === LANGUAGES.length ? true : null), 30_000);
  fake.approveTemplates();
  expect((await api('POST', '/templates/sync')).status).toBe(200);
  const approved = await db.db.selectFrom('message_templates').select('language').where('name', '=', TEMPLATES.appointmentReminder.name).where('status', '=', 'APPROVED').execute();
  expect(approved.map((x) => x.language).sort()).toEqual([...LANGUAGES].sort());
  const put = await api<{ replanned: number }>('PUT', '/settings/reminders', { appointmentOffsetsMinutes: [60], quietHours: null });
  expect(put.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('appointment reminders', () => {
  it('settings: defaults 72 h and 24 h, admin sets them, bad ones are refused with the field named', async () => {
    expect((await api('GET', '/settings/reminders')).json).toEqual({ appointmentOffsetsMinutes: [60], quietHours: null });
    const bad = await api<{ code: string; issues: { path: string }[] }>('PUT', '/settings/reminders', { appointmentOffsetsMinutes: [0], quietHours: { start: '25:00', end: '08:00' } });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i) => i.path).sort()).toEqual(['/appointmentOffsetsMinutes/0', '/quietHours/start']);
  });

  it('outside the 24-hour window: the approved template with quick replies; Confirm confirms the appointment', async () => {
    const phone = newPhone();
    const a = await book(phone, 3);
    expect(a.reminders).toEqual([{ offsetMinutes: 60, state: 'scheduled', dueAt: new Date(Date.parse(a.start) - 3_600_000).toISOString() }]);
    const r = await reach(a);
    expect(r.state).toBe('sent');
    const sent = await toPhone(phone, (m) => m['type'] === 'template');
    const tpl = sent!['template'] as { name: string; language: { code: string }; components: { type: string; sub_type?: string; parameters: { payload?: string; text?: string }[] }[] };
    expect(tpl.name).toBe('pl_appointment_reminder_v1');
    expect(tpl.language.code).toBe('en');
    expect(tpl.components.filter((c) => c.type === 'button').map((c) => c.parameters[0]!.payload)).toEqual([`confirm:${a.id}`, `reschedule:${a.id}`, `cancel:${a.id}`]);
    const [clinic, service, when, practitioner, place] = tpl.components.find((c) => c.type === 'body')!.parameters.map((p) => p.text);
    expect([clinic, service, practitioner, place]).toEqual(['PatientLine Demo Clinic', 'General consultation', expect.stringMatching(/^Dr (Camille Laurent|Marco Bianchi)$/), expect.stringContaining('42 rue du Faubourg Saint-Martin')]);
    expect(when).toMatch(/ at \d\d:\d\d$/);

    // The patient taps Confirm on the template.
    const payload = inboundText(phone, 'Confirm', { name: 'Remy' });
    const m = ((payload['entry'] as { changes: { value: { messages: Wire[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!;
    delete m['text'];
    Object.assign(m, { type: 'button', context: { from: '15550001111', id: `wamid.T${crypto.randomBytes(4).toString('hex')}` }, button: { payload: `confirm:${a.id}`, text: 'Confirm' } });
    const raw = JSON.stringify(payload);
    expect((await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) } })).status).toBe(200);
    const confirmed = await waitFor(async () => ((await api<Appointment>('GET', `/appointments/${a.id}`)).json.state === 'confirmed' ? true : null), 20_000, 100);
    expect(confirmed).toBe(true);
    const reply = await toPhone(phone, (x) => bodyText(x).includes('your appointment is confirmed'));
    expect(reply).toBeDefined();
  });

  it('inside the window: a free-form message with Confirm / Reschedule / Cancel buttons', async () => {
    const phone = newPhone();
    const p = new Phone({ base: () => app.base, db: () => db.db, fake, secret: APP_SECRET }, phone, 'Win Dow');
    await p.say('Hello');
    const a = await book(phone, 3);
    expect((await reach(a)).state).toBe('sent');
    const sent = await toPhone(phone, (m) => ids(m).includes(`booking:confirm:${a.id}`));
    expect(bodyText(sent)).toContain('Reminder of your appointment:');
    expect(ids(sent)).toEqual([`booking:confirm:${a.id}`, `booking:resched:${a.id}`, `booking:cancel:${a.id}`]);
  });

  it('a patient who sent STOP after booking gets no reminder: skipped as opted out, nothing sent', async () => {
    const phone = newPhone();
    const p = new Phone({ base: () => app.base, db: () => db.db, fake, secret: APP_SECRET }, phone, 'Stop Per');
    const a = await book(phone, 3);
    await p.say('STOP');
    const before = fake.received.filter((x) => String(x.body['to']).replace(/\D/g, '') === phone).length;
    const r = await reach(a);
    expect(r).toMatchObject({ state: 'skipped', reason: 'opted_out' });
    expect(fake.received.filter((x) => String(x.body['to']).replace(/\D/g, '') === phone)).toHaveLength(before);
  });

  it('rescheduling moves the reminders; cancelling removes them', async () => {
    const a = await book(newPhone(), 5);
    const to = (await api<{ items: { practitionerId: string; start: string }[] }>('GET', `/slots?${new URLSearchParams({ serviceId: general, practitionerId: a.practitionerId, from: new Date(Date.parse(a.start) + 3_600_000).toISOString(), to: new Date(Date.parse(a.start) + 7 * 86_400_000).toISOString() })}`)).json.items.find((s) => !taken.has(s.start))!;
    taken.add(to.start);
    const moved = await api<{ id: string }>('POST', `/appointments/${a.id}/reschedule`, { start: to.start });
    expect(moved.status).toBe(200);
    expect((await api<Appointment>('GET', `/appointments/${a.id}`)).json.reminders).toEqual([expect.objectContaining({ state: 'cancelled', reason: 'appointment_rescheduled' })]);
    const next = (await api<Appointment>('GET', `/appointments/${moved.json.id}`)).json;
    expect(next.reminders).toEqual([{ offsetMinutes: 60, state: 'scheduled', dueAt: new Date(Date.parse(to.start) - 3_600_000).toISOString() }]);
    expect((await api('POST', `/appointments/${moved.json.id}/cancel`, { reason: 'clinic_request' })).status).toBe(200);
    expect((await api<Appointment>('GET', `/appointments/${moved.json.id}`)).json.reminders).toEqual([expect.objectContaining({ state: 'cancelled', reason: 'appointment_cancelled' })]);
  });

  it('a rejected template stops its sends: skipped with why, and a staff alert', async () => {
    fake.setTemplate(TEMPLATES.appointmentReminder.name, { status: 'REJECTED', rejectedReason: 'INVALID_FORMAT' }, META_LANGUAGE.en);
    expect((await api('POST', '/templates/sync')).status).toBe(200);
    const a = await book(newPhone(), 3);
    expect(await reach(a)).toMatchObject({ state: 'skipped', reason: 'template_rejected' });
    const alerts = await db.db.selectFrom('staff_alerts').select('codes').execute();
    expect(alerts.flatMap((x) => x.codes)).toContain('template_not_approved:pl_appointment_reminder_v1:en:rejected');
  });

  it('a template still in review holds its reminders, which leave as soon as it is approved, not at the retry', async () => {
    fake.setTemplate(TEMPLATES.appointmentReminder.name, { status: 'PENDING' }, META_LANGUAGE.en);
    expect((await api('POST', '/templates/sync')).status).toBe(200);
    const phone = newPhone();
    const a = await book(phone, 3);
    const due = Date.parse(a.reminders.find((r) => r.state === 'scheduled')!.dueAt);
    clock.advance(due + 1000 - clock.now().getTime());
    const held = await waitFor(async () => {
      const r = (await api<Appointment>('GET', `/appointments/${a.id}`)).json.reminders.find((x) => x.offsetMinutes === 60);
      return r?.reason ? r : null;
    }, 20_000, 200);
    expect(held).toMatchObject({ state: 'scheduled', reason: 'template_pending:pl_appointment_reminder_v1:en' });
    // Its retry is 30 s away on the app's clock, which stands still from here: only the approval can release it.
    expect(Date.parse(held!.dueAt)).toBeGreaterThan(clock.now().getTime());
    fake.setTemplate(TEMPLATES.appointmentReminder.name, { status: 'APPROVED' }, META_LANGUAGE.en);
    expect((await api('POST', '/templates/sync')).status).toBe(200);
    const sent = await toPhone(phone, (m) => m['type'] === 'template');
    expect(sent).toMatchObject({ type: 'template', template: { name: TEMPLATES.appointmentReminder.name } });
    const after = (await api<Appointment>('GET', `/appointments/${a.id}`)).json.reminders.find((x) => x.offsetMinutes === 60)!;
    expect(after.state).toBe('sent');
    expect(after.reason).toBeUndefined();
  });
});
