// What the flows know of the clinic (ClinicView): its name, emergency number and crisis line, languages, and
// whether it is open, from the clinics row and its first active location (time zone, that location's
// opening hours, closures of the clinic or the location). Read once per batch of messages, outside the
// message's transaction; the open/closed arithmetic is pure and runs in the location's IANA zone.
import type { DbOrTx } from '../db/database.js';
import { isLanguage, LANGUAGES, type Language } from '../nlu/types.js';
import type { ClinicView } from './flow.js';

export interface WeeklyHours {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** 'HH:MM' or 'HH:MM:SS' local; '24:00' ends the day. */
  start: string;
  end: string;
  /** 'YYYY-MM-DD' bounds, inclusive, or null. */
  validFrom: string | null;
  validTo: string | null;
}

export interface ClinicFacts {
  name: string;
  emergencyNumber: string;
  crisisLine: string | null;
  timeZone: string;
  languages: Language[];
  defaultLanguage: Language;
  phone: string | null;
  hours: WeeklyHours[];
  closures: { startsAt: Date; endsAt: Date }[];
  /** A clinic row exists (appointments can be booked with it). */
  configured: boolean;
}

/** When no clinic is configured: the European emergency number, every language, always "open" (unknown hours). */
export const UNCONFIGURED: ClinicFacts = {
  name: '', emergencyNumber: '112', crisisLine: null, timeZone: 'UTC', languages: [...LANGUAGES], defaultLanguage: 'en', phone: null, hours: [], closures: [], configured: false,
};

const STEP_MS = 15 * 60_000;
const HORIZON_MS = 21 * 86_400_000;

const partsFormats = new Map<string, Intl.DateTimeFormat>();
/** The local calendar date, ISO weekday and minutes since midnight at `at` in `timeZone`. */
export function localParts(at: Date, timeZone: string): { date: string; weekday: number; minutes: number } {
  let f = partsFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    partsFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday ?? '') + 1;
  return { date: `${p.year}-${p.month}-${p.day}`, weekday, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
};

export function isOpenAt(facts: ClinicFacts, at: Date): boolean {
  if (facts.hours.length === 0) return true;
  if (facts.closures.some((c) => c.startsAt <= at && at < c.endsAt)) return false;
  const { date, weekday, minutes } = localParts(at, facts.timeZone);
  return facts.hours.some((h) => h.weekday === weekday && minutesOf(h.start) <= minutes && minutes < minutesOf(h.end)
    && (h.validFrom === null || h.validFrom <= date) && (h.validTo === null || date <= h.validTo));
}

/** The first quarter hour from `at` on at which the clinic is open (within three weeks), or null. */
export function nextOpeningAt(facts: ClinicFacts, at: Date): Date | null {
  if (facts.hours.length === 0) return null;
  const first = Math.ceil(at.getTime() / STEP_MS) * STEP_MS;
  for (let t = first; t <= at.getTime() + HORIZON_MS; t += STEP_MS) {
    const d = new Date(t);
    if (isOpenAt(facts, d)) return d;
  }
  return null;
}

export function clinicView(facts: ClinicFacts): ClinicView {
  return {
    name: facts.name,
    emergencyNumber: facts.emergencyNumber,
    crisisLine: facts.crisisLine,
    timeZone: facts.timeZone,
    languages: facts.languages,
    defaultLanguage: facts.defaultLanguage,
    phone: facts.phone,
    isOpen: (at) => isOpenAt(facts, at),
    nextOpening: (at) => (isOpenAt(facts, at) ? at : nextOpeningAt(facts, at)),
  };
}

/** The clinic's facts from the database (the first clinic by creation, its first active location). */
export async function loadClinicFacts(db: DbOrTx, now: Date): Promise<ClinicFacts> {
  const clinic = await db.selectFrom('clinics').select(['id', 'name', 'emergency_number', 'crisis_line', 'languages', 'default_language', 'phone']).orderBy('created_at').orderBy('id').executeTakeFirst();
  if (!clinic) return UNCONFIGURED;
  const location = await db.selectFrom('locations').select(['id', 'time_zone', 'emergency_number', 'phone'])
    .where('clinic_id', '=', clinic.id).where('active', '=', true).orderBy('created_at').orderBy('code').executeTakeFirst();
  const languages = clinic.languages.filter(isLanguage);
  const facts: ClinicFacts = {
    name: clinic.name,
    emergencyNumber: location?.emergency_number ?? clinic.emergency_number,
    crisisLine: clinic.crisis_line,
    timeZone: location?.time_zone ?? 'UTC',
    languages: languages.length > 0 ? languages : [...LANGUAGES],
    defaultLanguage: isLanguage(clinic.default_language) ? clinic.default_language : 'en',
    phone: location?.phone ?? clinic.phone,
    configured: true,
    hours: [],
    closures: [],
  };
  if (!location) return facts;
  const hours = await db.selectFrom('opening_hours')
    .select(['weekday', 'start_time', 'end_time'])
    .select((eb) => [eb.cast<string | null>('valid_from', 'text').as('valid_from'), eb.cast<string | null>('valid_to', 'text').as('valid_to')])
    .where('location_id', '=', location.id).where('practitioner_id', 'is', null).where('service_id', 'is', null)
    .execute();
  const closures = await db.selectFrom('closures').select(['starts_at', 'ends_at'])
    .where('clinic_id', '=', clinic.id)
    .where((eb) => eb.or([eb('location_id', 'is', null), eb('location_id', '=', location.id)]))
    .where('practitioner_id', 'is', null)
    .where('ends_at', '>', now)
    .where('starts_at', '<', new Date(now.getTime() + HORIZON_MS))
    .execute();
  facts.hours = hours.map((h) => ({ weekday: h.weekday, start: h.start_time, end: h.end_time, validFrom: h.valid_from, validTo: h.valid_to }));
  facts.closures = closures.map((c) => ({ startsAt: c.starts_at, endsAt: c.ends_at }));
  return facts;
}
