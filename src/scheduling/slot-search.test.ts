// Slot search against the plain maths it is made of, on the demo clinic (Europe/Paris, with a third of its
// slots booked, over the change to summer time and Easter Monday) and a round-the-clock service in New York:
// searchSlots reads and computes in slices (a first page's days, then the rest), nearestSlots searches
// outward from its target; both must answer exactly what one slots() computation over the whole range
// answers (and, for nearestSlots, the sort of all of it by distance). Pinned clock, seeded choices.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createKeyRing, kekOf } from '../compliance/keys.js';
import { bookAppointment, type AppointmentDeps } from './appointments.js';
import { seedDemoClinic } from './demo-clinic.js';
import { loadSettings, nearestSlots, searchSlots, serviceRules, type FreeSlot } from './slot-search.js';
import { slots } from './slots.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
// Monday 22 March 2027, 09:13:27 in Paris: an odd minute, so that a first page's days end inside a slot
// (Thursday 09:13:27Z, inside the 10:00–10:20 consultation); summer time from Sunday 28, Easter Monday 29.
const now = new Date('2027-03-22T08:13:27.000Z');
let database: TestDatabase;
const svc: Record<string, string> = {};
const prac: Record<string, string> = {};

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  await seedDemoClinic(db, { reset: true, now });
  const clinic = await db.selectFrom('clinics').select('id').where('code', '=', 'demo').executeTakeFirstOrThrow();
  // Round the clock in New York: free time that lasts for days, slots of 25 minutes (not a divisor of a day).
  const location = await db.insertInto('locations').values({
    clinic_id: clinic.id, code: 'night-desk', name: 'Night desk', address_line1: '1 Broadway', postal_code: '10004', city: 'New York', country: 'US', time_zone: 'America/New_York', emergency_number: '911', languages: ['en'],
  }).returning('id').executeTakeFirstOrThrow();
  const service = await db.insertInto('services').values({ clinic_id: clinic.id, code: 'night-line', name: JSON.stringify({ en: 'Night line' }), duration_minutes: 25, buffer_minutes: 0, lead_time_minutes: 0, horizon_days: 60 }).returning('id').executeTakeFirstOrThrow();
  const nurse = await db.insertInto('practitioners').values({ clinic_id: clinic.id, code: 'night-nurse', display_name: 'Night nurse', languages: ['en'] }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('practitioner_services').values({ clinic_id: clinic.id, practitioner_id: nurse.id, service_id: service.id, location_id: location.id }).execute();
  await db.insertInto('opening_hours').values([1, 2, 3, 4, 5, 6, 7].flatMap((weekday) => [
    { clinic_id: clinic.id, location_id: location.id, weekday, start_time: '00:00', end_time: '24:00' },
    { clinic_id: clinic.id, location_id: location.id, practitioner_id: nurse.id, weekday, start_time: '00:00', end_time: '24:00' },
  ])).execute();
  for (const s of await db.selectFrom('services').select(['id', 'code']).execute()) svc[s.code] = s.id;
  for (const p of await db.selectFrom('practitioners').select(['id', 'code']).execute()) prac[p.code] = p.id;

  // About a third of the next three weeks booked, chosen at random (seeded), and two night-line appointments.
  const deps: AppointmentDeps = { keys: createKeyRing({ keks: [kekOf(crypto.randomBytes(32))] }), videoUrlTemplate: 'https://meet.jit.si/{room}' };
  const patients = await db.insertInto('patients').values(Array.from({ length: 20 }, () => ({ wa_id_index: crypto.randomBytes(16).toString('hex') }))).returning('id').execute();
  const next = random(2027);
  await db.transaction().execute(async (tx) => {
    let k = 0;
    for (const code of ['general-consultation', 'blood-test', 'dermatology', 'follow-up']) {
      const free = await searchSlots(tx, { serviceId: svc[code]!, from: now, to: new Date(now.getTime() + 21 * DAY), limit: 100_000, now });
      for (const slot of free) {
        if (next() > 0.3) continue;
        await bookAppointment(tx, deps, { serviceId: svc[code]!, practitionerId: slot.practitionerId, start: slot.start, patientId: patients[k++ % patients.length]!.id, by: { type: 'system', id: 'test' }, now });
      }
    }
    for (const start of ['2027-03-24T13:07:00Z', '2027-03-30T02:00:00Z']) {
      const r = await bookAppointment(tx, deps, { serviceId: service.id, practitionerId: nurse.id, start: new Date(start), patientId: patients[0]!.id, by: { type: 'system', id: 'test' }, now });
      expect(r.ok).toBe(true);
    }
  });
});
afterAll(async () => {
  await database?.close();
});

const key = (s: FreeSlot) => `${s.start.toISOString()} ${s.end.toISOString()} ${s.practitionerId} ${s.locationId}`;
const bySlot = (a: FreeSlot, b: FreeSlot) => a.start.getTime() - b.start.getTime() || (a.practitionerId < b.practitionerId ? -1 : a.practitionerId > b.practitionerId ? 1 : 0) || (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0);

/** The free slots of [from, to] by one slots() computation per setting over the whole range. */
async function oneComputation(q: { serviceId: string; practitionerId?: string; from: Date; to: Date }): Promise<FreeSlot[]> {
  const service = (await serviceRules(database.db, q.serviceId))!;
  const t = now.getTime();
  const start = Math.max(q.from.getTime(), t + service.leadTimeMinutes * MINUTE);
  const end = Math.min(q.to.getTime(), t + service.horizonDays * DAY + service.durationMinutes * MINUTE);
  if (end <= start) return [];
  const range = { start: start - DAY, end };
  const out: FreeSlot[] = [];
  for (const s of await loadSettings(database.db, { serviceId: q.serviceId, practitionerId: q.practitionerId, range })) {
    for (const slot of slots({ ...s, range, now: t, service })) {
      if (slot.start >= start) out.push({ serviceId: q.serviceId, practitionerId: s.practitionerId, locationId: s.locationId, start: new Date(slot.start), end: new Date(slot.end) });
    }
  }
  return out.sort(bySlot);
}

/** nearestSlots by brute force: every slot of the window either side, sorted by distance (a window target: its slots, then the nearest to its middle). */
async function bruteNearest(q: { serviceId: string; practitionerId?: string; target: Date | { from: Date; to: Date }; limit: number; withinDays?: number }): Promise<FreeSlot[]> {
  if (!(q.target instanceof Date)) {
    const inside = (await oneComputation({ ...q, from: q.target.from, to: q.target.to })).slice(0, q.limit);
    if (inside.length >= q.limit) return inside;
    const rest = await bruteNearest({ ...q, target: new Date((q.target.from.getTime() + q.target.to.getTime()) / 2), limit: q.limit * 2 });
    const seen = new Set(inside.map((s) => `${s.practitionerId}/${s.start.getTime()}`));
    return [...inside, ...rest.filter((s) => !seen.has(`${s.practitionerId}/${s.start.getTime()}`))].slice(0, q.limit);
  }
  const target = q.target.getTime();
  const within = (q.withinDays ?? 14) * DAY;
  const all = await oneComputation({ ...q, from: new Date(target - within), to: new Date(target + within) });
  const distance = (s: FreeSlot) => Math.abs(s.start.getTime() - target);
  return all.sort((a, b) => distance(a) - distance(b) || bySlot(a, b)).slice(0, q.limit);
}

const scopes = () => [
  { name: 'general consultation', serviceId: svc['general-consultation']! },
  { name: 'general consultation, Dr Laurent', serviceId: svc['general-consultation']!, practitionerId: prac['camille-laurent']! },
  { name: 'blood test', serviceId: svc['blood-test']! },
  { name: 'dermatology', serviceId: svc['dermatology']! },
  { name: 'follow-up', serviceId: svc['follow-up']! },
  { name: 'night line', serviceId: svc['night-line']! },
];

describe('searchSlots', () => {
  it('answers what one computation over the whole range answers, for a first page and for everything', async () => {
    const windows = [[now, new Date(now.getTime() + 21 * DAY)], [new Date('2027-03-24T10:00:00Z'), new Date('2027-04-02T00:00:00Z')], [new Date('2027-03-27T23:00:00Z'), new Date('2027-03-28T05:00:00Z')]] as const;
    for (const scope of scopes()) {
      for (const [from, to] of windows) {
        const expected = (await oneComputation({ ...scope, from, to })).map(key);
        if (from === now) expect(expected.length, scope.name).toBeGreaterThan(0);
        expect((await searchSlots(database.db, { ...scope, from, to, limit: 100_000, now })).map(key), `${scope.name} ${from.toISOString()}`).toEqual(expected);
        // 50: a first page; 300: more than the first days hold, so the rest is read and computed after them
        // (100,000: more than the first days could hold, read at once).
        for (const limit of [50, 300]) {
          expect((await searchSlots(database.db, { ...scope, from, to, limit, now })).map(key), `${scope.name} ${from.toISOString()}, first ${limit}`).toEqual(expected.slice(0, limit));
        }
      }
    }
  });

  it('keeps the slots that straddle the end of a first page\'s days (Thursday around 10:13 in Paris)', async () => {
    const straddling: string[] = [];
    for (const scope of scopes()) {
      const service = (await serviceRules(database.db, scope.serviceId))!;
      const boundary = now.getTime() + service.leadTimeMinutes * MINUTE + 3 * DAY; // a first page's three days
      // 300: a first page's days, then the rest (100,000 would read and compute the week at once).
      const found = await searchSlots(database.db, { ...scope, from: now, to: new Date(now.getTime() + 7 * DAY), limit: 300, now });
      const whole = await oneComputation({ ...scope, from: now, to: new Date(now.getTime() + 7 * DAY) });
      expect(found.map(key), scope.name).toEqual(whole.slice(0, 300).map(key));
      const expected = whole.filter((s) => s.start.getTime() < boundary && s.end.getTime() > boundary);
      expect(found.map(key), scope.name).toEqual(expect.arrayContaining(expected.map(key)));
      straddling.push(...expected.map((s) => `${scope.name} ${s.start.toISOString()}`));
    }
    expect(straddling.length, straddling.join(', ')).toBeGreaterThanOrEqual(3);
  });

  it('pages (after the last slot of a page) add up to the whole list', async () => {
    // Not the night line: free time that lasts for days steps from a day before each search's start (a
    // page's last slot), so pages of a 25-minute round-the-clock service are not on one grid (known; unchanged).
    for (const scope of scopes().filter((s) => s.name !== 'night line')) {
      const from = now;
      const to = new Date(now.getTime() + 21 * DAY);
      const whole = (await searchSlots(database.db, { ...scope, from, to, limit: 100_000, now })).map(key);
      const paged: string[] = [];
      let after: { start: Date; practitionerId: string } | undefined;
      for (;;) {
        const page = await searchSlots(database.db, { ...scope, from, to, limit: 37, after, now });
        paged.push(...page.map(key));
        if (page.length < 37) break;
        after = { start: page[page.length - 1]!.start, practitionerId: page[page.length - 1]!.practitionerId };
      }
      expect(paged, scope.name).toEqual(whole);
    }
  });
});

describe('nearestSlots', () => {
  it('answers what sorting every slot within the days either side by distance answers', async () => {
    const next = random(14);
    let compared = 0;
    for (const scope of scopes()) {
      for (let h = -30; h < 21 * 24; h += 19 + Math.floor(next() * 10)) {
        const target = new Date(now.getTime() + h * 3_600_000 + Math.floor(next() * 60) * MINUTE);
        const withinDays = next() < 0.2 ? 3 : undefined;
        const limit = [1, 3, 12][Math.floor(next() * 3)]!;
        const expected = (await bruteNearest({ ...scope, target, limit, withinDays })).map(key);
        const got = (await nearestSlots(database.db, { ...scope, target, limit, withinDays, now })).map(key);
        expect(got, `${scope.name}, ${target.toISOString()}, limit ${limit}, within ${withinDays ?? 14}`).toEqual(expected);
        compared += got.length;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('answers a window\'s own slots first, then the nearest to its middle (as before)', async () => {
    const windows = [
      { from: new Date('2027-03-23T07:00:00Z'), to: new Date('2027-03-23T11:00:00Z') }, // Tuesday morning
      { from: new Date('2027-03-28T12:00:00Z'), to: new Date('2027-03-28T16:00:00Z') }, // Sunday afternoon: nothing inside
      { from: new Date('2027-03-29T06:00:00Z'), to: new Date('2027-03-29T10:00:00Z') }, // Easter Monday: closed
    ];
    for (const scope of scopes()) {
      for (const target of windows) {
        for (const limit of [2, 6]) {
          const expected = (await bruteNearest({ ...scope, target, limit })).map(key);
          expect(expected.length).toBe(limit);
          expect((await nearestSlots(database.db, { ...scope, target, limit, now })).map(key), `${scope.name} ${target.from.toISOString()} ${limit}`).toEqual(expected);
        }
      }
    }
  });
});
