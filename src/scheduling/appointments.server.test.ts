// No double booking on a PostgreSQL server, with real parallel connections: 50 concurrent POST
// /api/appointments for one slot give exactly one appointment (one 201, 49 × 409 slot_taken), also when
// every attempt is for a patient of its own (patients, consents and audit entries created in parallel).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';

const now = new Date('2027-01-04T06:00:00Z');
let database: TestDatabase;
let api: StaffApi;
let serviceId: string;
let practitionerId: string;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 20 });
  if (database.kind !== 'postgres') throw new Error('a server test: set TEST_DATABASE_URL');
  api = await startStaffApi(database, { clock: { now: () => now }, env: { SEED_DEMO: '1' } });
  serviceId = (await database.db.selectFrom('services').select('id').where('code', '=', 'general-consultation').executeTakeFirstOrThrow()).id;
  practitionerId = (await database.db.selectFrom('practitioners').select('id').where('code', '=', 'camille-laurent').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await api?.stop();
  await database?.close();
});

const attempt = (start: string, phone: string, optIn: boolean) => api.app.inject({
  method: 'POST', url: '/api/appointments', headers: api.as('reception'),
  payload: { serviceId, practitionerId, start, patient: { phone, name: 'Concurrent Patient', whatsappOptIn: optIn } },
});

describe('50 concurrent bookings of one slot on PostgreSQL', () => {
  it('different patients (with desk consent): one 201, 49 × 409', async () => {
    const start = '2027-01-05T08:00:00Z';
    const results = await Promise.all(Array.from({ length: 50 }, () => attempt(start, `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`, true)));
    expect(results.filter((r) => r.statusCode === 201).length).toBe(1);
    const refused = results.filter((r) => r.statusCode === 409);
    expect(refused.length, results.filter((r) => r.statusCode !== 201 && r.statusCode !== 409).map((r) => r.body).join('\n')).toBe(49);
    expect(new Set(refused.map((r) => r.json().code))).toEqual(new Set(['slot_taken']));
    const n = await sql<{ n: number }>`select count(*)::int as n from appointments where practitioner_id = ${practitionerId} and starts_at = ${new Date(start)}`.execute(database.db);
    expect(n.rows[0]!.n).toBe(1);
    // The refused attempts left no patient and no consent behind.
    const consents = await sql<{ n: number }>`select count(*)::int as n from consent_events where channel = 'desk'`.execute(database.db);
    expect(consents.rows[0]!.n).toBe(1);
  });

  it('one patient (the same phone 50 times): one 201, 49 × 409', async () => {
    const start = '2027-01-05T09:00:00Z';
    const phone = `+33 7 ${crypto.randomInt(10_000_000, 99_999_999)}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => attempt(start, phone, false)));
    expect(results.filter((r) => r.statusCode === 201).length).toBe(1);
    expect(results.filter((r) => r.statusCode === 409).length).toBe(49);
  });
});
