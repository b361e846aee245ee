// Two instances send each reminder once, on a PostgreSQL server with real parallel connections: 40
// appointments booked through the staff API, their reminders due, two reminder workers ticking at the same
// time until nothing is left; every reminder is sent exactly once (one outbox row each, by its idempotency
// key), none is missed. Small batches, so that the two interleave batch by batch, and in each batch the rules
// that are decided together: both offsets of every appointment are due (the earlier is superseded, the patient
// gets one message), and some patients opted out after booking (skipped, nothing queued).
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { approveTemplate } from '../../test/support/templates.js';
import { TEMPLATES } from '../whatsapp/templates.js';
import { ReminderWorker } from './worker.js';

let now = new Date('2027-01-04T06:00:00Z'); // Monday 07:00 in Paris
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 10, backgroundPoolSize: 10 });
  if (database.kind !== 'postgres') throw new Error('a server test: set TEST_DATABASE_URL');
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  await approveTemplate(database.db, TEMPLATES.appointmentReminder.name);
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

describe('two reminder workers on PostgreSQL', () => {
  it('send each due reminder exactly once', async () => {
    const put = await api.app.inject({ method: 'PUT', url: '/api/settings/reminders', headers: api.as('admin'), payload: { appointmentOffsetsMinutes: [4320, 4260], quietHours: null } });
    expect(put.statusCode).toBe(200);
    const service = (await database.db.selectFrom('services').select('id').where('code', '=', 'general-consultation').executeTakeFirstOrThrow()).id;
    const slots = (await api.app.inject({ method: 'GET', url: `/api/slots?serviceId=${service}&from=2027-01-07T07:00:00Z&to=2027-01-08T17:00:00Z&limit=40`, headers: api.as('admin') })).json().items as { practitionerId: string; start: string }[];
    expect(slots.length).toBe(40);
    for (const s of slots) {
      const r = await api.app.inject({ method: 'POST', url: '/api/appointments', headers: api.as('reception'), payload: { serviceId: service, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Twin Test', whatsappOptIn: true } } });
      expect(r.statusCode).toBe(201);
    }
    expect(Number((await database.db.selectFrom('reminders').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'scheduled').executeTakeFirstOrThrow()).n)).toBe(80);
    // Four patients send STOP after booking.
    const stopped = (await database.db.selectFrom('appointments').select('patient_id').orderBy('starts_at').limit(4).execute()).map((r) => r.patient_id);
    await database.db.updateTable('patients').set({ opted_out_at: now }).where('id', 'in', stopped).execute();

    now = new Date('2027-01-05T20:00:00Z'); // both reminders (72 h and 71 h before) are due, every appointment still ahead
    const deps = { db: database.background, cipher: api.services.cipher, keys: api.services.keys, clock, log: pino({ level: 'silent' }), videoUrlTemplate: 'https://meet.example.org/{room}', onQueued: () => {}, batchSize: 7 };
    const one = new ReminderWorker(deps);
    const two = new ReminderWorker(deps);
    // Small batches so that the two interleave: each tick takes what the other has not locked.
    const claimed: number[] = [];
    for (let i = 0; i < 40; i++) {
      const [a, b] = await Promise.all([one.tick(), two.tick()]);
      claimed.push(a, b);
      if (a + b === 0) break;
    }
    expect(claimed.reduce((x, y) => x + y, 0)).toBe(80); // each reminder claimed once
    expect(claimed.filter((n) => n === 7).length).toBeGreaterThanOrEqual(10); // full batches, both workers
    const rows = await database.db.selectFrom('reminders').select(['id', 'appointment_id', 'patient_id', 'offset_minutes', 'state', 'reason', 'outbox_id']).execute();
    expect(rows.filter((r) => r.state === 'scheduled')).toEqual([]);
    expect(rows.filter((r) => r.offset_minutes === 4320).map((r) => r.reason)).toEqual(Array(40).fill('superseded'));
    const later = rows.filter((r) => r.offset_minutes === 4260);
    expect(later.filter((r) => stopped.includes(r.patient_id)).map((r) => [r.state, r.reason])).toEqual(Array(4).fill(['skipped', 'opted_out']));
    const sent = rows.filter((r) => r.state === 'sent');
    expect(sent.length).toBe(36);
    expect(new Set(sent.map((r) => r.appointment_id)).size).toBe(36);
    const outbox = await database.db.selectFrom('outbox').select(['id', 'idempotency_key', 'patient_id', 'kind']).where('idempotency_key', 'like', 'reminder:%').execute();
    expect(outbox.length).toBe(sent.length);
    expect(new Set(outbox.map((o) => o.idempotency_key)).size).toBe(outbox.length);
    expect(new Set(sent.map((r) => r.outbox_id))).toEqual(new Set(outbox.map((o) => o.id)));
    expect(new Set(outbox.map((o) => o.idempotency_key))).toEqual(new Set(sent.map((r) => `reminder:${r.id}#0`)));
    expect(outbox.filter((o) => stopped.includes(o.patient_id!))).toEqual([]);
    expect(new Set(outbox.map((o) => o.kind))).toEqual(new Set(['template']));
    // One audit entry per decision, appended in the batches' transactions (the chain verifies in compliance's tests).
    const audit = await database.db.selectFrom('audit_log').select(['action', 'target']).where('action', 'like', 'reminder.%').execute();
    expect(audit.filter((x) => x.action === 'reminder.sent').map((x) => x.target).sort()).toEqual(sent.map((r) => `reminder:${r.id}`).sort());
    expect(audit.filter((x) => x.action === 'reminder.skipped').length).toBe(44);
  });
});
