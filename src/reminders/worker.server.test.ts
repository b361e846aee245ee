// Two instances send each reminder once, on a PostgreSQL server with real parallel connections: 40
// appointments booked through the staff API, their reminders due, two reminder workers ticking at the same
// time until nothing is left; every reminder is sent exactly once (one outbox row each, by its idempotency
// key), none is missed.
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { LANGUAGES } from '../nlu/types.js';
import { META_LANGUAGE, TEMPLATES } from '../whatsapp/templates.js';
import { ReminderWorker } from './worker.js';

let now = new Date('2027-01-04T06:00:00Z'); // Monday 07:00 in Paris
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 10, backgroundPoolSize: 10 });
  if (database.kind !== 'postgres') throw new Error('a server test: set TEST_DATABASE_URL');
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  for (const l of LANGUAGES) {
    await database.db.insertInto('message_templates').values({ name: TEMPLATES.appointmentReminder.name, language: l, meta_language: META_LANGUAGE[l], category: 'UTILITY', status: 'APPROVED', definition_hash: 'test' }).execute();
  }
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

describe('two reminder workers on PostgreSQL', () => {
  it('send each due reminder exactly once', async () => {
    const put = await api.app.inject({ method: 'PUT', url: '/api/settings/reminders', headers: api.as('admin'), payload: { appointmentOffsetsMinutes: [4320], quietHours: null } });
    expect(put.statusCode).toBe(200);
    const service = (await database.db.selectFrom('services').select('id').where('code', '=', 'general-consultation').executeTakeFirstOrThrow()).id;
    const slots = (await api.app.inject({ method: 'GET', url: `/api/slots?serviceId=${service}&from=2027-01-07T07:00:00Z&to=2027-01-08T17:00:00Z&limit=40`, headers: api.as('admin') })).json().items as { practitionerId: string; start: string }[];
    expect(slots.length).toBe(40);
    for (const s of slots) {
      const r = await api.app.inject({ method: 'POST', url: '/api/appointments', headers: api.as('reception'), payload: { serviceId: service, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Twin Test', whatsappOptIn: true } } });
      expect(r.statusCode).toBe(201);
    }
    expect(Number((await database.db.selectFrom('reminders').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'scheduled').executeTakeFirstOrThrow()).n)).toBe(40);

    now = new Date('2027-01-05T20:00:00Z'); // every reminder is due (72 h before), every appointment still ahead
    const deps = { db: database.background, cipher: api.services.cipher, keys: api.services.keys, clock, log: pino({ level: 'silent' }), videoUrlTemplate: 'https://meet.example.org/{room}', onQueued: () => {} };
    const one = new ReminderWorker(deps);
    const two = new ReminderWorker(deps);
    // Small batches so that the two interleave: each tick takes what the other has not locked.
    for (let i = 0; i < 20; i++) {
      const [a, b] = await Promise.all([one.tick(), two.tick()]);
      if (a + b === 0) break;
    }
    const rows = await database.db.selectFrom('reminders').select(['id', 'state', 'reason', 'outbox_id']).execute();
    const sent = rows.filter((r) => r.state === 'sent');
    expect(rows.filter((r) => r.state !== 'sent')).toEqual([]);
    expect(sent.length).toBe(40);
    const outbox = await database.db.selectFrom('outbox').select(['id', 'idempotency_key']).where('idempotency_key', 'like', 'reminder:%').execute();
    expect(outbox.length).toBe(sent.length);
    expect(new Set(outbox.map((o) => o.idempotency_key)).size).toBe(outbox.length);
    expect(new Set(sent.map((r) => r.outbox_id))).toEqual(new Set(outbox.map((o) => o.id)));
  });
});
