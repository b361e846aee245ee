// The reminder worker keeps pace with the sender: while queueAhead messages already wait in the outbox it
// decides no more (decided just before they can leave, reminders see the cancellations and opt-outs of the
// last minutes), and it goes on as soon as the sender has taken them.
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { approveTemplate } from '../../test/support/templates.js';
import { TEMPLATES } from '../whatsapp/templates.js';
import { queueAheadFor } from './index.js';
import { ReminderWorker } from './worker.js';

let now = new Date('2027-02-01T08:00:00Z');
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  await approveTemplate(database.db, TEMPLATES.appointmentReminder.name);
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

describe('the reminder worker and the sender\'s queue', () => {
  it('holds three seconds of the number\'s throughput, a thousand at least', () => {
    expect(queueAheadFor(80)).toBe(1000);
    expect(queueAheadFor(1000)).toBe(3000);
  });

  it('decides no more while queueAhead messages wait for the sender, and goes on once they have left', async () => {
    const service = (await database.db.selectFrom('services').select('id').where('code', '=', 'general-consultation').executeTakeFirstOrThrow()).id;
    const practitioner = (await database.db.selectFrom('practitioners').select('id').where('code', '=', 'camille-laurent').executeTakeFirstOrThrow()).id;
    for (const hour of ['10:00', '11:00', '14:00']) {
      const r = await api.app.inject({
        method: 'POST', url: '/api/appointments', headers: api.as('reception'),
        payload: { serviceId: service, practitionerId: practitioner, start: `2027-02-04T${hour}:00+01:00`, patient: { phone: `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Queue Patient', whatsappOptIn: true } },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    // Every first reminder (72 h before) is due now.
    now = new Date('2027-02-01T14:00:00Z');
    const worker = new ReminderWorker({ db: database.background, cipher: api.services.cipher, keys: api.services.keys, clock, log: pino({ level: 'silent' }), videoUrlTemplate: 'https://meet.example.org/{room}', onQueued: () => {}, batchSize: 1, queueAhead: 2 });
    const pending = async () => Number((await database.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow()).n);
    expect(await worker.ahead()).toBe(false);
    expect(await worker.tick()).toBe(1);
    expect(await worker.ahead()).toBe(false);
    expect(await worker.tick()).toBe(1);
    expect(await pending()).toBe(2);
    expect(await worker.ahead()).toBe(true);
    // The sender takes them.
    await database.db.updateTable('outbox').set({ state: 'sent' }).where('state', '=', 'pending').execute();
    expect(await worker.ahead()).toBe(false);
    expect(await worker.tick()).toBe(1);
    expect(await pending()).toBe(1);
    const states = await database.db.selectFrom('reminders').select('state').where('due_at', '<=', now).execute();
    expect(states.map((s) => s.state).sort()).toEqual(['sent', 'sent', 'sent']);
  });
});
