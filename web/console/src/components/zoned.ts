// Wall-clock time in a clinic location's time zone, with Intl only (no date library): which local day and
// hour an instant falls on, the instant a local day starts, and "YYYY-MM-DD" day keys to step through.
// The calendar and the availability editors use it so that a Paris clinic reads Paris time in any browser.

export interface ZonedParts {
  /** YYYY-MM-DD, the local date. */
  day: string;
  hour: number;
  minute: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(zone: string): Intl.DateTimeFormat {
  let f = partsFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    partsFormats.set(zone, f);
  }
  return f;
}

function fields(d: Date, zone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of partsFormat(zone).formatToParts(d)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local date, time and weekday of `d` in `zone`. */
export function zonedParts(d: Date, zone: string): ZonedParts {
  const f = fields(d, zone);
  const day = `${f['year']}-${pad(f['month'] ?? 1)}-${pad(f['day'] ?? 1)}`;
  return { day, hour: f['hour'] ?? 0, minute: f['minute'] ?? 0, weekday: weekdayOf(day) };
}

/** How far `zone` is ahead of UTC at `d`, in ms. */
function offsetAt(d: Date, zone: string): number {
  const f = fields(d, zone);
  const asUtc = Date.UTC(f['year'] ?? 1970, (f['month'] ?? 1) - 1, f['day'] ?? 1, f['hour'] ?? 0, f['minute'] ?? 0, f['second'] ?? 0);
  return asUtc - Math.floor(d.getTime() / 1000) * 1000;
}

/** The instant of local wall-clock time `day` `hh:mm` in `zone` (the later one when a DST change repeats it). */
export function zonedInstant(day: string, time: string, zone: string): Date {
  const [y, m, dd] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y ?? 1970, (m ?? 1) - 1, dd ?? 1, hh ?? 0, mm ?? 0);
  let guess = wall - offsetAt(new Date(wall), zone);
  // Once more with the offset at the guess: right on both sides of a DST change.
  guess = wall - offsetAt(new Date(guess), zone);
  return new Date(guess);
}

/** The instant local day `day` starts in `zone`. */
export function dayStart(day: string, zone: string): Date {
  return zonedInstant(day, '00:00', zone);
}

/** `day` plus `n` days (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + n));
  return t.toISOString().slice(0, 10);
}

/** ISO weekday of a day key: 1 = Monday … 7 = Sunday. */
export function weekdayOf(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const w = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The Monday of the week of `day`. */
export function weekStart(day: string): string {
  return addDays(day, 1 - weekdayOf(day));
}

/** A real calendar day as YYYY-MM-DD (not 2027-02-30, which Date would roll over into March). */
export function isDayKey(s: string | null | undefined): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** Formats in the location's zone, in the staff's language. */
export function zonedFormats(locale: string, zone: string) {
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dayLong = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const dayShort = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
  const dateTime = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' });
  const weekdayName = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long' });
  const keyDate = (day: string) => new Date(`${day}T12:00:00Z`);
  return {
    time: (iso: string | Date) => time.format(typeof iso === 'string' ? new Date(iso) : iso),
    dateTime: (iso: string | Date) => dateTime.format(typeof iso === 'string' ? new Date(iso) : iso),
    dayLong: (day: string) => dayLong.format(keyDate(day)),
    dayShort: (day: string) => dayShort.format(keyDate(day)),
    /** 1 = Monday. 2024-01-01 was a Monday. */
    weekday: (n: number) => weekdayName.format(new Date(Date.UTC(2024, 0, n, 12))),
    hour: (h: number) => `${pad(h)}:00`,
  };
}
