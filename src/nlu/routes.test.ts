// POST /api/nlu/parse through the real app on PGlite: every staff role may call it (ADMIN_API_TOKEN too),
// nobody without credentials; the body is validated; dates resolve in the clinic's first location's zone
// (else Europe/Paris, or the zone asked for); the text appears in no log line and in no table.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestApp } from '../../test/support/app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import type { Authenticator } from '../http/api.js';
import type { AppModule } from '../lib/module.js';
import type { Running } from '../main.js';
import { createNlu } from './nlu.js';

const ADMIN_TOKEN = 'nlu-admin-token-'.padEnd(44, 'x');
/** Tuesday 1 December 2026, 08:00 in Paris. */
const NOW = new Date('2026-12-01T07:00:00Z');
const roleAuth: Authenticator = async (req) => {
  const m = /^Bearer role:(\w+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  return { kind: 'token', id: `tok-${m[1]}`, role: z.enum(['admin', 'clinician', 'reception', 'analyst']).parse(m[1]), userId: null };
};
const roleAuthModule: AppModule = { name: 'test-roles', authenticator: () => roleAuth };

let database: TestDatabase;
let running: Running;
beforeAll(async () => {
  database = await createTestDatabase();
  const nlu = await createNlu({ cacheDir: false });
  running = await startTestApp(database, 'http://127.0.0.1:9', { WORKERS: '0', ADMIN_API_TOKEN: ADMIN_TOKEN }, {
    modules: [roleAuthModule], conversation: { nlu }, listen: false, clock: { now: () => NOW },
  });
});
afterAll(async () => {
  await running?.stop();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const parse = (payload: unknown, headers: Record<string, string> = admin) => running.app.inject({ method: 'POST', url: '/api/nlu/parse', headers, payload: payload as Record<string, unknown> });

describe('POST /api/nlu/parse', () => {
  it('answers language, intent, confidence, emergency, entities, red flags and alternatives', async () => {
    const r = await parse({ text: 'Bonjour, je voudrais un rdv demain à 15h' });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ language: 'fr', intent: 'book_appointment', emergency: false, redFlags: [] });
    expect(body.confidence).toBeGreaterThan(0.3);
    expect(Array.isArray(body.alternatives)).toBe(true);
    expect(body.entities.dates).toEqual([{ text: 'demain à 15h', start: '2026-12-02T14:00:00.000Z', date: '2026-12-02', time: '15:00', dayOnly: false }]);
  });

  it('is open to every staff role and to ADMIN_API_TOKEN, not to callers without credentials', async () => {
    for (const role of ['admin', 'clinician', 'reception', 'analyst']) {
      const r = await parse({ text: 'hello' }, { authorization: `Bearer role:${role}` });
      expect(r.statusCode, role).toBe(200);
      expect(r.json().intent).toBe('greeting');
    }
    expect((await parse({ text: 'hello' }, {})).statusCode).toBe(401);
    expect((await parse({ text: 'hello' }, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
  });

  it('validates the body: text 1..4096, one of the six languages, a real time zone', async () => {
    expect((await parse({ text: '' })).json()).toMatchObject({ status: 400 });
    expect((await parse({ text: 'x'.repeat(4097) })).statusCode).toBe(400);
    expect((await parse({ text: 'x'.repeat(4096) })).statusCode).toBe(200);
    expect((await parse({ text: 'hola', language: 'nl' })).statusCode).toBe(400);
    expect((await parse({ text: 'hola', timeZone: 'Mars/Olympus' })).statusCode).toBe(400);
    expect((await parse({})).statusCode).toBe(400);
    expect((await parse({ text: 'hola', extra: 1 })).statusCode).toBe(400);
    // A refusal does not echo the text back.
    const long = await parse({ text: `Zebulon ${'y'.repeat(4100)}` });
    expect(long.statusCode).toBe(400);
    expect(long.body).not.toContain('Zebulon');
  });

  it('keeps the caller’s language for texts that say nothing, and follows clear evidence', async () => {
    expect((await parse({ text: 'ok', language: 'it' })).json().language).toBe('it');
    expect((await parse({ text: 'merci beaucoup', language: 'en' })).json()).toMatchObject({ language: 'fr', intent: 'thanks' });
  });

  it('resolves dates in the zone asked for, else the first location’s, else Europe/Paris', async () => {
    const ny = await parse({ text: 'tomorrow at 9am', timeZone: 'America/New_York' });
    expect(ny.json().entities.dates[0]).toMatchObject({ date: '2026-12-02', start: '2026-12-02T14:00:00.000Z' });
    expect((await parse({ text: 'tomorrow at 9am' })).json().entities.dates[0]).toMatchObject({ start: '2026-12-02T08:00:00.000Z' });
    const clinic = await database.db.insertInto('clinics').values({ code: 'nlu-test', name: 'NLU test clinic', default_language: 'en', languages: ['en'], emergency_number: '112' }).returning('id').executeTakeFirstOrThrow();
    await database.db.insertInto('locations').values({ clinic_id: clinic.id, code: 'tokyo', name: 'Tokyo', address_line1: '1 Chome', postal_code: '100-0001', city: 'Tokyo', country: 'JP', time_zone: 'Asia/Tokyo', emergency_number: '119', languages: ['en'] }).execute();
    expect((await parse({ text: 'tomorrow at 9am' })).json().entities.dates[0]).toMatchObject({ date: '2026-12-02', start: '2026-12-02T00:00:00.000Z' });
  });

  it('returns measurements, phone numbers and a date of birth', async () => {
    const r = (await parse({ text: 'née le 3 mars 1985, tension 13/8, rappelez-moi au 06 12 34 56 78' })).json();
    expect(r.entities).toMatchObject({
      dateOfBirth: '1985-03-03',
      measurements: [{ kind: 'blood_pressure', systolic: 130, diastolic: 80 }],
      phones: ['+33612345678'],
    });
  });

  it('stores nothing of the text', async () => {
    const secret = 'Zebulon Quixotic headache 4242';
    expect((await parse({ text: secret })).statusCode).toBe(200);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(database.db);
    for (const { table_name } of tables.rows) {
      const hit = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)} t where t::text ilike ${'%Zebulon%'}`.execute(database.db);
      expect(hit.rows[0]?.n, table_name).toBe(0);
    }
  });
});

describe('POST /api/nlu/parse on an instance without workers', () => {
  it('loads the model on the first request (nothing there reads patients\' messages), once for concurrent requests', async () => {
    const own = await createTestDatabase();
    const lazy = await startTestApp(own, 'http://127.0.0.1:9', { WORKERS: '0', ADMIN_API_TOKEN: ADMIN_TOKEN }, { listen: false, clock: { now: () => NOW } });
    try {
      const ask = (text: string) => lazy.app.inject({ method: 'POST', url: '/api/nlu/parse', headers: admin, payload: { text } });
      const [a, b] = await Promise.all([ask('Bonjour, je voudrais un rdv demain à 15h'), ask('Quali sono gli orari di apertura?')]);
      expect(a.statusCode, a.body).toBe(200);
      expect(a.json()).toMatchObject({ language: 'fr', intent: 'book_appointment' });
      expect(b.json()).toMatchObject({ language: 'it', intent: 'opening_hours' });
    } finally {
      await lazy.stop();
      await own.close();
    }
  });
});
