// The staff side of care plans through the real app (every module, PGlite, app.inject): stopping a plan
// cancels the occurrences to come in the same transaction (with why, as a code, once), staff readings are
// read by the chat's parser, stored sealed as source 'staff', judged against the vitals plan's thresholds and
// alerted on as the chat's are, a reading that cannot be read is a 400 that names the field and not the value
// (nothing stored), adherence and the recent doses count the last 30 days, and the roles: clinicians and
// admins write, reception reads, analysts see none of it.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustableClock } from '../../test/support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { phoneIndex } from '../compliance/identifiers.js';

type Role = 'admin' | 'clinician' | 'reception' | 'analyst';
const clock = adjustableClock();
let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database, { clock });
});
afterAll(async () => {
  await api.stop();
});

async function call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, role: Role = 'clinician'): Promise<{ status: number; json: T }> {
  const r = await api.app.inject({ method, url: `/api${url}`, headers: api.as(role), ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
  return { status: r.statusCode, json: r.json() as T };
}

async function newPatient(): Promise<string> {
  const phone = `3361${crypto.randomInt(1_000_000, 9_999_999)}`;
  const row = await database.db.insertInto('patients').values({ wa_id_index: phoneIndex(api.services.cipher, phone) }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Tomorrow in UTC as a local date, so the plan's first dose is in the future. */
const tomorrow = () => new Date(clock.now().getTime() + 86_400_000).toISOString().slice(0, 10);

interface Plan { id: string; state: string; active: boolean; stoppedAt: string | null; stopReason: string | null; next: string[]; nextDue: string | null; lastDue: string | null }
type Problem = { code: string; issues?: { path: string; message: string }[] };

const occurrencesOf = (planId: string) => database.db.selectFrom('care_plan_occurrences').select(['id', 'state', 'reason', 'due_at']).where('plan_id', '=', planId).orderBy('due_at').execute();
const observationsOf = (patientId: string) => database.db.selectFrom('observations').selectAll().where('patient_id', '=', patientId).orderBy('created_at').execute();
const alertsOf = (patientId: string) => database.db.selectFrom('staff_alerts').select(['kind', 'codes']).where('patient_id', '=', patientId).orderBy('id').execute();
const auditOf = (patientId: string, action: string) => database.db.selectFrom('audit_log').select(['actor_id', 'details', 'target']).where('patient_id', '=', patientId).where('action', '=', action).orderBy('id').execute();

async function medicationPlan(patientId: string): Promise<Plan> {
  const r = await call<Plan>('POST', `/patients/${patientId}/care-plans`, {
    kind: 'medication', details: { medicine: 'Metformin', dose: '500 mg' }, rrule: 'FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=20', dtstart: `${tomorrow()}T08:00`, timeZone: 'Europe/Paris',
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
}

async function glucosePlan(patientId: string): Promise<Plan> {
  const r = await call<Plan>('POST', `/patients/${patientId}/care-plans`, {
    kind: 'vitals', details: { measure: 'glucose' }, rrule: 'FREQ=DAILY;BYHOUR=7;BYMINUTE=30', dtstart: `${tomorrow()}T07:30`, timeZone: 'Europe/Paris', thresholds: { low: 70, high: 180, unit: 'mg/dL' },
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
}

describe('stopping a care plan', () => {
  it('cancels every occurrence to come in the same transaction, keeps those already sent, records why once', async () => {
    const patientId = await newPatient();
    const plan = await medicationPlan(patientId);
    expect(plan).toMatchObject({ state: 'active', stoppedAt: null, stopReason: null });
    expect(plan.nextDue).toBe(plan.next[0]);
    // COUNT=20 at 08:00 and 20:00 from tomorrow: the last dose is the tenth day's evening.
    expect(plan.lastDue).not.toBeNull();
    const before = await occurrencesOf(plan.id);
    expect(before).toHaveLength(20);
    // One dose already went out: stopping does not rewrite history.
    await database.db.updateTable('care_plan_occurrences').set({ state: 'sent', sent_at: clock.now() }).where('id', '=', before[0]!.id).execute();

    const stopped = await call<Plan>('POST', `/patients/${patientId}/care-plans/${plan.id}/stop`, { reason: 'side_effects' });
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ state: 'stopped', active: false, stopReason: 'side_effects', next: [], nextDue: null });
    expect(stopped.json.stoppedAt).not.toBeNull();
    const after = await occurrencesOf(plan.id);
    expect(after[0]).toMatchObject({ state: 'sent', reason: null });
    expect(after.slice(1).every((o) => o.state === 'cancelled' && o.reason === 'plan_stopped')).toBe(true);
    const audit = await auditOf(patientId, 'careplan.stop');
    expect(audit).toEqual([{ actor_id: 'tok-clinician', target: `careplan:${plan.id}`, details: { cancelled: 19, reason: 'side_effects' } }]);

    // Stopping again changes nothing: the first stop's time and reason stay, no second audit entry.
    const again = await call<Plan>('POST', `/patients/${patientId}/care-plans/${plan.id}/stop`, { reason: 'other' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ stopReason: 'side_effects', stoppedAt: stopped.json.stoppedAt });
    expect(await auditOf(patientId, 'careplan.stop')).toHaveLength(1);
    const row = await database.db.selectFrom('care_plans').select(['stopped_by', 'stop_reason', 'active']).where('id', '=', plan.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ stopped_by: 'tok-clinician', stop_reason: 'side_effects', active: false });

    // Resumed: running again, the stop forgotten, occurrences to come again.
    const resumed = await call<Plan>('PATCH', `/patients/${patientId}/care-plans/${plan.id}`, { active: true });
    expect(resumed.json).toMatchObject({ state: 'active', stoppedAt: null, stopReason: null });
    expect(resumed.json.next.length).toBeGreaterThan(0);
    expect((await occurrencesOf(plan.id)).map((o) => o.state)).toEqual(['sent', ...Array<string>(19).fill('scheduled')]);
  });

  it('without a body or a reason; an unknown reason, another patient\'s plan or a reception user are refused', async () => {
    const patientId = await newPatient();
    const plan = await medicationPlan(patientId);
    expect((await call('POST', `/patients/${patientId}/care-plans/${plan.id}/stop`, { reason: 'the patient felt dizzy' })).status).toBe(400);
    expect((await call('POST', `/patients/${patientId}/care-plans/${plan.id}/stop`, {}, 'reception')).status).toBe(403);
    expect((await call('POST', `/patients/${await newPatient()}/care-plans/${plan.id}/stop`, {})).status).toBe(404);
    expect((await occurrencesOf(plan.id)).every((o) => o.state === 'scheduled')).toBe(true);
    const r = await api.app.inject({ method: 'POST', url: `/api/patients/${patientId}/care-plans/${plan.id}/stop`, headers: api.as('admin') });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ state: 'stopped', stopReason: null });
    expect((await occurrencesOf(plan.id)).every((o) => o.state === 'cancelled')).toBe(true);
  });

  it('a plan whose schedule ran out is finished, not stopped', async () => {
    const patientId = await newPatient();
    const yesterday = new Date(clock.now().getTime() - 86_400_000).toISOString().slice(0, 10);
    const r = await call<Plan>('POST', `/patients/${patientId}/care-plans`, { kind: 'medication', details: { medicine: 'Amoxicillin' }, rrule: 'FREQ=DAILY;COUNT=1', dtstart: `${yesterday}T08:00`, timeZone: 'UTC' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ state: 'finished', active: true, nextDue: null, lastDue: `${yesterday}T08:00:00.000Z` });
  });
});

describe('staff readings', () => {
  it('are read by the chat\'s parser, stored sealed as source staff, judged against the plan and alerted on out of range', async () => {
    const patientId = await newPatient();
    const plan = await glucosePlan(patientId);

    const high = await call<Record<string, unknown>>('POST', `/patients/${patientId}/observations`, { measure: 'glucose', text: '250 mg/dl' });
    expect(high.status, JSON.stringify(high.json)).toBe(201);
    expect(high.json).toMatchObject({
      resourceType: 'Observation', meta: { source: 'urn:patientline:staff' }, basedOn: [{ reference: `CarePlan/${plan.id}` }],
      code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose [Mass/volume] in Blood' }] },
      valueQuantity: { value: 250, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      interpretation: [{ coding: [expect.objectContaining({ code: 'H' })] }],
    });
    expect(await alertsOf(patientId)).toEqual([{ kind: 'other', codes: ['vitals_out_of_range:2339-0'] }]);

    // "5,8" as the chat reads it: mmol/L (its own LOINC code), the mg/dL thresholds converted: normal, no alert.
    const normal = await call('POST', `/patients/${patientId}/observations`, { measure: 'glucose', text: '5,8' });
    expect(normal.json).toMatchObject({ code: { coding: [expect.objectContaining({ code: '15074-8' })] }, valueQuantity: expect.objectContaining({ value: 5.8, code: 'mmol/L' }), interpretation: [{ coding: [expect.objectContaining({ code: 'N' })] }] });
    // A number with its unit, measured an hour ago: low.
    const at = new Date(clock.now().getTime() - 3_600_000).toISOString();
    const low = await call('POST', `/patients/${patientId}/observations`, { measure: 'glucose', value: 3.2, unit: 'mmol/L', effectiveAt: at });
    expect(low.json).toMatchObject({ effectiveDateTime: at, interpretation: [{ coding: [expect.objectContaining({ code: 'L' })] }] });
    expect(await alertsOf(patientId)).toHaveLength(2);

    const rows = await observationsOf(patientId);
    // The three share the test clock's created_at: compared in a fixed order, not the database's.
    const byKind = (a: unknown[], b: unknown[]) => String(a[3]).localeCompare(String(b[3]));
    expect(rows.map((r) => [r.source, r.plan_id, r.occurrence_id, r.interpretation]).sort(byKind)).toEqual([['staff', plan.id, null, 'high'], ['staff', plan.id, null, 'normal'], ['staff', plan.id, null, 'low']].sort(byKind));
    // Sealed at rest; the audit says what was entered by whom, not the value.
    expect(Buffer.from(rows.find((r) => r.interpretation === 'high')!.value).toString('latin1')).not.toContain('250');
    const audit = await auditOf(patientId, 'observation.create');
    expect(audit.map((a) => a.details)).toEqual([
      { code: '2339-0', source: 'staff', interpretation: 'high' }, { code: '15074-8', source: 'staff', interpretation: 'normal' }, { code: '15074-8', source: 'staff', interpretation: 'low' },
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/250|5\.8|3\.2/);

    // The list staff read has them, newest measured first, with who reported each.
    const list = await call<{ items: { effectiveDateTime: string; meta: { source: string } }[] }>('GET', `/patients/${patientId}/observations`, undefined, 'reception');
    expect(list.status).toBe(200);
    expect(list.json.items).toHaveLength(3);
    expect(list.json.items.at(-1)!.effectiveDateTime).toBe(at);
  });

  it('blood pressure as text or as two numbers; without a vitals plan there is no interpretation and no alert', async () => {
    const patientId = await newPatient();
    const typed = await call('POST', `/patients/${patientId}/observations`, { measure: 'blood_pressure', text: 'tension 13/8' });
    expect(typed.status).toBe(201);
    expect(typed.json).toMatchObject({ component: [expect.objectContaining({ valueQuantity: expect.objectContaining({ value: 130 }) }), expect.objectContaining({ valueQuantity: expect.objectContaining({ value: 80 }) })] });
    expect(typed.json).not.toHaveProperty('interpretation');
    expect(typed.json).not.toHaveProperty('basedOn');
    const numbers = await call('POST', `/patients/${patientId}/observations`, { measure: 'blood_pressure', value: 150, diastolic: 95, unit: 'mm[Hg]' });
    expect(numbers.status).toBe(201);
    expect(await alertsOf(patientId)).toEqual([]);
    expect((await observationsOf(patientId)).map((r) => r.interpretation)).toEqual([null, null]);
  });

  it('what cannot be read is a 400 naming the field (never the value), and nothing is stored', async () => {
    const patientId = await newPatient();
    await glucosePlan(patientId);
    const cases: [unknown, string][] = [
      [{ measure: 'glucose', text: 'feeling fine 777' }, '/text'],
      [{ measure: 'glucose', text: 'hello' }, '/text'],
      [{ measure: 'glucose', value: 900, unit: 'mg/dL' }, '/value'],
      [{ measure: 'temperature', value: 52 }, '/value'],
      [{ measure: 'glucose', value: 110, unit: 'mm[Hg]' }, '/unit'],
      [{ measure: 'blood_pressure', value: 120 }, '/diastolic'],
      [{ measure: 'glucose', text: '110', value: 110 }, '/text'],
      [{ measure: 'glucose' }, '/text'],
      [{ measure: 'glucose', value: 110, unit: 'mg/dL', effectiveAt: new Date(clock.now().getTime() + 3_600_000).toISOString() }, '/effectiveAt'],
      [{ measure: 'weight', text: '72 kg', planId: (await medicationPlan(patientId)).id }, '/planId'],
    ];
    for (const [body, path] of cases) {
      const r = await call<Problem>('POST', `/patients/${patientId}/observations`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toBe('validation_failed');
      expect(r.json.issues!.map((i) => i.path), JSON.stringify(body)).toContain(path);
      expect(JSON.stringify(r.json)).not.toMatch(/777|900/);
    }
    const glucose = await call<Problem>('POST', `/patients/${patientId}/observations`, { measure: 'glucose', text: 'hello' });
    expect(glucose.json.issues).toEqual([{ in: 'body', path: '/text', message: expect.stringContaining('110 mg/dL') }]);
    expect(await observationsOf(patientId)).toEqual([]);
    expect(await alertsOf(patientId)).toEqual([]);
    expect((await call('POST', `/patients/00000000-0000-4000-8000-000000000000/observations`, { measure: 'glucose', text: '110' })).status).toBe(404);
  });
});

describe('adherence and recent doses', () => {
  it('count the last 30 days when asked, list what is already due newest first, and never what is to come', async () => {
    const patientId = await newPatient();
    const plan = await medicationPlan(patientId);
    const day = 86_400_000;
    const now = clock.now().getTime();
    await database.db.insertInto('care_plan_occurrences').values([
      { plan_id: plan.id, patient_id: patientId, due_at: new Date(now - 40 * day), state: 'missed', reason: 'no_answer' },
      { plan_id: plan.id, patient_id: patientId, due_at: new Date(now - 5 * day), state: 'taken', sent_at: new Date(now - 5 * day), answered_at: new Date(now - 5 * day + 60_000) },
      { plan_id: plan.id, patient_id: patientId, due_at: new Date(now - 4 * day), state: 'snoozed', sent_at: new Date(now - 4 * day) },
      { plan_id: plan.id, patient_id: patientId, due_at: new Date(now - 4 * day + 1_800_000), state: 'taken', snoozes: 1 },
    ]).execute();
    type A = { items: { planId: string; taken: number; snoozed: number; missed: number; rate: number | null }[] };
    const all = await call<A>('GET', `/patients/${patientId}/adherence`);
    expect(all.json.items).toEqual([expect.objectContaining({ planId: plan.id, taken: 2, snoozed: 1, missed: 1, rate: 0.667 })]);
    const month = await call<A>('GET', `/patients/${patientId}/adherence?days=30`);
    expect(month.json.items).toEqual([expect.objectContaining({ planId: plan.id, taken: 2, snoozed: 1, missed: 0, rate: 1 })]);

    const recent = await call<{ items: { state: string; dueAt: string; planId: string; kind: string }[] }>('GET', `/patients/${patientId}/care-plan-occurrences?days=30`, undefined, 'reception');
    expect(recent.status).toBe(200);
    expect(recent.json.items.map((o) => o.state)).toEqual(['taken', 'snoozed', 'taken']);
    expect(recent.json.items.every((o) => o.planId === plan.id && o.kind === 'medication')).toBe(true);
    expect((await call<{ items: unknown[] }>('GET', `/patients/${patientId}/care-plan-occurrences?days=60`)).json.items).toHaveLength(4);
    expect((await call('GET', `/patients/${patientId}/adherence?days=0`)).status).toBe(400);
  });
});

describe('roles', () => {
  it('analysts see none of a patient\'s care plans, readings or doses; reception reads but does not write', async () => {
    const patientId = await newPatient();
    const plan = await medicationPlan(patientId);
    for (const url of ['care-plans', 'observations', 'adherence', 'care-plan-occurrences']) {
      const r = await call('GET', `/patients/${patientId}/${url}`, undefined, 'analyst');
      expect(r.status, url).toBe(403);
      expect((await call('GET', `/patients/${patientId}/${url}`, undefined, 'reception')).status, url).toBe(200);
    }
    for (const role of ['analyst', 'reception'] as const) {
      expect((await call('POST', `/patients/${patientId}/observations`, { measure: 'weight', text: '72 kg' }, role)).status).toBe(403);
      expect((await call('POST', `/patients/${patientId}/care-plans/${plan.id}/stop`, {}, role)).status).toBe(403);
      expect((await call('PATCH', `/patients/${patientId}/care-plans/${plan.id}`, { active: false }, role)).status).toBe(403);
    }
    expect(await observationsOf(patientId)).toEqual([]);
    expect((await call<Plan>('GET', `/patients/${patientId}/care-plans`, undefined, 'reception')).json).toMatchObject({ items: [{ id: plan.id, state: 'active' }] });
  });
});
