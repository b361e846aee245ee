// What reminders do for attendance, per ISO week of the appointment (in the clinic location's zone): the
// no-show rate of appointments that got a reminder and of those that did not, and per reminder offset the
// share of appointments that were then confirmed, cancelled, rescheduled or not attended. Only appointments
// whose outcome is known count: attended (arrived, completed), no-show, cancelled or rescheduled; an
// appointment still booked or confirmed after its end is a no-show candidate for staff, not yet a no-show.
import type { DbOrTx } from '../db/database.js';
import { localDateOf } from '../scheduling/intervals.js';

export interface WeekReport {
  /** ISO week, e.g. '2027-W02'. */
  week: string;
  withReminder: { appointments: number; noShows: number; noShowRate: number | null };
  withoutReminder: { appointments: number; noShows: number; noShowRate: number | null };
  byOffset: { offsetMinutes: number; appointments: number; confirmed: number; cancelled: number; rescheduled: number; noShow: number }[];
}

/** The ISO 8601 week of a calendar date. */
export function isoWeek(y: number, m: number, d: number): string {
  const t = new Date(Date.UTC(y, m - 1, d));
  const weekday = t.getUTCDay() || 7; // Monday 1 … Sunday 7
  t.setUTCDate(t.getUTCDate() + 4 - weekday); // the week's Thursday decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const ATTENDED = new Set(['arrived', 'completed']);
const rate = (n: number, of: number) => (of === 0 ? null : Math.round((n / of) * 10_000) / 10_000);

export async function reminderReport(db: DbOrTx, o: { from: Date; to: Date }): Promise<WeekReport[]> {
  const rows = await db.selectFrom('appointments as a').innerJoin('locations as l', 'l.id', 'a.location_id')
    .select(['a.id', 'a.starts_at', 'a.state', 'l.time_zone'])
    .where('a.starts_at', '>=', o.from).where('a.starts_at', '<', o.to)
    .where('a.state', 'in', ['arrived', 'completed', 'noshow', 'cancelled', 'rescheduled'])
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [sent, confirmed] = await Promise.all([
    db.selectFrom('reminders').select(['appointment_id', 'offset_minutes']).where('appointment_id', 'in', ids).where('state', '=', 'sent').execute(),
    db.selectFrom('appointment_history').select('appointment_id').distinct().where('appointment_id', 'in', ids).where('state', '=', 'confirmed').execute(),
  ]);
  const offsetsOf = new Map<string, number[]>();
  for (const s of sent) offsetsOf.set(s.appointment_id, [...(offsetsOf.get(s.appointment_id) ?? []), s.offset_minutes]);
  const wasConfirmed = new Set(confirmed.map((c) => c.appointment_id));

  const weeks = new Map<string, { with: [number, number]; without: [number, number]; offsets: Map<number, { n: number; confirmed: number; cancelled: number; rescheduled: number; noShow: number }> }>();
  for (const r of rows) {
    const d = localDateOf(r.time_zone, r.starts_at.getTime());
    const key = isoWeek(d.year, d.month, d.day);
    let w = weeks.get(key);
    if (!w) {
      w = { with: [0, 0], without: [0, 0], offsets: new Map() };
      weeks.set(key, w);
    }
    const offsets = offsetsOf.get(r.id) ?? [];
    // The no-show rate is over the appointments that were due to happen (attended or not).
    if (ATTENDED.has(r.state) || r.state === 'noshow') {
      const g = offsets.length > 0 ? w.with : w.without;
      g[0]++;
      if (r.state === 'noshow') g[1]++;
    }
    for (const off of new Set(offsets)) {
      const s = w.offsets.get(off) ?? { n: 0, confirmed: 0, cancelled: 0, rescheduled: 0, noShow: 0 };
      s.n++;
      if (wasConfirmed.has(r.id)) s.confirmed++;
      if (r.state === 'cancelled') s.cancelled++;
      if (r.state === 'rescheduled') s.rescheduled++;
      if (r.state === 'noshow') s.noShow++;
      w.offsets.set(off, s);
    }
  }
  return [...weeks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([week, w]) => ({
    week,
    withReminder: { appointments: w.with[0], noShows: w.with[1], noShowRate: rate(w.with[1], w.with[0]) },
    withoutReminder: { appointments: w.without[0], noShows: w.without[1], noShowRate: rate(w.without[1], w.without[0]) },
    byOffset: [...w.offsets.entries()].sort(([a], [b]) => b - a).map(([offsetMinutes, s]) => ({
      offsetMinutes, appointments: s.n, confirmed: s.confirmed, cancelled: s.cancelled, rescheduled: s.rescheduled, noShow: s.noShow,
    })),
  }));
}

/** Appointments still booked or confirmed after their end: staff mark them arrived, completed or no-show. */
export async function noShowCandidates(db: DbOrTx, now: Date, limit = 200): Promise<{ id: string; start: Date; end: Date; practitionerId: string; serviceId: string; patientId: string; state: string }[]> {
  const rows = await db.selectFrom('appointments').select(['id', 'starts_at', 'ends_at', 'practitioner_id', 'service_id', 'patient_id', 'state'])
    .where('state', 'in', ['booked', 'confirmed']).where('ends_at', '<=', now)
    .orderBy('ends_at', 'desc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, start: r.starts_at, end: r.ends_at, practitionerId: r.practitioner_id, serviceId: r.service_id, patientId: r.patient_id, state: r.state }));
}
