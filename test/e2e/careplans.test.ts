// Care plans end to end, through the staff API, the care-plan worker, the sender, the fake Graph API and the
// webhook: a vitals prompt sent, the answer "135/85" stored as a FHIR-shaped observation with an alert for a
// high threshold; a medication reminder sent as the approved template outside the 24-hour window, Snooze
// (its quick reply) bringing a new reminder 30 minutes later, Taken (a button) marking the dose taken, and
// adherence counting both; a follow-up's Book button leading into booking; staff stopping a plan leaves
// nothing more to send; STOP between scheduling and sending skips; a local time that does not exist
// (spring forward) is refused at entry.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../../src/main.js';
import { META_LANGUAGE, TEMPLATES } from '../../src/whatsapp/templates.js';
import { LANGUAGES } from '../../src/nlu/types.js';
import { adjustableClock } from '../support/clock.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import { bodyText, ids, newPhone, Phone, type Wire } from '../support/chat.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, sign, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';

const ADMIN = 'careplans-admin-token-0123456789abcdef012345';
const clock = adjustableClock();
let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const r = await fetch(`${app.base}/api${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: (await r.json()) as T };
}

const phoneOf = (number: string, name: string) => new Phone({ base: () => app.base, db: () => db.db, fake, secret: APP_SECRET }, number, name);

/** A patient who has just written (inside the 24-hour window); their id. */
async function patient(p: Phone): Promise<string> {
  await p.say('Hello');
  const row = await db.db.selectFrom('inbound_messages').select('patient_id').where('state', '=', 'done').where('patient_id', 'is not', null).orderBy('id', 'desc').executeTakeFirstOrThrow();
  return row.patient_id!;
}

/** An instant as a local date and time in Paris (the demo clinic's zone). */
function inParis(at: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const v = (t: string) => parts.find((x) => x.type === t)!.value;
  return `${v('year')}-${v('month')}-${v('day')}T${v('hour')}:${v('minute')}`;
}

/** The next whole minute, as a local date and time in Paris. */
function nextMinuteInParis(): { local: string; at: number } {
  const at = Math.ceil((clock.now().getTime() + 1000) / 60_000) * 60_000;
  return { local: inParis(at), at };
}

interface Occurrence { id: string; state: string; reason: string | null; due_at: Date; snoozes: number }
const occurrencesOf = (planId: string): Promise<Occurrence[]> => db.db.selectFrom('care_plan_occurrences').select(['id', 'state', 'reason', 'due_at', 'snoozes']).where('plan_id', '=', planId).orderBy('due_at').execute();

/** Moves the clock past `at` and waits for the worker to decide the occurrence due then. */
async function reach(planId: string, at: number): Promise<Occurrence> {
  const ahead = at + 1000 - clock.now().getTime();
  if (ahead > 0) clock.advance(ahead);
  const decided = await waitFor(async () => (await occurrencesOf(planId)).find((o) => o.due_at.getTime() === at && o.state !== 'scheduled') ?? null, 20_000, 200);
  if (!decided) throw new Error('the occurrence was not decided');
  return decided;
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  app = await startTestApp(db, fake.url, { SEED_DEMO: '1', ADMIN_API_TOKEN: ADMIN }, { clock });
  db = { ...app.services.database, url: null };
  fake.setWebhook(`${app.base}/webhooks/whatsapp`);
  // The template sync creates the templates on the (fake) WABA at start; Meta's review approves them; a sync
  // brings the statuses home.
  const care = [TEMPLATES.medicationReminder, TEMPLATES.followUp, TEMPLATES.vitalsPrompt];
  await waitFor(() => (care.every((d) => fake.templates.filter((x) => x.name === d.name).length === LANGUAGES.length) ? true : null), 30_000);
  fake.approveTemplates();
  const sync = await fetch(`${app.base}/api/templates/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  expect(sync.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('care plans', () => {
  it('refuse at entry a local time the zone skips, naming the field', async () => {
    const id = await patient(phoneOf(newPhone(), 'Gap Test'));
    const bad = await api<{ code: string; issues: { path: string; message: string }[] }>('POST', `/patients/${id}/care-plans`, {
      kind: 'medication', details: { medicine: 'Metformin', dose: '500 mg' }, rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;COUNT=30', dtstart: '2027-03-20T02:30', timeZone: 'Europe/Paris',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.issues).toEqual([{ in: 'body', path: '/rrule', message: expect.stringContaining('2027-03-28T02:30') }]);
    const noMedicine = await api<{ issues: { path: string }[] }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: {}, rrule: 'FREQ=DAILY', dtstart: '2027-03-20T08:00' });
    expect(noMedicine.status).toBe(400);
    expect(noMedicine.json.issues.map((i) => i.path)).toEqual(['/details/medicine']);
    const wrongUnit = await api<{ issues: { path: string }[] }>('POST', `/patients/${id}/care-plans`, { kind: 'vitals', details: { measure: 'glucose' }, rrule: 'FREQ=DAILY', dtstart: '2027-03-20T08:00', thresholds: { high: 130, unit: 'mm[Hg]' } });
    expect(wrongUnit.status).toBe(400);
    expect(wrongUnit.json.issues.map((i) => i.path)).toEqual(['/thresholds/unit']);
  });

  it('vitals: the prompt is sent, "135/85" is stored as an observation, confirmed, and a high value alerts staff', async () => {
    const p = phoneOf(newPhone(), 'Vita Signs');
    const id = await patient(p);
    const first = nextMinuteInParis();
    const created = await api<{ id: string; next: string[]; timeZone: string }>('POST', `/patients/${id}/care-plans`, {
      kind: 'vitals', details: { measure: 'blood_pressure' }, rrule: 'FREQ=DAILY;COUNT=7', dtstart: first.local, thresholds: { high: 130, unit: 'mm[Hg]' },
    });
    expect(created.status).toBe(201);
    expect(created.json.timeZone).toBe('Europe/Paris');
    expect(created.json.next[0]).toBe(new Date(first.at).toISOString());
    expect((await reach(created.json.id, first.at)).state).toBe('sent');
    await p.initiated((m) => bodyText(m) === 'Please send your blood pressure reading.');

    const replies = await p.say('135/85');
    const said = replies.map(bodyText).join('\n');
    expect(said).toContain('Thank you, 135/85 mmHg recorded.');
    expect(said).toContain('A member of the clinic team will look at this reading');
    const alert = await db.db.selectFrom('staff_alerts').select(['kind', 'codes']).where('patient_id', '=', id).executeTakeFirst();
    expect(alert).toEqual({ kind: 'other', codes: ['vitals_out_of_range:85354-9'] });
    expect((await occurrencesOf(created.json.id))[0]!.state).toBe('answered');

    const obs = await api<{ items: Record<string, unknown>[] }>('GET', `/patients/${id}/observations`);
    expect(obs.status).toBe(200);
    expect(obs.json.items).toEqual([expect.objectContaining({
      resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${id}` },
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel with all children optional' }] },
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: 135, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: 85, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ],
      interpretation: [{ coding: [expect.objectContaining({ code: 'H' })] }],
    })]);
    // The value is sealed at rest: the row holds no "135".
    const raw = await db.db.selectFrom('observations').select('value').where('patient_id', '=', id).executeTakeFirstOrThrow();
    expect(Buffer.from(raw.value).toString('latin1')).not.toContain('135');
    // A second "135/85" with no prompt open is not another observation.
    await p.say('135/85');
    expect((await api<{ items: unknown[] }>('GET', `/patients/${id}/observations`)).json.items).toHaveLength(1);
  });

  it('medication: the template outside the window; Snooze brings a reminder 30 minutes later; Taken marks it taken; adherence counts both', async () => {
    const number = newPhone();
    const p = phoneOf(number, 'Medi Cation');
    const id = await patient(p);
    await db.db.updateTable('patients').set({ last_inbound_at: new Date(clock.now().getTime() - 2 * 86_400_000) }).where('id', '=', id).execute();
    const first = nextMinuteInParis();
    const plan = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: { medicine: 'Metformin', dose: '500 mg' }, rrule: 'FREQ=DAILY;COUNT=10', dtstart: first.local });
    expect(plan.status).toBe(201);
    const occ = await reach(plan.json.id, first.at);
    expect(occ.state).toBe('sent');
    const sent = await p.initiated((m) => m['type'] === 'template');
    const tpl = sent['template'] as { name: string; components: { type: string; parameters: { payload?: string; text?: string }[] }[] };
    expect(tpl.name).toBe('pl_medication_reminder_v1');
    expect(tpl.components.find((c) => c.type === 'body')!.parameters.map((x) => x.text).slice(0, 2)).toEqual(['Metformin', '500 mg']);
    expect(tpl.components.filter((c) => c.type === 'button').map((c) => c.parameters[0]!.payload)).toEqual([`taken:${occ.id}`, `snooze:${occ.id}`]);

    // Snooze, as the template's quick reply (an inbound `button` message).
    const payload = inboundText(number, 'Snooze 30 min', { name: 'Medi' });
    const m = ((payload['entry'] as { changes: { value: { messages: Wire[] } }[] }[])[0]!.changes[0]!.value.messages)[0]!;
    delete m['text'];
    Object.assign(m, { type: 'button', context: { from: '15550001111', id: `wamid.T${crypto.randomBytes(4).toString('hex')}` }, button: { payload: `snooze:${occ.id}`, text: 'Snooze 30 min' } });
    const raw = JSON.stringify(payload);
    expect((await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) } })).status).toBe(200);
    const snoozed = await p.repliesTo(m['id'] as string);
    expect(bodyText(snoozed[0])).toContain('I will remind you again at');
    const again = (await occurrencesOf(plan.json.id)).find((o) => o.snoozes === 1)!;
    expect((await occurrencesOf(plan.json.id)).find((o) => o.id === occ.id)!.state).toBe('snoozed');
    expect(again.state).toBe('scheduled');
    expect(again.due_at.getTime() - clock.now().getTime()).toBeGreaterThan(29 * 60_000);

    // 30 minutes later: the patient has written (Snooze), so a free-form message with the buttons.
    expect((await reach(plan.json.id, again.due_at.getTime())).state).toBe('sent');
    const reminder = await p.initiated((x) => ids(x).includes(`careplans:taken:${again.id}`));
    expect(bodyText(reminder)).toBe('Time for Metformin 500 mg.');
    const thanks = await p.choose(reminder, 'careplans:taken:');
    expect(bodyText(thanks[0])).toContain('Metformin 500 mg noted as taken');
    expect((await occurrencesOf(plan.json.id)).find((o) => o.id === again.id)!.state).toBe('taken');

    const adherence = await api<{ items: { planId: string; sent: number; taken: number; snoozed: number; missed: number; rate: number | null }[] }>('GET', `/patients/${id}/adherence`);
    expect(adherence.json.items).toEqual([expect.objectContaining({ planId: plan.json.id, sent: 2, taken: 1, snoozed: 1, missed: 0, rate: 1 })]);

    // Stopped: nothing more to come.
    const stopped = await api<{ active: boolean; next: string[] }>('PATCH', `/patients/${id}/care-plans/${plan.json.id}`, { active: false });
    expect(stopped.json).toMatchObject({ active: false, next: [] });
    expect((await occurrencesOf(plan.json.id)).filter((o) => o.state === 'scheduled')).toEqual([]);
  });

  it('a template still in review holds the dose, which leaves as soon as the template is approved, not at the retry', async () => {
    const number = newPhone();
    const p = phoneOf(number, 'Pending Review');
    const id = await patient(p);
    await db.db.updateTable('patients').set({ last_inbound_at: new Date(clock.now().getTime() - 2 * 86_400_000) }).where('id', '=', id).execute();
    fake.setTemplate(TEMPLATES.medicationReminder.name, { status: 'PENDING' }, META_LANGUAGE.en);
    expect((await api('POST', '/templates/sync')).status).toBe(200);
    try {
      const first = nextMinuteInParis();
      const plan = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: { medicine: 'Ramipril', dose: '5 mg' }, rrule: 'FREQ=DAILY;COUNT=1', dtstart: first.local });
      expect(plan.status).toBe(201);
      clock.advance(first.at + 1000 - clock.now().getTime());
      const held = await waitFor(async () => (await occurrencesOf(plan.json.id)).find((o) => o.reason !== null) ?? null, 20_000, 200);
      expect(held).toMatchObject({ state: 'scheduled', reason: `template_pending:${TEMPLATES.medicationReminder.name}:en` });
      expect(held!.due_at.getTime()).toBeGreaterThan(clock.now().getTime());
      // The app's clock stands still from here: only the approval can release the dose before its retry.
      fake.setTemplate(TEMPLATES.medicationReminder.name, { status: 'APPROVED' }, META_LANGUAGE.en);
      expect((await api('POST', '/templates/sync')).status).toBe(200);
      const sent = await p.initiated((m) => m['type'] === 'template');
      expect((sent['template'] as { name: string }).name).toBe(TEMPLATES.medicationReminder.name);
      expect((await occurrencesOf(plan.json.id)).map((o) => [o.state, o.reason])).toEqual([['sent', null]]);
    } finally {
      fake.setTemplate(TEMPLATES.medicationReminder.name, { status: 'APPROVED' }, META_LANGUAGE.en);
      await api('POST', '/templates/sync');
    }
  });

  it('follow-up: a Book button that leads into booking the service', async () => {
    const p = phoneOf(newPhone(), 'Follow Up');
    const id = await patient(p);
    const first = nextMinuteInParis();
    const plan = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'follow_up', details: { service: 'general-consultation' }, rrule: 'FREQ=MONTHLY;INTERVAL=3;COUNT=1', dtstart: first.local });
    expect(plan.status).toBe(201);
    expect((await reach(plan.json.id, first.at)).state).toBe('sent');
    const msg = await p.initiated((x) => ids(x).includes('booking:start:general-consultation'));
    expect(bodyText(msg)).toContain('time to book your check-up (General consultation)');
    const next = await p.choose(msg, 'booking:start:');
    // The booking flow took it: it offers days or times for the service, not the main menu.
    expect(next.length).toBeGreaterThan(0);
    expect(ids(next.at(-1)).some((x) => x.startsWith('booking:'))).toBe(true);
  });

  it('stopped by staff: the doses to come are cancelled with the stop, and none is sent after it', async () => {
    const number = newPhone();
    const p = phoneOf(number, 'Staff Stop');
    const id = await patient(p);
    const first = nextMinuteInParis();
    const plan = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: { medicine: 'Metformin', dose: '850 mg' }, rrule: 'FREQ=MINUTELY;INTERVAL=5;COUNT=4', dtstart: first.local });
    expect(plan.status).toBe(201);
    expect((await reach(plan.json.id, first.at)).state).toBe('sent');
    await p.initiated((m) => bodyText(m) === 'Time for Metformin 850 mg.');

    const stopped = await api<{ state: string; stopReason: string; next: string[] }>('POST', `/patients/${id}/care-plans/${plan.json.id}/stop`, { reason: 'clinician_decision' });
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ state: 'stopped', stopReason: 'clinician_decision', next: [] });
    expect((await occurrencesOf(plan.json.id)).map((o) => [o.state, o.reason])).toEqual([['sent', null], ['cancelled', 'plan_stopped'], ['cancelled', 'plan_stopped'], ['cancelled', 'plan_stopped']]);

    // Another plan due after the stopped one's last dose: once the worker has sent it, it has been past every
    // instant of the stopped plan, and the patient got nothing more from it.
    const canaryAt = first.at + 20 * 60_000;
    const canary = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: { medicine: 'Ramipril', dose: '5 mg' }, rrule: 'FREQ=DAILY;COUNT=1', dtstart: inParis(canaryAt) });
    expect(canary.status).toBe(201);
    expect((await reach(canary.json.id, canaryAt)).state).toBe('sent');
    await p.initiated((m) => bodyText(m) === 'Time for Ramipril 5 mg.');
    const toPatient = fake.received.filter((x) => String(x.body['to']).replace(/\D/g, '') === number).map((x) => bodyText(x.body as Wire));
    expect(toPatient.filter((b) => b.includes('Metformin'))).toEqual(['Time for Metformin 850 mg.']);
    expect((await occurrencesOf(plan.json.id)).filter((o) => o.state !== 'cancelled')).toHaveLength(1);
  });

  it('a patient who sent STOP after the plan was made gets nothing: skipped as opted out', async () => {
    const number = newPhone();
    const p = phoneOf(number, 'Stop Plan');
    const id = await patient(p);
    const first = nextMinuteInParis();
    const plan = await api<{ id: string }>('POST', `/patients/${id}/care-plans`, { kind: 'medication', details: { medicine: 'Ramipril', dose: '5 mg' }, rrule: 'FREQ=DAILY;COUNT=3', dtstart: first.local });
    expect(plan.status).toBe(201);
    await p.say('STOP');
    const before = fake.received.filter((x) => String(x.body['to']).replace(/\D/g, '') === number).length;
    expect(await reach(plan.json.id, first.at)).toMatchObject({ state: 'skipped', reason: 'opted_out' });
    expect(fake.received.filter((x) => String(x.body['to']).replace(/\D/g, '') === number)).toHaveLength(before);
  });
});
