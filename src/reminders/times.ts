// When an appointment's reminders are due: at each offset before its start (the clinic's settings, default
// 72 h and 24 h), moved EARLIER out of quiet hours (no business-initiated message at night in the location's
// zone), never after the appointment. Pure: instants in, instants out; the zone's rules on the day itself
// (DST-correct through Intl, as everywhere in scheduling).
import { localDateOf, localMinuteOf, localToInstant, addDays } from '../scheduling/intervals.js';

export interface QuietHours {
  /** 'HH:MM' local. */
  start: string;
  /** 'HH:MM' local; before `start` means the quiet hours run past midnight (21:00–08:00). */
  end: string;
}

export interface ReminderPlan {
  offsetMinutes: number;
  /** When to send it, or null when it cannot be useful (why in `reason`). */
  dueAt: Date | null;
  reason?: 'booked_after_offset' | 'quiet_hours';
}

const MINUTE = 60_000;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a local minute of the day falls in the quiet hours. */
export function inQuiet(q: QuietHours, minuteOfDay: number): boolean {
  const s = minutes(q.start);
  const e = minutes(q.end);
  if (s === e) return false;
  return s < e ? minuteOfDay >= s && minuteOfDay < e : minuteOfDay >= s || minuteOfDay < e;
}

/**
 * The last instant before the quiet hours that contain `at` began (a minute before their start, local), or
 * `at` itself when it is not in quiet hours.
 */
export function beforeQuiet(q: QuietHours | null, zone: string, at: Date): Date {
  if (!q) return at;
  const m = localMinuteOf(zone, at.getTime());
  if (!inQuiet(q, m)) return at;
  const s = minutes(q.start);
  const day = localDateOf(zone, at.getTime());
  // Quiet hours that began the evening before (03:00 in 21:00–08:00) started on the previous local day.
  const startDay = s > minutes(q.end) && m < s ? addDays(day, -1) : day;
  return new Date(localToInstant(zone, startDay, s) - MINUTE);
}

/** The first instant after the quiet hours that contain `at` (their end, local), or `at` when not in quiet hours. */
export function afterQuiet(q: QuietHours | null, zone: string, at: Date): Date {
  if (!q) return at;
  const m = localMinuteOf(zone, at.getTime());
  if (!inQuiet(q, m)) return at;
  const e = minutes(q.end);
  const day = localDateOf(zone, at.getTime());
  const endDay = m >= e ? addDays(day, 1) : day;
  return new Date(localToInstant(zone, endDay, e));
}

/** Each offset's due instant: offset before the start, out of quiet hours, not in the past, before the start. */
export function reminderTimes(o: { start: Date; offsetsMinutes: readonly number[]; quiet: QuietHours | null; zone: string; now: Date }): ReminderPlan[] {
  const out: ReminderPlan[] = [];
  for (const offset of [...new Set(o.offsetsMinutes)].sort((a, b) => b - a)) {
    const nominal = new Date(o.start.getTime() - offset * MINUTE);
    const due = beforeQuiet(o.quiet, o.zone, nominal);
    if (due.getTime() > o.now.getTime()) {
      out.push({ offsetMinutes: offset, dueAt: due });
      continue;
    }
    // Its time has passed (booked later than the offset, or the quiet hours pushed it into the past).
    out.push({ offsetMinutes: offset, dueAt: null, reason: nominal.getTime() <= o.now.getTime() ? 'booked_after_offset' : 'quiet_hours' });
  }
  return out;
}
