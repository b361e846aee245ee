// Slot search: loads a service's rules (who gives it where, the location's hours, the practitioners'
// sessions and extra hours, the service's windows, closures and leave, the appointments that hold time) in
// two or three round trips and hands them to the pure maths of slots.ts, once per setting and slice of
// time (a first page's days, the rest of the range; for nearestSlots, rings around the target), never per
// day. The caller passes `now` (its clock).
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { ServiceMode } from '../db/schema.js';
import { normalize, type Interval, type WeeklyRule } from './intervals.js';
import { availability, freeTime, stepSlots, type SlotRules } from './slots.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The days a first page reads and computes before the rest of the range. */
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
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Scope {
  serviceId: string;
  practitionerId?: string | undefined;
  locationId?: string | undefined;
  excludeAppointmentId?: string | undefined;
}

/**
 * A service's settings, read once per search: who gives it where (practitioner × location, active people at
 * active places, ordered by practitioner then location id), their weekly rules, and the closures, extra
 * hours and busy time of the instants `covered` so far; `cover` reads only what a wider range adds.
 */
class SettingsSource {
  settings: Setting[] = [];
  /** Rows of closures, extra hours and appointments are read for every instant of this range (plus a day either side). */
  private covered: Interval | null = null;
  private hoursRead = false;
  private constructor(private readonly db: DbOrTx, private readonly scope: Scope) {}

  /** The settings, without their rules and times yet (cover reads those); null when nobody gives the service. */
  static async open(db: DbOrTx, scope: Scope): Promise<SettingsSource | null> {
    let q = db.selectFrom('practitioner_services as ps')
      .innerJoin('practitioners as p', 'p.id', 'ps.practitioner_id')
      .innerJoin('locations as l', 'l.id', 'ps.location_id')
      .select(['ps.practitioner_id', 'ps.location_id', 'l.time_zone'])
      .where('ps.service_id', '=', scope.serviceId).where('p.active', '=', true).where('l.active', '=', true);
    if (scope.practitionerId) q = q.where('ps.practitioner_id', '=', scope.practitionerId);
    if (scope.locationId) q = q.where('ps.location_id', '=', scope.locationId);
    const pairs = await q.execute();
    if (pairs.length === 0) return null;
    const source = new SettingsSource(db, scope);
    source.settings = pairs
      .map((p) => ({ practitionerId: p.practitioner_id, locationId: p.location_id, zone: p.time_zone, locationHours: [], sessions: [], serviceWindows: [], extraHours: [], closures: [], busy: [] }))
      .sort((a, b) => byText(a.practitionerId, b.practitionerId) || byText(a.locationId, b.locationId));
    return source;
  }

  private get practitioners(): string[] {
    return [...new Set(this.settings.map((s) => s.practitionerId))];
  }

  private get locations(): string[] {
    return [...new Set(this.settings.map((s) => s.locationId))];
  }

  /** Reads what `range` needs that is not read yet (the weekly rules the first time), in one round trip. */
  async cover(range: Interval): Promise<void> {
    const parts: Interval[] = [];
    const c = this.covered;
    if (!c) parts.push(range);
    else {
      if (range.start < c.start) parts.push({ start: range.start, end: c.start });
      if (range.end > c.end) parts.push({ start: c.end, end: range.end });
    }
    if (parts.length === 0 && this.hoursRead) return;
    const [hours, ...spans] = await Promise.all([this.hoursRead ? Promise.resolve(null) : this.readHours(), ...parts.map((p) => this.readSpans(p))]);
    if (hours) {
      this.hoursRead = true;
      // One array per location for its hours, shared by its settings.
      const locationHours = new Map<string, WeeklyRule[]>();
      for (const h of hours) {
        if (h.practitioner_id === null && h.service_id === null) {
          const list = locationHours.get(h.location_id) ?? [];
          list.push(rule(h));
          locationHours.set(h.location_id, list);
        }
      }
      for (const s of this.settings) {
        s.locationHours = locationHours.get(s.locationId) ?? [];
        s.sessions = hours.filter((h) => h.location_id === s.locationId && h.practitioner_id === s.practitionerId).map(rule);
        s.serviceWindows = hours.filter((h) => h.location_id === s.locationId && h.service_id === this.scope.serviceId).map(rule);
      }
    }
    if (spans.length > 0) {
      for (const r of spans) this.add(r!);
      this.covered = c ? { start: Math.min(c.start, range.start), end: Math.max(c.end, range.end) } : { ...range };
    }
  }

  private readHours() {
    return this.db.selectFrom('opening_hours')
      .select(['location_id', 'practitioner_id', 'service_id', 'weekday', sql<string>`to_char(start_time, 'HH24:MI')`.as('start_time'), sql<string>`case when end_time = '24:00' then '24:00' else to_char(end_time, 'HH24:MI') end`.as('end_time'), sql<string | null>`valid_from::text`.as('valid_from'), sql<string | null>`valid_to::text`.as('valid_to')])
      .where('location_id', 'in', this.locations)
      .where((eb) => eb.or([
        eb.and([eb('practitioner_id', 'is', null), eb('service_id', 'is', null)]),
        eb('practitioner_id', 'in', this.practitioners),
        eb('service_id', '=', this.scope.serviceId),
      ]))
      .execute();
  }

  /** Closures, extra hours and appointments overlapping `range` or the day either side of it. */
  private async readSpans(range: Interval) {
    const practitioners = this.practitioners;
    const from = new Date(range.start - DAY);
    const to = new Date(range.end + DAY);
    const [closures, extra, busy] = await Promise.all([
      this.db.selectFrom('closures').select(['location_id', 'practitioner_id', epoch('starts_at').as('s'), epoch('ends_at').as('e')])
        .where('ends_at', '>', from).where('starts_at', '<', to)
        .where((eb) => eb.or([eb.and([eb('location_id', 'in', this.locations), eb('practitioner_id', 'is', null)]), eb('practitioner_id', 'in', practitioners)]))
        .execute(),
      this.db.selectFrom('availability_exceptions').select(['location_id', 'practitioner_id', epoch('starts_at').as('s'), epoch('ends_at').as('e')])
        .where('practitioner_id', 'in', practitioners).where('ends_at', '>', from).where('starts_at', '<', to)
        .execute(),
      // Every appointment of the practitioner holds their time, wherever it is (the constraint is per practitioner).
      this.db.selectFrom('appointments').select(['practitioner_id', epoch('starts_at').as('s'), epoch('blocks_until').as('e')])
        .where('practitioner_id', 'in', practitioners).where('state', 'in', HOLDING_STATES)
        .where('blocks_until', '>', from).where('starts_at', '<', to)
        .$if(this.scope.excludeAppointmentId !== undefined, (qb) => qb.where('id', '<>', this.scope.excludeAppointmentId!))
        .execute(),
    ]);
    return { closures, extra, busy };
  }

  /** Adds rows read for a range (a row read twice, once per part, merges with itself: lists are normalized). */
  private add(r: Awaited<ReturnType<SettingsSource['readSpans']>>): void {
    const busyOf = new Map<string, Interval[]>();
    for (const b of r.busy) {
      const list = busyOf.get(b.practitioner_id) ?? [];
      list.push(span(b));
      busyOf.set(b.practitioner_id, list);
    }
    for (const s of this.settings) {
      const extra = r.extra.filter((e) => e.practitioner_id === s.practitionerId && e.location_id === s.locationId).map(span);
      const closures = r.closures.filter((c) => (c.practitioner_id === null && c.location_id === s.locationId) || (c.practitioner_id === s.practitionerId && (c.location_id === null || c.location_id === s.locationId))).map(span);
      const busy = busyOf.get(s.practitionerId) ?? [];
      if (extra.length > 0) s.extraHours = s.extraHours.length > 0 ? [...s.extraHours, ...extra] : extra;
      if (closures.length > 0) s.closures = normalize([...s.closures, ...closures]);
      if (busy.length > 0) s.busy = normalize([...s.busy, ...busy]);
    }
  }
}

/**
 * The settings (practitioner × location) in which `serviceId` is given by active people at active places,
 * with rules, closures and busy time overlapping `range`. `excludeAppointmentId`: an appointment whose time
 * counts as free (the one being moved).
 */
export async function loadSettings(db: DbOrTx, o: { serviceId: string; practitionerId?: string | undefined; locationId?: string | undefined; range: Interval; excludeAppointmentId?: string }): Promise<Setting[]> {
  const source = await SettingsSource.open(db, o);
  if (!source) return [];
  await source.cover(o.range);
  return source.settings;
}

/** A free slot found: its setting by index (settings are ordered by practitioner, then location). */
interface Found {
  start: number;
  end: number;
  setting: number;
}

/**
 * The slots of every setting that start in [a, b), each inside `hi` (the search's end), stepped as one
 * computation over [anchor, hi) would step them: from where each stretch of free time starts, or from
 * `anchor` for one that was already free there. A slice computes from a day before `a` (covered by the
 * caller); when a stretch free a millisecond before that lasts into the slice (free time longer than a
 * day), it reads back to `anchor` and computes that setting again from there.
 */
async function slotsBetween(source: SettingsSource, o: { a: number; b: number; anchor: number; hi: number; now: number; service: SlotRules }): Promise<Found[]> {
  const out: Found[] = [];
  const dur = o.service.durationMinutes * MINUTE;
  const end = Math.min(o.hi, o.b + dur);
  if (end <= o.a) return out;
  const lookback = o.a - DAY;
  for (let i = 0; i < source.settings.length; i++) {
    let range = { start: lookback > o.anchor ? lookback - 1 : o.anchor, end };
    let free = freeTime({ ...source.settings[i]!, range });
    if (range.start < lookback && free.length > 0 && free[0]!.start === range.start && free[0]!.end > o.a) {
      range = { start: o.anchor, end };
      await source.cover(range);
      free = freeTime({ ...source.settings[i]!, range });
    }
    for (const slot of stepSlots(free, { range, now: o.now, service: o.service, busy: source.settings[i]!.busy })) {
      if (slot.start >= o.b) break;
      if (slot.start >= o.a) out.push({ start: slot.start, end: slot.end, setting: i });
    }
  }
  return out;
}

const byStart = (x: Found, y: Found) => x.start - y.start || x.setting - y.setting;

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

/** The instants a search's slots may start from and must end by (lead time, horizon), or null when none. */
function bounds(service: ServiceRules, q: { from: number; to: number; after?: number | undefined; now: number }): { start: number; end: number } | null {
  const start = Math.max(q.from, q.now + service.leadTimeMinutes * MINUTE, q.after ?? -Infinity);
  const end = Math.min(q.to, q.now + service.horizonDays * DAY + service.durationMinutes * MINUTE);
  return end > start ? { start, end } : null;
}

/** The free slots of a service between `from` and `to`, earliest first (then by practitioner id). */
export async function searchSlots(db: DbOrTx, q: SlotSearch): Promise<FreeSlot[]> {
  const [service, source] = await Promise.all([serviceRules(db, q.serviceId), SettingsSource.open(db, q)]);
  if (!service || !service.active || !source) return [];
  return search(source, service, q);
}

async function search(source: SettingsSource, service: ServiceRules, q: Omit<SlotSearch, 'serviceId' | 'practitionerId'>): Promise<FreeSlot[]> {
  const now = q.now.getTime();
  const w = bounds(service, { from: q.from.getTime(), to: q.to.getTime(), after: q.after?.start.getTime(), now });
  if (!w) return [];
  const settings = source.settings;
  const after = q.after;
  const wanted = (f: Found) => !after || f.start > after.start.getTime() || (f.start === after.start.getTime() && settings[f.setting]!.practitionerId > after.practitionerId);
  // Slots step from where the free time starts (a session, the end of an appointment), never from `from` or
  // from now + lead time (no 08:07 slots): the computation starts a day before the first slot.
  const anchor = w.start - DAY;
  const slice = async (a: number, b: number) => (await slotsBetween(source, { a, b, anchor, hi: w.end, now, service })).filter(wanted);
  // A first page reads the rules and appointments of its first days only, and is usually found there; a
  // search that goes on reads the rest of the range in one go (one more round trip). A search for more slots
  // than the first days could hold (a setting's free stretches, at least a duration long, each give at most
  // one slot per step and one more) reads the whole range at once.
  const step = (service.stepMinutes ?? service.durationMinutes) * MINUTE;
  const most = settings.length * (Math.ceil(CHUNK / step) + Math.ceil(CHUNK / (service.durationMinutes * MINUTE)) + 2);
  const firstEnd = q.limit > most ? w.end : Math.min(w.end, w.start + CHUNK);
  await source.cover({ start: anchor, end: firstEnd });
  const found = await slice(w.start, firstEnd);
  if (found.length < q.limit && firstEnd < w.end) {
    await source.cover({ start: anchor, end: w.end });
    for (const f of await slice(firstEnd, w.end)) found.push(f);
  }
  return found.sort(byStart).slice(0, q.limit).map((f) => freeSlot(settings, service.id, f));
}

const freeSlot = (settings: readonly Setting[], serviceId: string, f: Found): FreeSlot => {
  const s = settings[f.setting]!;
  return { serviceId, practitionerId: s.practitionerId, locationId: s.locationId, start: new Date(f.start), end: new Date(f.end) };
};

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
 * first), else by distance from the target instant, either side, ties to the earlier one (then by
 * practitioner id).
 */
export async function nearestSlots(db: DbOrTx, q: NearestSearch): Promise<FreeSlot[]> {
  const [service, source] = await Promise.all([serviceRules(db, q.serviceId), SettingsSource.open(db, q)]);
  if (!service || !service.active || !source) return [];
  return nearest(source, service, q);
}

/** How far either side of an instant target the search looks before looking further, then the whole window. */
const RINGS = [DAY, 4 * DAY];

async function nearest(source: SettingsSource, service: ServiceRules, q: Omit<NearestSearch, 'serviceId' | 'practitionerId'>): Promise<FreeSlot[]> {
  const within = (q.withinDays ?? 14) * DAY;
  if (!(q.target instanceof Date)) {
    const window = q.target;
    const inside = await search(source, service, { from: window.from, to: window.to, limit: q.limit, now: q.now });
    if (inside.length >= q.limit) return inside;
    const rest = await nearest(source, service, { ...q, target: new Date((window.from.getTime() + window.to.getTime()) / 2), limit: q.limit * 2 });
    const seen = new Set(inside.map((s) => `${s.practitionerId}/${s.start.getTime()}`));
    return [...inside, ...rest.filter((s) => !seen.has(`${s.practitionerId}/${s.start.getTime()}`))].slice(0, q.limit);
  }
  const target = q.target.getTime();
  const now = q.now.getTime();
  const w = bounds(service, { from: target - within, to: target + within, now });
  if (!w) return [];
  const anchor = w.start - DAY;
  const distance = (f: Found) => Math.abs(f.start - target);
  // Outward from the target: every slot nearer than `r` is found once [target − r, target + r] is searched,
  // so once `limit` of them are, no slot further out can come before them.
  for (const r of [...RINGS.filter((x) => x < within), within]) {
    const a = Math.max(w.start, target - r);
    const b = r >= within ? w.end : Math.min(w.end, target + r + 1);
    if (b <= a) continue;
    await source.cover({ start: a - DAY, end: b });
    const found = await slotsBetween(source, { a, b, anchor, hi: w.end, now, service });
    if (found.length >= q.limit || r >= within) {
      return found.sort((x, y) => distance(x) - distance(y) || byStart(x, y)).slice(0, q.limit).map((f) => freeSlot(source.settings, service.id, f));
    }
  }
  return [];
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
