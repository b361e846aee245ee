// Re-seeding the demo clinic on a database that staff and patients have used: whatever they made or changed
// survives `patientline seed-demo` and the start-up seed, nothing is deleted (not even through a cascade),
// and the rows the seed wrote and nobody touched follow the current definition.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { migrate, openDatabase, type Database, type Db } from '../db/database.js';
import { DEMO_CLINIC_CODE, demoClinic } from './demo-clinic-data.js';
import { seedDemoClinic, seedDemoIfNeeded } from './demo-clinic.js';
import { clinicDefinition, type ClinicDefinitionInput } from './schemas.js';
import { seedClinic } from './seed-clinic.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOW = new Date('2026-06-01T10:00:00Z');
const STAFF = 'staff:reception';

/** What a clinic holds, by codes rather than ids, so that two databases compare. */
async function snapshot(db: Db) {
  const clinic = await db.selectFrom('clinics').select('id').where('code', '=', DEMO_CLINIC_CODE).executeTakeFirstOrThrow();
  const c = clinic.id;
  const clinics = await db.selectFrom('clinics').select(['code', 'name', 'default_language', 'languages', 'emergency_number', 'phone', 'email', 'website']).where('id', '=', c).execute();
  const locations = await db.selectFrom('locations').select(['code', 'name', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'time_zone', 'phone', 'emergency_number', 'languages', 'accessibility_notes', 'latitude', 'longitude', 'active']).where('clinic_id', '=', c).orderBy('code').execute();
  const practitioners = await db.selectFrom('practitioners').select(['code', 'display_name', 'title', 'specialties', 'languages', 'active']).where('clinic_id', '=', c).orderBy('code').execute();
  const services = await db.selectFrom('services').select(['code', 'name', 'instructions', 'duration_minutes', 'buffer_minutes', 'requires_referral', 'active']).where('clinic_id', '=', c).orderBy('code').execute();
  const offers = await sql<{ k: string }>`
    select p.code || '/' || s.code || '@' || l.code as k from practitioner_services ps
    join practitioners p on p.id = ps.practitioner_id join services s on s.id = ps.service_id join locations l on l.id = ps.location_id
    where ps.clinic_id = ${c} order by 1`.execute(db);
  const hours = await sql<{ k: string }>`
    select concat_ws('|', l.code, p.code, s.code, h.weekday, h.start_time::text, h.end_time::text) as k from opening_hours h
    join locations l on l.id = h.location_id left join practitioners p on p.id = h.practitioner_id left join services s on s.id = h.service_id
    where h.clinic_id = ${c} order by 1`.execute(db);
  const closures = await sql<{ k: string }>`
    select concat_ws('|', l.code, p.code, to_char(x.starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), to_char(x.ends_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), x.reason) as k
    from closures x left join locations l on l.id = x.location_id left join practitioners p on p.id = x.practitioner_id
    where x.clinic_id = ${c} order by 1`.execute(db);
  const faq = await sql<{ scope: string; intent: string; language: string; question: string; answer: string; updated_by: string | null }>`
    select coalesce(l.code, '*') as scope, f.intent, f.language, f.question, f.answer, f.updated_by from faq_entries f
    left join locations l on l.id = f.location_id where f.clinic_id = ${c} order by 1, 2, 3`.execute(db);
  return { clinics, locations, practitioners, services, offers: keys(offers.rows), hours: keys(hours.rows), closures: keys(closures.rows), faq: faq.rows };
}
// Sorted here, not by SQL: the expected lists are sorted in JS, and collations differ between servers.
const keys = (rows: { k: string }[]) => rows.map((r) => r.k).sort();
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The demo clinic as an earlier release of PatientLine seeded it: some values differ, some rows are missing. */
function olderDemo(): ClinicDefinitionInput {
  const d = demoClinic(NOW);
  const location = d.locations[0]!;
  return {
    ...d,
    locations: [{ ...location, name: 'Centre Médical St-Martin', hours: location.hours.map((h, i) => (i === 0 ? { ...h, start: '08:30' } : h)) }],
    practitioners: d.practitioners.filter((p) => p.code !== 'julia-weber'),
    services: d.services.map((s) => (s.code === 'blood-test' ? { ...s, durationMinutes: 15 } : s.code === 'dermatology' ? { ...s, durationMinutes: 40 } : s)),
    faq: (d.faq ?? [])
      .filter((f) => !(f.intent === 'insurance' && f.language === 'it'))
      .map((f) => (f.intent === 'payment' && f.language === 'fr' ? { ...f, answer: 'Ancienne réponse.' } : f)),
  };
}

async function seedOlderDemo(db: Db): Promise<void> {
  const def = clinicDefinition.parse(olderDemo());
  await db.transaction().execute((tx) => seedClinic(tx, def));
}

async function idOf(db: Db, table: 'locations' | 'practitioners' | 'services', code: string): Promise<string> {
  return (await db.selectFrom(table).select('id').where('code', '=', code).executeTakeFirstOrThrow()).id;
}

/** Staff and patients use the clinic: they add, edit and delete; `appointments` stands for every row that
 * will refer to a location or a practitioner (a cascade from either would delete it). */
async function useTheClinic(db: Db): Promise<void> {
  const clinic = (await db.selectFrom('clinics').select('id').where('code', '=', DEMO_CLINIC_CODE).executeTakeFirstOrThrow()).id;
  const here = await idOf(db, 'locations', 'saint-martin');
  const camille = await idOf(db, 'practitioners', 'camille-laurent');
  const marco = await idOf(db, 'practitioners', 'marco-bianchi');
  const followUp = await idOf(db, 'services', 'follow-up');

  await db.insertInto('faq_entries').values({ clinic_id: clinic, location_id: here, intent: 'opening_hours', language: 'fr', question: 'Horaires du centre ?', answer: 'Ouvert aussi le dimanche matin en décembre.', updated_by: STAFF }).execute();
  await db.updateTable('faq_entries').set({ answer: 'Our own opening hours text.', updated_by: STAFF }).where('clinic_id', '=', clinic).where('location_id', 'is', null).where('intent', '=', 'opening_hours').where('language', '=', 'en').execute();
  await db.deleteFrom('faq_entries').where('clinic_id', '=', clinic).where('intent', '=', 'payment').where('language', '=', 'de').execute();
  await db.updateTable('services').set({ duration_minutes: 45 }).where('id', '=', await idOf(db, 'services', 'dermatology')).execute();
  await db.updateTable('practitioners').set({ display_name: 'Dr Camille Laurent-Petit' }).where('id', '=', camille).execute();
  // Marco no longer works on Wednesday mornings.
  await db.deleteFrom('opening_hours').where('practitioner_id', '=', marco).where('weekday', '=', 3).where('start_time', '=', '08:00').execute();

  const locum = await db.insertInto('practitioners').values({ clinic_id: clinic, code: 'locum', display_name: 'Dr Locum', title: 'Dr', languages: ['en', 'fr'] }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('practitioner_services').values({ clinic_id: clinic, practitioner_id: locum.id, service_id: followUp, location_id: here }).execute();
  await db.insertInto('opening_hours').values({ clinic_id: clinic, location_id: here, practitioner_id: locum.id, weekday: 7, start_time: '10:00', end_time: '12:00' }).execute();
  await db.insertInto('closures').values({ clinic_id: clinic, practitioner_id: camille, starts_at: '2026-08-03T00:00:00Z', ends_at: '2026-08-17T00:00:00Z', reason: 'Holiday' }).execute();

  // Real appointments (0017): a re-seed must leave them, and everything they refer to, in place.
  const patient = await db.insertInto('patients').values({ bsuid_index: 'seed-test-patient' }).returning('id').executeTakeFirstOrThrow();
  const at = (iso: string, minutes: number) => ({ starts_at: new Date(iso), ends_at: new Date(Date.parse(iso) + minutes * 60_000), blocks_until: new Date(Date.parse(iso) + minutes * 60_000) });
  await db.insertInto('appointments').values([
    { clinic_id: clinic, location_id: here, practitioner_id: marco, service_id: followUp, patient_id: patient.id, booked_by_type: 'staff', booked_by_id: STAFF, ...at('2026-09-01T12:00:00Z', 15) },
    { clinic_id: clinic, location_id: here, practitioner_id: locum.id, service_id: followUp, patient_id: patient.id, booked_by_type: 'staff', booked_by_id: STAFF, ...at('2026-09-06T08:00:00Z', 15) },
  ]).execute();
}

/** The current demo clinic as a fresh seed writes it, with what useTheClinic changed. */
function expectedAfterUse(fresh: Snapshot): Snapshot {
  const e = structuredClone(fresh);
  const camille = e.practitioners.find((p) => p.code === 'camille-laurent')!;
  camille.display_name = 'Dr Camille Laurent-Petit';
  e.practitioners.push({ code: 'locum', display_name: 'Dr Locum', title: 'Dr', specialties: [], languages: ['en', 'fr'], active: true });
  e.practitioners.sort((a, b) => a.code.localeCompare(b.code));
  e.services.find((s) => s.code === 'dermatology')!.duration_minutes = 45;
  e.offers = [...e.offers, 'locum/follow-up@saint-martin'].sort();
  e.hours = [...e.hours.filter((h) => h !== 'saint-martin|marco-bianchi|3|08:00:00|12:30:00'), 'saint-martin|locum|7|10:00:00|12:00:00'].sort();
  e.closures = [...e.closures, 'camille-laurent|2026-08-03 00:00|2026-08-17 00:00|Holiday'].sort();
  const enHours = e.faq.find((f) => f.scope === '*' && f.intent === 'opening_hours' && f.language === 'en')!;
  Object.assign(enHours, { answer: 'Our own opening hours text.', updated_by: STAFF });
  e.faq = [
    ...e.faq.filter((f) => !(f.intent === 'payment' && f.language === 'de')),
    { scope: 'saint-martin', intent: 'opening_hours', language: 'fr', question: 'Horaires du centre ?', answer: 'Ouvert aussi le dimanche matin en décembre.', updated_by: STAFF },
  ];
  return e;
}

const sortFaq = (s: Snapshot) => ({ ...s, faq: [...s.faq].sort((a, b) => `${a.scope}/${a.intent}/${a.language}`.localeCompare(`${b.scope}/${b.intent}/${b.language}`)) });

async function appointments(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from appointments`.execute(db);
  return rows[0]?.n ?? -1;
}

const open: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});
async function freshDb(): Promise<Db> {
  const database = await createTestDatabase();
  open.push(database);
  return database.db;
}

let fresh: Snapshot;
beforeAll(async () => {
  const database = await createTestDatabase();
  try {
    await seedDemoClinic(database.db, { reset: true, now: NOW });
    fresh = await snapshot(database.db);
  } finally {
    await database.close();
  }
});

describe('re-seeding a demo clinic that staff and patients use', () => {
  it('the fresh seed is what the checks below compare with', () => {
    expect(fresh.practitioners.map((p) => p.code)).toEqual(['ana-ferreira', 'camille-laurent', 'julia-weber', 'marco-bianchi']);
    expect(fresh.faq).toHaveLength(42);
    expect(fresh.hours).toHaveLength(47);
    expect(fresh.closures).toHaveLength(22);
  });

  it.each([
    ['seed-demo (seedDemoClinic with reset)', (db: Db) => seedDemoClinic(db, { reset: true, now: NOW }).then(() => undefined)],
    ['the start-up seed (seedDemoIfNeeded)', (db: Db) => seedDemoIfNeeded(db, { seedDemo: true }, undefined, NOW)],
  ])('%s keeps what staff made, deletes nothing and brings the seed rows up to date', async (_name, reseed) => {
    const db = await freshDb();
    await seedOlderDemo(db);
    await useTheClinic(db);
    const expected = sortFaq(expectedAfterUse(fresh));

    await reseed(db);
    expect(sortFaq(await snapshot(db))).toEqual(expected);
    expect(await appointments(db)).toBe(2);

    // Idempotent: a second run changes nothing.
    await reseed(db);
    expect(sortFaq(await snapshot(db))).toEqual(expected);
    expect(await appointments(db)).toBe(2);
  });

  it('reports what it wrote, found current, kept and did not re-create', async () => {
    const db = await freshDb();
    await seedOlderDemo(db);
    await useTheClinic(db);
    const r = await seedDemoClinic(db, { reset: true, now: NOW });
    // Kept: the edited dermatology, Camille and the English opening hours. Skipped: the deleted German
    // payment answer and Marco's Wednesday session.
    expect(r).toMatchObject({ seeded: true, created: false, rows: { kept: 3, skipped: 2 } });
    const again = await seedDemoClinic(db, { reset: true, now: NOW });
    expect(again).toMatchObject({ seeded: true, created: false, rows: { written: 0, kept: 3, skipped: 2 } });
    if (!again.seeded) throw new Error('expected a seed');
    expect(again.rows.current).toBe(131 - 3 - 2);
  });

  it('a row staff edited stays edited even when a later seed changes the same row', async () => {
    const db = await freshDb();
    await seedOlderDemo(db);
    const blood = await idOf(db, 'services', 'blood-test');
    await db.updateTable('services').set({ duration_minutes: 20, active: false }).where('id', '=', blood).execute();
    await seedDemoClinic(db, { reset: true, now: NOW });
    expect(await db.selectFrom('services').select(['duration_minutes', 'active']).where('id', '=', blood).executeTakeFirstOrThrow()).toEqual({ duration_minutes: 20, active: false });
    // Edited back to exactly what the seed wrote, it is the seed's again.
    await db.updateTable('services').set({ duration_minutes: 15, active: true }).where('id', '=', blood).execute();
    await seedDemoClinic(db, { reset: true, now: NOW });
    expect(await db.selectFrom('services').select(['duration_minutes', 'active']).where('id', '=', blood).executeTakeFirstOrThrow()).toEqual({ duration_minutes: 10, active: true });
  });

  it('a row staff made with a seeded code is left as staff made it', async () => {
    const db = await freshDb();
    const clinic = await db.insertInto('clinics').values({ code: DEMO_CLINIC_CODE, name: 'Our clinic', default_language: 'fr', languages: ['fr', 'en'], emergency_number: '15' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('practitioners').values({ clinic_id: clinic.id, code: 'marco-bianchi', display_name: 'Marco (ours)', languages: ['it'] }).execute();
    await seedDemoClinic(db, { reset: true, now: NOW });
    await seedDemoClinic(db, { reset: true, now: NOW });
    expect(await db.selectFrom('clinics').select(['name', 'emergency_number']).executeTakeFirstOrThrow()).toEqual({ name: 'Our clinic', emergency_number: '15' });
    expect(await db.selectFrom('practitioners').select('display_name').where('code', '=', 'marco-bianchi').execute()).toEqual([{ display_name: 'Marco (ours)' }]);
    // The seed's rules attach to the practitioner with that code; the other practitioners are created.
    expect(await db.selectFrom('practitioners').select('code').orderBy('code').execute()).toHaveLength(4);
  });

  it('re-creates what staff deleted only when asked to (seed-demo --restore-deleted), and still keeps edits', async () => {
    const db = await freshDb();
    await seedDemoClinic(db, { reset: true, now: NOW });
    // Julia leaves (her sessions and offers go with her), an answer is removed, another is edited.
    await db.deleteFrom('practitioners').where('code', '=', 'julia-weber').execute();
    await db.deleteFrom('faq_entries').where('intent', '=', 'payment').where('language', '=', 'de').execute();
    await db.updateTable('faq_entries').set({ answer: 'Ours.', updated_by: STAFF }).where('intent', '=', 'insurance').where('language', '=', 'en').execute();

    const kept = await seedDemoClinic(db, { reset: true, now: NOW });
    // Julia (1), her offer (1) and sessions (6), the German answer (1); the edited answer is kept.
    expect(kept).toMatchObject({ seeded: true, counts: { practitioners: 3, faqEntries: 41 }, rows: { written: 0, kept: 1, skipped: 9 } });

    const restored = await seedDemoClinic(db, { reset: true, now: NOW, restoreDeleted: true });
    expect(restored).toMatchObject({ seeded: true, counts: { practitioners: 4, practitionerServices: 9, openingHours: 47, faqEntries: 42 }, rows: { written: 9, kept: 1, skipped: 0 } });
    const insurance = await db.selectFrom('faq_entries').select('answer').where('intent', '=', 'insurance').where('language', '=', 'en').executeTakeFirstOrThrow();
    expect(insurance.answer).toBe('Ours.');
    // Restored rows are the seed's again: a plain re-seed finds them current.
    expect(await seedDemoClinic(db, { reset: true, now: NOW })).toMatchObject({ rows: { written: 0, current: 130, kept: 1, skipped: 0 } });
  });

  it('next year adds its public holidays beside the ones already there', async () => {
    const db = await freshDb();
    await seedDemoClinic(db, { reset: true, now: NOW });
    const next = await seedDemoClinic(db, { reset: true, now: new Date('2027-03-01T10:00:00Z') });
    // 2026 and 2027 from the first seed, 2028 from the second; 2027's are not doubled.
    expect(next).toMatchObject({ seeded: true, counts: { closures: 33 }, rows: { written: 11, kept: 0, skipped: 0 } });
  });

  it('adopts the rows of a demo clinic seeded before seeds were tracked, without doubling them', async () => {
    const db = await freshDb();
    await seedDemoClinic(db, { reset: true, now: NOW });
    await db.deleteFrom('clinic_seed_rows').execute();
    const r = await seedDemoClinic(db, { reset: true, now: NOW });
    expect(r).toMatchObject({ seeded: true, counts: { openingHours: 47, closures: 22, faqEntries: 42 }, rows: { written: 0, current: 131, kept: 0, skipped: 0 } });
    expect(sortFaq(await snapshot(db))).toEqual(sortFaq(fresh));
  });

  it('the start-up seed never adds a demo clinic beside a real clinic', async () => {
    const db = await freshDb();
    await db.insertInto('clinics').values({ code: 'ours', name: 'Our clinic', default_language: 'fr', languages: ['fr'], emergency_number: '15' }).execute();
    await seedDemoIfNeeded(db, { seedDemo: true }, undefined, NOW);
    expect(await db.selectFrom('clinics').select('code').execute()).toEqual([{ code: 'ours' }]);
  });
});

describe('patientline seed-demo on a used clinic', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patientline-reseed-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps what staff made and brings the seed rows up to date', async () => {
    // The command runs in its own process: on PGlite it needs the data directory to itself.
    const server = await (process.env['TEST_DATABASE_URL'] ? createTestDatabase() : null);
    if (server) open.push(server);
    const env: Record<string, string> = server?.url ? { DATABASE_URL: server.url } : { DATA_DIR: dir };
    const connect = async (): Promise<Database> => {
      const d = server ?? (await openDatabase({ dataDir: dir }));
      await migrate(d.db);
      return d;
    };
    const release = async (d: Database) => {
      if (!server) await d.close();
    };

    let d = await connect();
    await seedOlderDemo(d.db);
    await useTheClinic(d.db);
    await release(d);

    const run = cli(['seed-demo'], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/kept as staff changed them/);

    d = await connect();
    try {
      expect(sortFaq(await snapshot(d.db))).toEqual(sortFaq(expectedAfterUse(fresh)));
      expect(await appointments(d.db)).toBe(2);
    } finally {
      await release(d);
    }
  });
});
