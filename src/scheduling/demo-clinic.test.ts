// The demo clinic on a real database (PGlite, or the server named by TEST_DATABASE_URL): idempotent seeding,
// re-seeding, FAQ coverage, hours interpreted in Europe/Paris, and the constraints of migration 0002.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import type { Db } from '../db/database.js';
import { DEMO_FAQ } from './demo-faq.js';
import { describeSeed, seedDemoClinic, seedDemoIfNeeded } from './demo-clinic.js';
import { FAQ_INTENTS, timeZone } from './schemas.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LANGUAGES = ['en', 'fr', 'it', 'es', 'pt', 'de'];
// Pinned so that the holidays (2026 and 2027) and the DST checks below are reproducible.
const NOW = new Date('2026-06-01T10:00:00Z');
const EXPECTED = { locations: 1, practitioners: 4, services: 5, practitionerServices: 9, openingHours: 47, closures: 22, faqEntries: 42 };
/** Every row the seed writes: the clinic and the counts above. */
const ROWS = 1 + Object.values(EXPECTED).reduce((a, b) => a + b, 0);

const open: TestDatabase[] = [];
async function freshDb(): Promise<Db> {
  const database = await createTestDatabase();
  open.push(database);
  return database.db;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

async function seeded(): Promise<{ db: Db; clinicId: string }> {
  const db = await freshDb();
  const r = await seedDemoClinic(db, { reset: false, now: NOW });
  if (!r.seeded) throw new Error('expected a seed into an empty database');
  return { db, clinicId: r.clinicId };
}

function sqlState(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e ? String(e.code) : undefined;
}
async function rejects(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(sqlState(e), String(e)).toBe(code);
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error(`expected SQLSTATE ${code}, but the statement succeeded`);
}

async function ids(db: Db) {
  const rows = await db
    .selectFrom('clinics')
    .leftJoin('locations', 'locations.clinic_id', 'clinics.id')
    .select(['clinics.id as clinic', 'locations.id as location'])
    .execute();
  const practitioners = await db.selectFrom('practitioners').select(['code', 'id']).orderBy('code').execute();
  const services = await db.selectFrom('services').select(['code', 'id']).orderBy('code').execute();
  return { rows, practitioners, services };
}

describe('seedDemoClinic', () => {
  it('seeds an empty database once; a second start-up seed finds every row current', async () => {
    const db = await freshDb();
    const first = await seedDemoClinic(db, { reset: false, now: NOW });
    expect(first).toMatchObject({ seeded: true, created: true, counts: EXPECTED, rows: { written: ROWS, current: 0, kept: 0, skipped: 0 } });
    const before = await ids(db);
    expect(await seedDemoClinic(db, { reset: false, now: NOW })).toMatchObject({ seeded: true, created: false, counts: EXPECTED, rows: { written: 0, current: ROWS } });
    expect(await ids(db)).toEqual(before);
    expect(before.rows).toHaveLength(1);
  });

  it('reset keeps the ids, what staff edited, added and deleted (seed-clinic.test.ts has the whole story)', async () => {
    const { db, clinicId } = await seeded();
    const before = await ids(db);
    // Use it the way staff might: edit a service, remove an answer, add a practitioner and a rule.
    await db.updateTable('services').set({ duration_minutes: 45 }).where('code', '=', 'blood-test').execute();
    await db.deleteFrom('faq_entries').where('intent', '=', 'payment').where('language', '=', 'de').execute();
    const extra = await db
      .insertInto('practitioners')
      .values({ clinic_id: clinicId, code: 'locum', display_name: 'Dr Locum', title: 'Dr', languages: ['en'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const location = before.rows[0]?.location ?? '';
    await db.insertInto('opening_hours').values({ clinic_id: clinicId, location_id: location, practitioner_id: extra.id, weekday: 7, start_time: '10:00', end_time: '11:00' }).execute();

    const used = { ...EXPECTED, practitioners: 5, openingHours: 48, faqEntries: 41 };
    const again = await seedDemoClinic(db, { reset: true, now: NOW });
    expect(again).toMatchObject({ seeded: true, clinicId, counts: used, rows: { written: 0, kept: 1, skipped: 1 } });
    const after = await ids(db);
    expect(after.rows).toEqual(before.rows);
    expect(after.services).toEqual(before.services);
    expect(after.practitioners).toEqual([...before.practitioners, { code: 'locum', id: extra.id }].sort((a, b) => a.code.localeCompare(b.code)));
    const blood = await db.selectFrom('services').select('duration_minutes').where('code', '=', 'blood-test').executeTakeFirstOrThrow();
    expect(blood.duration_minutes).toBe(45);

    const third = await seedDemoClinic(db, { reset: true, now: NOW });
    expect(third).toMatchObject({ seeded: true, clinicId, counts: used });
  });

  it('leaves other clinics alone, and a start-up seed does nothing when only other clinics exist', async () => {
    const db = await freshDb();
    await db.insertInto('clinics').values({ code: 'other', name: 'Other clinic', default_language: 'fr', languages: ['fr'], emergency_number: '15' }).execute();
    expect(await seedDemoClinic(db, { reset: false, now: NOW })).toEqual({ seeded: false, reason: 'clinic_exists' });
    expect(await seedDemoClinic(db, { reset: true, now: NOW })).toMatchObject({ seeded: true, counts: EXPECTED });
    await seedDemoClinic(db, { reset: true, now: NOW });
    const codes = await db.selectFrom('clinics').select('code').orderBy('code').execute();
    expect(codes.map((c) => c.code)).toEqual(['demo', 'other']);
  });

  it('seeds once when two instances start together (advisory lock), and concurrent resets do not fail', async () => {
    const db = await freshDb();
    const results = await Promise.all([seedDemoClinic(db, { reset: false, now: NOW }), seedDemoClinic(db, { reset: false, now: NOW })]);
    expect(results.filter((r) => r.seeded && r.created)).toHaveLength(1);
    expect(results.filter((r) => r.seeded && !r.created && r.rows.written === 0)).toHaveLength(1);
    const resets = await Promise.all([seedDemoClinic(db, { reset: true, now: NOW }), seedDemoClinic(db, { reset: true, now: NOW })]);
    for (const r of resets) expect(r).toMatchObject({ seeded: true, counts: EXPECTED });
    expect(await db.selectFrom('clinics').select('id').execute()).toHaveLength(1);
  });

  it('seedDemoIfNeeded follows SEED_DEMO and logs what it seeded', async () => {
    const db = await freshDb();
    const logged: object[] = [];
    const log = { info: (obj: object) => void logged.push(obj) };
    await seedDemoIfNeeded(db, { seedDemo: false }, log);
    expect(await db.selectFrom('clinics').select('id').execute()).toHaveLength(0);
    await seedDemoIfNeeded(db, { seedDemo: true }, log);
    await seedDemoIfNeeded(db, { seedDemo: true }, log);
    expect(await db.selectFrom('clinics').select('id').execute()).toHaveLength(1);
    expect(logged).toEqual([expect.objectContaining({ code: 'demo_clinic_seeded', faqEntries: 42 })]);
  });
});

describe('the demo clinic', () => {
  // Read-only checks share one seeded database.
  let shared: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    shared = await createTestDatabase();
    db = shared.db;
    await seedDemoClinic(db, { reset: false, now: NOW });
  });
  afterAll(() => shared.close());

  it('is the clinic of ARCHITECTURE.md: Europe/Paris, 112, six languages, the four services and a video consultation', async () => {
    const clinic = await db.selectFrom('clinics').selectAll().executeTakeFirstOrThrow();
    expect(clinic).toMatchObject({ emergency_number: '112', languages: LANGUAGES, default_language: 'en' });
    const location = await db.selectFrom('locations').selectAll().executeTakeFirstOrThrow();
    expect(location).toMatchObject({ time_zone: 'Europe/Paris', emergency_number: '112', languages: LANGUAGES, country: 'FR' });
    const services = await db.selectFrom('services').select(['code', 'duration_minutes', 'name']).orderBy('code').execute();
    expect(services.map((s) => [s.code, s.duration_minutes])).toEqual([
      ['blood-test', 10],
      ['dermatology', 30],
      ['follow-up', 15],
      ['general-consultation', 20],
      ['video-consultation', 15],
    ]);
    for (const s of services) expect(Object.keys(s.name).sort()).toEqual([...LANGUAGES].sort());
    const modes = await db.selectFrom('services').select(['code', 'mode', 'keywords']).orderBy('code').execute();
    expect(modes.filter((m) => m.mode === 'video').map((m) => m.code)).toEqual(['video-consultation']);
    // Every service has words patients use for it, in every language the clinic speaks.
    for (const m of modes) expect(m.keywords.length, m.code).toBeGreaterThanOrEqual(12);
    const spoken = new Set((await db.selectFrom('practitioners').select('languages').execute()).flatMap((p) => p.languages));
    for (const l of LANGUAGES) expect(spoken, `a practitioner speaks ${l}`).toContain(l);
  });

  it('answers every FAQ intent in all six languages, consistently with the seeded data', async () => {
    const rows = await db.selectFrom('faq_entries').select(['intent', 'language', 'answer', 'location_id']).execute();
    for (const intent of FAQ_INTENTS) {
      for (const language of LANGUAGES) {
        const hits = rows.filter((r) => r.intent === intent && r.language === language);
        expect(hits, `${intent}/${language}`).toHaveLength(1);
      }
    }
    expect(rows).toHaveLength(FAQ_INTENTS.length * LANGUAGES.length);
    const about = (intent: string) => {
      const found = rows.filter((x) => x.intent === intent);
      expect(found, intent).toHaveLength(LANGUAGES.length);
      return found;
    };
    for (const r of about('opening_hours')) {
      // 8:00 or 8h00, 12:30 or 12h30, 18:00 or 18h00, 9:00–12:00 on Saturday, 112 after hours.
      for (const re of [/\b8[:h]00/, /12[:h]30/, /13[:h]30/, /18[:h]00/, /9[:h]00/, /10[:h]30/, /\b112\b/]) expect(r.answer, `${r.language}`).toMatch(re);
    }
    for (const r of about('location')) expect(r.answer).toContain('42 rue du Faubourg Saint-Martin, 75010');
    for (const r of about('cancellation_policy')) expect(r.answer).toMatch(/\b112\b/);
    for (const r of rows) expect(r.answer.length).toBeLessThanOrEqual(4096);
  });

  it('has valid weekly hours, interpreted in Europe/Paris across daylight-saving time', async () => {
    const rules = await db.selectFrom('opening_hours').select(['weekday', 'start_time', 'end_time']).execute();
    expect(rules).toHaveLength(EXPECTED.openingHours);
    for (const r of rules) expect(r.end_time > r.start_time).toBe(true);
    // Monday opening at 08:00 local: 07:00Z in winter (CET), 06:00Z in summer (CEST).
    const opening = (day: string) =>
      db
        .selectFrom('opening_hours as h')
        .innerJoin('locations as l', 'l.id', 'h.location_id')
        .where('h.practitioner_id', 'is', null)
        .where('h.service_id', 'is', null)
        .where('h.weekday', '=', 1)
        .select(sql<string>`to_char(((${day}::date + h.start_time) at time zone l.time_zone) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')`.as('utc'))
        .orderBy('h.start_time')
        .execute();
    expect((await opening('2026-01-05')).map((r) => r.utc)).toEqual(['2026-01-05T07:00Z', '2026-01-05T12:30Z']);
    expect((await opening('2026-07-06')).map((r) => r.utc)).toEqual(['2026-07-06T06:00Z', '2026-07-06T11:30Z']);
    // Sunday: closed.
    expect(rules.filter((r) => r.weekday === 7)).toEqual([]);
  });

  it('closes on public holidays, as whole days in Paris', async () => {
    const closures = await db
      .selectFrom('closures')
      .select(['reason', 'starts_at', 'ends_at'])
      .orderBy('starts_at')
      .execute();
    const christmas = closures.find((c) => c.reason.includes('Christmas') && c.starts_at.toISOString().startsWith('2026'));
    expect(christmas?.starts_at.toISOString()).toBe('2026-12-24T23:00:00.000Z');
    expect(christmas?.ends_at.toISOString()).toBe('2026-12-25T23:00:00.000Z');
    const easterMonday2027 = closures.find((c) => c.reason.includes('Easter Monday') && c.starts_at.toISOString().startsWith('2027'));
    expect(easterMonday2027?.starts_at.toISOString()).toBe('2027-03-28T22:00:00.000Z'); // CEST since 28 March 2027
  });

  it('gives every service a practitioner and bookable time (location ∩ practitioner ∩ service windows)', async () => {
    const rules = await db.selectFrom('opening_hours').selectAll().execute();
    const offers = await db
      .selectFrom('practitioner_services as ps')
      .innerJoin('services as s', 's.id', 'ps.service_id')
      .select(['s.code', 's.id as service_id', 'ps.practitioner_id', 'ps.location_id'])
      .execute();
    const services = await db.selectFrom('services').select(['id', 'code']).execute();
    expect(services).toHaveLength(EXPECTED.services);
    const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
    const windows = (pick: (r: (typeof rules)[number]) => boolean, day: number) =>
      rules.filter((r) => r.weekday === day && pick(r)).map((r) => [minutes(r.start_time), minutes(r.end_time)] as const);
    const overlap = (a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]) =>
      a.flatMap(([s1, e1]) => b.map(([s2, e2]) => [Math.max(s1, s2), Math.min(e1, e2)] as const)).filter(([s, e]) => e > s);
    for (const service of services) {
      const mine = offers.filter((o) => o.service_id === service.id);
      expect(mine.length, `${service.code} has a practitioner`).toBeGreaterThan(0);
      let bookableMinutes = 0;
      for (const o of mine) {
        for (let day = 1; day <= 7; day++) {
          const location = windows((r) => r.location_id === o.location_id && !r.practitioner_id && !r.service_id, day);
          const sessions = windows((r) => r.practitioner_id === o.practitioner_id, day);
          const hasOwnWindows = rules.some((r) => r.service_id === service.id);
          const serviceWindows = hasOwnWindows ? windows((r) => r.service_id === service.id, day) : location;
          bookableMinutes += overlap(overlap(location, sessions), serviceWindows).reduce((n, [s, e]) => n + e - s, 0);
        }
      }
      expect(bookableMinutes, `${service.code} is bookable some time in the week`).toBeGreaterThan(60);
    }
    // Dermatology only on Tuesdays and Thursdays.
    const dermatology = services.find((s) => s.code === 'dermatology')?.id;
    expect([...new Set(rules.filter((r) => r.service_id === dermatology).map((r) => r.weekday))].sort()).toEqual([2, 4]);
  });
});

describe('constraints of migration 0002', () => {
  it('refuse bad reference data', async () => {
    const { db, clinicId } = await seeded();
    const location = await db.selectFrom('locations').select(['id']).executeTakeFirstOrThrow();
    const service = { clinic_id: clinicId, name: JSON.stringify({ en: 'X' }) };

    await rejects(db.insertInto('services').values({ ...service, code: 'neg', duration_minutes: -5 }).execute(), '23514');
    await rejects(db.insertInto('services').values({ ...service, code: 'zero', duration_minutes: 0 }).execute(), '23514');
    await rejects(db.insertInto('services').values({ ...service, code: 'Bad Code', duration_minutes: 10 }).execute(), '23514');
    await rejects(db.insertInto('services').values({ ...service, code: 'no-name', name: JSON.stringify({}), duration_minutes: 10 }).execute(), '23514');
    await rejects(db.insertInto('services').values({ ...service, code: 'blank', name: JSON.stringify({ en: ' ' }), duration_minutes: 10 }).execute(), '23514');
    await rejects(db.insertInto('services').values({ ...service, code: 'general-consultation', duration_minutes: 10 }).execute(), '23505');

    const rule = { clinic_id: clinicId, location_id: location.id, weekday: 1 };
    const msg = await rejects(db.insertInto('opening_hours').values({ ...rule, start_time: '12:00', end_time: '12:00' }).execute(), '23514');
    expect(msg).toContain('opening_hours_end_after_start');
    await rejects(db.insertInto('opening_hours').values({ ...rule, start_time: '14:00', end_time: '09:00' }).execute(), '23514');
    await rejects(db.insertInto('opening_hours').values({ ...rule, weekday: 0, start_time: '09:00', end_time: '10:00' }).execute(), '23514');
    await rejects(db.insertInto('opening_hours').values({ ...rule, weekday: 8, start_time: '09:00', end_time: '10:00' }).execute(), '23514');
    await rejects(db.insertInto('opening_hours').values({ ...rule, start_time: '09:00', end_time: '10:00', valid_from: '2026-02-01', valid_to: '2026-01-01' }).execute(), '23514');
    await db.insertInto('opening_hours').values({ ...rule, weekday: 7, start_time: '00:00', end_time: '24:00' }).execute();

    const place = { clinic_id: clinicId, code: 'x', name: 'X', address_line1: '1 rue X', postal_code: '75001', city: 'Paris', country: 'FR', emergency_number: '112', languages: ['fr'] };
    for (const zone of ['Mars/Olympus_Mons', 'Europe/Pariss', 'posix/Europe/Paris', 'EST', 'localtime', '']) {
      const m = await rejects(db.insertInto('locations').values({ ...place, time_zone: zone }).execute(), '23514');
      expect(m).toContain('locations_time_zone_iana');
    }
    await rejects(db.insertInto('locations').values({ ...place, time_zone: 'Europe/Paris', languages: [] }).execute(), '23514');
    await rejects(db.insertInto('locations').values({ ...place, time_zone: 'Europe/Paris', languages: ['fr', 'fr'] }).execute(), '23514');
    await rejects(db.insertInto('locations').values({ ...place, time_zone: 'Europe/Paris', languages: ['French'] }).execute(), '23514');
    await rejects(db.insertInto('locations').values({ ...place, time_zone: 'Europe/Paris', latitude: 48.8 }).execute(), '23514');
    await rejects(db.insertInto('locations').values({ ...place, time_zone: 'Europe/Paris', phone: '01 99 00 42 42' }).execute(), '23514');
    await db.insertInto('locations').values({ ...place, time_zone: 'America/Argentina/Buenos_Aires' }).execute();

    await rejects(db.insertInto('clinics').values({ code: 'c2', name: 'C2', default_language: 'de', languages: ['fr'], emergency_number: '112' }).execute(), '23514');
    await rejects(db.insertInto('clinics').values({ code: 'c3', name: 'C3', default_language: 'fr', languages: ['fr'], emergency_number: 'call 112' }).execute(), '23514');

    await rejects(db.insertInto('closures').values({ clinic_id: clinicId, location_id: location.id, starts_at: '2026-12-25T10:00Z', ends_at: '2026-12-25T10:00Z', reason: 'x' }).execute(), '23514');
    await rejects(db.insertInto('closures').values({ clinic_id: clinicId, starts_at: '2026-12-25T10:00Z', ends_at: '2026-12-25T11:00Z', reason: 'nowhere' }).execute(), '23514');

    const faq = { clinic_id: clinicId, language: 'en', question: 'Q?', answer: 'A.' };
    await rejects(db.insertInto('faq_entries').values({ ...faq, intent: 'opening_hours' }).execute(), '23505');
    await rejects(db.insertInto('faq_entries').values({ ...faq, intent: 'weather' }).execute(), '23514');
    await rejects(db.insertInto('faq_entries').values({ ...faq, intent: 'parking', language: 'english' }).execute(), '23514');
    await rejects(db.insertInto('faq_entries').values({ ...faq, intent: 'location', answer: 'x'.repeat(4097) }).execute(), '23514');
  });

  it('keep every row inside one clinic (composite foreign keys)', async () => {
    const { db, clinicId } = await seeded();
    const other = await db
      .insertInto('clinics')
      .values({ code: 'other', name: 'Other', default_language: 'fr', languages: ['fr'], emergency_number: '15' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await db
      .insertInto('practitioners')
      .values({ clinic_id: other.id, code: 'stranger', display_name: 'Dr Stranger', title: 'Dr', languages: ['fr'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const location = await db.selectFrom('locations').select('id').where('clinic_id', '=', clinicId).executeTakeFirstOrThrow();
    const service = await db.selectFrom('services').select('id').where('clinic_id', '=', clinicId).executeTakeFirstOrThrow();
    for (const clinic of [clinicId, other.id]) {
      await rejects(db.insertInto('practitioner_services').values({ clinic_id: clinic, practitioner_id: stranger.id, service_id: service.id, location_id: location.id }).execute(), '23503');
    }
    await rejects(
      db.insertInto('opening_hours').values({ clinic_id: clinicId, location_id: location.id, practitioner_id: stranger.id, weekday: 1, start_time: '09:00', end_time: '10:00' }).execute(),
      '23503',
    );
    const anyPractitioner = await db.selectFrom('practitioners').select('id').where('clinic_id', '=', clinicId).executeTakeFirstOrThrow();
    await rejects(
      db.insertInto('opening_hours').values({ clinic_id: clinicId, location_id: location.id, practitioner_id: anyPractitioner.id, service_id: service.id, weekday: 1, start_time: '09:00', end_time: '10:00' }).execute(),
      '23514',
    );
  });

  it('the zod time-zone schema agrees with the database', () => {
    expect(timeZone.safeParse('Europe/Paris').success).toBe(true);
    expect(timeZone.safeParse('America/Argentina/Buenos_Aires').success).toBe(true);
    for (const zone of ['Mars/Olympus_Mons', 'Europe/Pariss', 'posix/Europe/Paris', 'EST', 'localtime', '']) expect(timeZone.safeParse(zone).success, zone).toBe(false);
    expect(new Set(DEMO_FAQ.map((f) => f.intent))).toEqual(new Set(FAQ_INTENTS));
  });
});

describe('patientline seed-demo', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('prints its usage with --help and refuses stray arguments', () => {
    const help = cli(['seed-demo', '--help'], {});
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: patientline seed-demo');
    expect(help.stdout).toContain('--restore-deleted');
    const bad = cli(['seed-demo', '--keep'], { DATA_DIR: path.join(os.tmpdir(), 'patientline-never-created') });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/patientline seed-demo: .*--keep/);
  });

  it('re-seeds and prints one summary line', async () => {
    const database = await createTestDatabase();
    open.push(database);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patientline-seed-demo-'));
    try {
      const env: Record<string, string> = database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dir };
      const run = cli(['seed-demo'], env);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // 22 closures whatever today is: eleven public holidays this year and eleven next year.
      expect(run.stdout.trim().split('\n')).toEqual([`demo clinic "demo" seeded: ${describeSeed(EXPECTED, { written: ROWS, current: 0, kept: 0, skipped: 0 })}`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
