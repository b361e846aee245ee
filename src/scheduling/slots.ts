// Slot maths, pure: a practitioner's availability for a service (location hours ∩ sessions, plus extra
// hours, ∩ the service's windows, minus closures and leave) and the bookable slots inside it once booked
// appointments and buffers are taken out, within the service's lead time and horizon. The repository
// (slot-search.ts) loads the rules and appointments and calls these; tests call them on pinned dates.
import { expandWeekly, firstEndingAfter, intersect, normalized, overlaps, subtract, union, type Interval, type WeeklyRule } from './intervals.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SlotRules {
  durationMinutes: number;
  /** Kept free after each appointment (cleaning, notes). */
  bufferMinutes: number;
  /** A new slot every this many minutes within each free stretch; default: the duration. */
  stepMinutes?: number | null;
  /** No slot starts sooner than this after `now`. */
  leadTimeMinutes: number;
  /** No slot starts later than this many days after `now`. */
  horizonDays: number;
}

export interface AvailabilityInput {
  zone: string;
  /** The instants asked about. */
  range: Interval;
  now: number;
  service: SlotRules;
  /** When the location's doors are open. */
  locationHours: readonly WeeklyRule[];
  /** The practitioner's weekly sessions at the location. */
  sessions: readonly WeeklyRule[];
  /** The service's own windows at the location; empty: the service is not narrower than the rest. */
  serviceWindows: readonly WeeklyRule[];
  /** Extra hours the practitioner works (they open the doors for them: not limited by locationHours). */
  extraHours: readonly Interval[];
  /** Location closures and the practitioner's leave. */
  closures: readonly Interval[];
  /** Appointments that hold time: [start, end + their buffer). */
  busy: readonly Interval[];
}

/** When the practitioner can see patients for the service: (location ∩ sessions ∪ extra hours) ∩ service windows − closures. */
export function availability(a: Omit<AvailabilityInput, 'busy' | 'now' | 'service'>): Interval[] {
  const worked = union(intersect(expandWeekly(a.locationHours, a.zone, a.range), expandWeekly(a.sessions, a.zone, a.range)), intersect(a.extraHours, [a.range]));
  const windowed = a.serviceWindows.length > 0 ? intersect(worked, expandWeekly(a.serviceWindows, a.zone, a.range)) : worked;
  return subtract(windowed, a.closures);
}

/** The free time in which slots are stepped: availability minus the appointments' busy time. */
export function freeTime(a: Omit<AvailabilityInput, 'now' | 'service'>): Interval[] {
  return subtract(availability(a), a.busy);
}

/**
 * The bookable slots: stepped from the start of each free stretch of availability, each one's time plus the
 * service's buffer clear of every appointment's [start, end + buffer), inside the lead time and horizon.
 */
export function slots(a: AvailabilityInput): Interval[] {
  return stepSlots(freeTime(a), a);
}

/** slots() on free time already computed (freeTime of the same input). */
export function stepSlots(free: readonly Interval[], a: Pick<AvailabilityInput, 'range' | 'now' | 'service' | 'busy'>): Interval[] {
  const s = a.service;
  const dur = s.durationMinutes * MINUTE;
  const buf = s.bufferMinutes * MINUTE;
  const step = (s.stepMinutes ?? s.durationMinutes) * MINUTE;
  const earliest = a.now + s.leadTimeMinutes * MINUTE;
  const latest = a.now + s.horizonDays * DAY;
  const busy = normalized(a.busy);
  const out: Interval[] = [];
  let b = free.length > 0 ? firstEndingAfter(busy, free[0]!.start) : 0;
  for (const piece of free) {
    for (let t = piece.start; t + dur <= piece.end; t += step) {
      if (t < earliest || t < a.range.start) continue;
      if (t > latest || t >= a.range.end) break;
      const blocks = { start: t, end: t + dur + buf };
      while (b < busy.length && busy[b]!.end <= blocks.start) b++;
      if (b < busy.length && overlaps(busy[b]!, blocks)) continue;
      out.push({ start: t, end: t + dur });
    }
  }
  return out;
}
