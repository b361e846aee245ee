// Issue 14's measures, on a PostgreSQL server, in this process (no HTTP: the repository functions the API
// and the chat flow call):
//   1. Slot search for one service given by 20 practitioners over 30 days (sessions Monday–Friday, about a
//      third of the time booked, a few closures and extra hours): p50 / p99 of searchSlots, beside a baseline
//      that reads the same rows with bare indexed selects (rules, closures, extra hours, appointments) and
//      computes nothing. Target: p99 ≤ 50 ms. Beside them, nearestSlots as the chat flow calls it (3 slots
//      nearest "Thursday around 10:00", and 3 in "tomorrow morning"), against the first page's baseline.
//   2. Booking throughput under contention: 20 concurrent connections booking slots drawn from a small set
//      (each slot wanted by several of them), through bookAppointment (savepoint + exclusion constraint):
//      attempts/s, bookings/s, and the check that no practitioner ends up double-booked.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { kekOf, createKeyRing } from '../src/compliance/keys.js';
import { migrate, openDatabase, type Database } from '../src/db/database.js';
import { bookAppointment, nearestSlots, searchSlots, type AppointmentDeps, type FreeSlot } from '../src/scheduling/index.js';
import { fmt, type Check } from './report.js';
import { summarize, type Summary } from './stats.js';

const PRACTITIONERS = 20;
const DAYS = 30;
const DAY = 86_400_000;

export interface SlotsResult {
  /** A first page (50 slots) over the 30 days. */
  search: Summary;
  baseline: Summary;
  /** Every free slot of the 30 days. */
  searchAll: Summary;
  baselineAll: Summary;
  /** nearestSlots, 3 slots nearest an instant (±14 days). */
  nearestInstant: Summary;
  /** nearestSlots, 3 slots in a morning window. */
  nearestWindow: Summary;
  slotsFound: number;
  slotsAll: number;
  appointments: number;
  booking: { connections: number; attempts: number; booked: number; refused: number; seconds: number; overlaps: number };
}

const log = (line: string) => process.stderr.write(`[bench] slots: ${line}\n`);

/** Mondays at 00:00 UTC: a fixed week so that runs compare (the clock is injected). */
const NOW = new Date('2031-03-03T06:00:00Z');
/** "Thursday around 10": 10:00 in Paris on Thursday 6 March 2031. */
const NEAR_INSTANT = new Date('2031-03-06T09:00:00Z');
/** "Tomorrow morning": 08:00–12:00 in Paris on Tuesday 4 March 2031. */
const NEAR_WINDOW = { from: new Date('2031-03-04T07:00:00Z'), to: new Date('2031-03-04T11:00:00Z') };

async function seed(database: Database): Promise<{ serviceId: string; practitionerIds: string[]; locationId: string; patientIds: string[] }> {
  const db = database.db;
  const clinic = await db.insertInto('clinics').values({ code: 'bench', name: 'Bench clinic', default_language: 'en', languages: ['en'], emergency_number: '112' }).returning('id').executeTakeFirstOrThrow();
  const location = await db.insertInto('locations').values({
    clinic_id: clinic.id, code: 'main', name: 'Main', address_line1: '1 rue du Banc', postal_code: '75001', city: 'Paris', country: 'FR', time_zone: 'Europe/Paris', emergency_number: '112', languages: ['en'],
  }).returning('id').executeTakeFirstOrThrow();
  const service = await db.insertInto('services').values({ clinic_id: clinic.id, code: 'consult', name: JSON.stringify({ en: 'Consultation' }), duration_minutes: 20, buffer_minutes: 5, lead_time_minutes: 60, horizon_days: 60 }).returning('id').executeTakeFirstOrThrow();
  const hours = [];
  for (let wd = 1; wd <= 6; wd++) hours.push({ clinic_id: clinic.id, location_id: location.id, weekday: wd, start_time: '08:00', end_time: '19:00' });
  await db.insertInto('opening_hours').values(hours).execute();
  const practitionerIds: string[] = [];
  for (let i = 0; i < PRACTITIONERS; i++) {
    const p = await db.insertInto('practitioners').values({ clinic_id: clinic.id, code: `p${i}`, display_name: `Practitioner ${i}`, languages: ['en'] }).returning('id').executeTakeFirstOrThrow();
    practitionerIds.push(p.id);
    await db.insertInto('practitioner_services').values({ clinic_id: clinic.id, practitioner_id: p.id, service_id: service.id, location_id: location.id }).execute();
    const sessions = [];
    for (let wd = 1; wd <= 5; wd++) {
      sessions.push({ clinic_id: clinic.id, location_id: location.id, practitioner_id: p.id, weekday: wd, start_time: '08:00', end_time: '12:30' });
      if ((wd + i) % 5 !== 0) sessions.push({ clinic_id: clinic.id, location_id: location.id, practitioner_id: p.id, weekday: wd, start_time: '13:30', end_time: '18:00' });
    }
    await db.insertInto('opening_hours').values(sessions).execute();
    // A day of leave and a Saturday morning of extra hours each.
    const leave = new Date(NOW.getTime() + (3 + (i % 20)) * DAY);
    await db.insertInto('closures').values({ clinic_id: clinic.id, practitioner_id: p.id, starts_at: leave, ends_at: new Date(leave.getTime() + DAY), reason: 'leave' }).execute();
    const saturday = new Date(NOW.getTime() + (5 + 7 * (i % 4)) * DAY + 3 * 3_600_000);
    await db.insertInto('availability_exceptions').values({ clinic_id: clinic.id, location_id: location.id, practitioner_id: p.id, starts_at: saturday, ends_at: new Date(saturday.getTime() + 3 * 3_600_000) }).execute();
  }
  const patientIds: string[] = [];
  const rows = Array.from({ length: 500 }, () => ({ wa_id_index: crypto.randomBytes(16).toString('hex') }));
  for (const r of await db.insertInto('patients').values(rows).returning('id').execute()) patientIds.push(r.id);
  return { serviceId: service.id, practitionerIds, locationId: location.id, patientIds };
}

/** The bench clinic (20 practitioners, their sessions, leave and extra hours) with about a third of the 30 days' slots booked. */
export async function seedSlotsBench(database: Database): Promise<{ serviceId: string; practitionerIds: string[]; locationId: string; patientIds: string[]; deps: AppointmentDeps; from: Date; to: Date; freeBefore: number; booked: number }> {
  log('seeding 20 practitioners, their sessions, leave and extra hours…');
  const s = await seed(database);
  const deps: AppointmentDeps = { keys: createKeyRing({ keks: [kekOf(crypto.randomBytes(32))] }), videoUrlTemplate: 'https://meet.jit.si/{room}' };
  const from = NOW;
  const to = new Date(NOW.getTime() + DAYS * DAY);
  // About a third of every practitioner's slots booked, spread over the 30 days.
  const free = await searchSlots(database.db, { serviceId: s.serviceId, from, to, limit: 1_000_000, now: NOW });
  let booked = 0;
  await database.db.transaction().execute(async (tx) => {
    for (let i = 0; i < free.length; i += 3) {
      const slot = free[i]!;
      const r = await bookAppointment(tx, deps, { serviceId: s.serviceId, practitionerId: slot.practitionerId, start: slot.start, patientId: s.patientIds[i % s.patientIds.length]!, by: { type: 'system', id: 'bench' }, now: NOW });
      if (r.ok) booked++;
    }
  });
  await sql`analyze`.execute(database.db);
  return { ...s, deps, from, to, freeBefore: free.length, booked };
}

export async function runSlots(o: { databaseUrl: string; iterations?: number; bookingSeconds?: number }): Promise<SlotsResult> {
  const database = await openDatabase({ databaseUrl: o.databaseUrl, poolSize: 21 });
  try {
    await migrate(database.db);
    const s = await seedSlotsBench(database);
    const { deps, from, to, booked } = s;
    log(`${s.freeBefore} free slots before, ${booked} appointments booked; timing searches…`);
    const n = o.iterations ?? 200;
    let found = 0;
    let foundAll = 0;
    const page = () => searchSlots(database.db, { serviceId: s.serviceId, from, to, limit: 50, now: NOW });
    const whole = () => searchSlots(database.db, { serviceId: s.serviceId, from, to, limit: 1_000_000, now: NOW });
    const nearInstant = () => nearestSlots(database.db, { serviceId: s.serviceId, target: NEAR_INSTANT, limit: 3, now: NOW });
    const nearWindow = () => nearestSlots(database.db, { serviceId: s.serviceId, target: NEAR_WINDOW, limit: 3, now: NOW });
    // The same rows, read with bare indexed selects and nothing computed: over [a, b).
    const bare = (a: Date, b: Date) => Promise.all([
      database.db.selectFrom('practitioner_services').select(['practitioner_id', 'location_id']).where('service_id', '=', s.serviceId).execute(),
      database.db.selectFrom('opening_hours').select(['location_id', 'practitioner_id', 'weekday', 'start_time', 'end_time']).where('location_id', '=', s.locationId).execute(),
      database.db.selectFrom('closures').select(['starts_at', 'ends_at']).where('practitioner_id', 'in', s.practitionerIds).where('ends_at', '>', a).where('starts_at', '<', b).execute(),
      database.db.selectFrom('availability_exceptions').select(['starts_at', 'ends_at']).where('practitioner_id', 'in', s.practitionerIds).where('ends_at', '>', a).where('starts_at', '<', b).execute(),
      database.db.selectFrom('appointments').select(['practitioner_id', 'starts_at', 'blocks_until']).where('practitioner_id', 'in', s.practitionerIds).where('blocks_until', '>', a).where('starts_at', '<', b).execute(),
    ]);
    // A first page reads one chunk: three days from `from` (after the lead time), with a day either side.
    const pageFrom = new Date(from.getTime() + 60 * 60_000 - 2 * DAY);
    const pageTo = new Date(from.getTime() + 60 * 60_000 + 4 * DAY);
    // Warm-up (plans, caches), then the measured runs, interleaved so that the machine's load hits both alike.
    for (let i = 0; i < 10; i++) await Promise.all([page(), bare(pageFrom, pageTo), nearInstant(), nearWindow()]);
    const samples = { page: [] as number[], pageBase: [] as number[], whole: [] as number[], wholeBase: [] as number[], nearInstant: [] as number[], nearWindow: [] as number[] };
    const time = async (into: number[], f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      into.push(performance.now() - t);
    };
    for (let i = 0; i < n; i++) {
      await time(samples.page, async () => { found = (await page()).length; });
      await time(samples.pageBase, () => bare(pageFrom, pageTo));
      await time(samples.nearInstant, nearInstant);
      await time(samples.nearWindow, nearWindow);
      if (i % 4 === 0) {
        await time(samples.whole, async () => { foundAll = (await whole()).length; });
        await time(samples.wholeBase, () => bare(new Date(from.getTime() - DAY), new Date(to.getTime() + DAY)));
      }
    }
    const search = summarize(samples.page);
    const baseline = summarize(samples.pageBase);
    const searchAll = summarize(samples.whole);
    const baselineAll = summarize(samples.wholeBase);
    const nearestInstant = summarize(samples.nearInstant);
    const nearestWindow = summarize(samples.nearWindow);
    log(`first page p50 ${search.p50.toFixed(2)} ms p99 ${search.p99.toFixed(2)} ms (bare ${baseline.p50.toFixed(2)} / ${baseline.p99.toFixed(2)}); all ${foundAll} slots p50 ${searchAll.p50.toFixed(2)} ms p99 ${searchAll.p99.toFixed(2)} ms (bare ${baselineAll.p50.toFixed(2)} / ${baselineAll.p99.toFixed(2)}); nearest to an instant p50 ${nearestInstant.p50.toFixed(2)} ms p99 ${nearestInstant.p99.toFixed(2)} ms, in a window p50 ${nearestWindow.p50.toFixed(2)} ms p99 ${nearestWindow.p99.toFixed(2)} ms`);

    // Contention: the next free slots, each wanted by several connections at once.
    const contested: FreeSlot[] = (await searchSlots(database.db, { serviceId: s.serviceId, from, to, limit: 400, now: NOW }));
    const connections = 20;
    const seconds = o.bookingSeconds ?? 5;
    let attempts = 0;
    let ok = 0;
    let refused = 0;
    const end = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: connections }, async (_, w) => {
      let k = w;
      while (performance.now() < end && attempts < contested.length * 4) {
        // Several connections go for the same slot: slot index advances slowly across workers.
        const slot = contested[Math.floor(attempts / 4) % contested.length]!;
        attempts++;
        const patientId = s.patientIds[(k++ * 7) % s.patientIds.length]!;
        const r = await database.db.transaction().execute((tx) => bookAppointment(tx, deps, { serviceId: s.serviceId, practitionerId: slot.practitionerId, start: slot.start, patientId, by: { type: 'system', id: 'bench' }, now: NOW }));
        if (r.ok) ok++;
        else refused++;
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    const overlaps = await sql<{ n: number }>`
      select count(*)::int as n from appointments a join appointments b
        on a.practitioner_id = b.practitioner_id and a.id < b.id and tstzrange(a.starts_at, a.blocks_until) && tstzrange(b.starts_at, b.blocks_until)
      where a.state in ('booked', 'confirmed', 'arrived', 'noshow', 'completed') and b.state in ('booked', 'confirmed', 'arrived', 'noshow', 'completed')`.execute(database.db);
    log(`booking: ${attempts} attempts in ${elapsed.toFixed(1)} s on ${connections} connections, ${ok} booked, ${refused} refused, overlaps ${overlaps.rows[0]!.n}`);
    return {
      search, baseline, searchAll, baselineAll, nearestInstant, nearestWindow, slotsFound: found, slotsAll: foundAll, appointments: booked,
      booking: { connections, attempts, booked: ok, refused, seconds: elapsed, overlaps: overlaps.rows[0]!.n },
    };
  } finally {
    await database.close();
  }
}

export function slotsTable(r: SlotsResult): string {
  return [
    `### Slot search and booking (PostgreSQL, in process, ${PRACTITIONERS} practitioners over ${DAYS} days, ${r.appointments} appointments)`,
    '',
    '| measure | p50 | p99 | baseline p50 | baseline p99 | ratio (p99) |',
    '| --- | --- | --- | --- | --- | --- |',
    `| searchSlots, first page (${r.slotsFound} slots) | ${fmt(r.search.p50, 2)} ms | ${fmt(r.search.p99, 2)} ms | ${fmt(r.baseline.p50, 2)} ms | ${fmt(r.baseline.p99, 2)} ms | ${fmt(r.search.p99 / r.baseline.p99, 1)} × |`,
    `| searchSlots, all ${r.slotsAll} free slots of the 30 days | ${fmt(r.searchAll.p50, 2)} ms | ${fmt(r.searchAll.p99, 2)} ms | ${fmt(r.baselineAll.p50, 2)} ms | ${fmt(r.baselineAll.p99, 2)} ms | ${fmt(r.searchAll.p99 / r.baselineAll.p99, 1)} × |`,
    `| nearestSlots, 3 nearest an instant ("Thursday around 10", ±14 days) | ${fmt(r.nearestInstant.p50, 2)} ms | ${fmt(r.nearestInstant.p99, 2)} ms | ${fmt(r.baseline.p50, 2)} ms | ${fmt(r.baseline.p99, 2)} ms | ${fmt(r.nearestInstant.p99 / r.baseline.p99, 1)} × |`,
    `| nearestSlots, 3 in a window ("tomorrow morning") | ${fmt(r.nearestWindow.p50, 2)} ms | ${fmt(r.nearestWindow.p99, 2)} ms | ${fmt(r.baseline.p50, 2)} ms | ${fmt(r.baseline.p99, 2)} ms | ${fmt(r.nearestWindow.p99 / r.baseline.p99, 1)} × |`,
    '',
    'Baseline: bare indexed selects of the rows each search reads (rules, closures, extra hours, appointments), no slot maths; interleaved with the searches. A first page reads its first three days only; the nearestSlots rows stand beside the first page\'s baseline.',
    '',
    '| booking under contention | connections | attempts/s | bookings/s | refused (slot taken) | double bookings |',
    '| --- | --- | --- | --- | --- | --- |',
    `| bookAppointment, ~4 attempts per slot | ${r.booking.connections} | ${fmt(r.booking.attempts / r.booking.seconds, 0)} | ${fmt(r.booking.booked / r.booking.seconds, 0)} | ${r.booking.refused} | ${r.booking.overlaps} |`,
    '',
  ].join('\n');
}

export function slotsChecks(r: SlotsResult): Check[] {
  return [
    { what: 'Slot search (first page), 20 practitioners × 30 days, PostgreSQL: p99', target: '≤ 50 ms', measured: `${fmt(r.search.p99, 1)} ms`, pass: r.search.p99 <= 50 },
    { what: 'Slot search (all slots of the 30 days), PostgreSQL: p99', target: '≤ 50 ms', measured: `${fmt(r.searchAll.p99, 1)} ms`, pass: r.searchAll.p99 <= 50 },
    { what: 'Booking under contention: double bookings', target: '0', measured: String(r.booking.overlaps), pass: r.booking.overlaps === 0 },
  ];
}

