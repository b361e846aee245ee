// Slot search: loads a service's rules (who gives it where, the location's hours, the practitioners'
// sessions and extra hours, the service's windows, closures and leave, the appointments that hold time) in
// a handful of queries and hands them to the pure maths of slots.ts. The caller passes `now` (its clock).
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { ServiceMode } from '../db/schema.js';
import { normalize, type Interval, type WeeklyRule } from './intervals.js';
import { availability, slots, type SlotRules } from './slots.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How much time a slot search computes at once. */
const CHUNK = 3 * DAY;

/** States whose time stays taken (the exclusion constraint's predicate, migration 0017). */
export const HOLDING_STATES = ['booked', 'confirmed', 'arrived', 'noshow', 'completed'] as const;

export interface FreeSlot {
  serviceId: string;
  practitionerId: string;
  locationId: string;
  start: Date;
  end: Date;
}

export interface ServiceRules extends SlotRules {
  id: string;
  clinicId: string;
  mode: ServiceMode;
  active: boolean;
}

export async function serviceRules(db: DbOrTx, serviceId: string): Promise<ServiceRules | null> {
  const r = await db.selectFrom('services')
    .select(['id', 'clinic_id', 'duration_minutes', 'buffer_minutes', 'slot_step_minutes', 'lead_time_minutes', 'horizon_days', 'mode', 'active'])
    .where('id', '=', serviceId).executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id, clinicId: r.clinic_id, mode: r.mode, active: r.active, durationMinutes: r.duration_minutes, bufferMinutes: r.buffer_minutes,
    stepMinutes: r.slot_step_minutes, leadTimeMinutes: r.lead_time_minutes, horizonDays: r.horizon_days,
  };
}

/** Where a practitioner gives a service, with everything slot maths needs about that place and person. */
export interface Setting {
  practitionerId: string;
  locationId: string;
  zone: string;
  locationHours: WeeklyRule[];
  sessions: WeeklyRule[];
  serviceWindows: WeeklyRule[];
  extraHours: Interval[];
  closures: Interval[];
  busy: Interval[];
}

const rule = (r: { weekday: number; start_time: string; end_time: string; valid_from: string | null; valid_to: string | null }): WeeklyRule => ({
  weekday: r.weekday, start: r.start_time, end: r.end_time, validFrom: r.valid_from, validTo: r.valid_to,
});
const span = (r: { s: number; e: number }): Interval => ({ start: r.s, end: r.e });
/** An instant as epoch milliseconds: cheaper to read back than a timestamptz (thousands of rows per search). */
const epoch = (col: 'starts_at' | 'ends_at' | 'blocks_until') => sql<number>`(extract(epoch from ${sql.ref(col)}) * 1000)::float8`;

/**
 * The settings (practitioner × location) in which `serviceId` is given by active people at active places,
 * with rules, closures and busy time overlapping `range`. `excludeAppointmentId`: an appointment whose time
 * counts as free (the one being moved).
 */
export async function loadSettings(db: DbOrTx, o: { serviceId: string; practitionerId?: string | undefined; locationId?: string | undefined; range: Interval; excludeAppointmentId?: string }): Promise<Setting[]> {
  let q = db.selectFrom('practitioner_services as ps')
    .innerJoin('practitioners as p', 'p.id', 'ps.practitioner_id')
    .innerJoin('locations as l', 'l.id', 'ps.location_id')
    .select(['ps.practitioner_id', 'ps.location_id', 'l.time_zone'])
    .where('ps.service_id', '=', o.serviceId).where('p.active', '=', true).where('l.active', '=', true);
  if (o.practitionerId) q = q.where('ps.practitioner_id', '=', o.practitionerId);
  if (o.locationId) q = q.where('ps.location_id', '=', o.locationId);
  const pairs = await q.orderBy('ps.practitioner_id').orderBy('ps.location_id').execute();
  if (pairs.length === 0) return [];
  const practitioners = [...new Set(pairs.map((p) => p.practitioner_id))];
  const locations = [...new Set(pairs.map((p) => p.location_id))];
  const from = new Date(o.range.start - DAY);
  const to = new Date(o.range.end + DAY);
  const [hours, closures, extra, busy] = await Promise.all([
    db.selectFrom('opening_hours')
      .select(['location_id', 'practitioner_id', 'service_id', 'weekday', sql<string>`to_char(start_time, 'HH24:MI')`.as('start_time'), sql<string>`case when end_time = '24:00' then '24:00' else to_char(end_time, 'HH24:MI') end`.as('end_time'), sql<string | null>`valid_from::text`.as('valid_from'), sql<string | null>`valid_to::text`.as('valid_to')])
      .where('location_id', 'in', locations)
      .where((eb) => eb.or([
        eb.and([eb('practitioner_id', 'is', null), eb('service_id', 'is', null)]),
        eb('practitioner_id', 'in', practitioners),
        eb('service_id', '=', o.serviceId),
      ]))
      .execute(),
    db.selectFrom('closures').select(['location_id', 'practitioner_id', epoch('starts_at').as('s'), epoch('ends_at').as('e')])
      .where('ends_at', '>', from).where('starts_at', '<', to)
      .where((eb) => eb.or([eb.and([eb('location_id', 'in', locations), eb('practitioner_id', 'is', null)]), eb('practitioner_id', 'in', practitioners)]))
      .execute(),
    db.selectFrom('availability_exceptions').select(['location_id', 'practitioner_id', epoch('starts_at').as('s'), epoch('ends_at').as('e')])
      .where('practitioner_id', 'in', practitioners).where('ends_at', '>', from).where('starts_at', '<', to)
      .execute(),
    // Every appointment of the practitioner holds their time, wherever it is (the constraint is per practitioner).
    db.selectFrom('appointments').select(['practitioner_id', epoch('starts_at').as('s'), epoch('blocks_until').as('e')])
      .where('practitioner_id', 'in', practitioners).where('state', 'in', HOLDING_STATES)
      .where('blocks_until', '>', from).where('starts_at', '<', to)
      .$if(o.excludeAppointmentId !== undefined, (qb) => qb.where('id', '<>', o.excludeAppointmentId!))
      .execute(),
  ]);
  return pairs.map((p) => ({
    practitionerId: p.practitioner_id,
    locationId: p.location_id,
    zone: p.time_zone,
    locationHours: hours.filter((h) => h.location_id === p.location_id && h.practitioner_id === null && h.service_id === null).map(rule),
    sessions: hours.filter((h) => h.location_id === p.location_id && h.practitioner_id === p.practitioner_id).map(rule),
    serviceWindows: hours.filter((h) => h.location_id === p.location_id && h.service_id === o.serviceId).map(rule),
    extraHours: extra.filter((e) => e.practitioner_id === p.practitioner_id && e.location_id === p.location_id).map(span),
    closures: normalize(closures.filter((c) => (c.practitioner_id === null && c.location_id === p.location_id) || (c.practitioner_id === p.practitioner_id && (c.location_id === null || c.location_id === p.location_id))).map(span)),
    busy: normalize(busy.filter((b) => b.practitioner_id === p.practitioner_id).map(span)),
  }));
}

export interface SlotSearch {
  serviceId: string;
  practitionerId?: string | undefined;
  from: Date;
  to: Date;
  /** At most this many slots. */
  limit: number;
  /** Only slots after this one (a page's last): later start, or the same start and a greater practitioner id. */
  after?: { start: Date; practitionerId: string } | undefined;
  now: Date;
}

const bySlot = (a: FreeSlot, b: FreeSlot) => a.start.getTime() - b.start.getTime() || (a.practitionerId < b.practitionerId ? -1 : a.practitionerId > b.practitionerId ? 1 : 0) || (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0);

/** The free slots of a service between `from` and `to`, earliest first (then by practitioner id). */
export async function searchSlots(db: DbOrTx, q: SlotSearch): Promise<FreeSlot[]> {
  const service = await serviceRules(db, q.serviceId);
  if (!service || !service.active) return [];
  const now = q.now.getTime();
  const start = Math.max(q.from.getTime(), now + service.leadTimeMinutes * MINUTE, q.after ? q.after.start.getTime() : -Infinity);
  const end = Math.min(q.to.getTime(), now + service.horizonDays * DAY + service.durationMinutes * MINUTE);
  if (end <= start) return [];
  const after = q.after;
  const wanted = (s: FreeSlot) => !after || s.start.getTime() > after.start.getTime() || (s.start.getTime() === after.start.getTime() && s.practitionerId > after.practitionerId);
  const out: FreeSlot[] = [];
  let settings: Setting[] = [];
  // Days at a time, earliest first: a page of 50 is usually found in the first chunk. Each chunk's slots are
  // computed from a day earlier, so that they step from where the free time starts (a session, the end of an
  // appointment), never from `from` or from now + lead time (no 08:07 slots).
  for (let c = start; c < end && out.length < q.limit; c += CHUNK) {
    const chunkEnd = Math.min(end, c + CHUNK);
    // A first page reads the rules and appointments of its first chunk only; a search that goes on reads the
    // rest of the range in one go (one round trip, not one per chunk).
    if (c === start) settings = await loadSettings(db, { serviceId: q.serviceId, practitionerId: q.practitionerId, range: { start: c - DAY, end: chunkEnd } });
    else if (c === start + CHUNK) settings = await loadSettings(db, { serviceId: q.serviceId, practitionerId: q.practitionerId, range: { start: c - DAY, end } });
    if (settings.length === 0) break;
    const found: FreeSlot[] = [];
    for (const s of settings) {
      for (const slot of slots({ ...s, range: { start: c - DAY, end: chunkEnd }, now, service })) {
        if (slot.start < c) continue;
        const f = { serviceId: q.serviceId, practitionerId: s.practitionerId, locationId: s.locationId, start: new Date(slot.start), end: new Date(slot.end) };
        if (wanted(f)) found.push(f);
      }
    }
    out.push(...found.sort(bySlot));
  }
  return out.slice(0, q.limit);
}

export interface NearestSearch {
  serviceId: string;
  practitionerId?: string | undefined;
  /** The instant asked for ("jeudi vers 10h"), or a window ("tomorrow morning": its middle counts as the target). */
  target: Date | { from: Date; to: Date };
  limit: number;
  now: Date;
  /** How far either side of the target to look; default 14 days. */
  withinDays?: number;
}

/**
 * The free slots nearest to what was asked: inside the window when one was given (nearest its start
 * first), else by distance from the target instant, either side, ties to the earlier one.
 */
export async function nearestSlots(db: DbOrTx, q: NearestSearch): Promise<FreeSlot[]> {
  const within = (q.withinDays ?? 14) * DAY;
  const window = q.target instanceof Date ? null : q.target;
  const target = q.target instanceof Date ? q.target.getTime() : q.target.from.getTime();
  if (window) {
    const inside = await searchSlots(db, { serviceId: q.serviceId, practitionerId: q.practitionerId, from: window.from, to: window.to, limit: q.limit, now: q.now });
    if (inside.length >= q.limit) return inside;
    const rest = await nearestSlots(db, { ...q, target: new Date((window.from.getTime() + window.to.getTime()) / 2), limit: q.limit * 2 });
    const seen = new Set(inside.map((s) => `${s.practitionerId}/${s.start.getTime()}`));
    return [...inside, ...rest.filter((s) => !seen.has(`${s.practitionerId}/${s.start.getTime()}`))].slice(0, q.limit);
  }
  const all = await searchSlots(db, { serviceId: q.serviceId, practitionerId: q.practitionerId, from: new Date(target - within), to: new Date(target + within), limit: 100_000, now: q.now });
  const distance = (s: FreeSlot) => Math.abs(s.start.getTime() - target);
  return all.sort((a, b) => distance(a) - distance(b) || bySlot(a, b)).slice(0, q.limit);
}

/** Whether [start, start + duration) lies inside the practitioner's availability for the service (busy time aside). */
export async function withinAvailability(db: DbOrTx, o: { serviceId: string; practitionerId: string; start: Date; durationMinutes: number }): Promise<{ locationId: string } | null> {
  const range = { start: o.start.getTime(), end: o.start.getTime() + o.durationMinutes * MINUTE };
  const settings = await loadSettings(db, { serviceId: o.serviceId, practitionerId: o.practitionerId, range });
  for (const s of settings) {
    const free = availability({ ...s, range });
    if (free.some((f) => f.start <= range.start && f.end >= range.end)) return { locationId: s.locationId };
  }
  return null;
}
