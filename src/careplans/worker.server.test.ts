// Two care-plan workers on a PostgreSQL server with real parallel connections: 30 medication plans due at
// the same minute, both workers ticking at once until nothing is left; every occurrence is sent exactly once
// (one outbox row each, by its idempotency key). Doses not answered in 3 hours become missed; the rolling
// horizon is topped up without a duplicate; reception reads plans but cannot write them.
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { LANGUAGES } from '../nlu/types.js';
import { touchPatient } from '../patients/index.js';
import { TEMPLATES, META_LANGUAGE } from '../whatsapp/templates.js';

import { CarePlanWorker } from './worker.js';

let now = new Date('2027-01-04T06:00:00Z'); // Monday 07:00 in Paris
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 10, backgroundPoolSize: 10 });
  if (database.kind !== 'postgres') throw new Error('a server test: set TEST_DATABASE_URL');
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  for (const l of LANGUAGES) {
    await database.db.insertInto('message_templates').values({ name: TEMPLATES.medicationReminder.name, language: l, meta_language: META_LANGUAGE[l], category: 'UTILITY', status: 'APPROVED', definition_hash: 'test' }).execute();
  }
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

describe('two care-plan workers on PostgreSQL', () => {
  it('send each due occurrence exactly once; missed after 3 hours; the horizon topped up without duplicates', async () => {
    const crypt = { cipher: api.services.cipher, keys: api.services.keys };
    const patients: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { patient } = await database.db.transaction().execute((tx) => touchPatient(tx, crypt, { waId: `336${crypto.randomInt(10_000_000, 99_999_999)}`, bsuid: null, name: 'Twin Dose' }, new Date('2027-01-01T06:00:00Z')));
      patients.push(patient.id);
    }
    const body = { kind: 'medication', details: { medicine: 'Metformin', dose: '500 mg' }, rrule: 'FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0', dtstart: '2027-01-04T08:00', timeZone: 'Europe/Paris' };
    const refused = await api.app.inject({ method: 'POST', url: `/api/patients/${patients[0]}/care-plans`, headers: api.as('reception'), payload: body });
    expect(refused.statusCode).toBe(403);
    for (const id of patients) {
      const r = await api.app.inject({ method: 'POST', url: `/api/patients/${id}/care-plans`, headers: api.as('clinician'), payload: body });
      expect(r.statusCode).toBe(201);
    }
    const read = await api.app.inject({ method: 'GET', url: `/api/patients/${patients[0]}/care-plans`, headers: api.as('reception') });
    expect(read.statusCode).toBe(200);
    expect(read.json().items[0].next).toEqual(['2027-01-04T07:00:00.000Z', '2027-01-04T19:00:00.000Z', '2027-01-05T07:00:00.000Z']);
    // 14 days ahead, two a day: 28 per plan.
    const count = async (where?: string) => Number((await database.db.selectFrom('care_plan_occurrences').select((eb) => eb.fn.countAll().as('n')).$if(where !== undefined, (q) => q.where('state', '=', where as never)).executeTakeFirstOrThrow()).n);
    expect(await count()).toBe(30 * 28);

    now = new Date('2027-01-04T07:00:30Z'); // the 08:00 doses are due
    const deps = { db: database.background, cipher: api.services.cipher, keys: api.services.keys, clock, log: pino({ level: 'silent' }), onQueued: () => {} };
    const one = new CarePlanWorker(deps);
    const two = new CarePlanWorker(deps);
    for (let i = 0; i < 20; i++) {
      const [a, b] = await Promise.all([one.tick(), two.tick()]);
      if (a + b === 0) break;
    }
    const sent = await database.db.selectFrom('care_plan_occurrences').select(['id', 'outbox_id', 'via']).where('state', '=', 'sent').execute();
    expect(sent.length).toBe(30);
    expect(new Set(sent.map((s) => s.via))).toEqual(new Set(['template']));
    const outbox = await database.db.selectFrom('outbox').select(['id', 'idempotency_key', 'purpose']).where('idempotency_key', 'like', 'careplan:%').execute();
    expect(outbox.length).toBe(30);
    expect(new Set(outbox.map((o) => o.idempotency_key)).size).toBe(30);
    expect(new Set(outbox.map((o) => o.purpose))).toEqual(new Set(['care']));
    expect(new Set(sent.map((s) => s.outbox_id))).toEqual(new Set(outbox.map((o) => o.id)));

    now = new Date('2027-01-04T10:01:00Z'); // 3 hours later, none answered
    await one.tick();
    expect(await count('missed')).toBe(30);
    const adherence = await api.app.inject({ method: 'GET', url: `/api/patients/${patients[0]}/adherence`, headers: api.as('reception') });
    expect(adherence.json().items).toEqual([expect.objectContaining({ sent: 1, taken: 0, missed: 1, rate: 0 })]);

    // Two days on: every plan is topped up to 14 days ahead again; no (plan, instant) twice. The doses the
    // instances slept through are skipped as too late, never sent hours late.
    now = new Date('2027-01-06T07:30:00Z');
    for (let i = 0; i < 20; i++) {
      const [a, b] = await Promise.all([one.tick(), two.tick()]);
      if (a + b === 0) break;
    }
    const rows = await database.db.selectFrom('care_plan_occurrences').select(['plan_id', 'due_at', 'state', 'reason']).execute();
    expect(new Set(rows.map((r) => `${r.plan_id}:${r.due_at.toISOString()}`)).size).toBe(rows.length);
    const perPlan = rows.filter((r) => r.plan_id === rows[0]!.plan_id);
    expect(perPlan.map((r) => r.due_at.getTime()).sort((a, b) => a - b).at(-1)).toBe(Date.parse('2027-01-20T07:00:00Z')) // 08:00 on the 20th: now + 14 days is 08:30 that day;
    expect(perPlan.filter((r) => r.reason === 'too_late').length).toBe(3); // 20:00 on the 4th, 08:00 and 20:00 on the 5th
    expect(perPlan.filter((r) => r.state === 'sent').length).toBe(1); // 08:00 on the 6th, 30 minutes ago
  });
});
