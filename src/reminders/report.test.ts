// The no-show report and candidates, through the staff API with a pinned clock: appointments with a 24 h
// reminder sent by the reminder worker and one booked too late for it, then attended, not attended,
// cancelled, moved; the week's no-show rate with and without a reminder and the outcomes per offset.
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { approveTemplate } from '../../test/support/templates.js';
import { TEMPLATES } from '../whatsapp/templates.js';
import { isoWeek } from './report.js';
import { ReminderWorker } from './worker.js';

let now = new Date('2027-01-04T06:00:00Z'); // Monday 07:00 in Paris
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;
let service: string;
let practitioner: string;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  service = (await database.db.selectFrom('services').select('id').where('code', '=', 'general-consultation').executeTakeFirstOrThrow()).id;
  practitioner = (await database.db.selectFrom('practitioners').select('id').where('code', '=', 'camille-laurent').executeTakeFirstOrThrow()).id;
  await approveTemplate(database.db, TEMPLATES.appointmentReminder.name);
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

const as = (role: 'admin' | 'reception' | 'analyst') => api.as(role);
async function book(start: string): Promise<string> {
  const r = await api.app.inject({ method: 'POST', url: '/api/appointments', headers: as('reception'), payload: { serviceId: service, practitionerId: practitioner, start, patient: { phone: `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`, name: 'Report Patient', whatsappOptIn: true } } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id as string;
}
const post = (url: string, payload?: unknown) => api.app.inject({ method: 'POST', url, headers: as('reception'), ...(payload ? { payload } : {}) });

describe('the reminders report', () => {
  it('ISO weeks: the week\'s Thursday decides its year', () => {
    expect(isoWeek(2027, 1, 4)).toBe('2027-W01');
    expect(isoWeek(2027, 1, 3)).toBe('2026-W53');
    expect(isoWeek(2026, 12, 31)).toBe('2026-W53');
    expect(isoWeek(2025, 12, 29)).toBe('2026-W01');
  });

  it('no-show rate with and without a reminder, and per offset the outcomes', async () => {
    expect((await api.app.inject({ method: 'PUT', url: '/api/settings/reminders', headers: as('admin'), payload: { appointmentOffsetsMinutes: [1440], quietHours: null } })).statusCode).toBe(200);
    const late = await book('2027-01-04T08:00:00Z'); // in 2 hours: too late for a 24 h reminder
    const [a, b, c, d] = [await book('2027-01-05T08:00:00Z'), await book('2027-01-05T08:20:00Z'), await book('2027-01-05T08:40:00Z'), await book('2027-01-05T09:00:00Z')];
    now = new Date('2027-01-04T09:00:00Z'); // every 24 h reminder is due
    const worker = new ReminderWorker({ db: database.background, cipher: api.services.cipher, keys: api.services.keys, clock, log: pino({ level: 'silent' }), videoUrlTemplate: 'https://meet.example.org/{room}', onQueued: () => {} });
    while (await worker.tick()) { /* until none is due */ }
    const sent = await database.db.selectFrom('reminders').select('appointment_id').where('state', '=', 'sent').execute();
    expect(sent.map((s) => s.appointment_id).sort()).toEqual([a, b, c, d].sort());

    expect((await post(`/api/appointments/${late}/noshow`)).statusCode).toBe(200);
    expect((await post(`/api/appointments/${a}/confirm`)).statusCode).toBe(200);
    expect((await post(`/api/appointments/${a}/arrived`)).statusCode).toBe(200);
    expect((await post(`/api/appointments/${b}/noshow`)).statusCode).toBe(200);
    expect((await post(`/api/appointments/${c}/cancel`, { reason: 'patient_request' })).statusCode).toBe(200);
    const moved = await post(`/api/appointments/${d}/reschedule`, { start: '2027-01-05T13:30:00Z' });
    expect(moved.statusCode).toBe(200);

    const r = await api.app.inject({ method: 'GET', url: '/api/reports/reminders?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z', headers: as('analyst') });
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toEqual([{
      week: '2027-W01',
      withReminder: { appointments: 2, noShows: 1, noShowRate: 0.5 },
      withoutReminder: { appointments: 1, noShows: 1, noShowRate: 1 },
      byOffset: [{ offsetMinutes: 1440, appointments: 4, confirmed: 1, cancelled: 1, rescheduled: 1, noShow: 1 }],
    }]);

    // After its end the moved appointment, never marked, is a no-show candidate; the marked ones are not.
    now = new Date('2027-01-06T09:00:00Z');
    const candidates = await api.app.inject({ method: 'GET', url: '/api/appointments/no-show-candidates', headers: as('reception') });
    expect(candidates.json().items.map((x: { id: string }) => x.id)).toEqual([moved.json().id]);
    expect((await api.app.inject({ method: 'GET', url: '/api/reports/reminders?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z', headers: as('analyst') })).statusCode).toBe(400);
    expect((await api.app.inject({ method: 'GET', url: '/api/reports/reminders?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z', headers: as('reception') })).statusCode).toBe(403);
  });
});
